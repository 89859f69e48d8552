#!/usr/bin/env bash
# Benchmarks tagstory collect and render against the tools people use today, in one run, and
# writes BENCHMARKS.md. See `tests/bench/run.sh --help`.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: tests/bench/run.sh [OPTIONS]

Builds the release binary, generates #BenchTag corpora (tests/bench/gen_corpus.py), and measures
whole processes under /usr/bin/time -v:
  - tagstory collect of each input format at each size, into a new archive, then the same input
    again into that archive; the story is checked against the generator's counts;
  - the floor (tests/bench/floor.rs) on Mastodon API JSONL and Twitter v1.1 JSONL: parsing and
    one insert per post with the full-text index built at the end, the least any archive of
    those files costs on this machine;
  - the same inputs with sqlite-utils insert --nl (Mastodon API JSONL, Twitter v1.1 JSONL) and
    twitter-to-sqlite import (tweet.js), each in its own virtualenv under target/bench-venvs;
  - tagstory render (HTML, JSON, and Markdown when the build has it) of stories of exactly N
    posts, and mastodon-archive html on the same statuses;
then writes BENCHMARKS.md (machine, targets of issue 10 met or missed, every figure).

Options:
  --sizes "N..."         collect sizes (default: "10000 100000 1000000")
  --render-sizes "N..."  story sizes to render (default: 1000 10000 100000, those up to the
                         largest collect size)
  --formats "F..."       collect inputs (default: all): mastodon-json mastodon-jsonl
                         mastodon-export twarc2 twitter-v1 twitter-archive
  --seed S               corpus seed (default: 1)
  --out FILE             the report (default: BENCHMARKS.md)
  --work DIR             corpora, archives, logs (default: target/bench)
  --no-peers             skip the peer tools
  --no-build             use the binary as it is (default: cargo build --release --locked)
  --keep                 keep generated inputs and archives (default: each is deleted once
                         measured, so a 1M-post run needs ~10 GB of disk at most) and reuse
                         kept inputs
  -h, --help             this text

Environment: TAGSTORY=path overrides target/release/tagstory. On a shared machine run it as
`nice -n 15 tests/bench/run.sh ...`. A small run: tests/bench/run.sh --sizes "1000 10000".
EOF
}

DEFAULT_SIZES="10000 100000 1000000"
SIZES=$DEFAULT_SIZES
RENDER_SIZES=""
ALL_FORMATS="mastodon-json mastodon-jsonl mastodon-export twarc2 twitter-v1 twitter-archive"
FORMATS=$ALL_FORMATS
SEED=1
OUT=BENCHMARKS.md
WORK=target/bench
PEERS=1
BUILD=1
KEEP=0
COMMAND="tests/bench/run.sh"
for arg in "$@"; do
  if [[ $arg == *[[:space:]]* ]]; then COMMAND+=" \"$arg\""; else COMMAND+=" $arg"; fi
done
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) SIZES=$2; shift 2 ;;
    --render-sizes) RENDER_SIZES=$2; shift 2 ;;
    --formats) FORMATS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --no-peers) PEERS=0; shift ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option \`$1\` (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "run.sh: $*" >&2; exit 1; }
for n in $SIZES $RENDER_SIZES; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "sizes must be positive whole numbers, got \`$n\`"
done
for f in $FORMATS; do
  [[ " $ALL_FORMATS " == *" $f "* ]] || die "unknown format \`$f\`; known: $ALL_FORMATS"
done
LARGEST=$(printf '%s\n' $SIZES | sort -n | tail -1)
if [ -z "$RENDER_SIZES" ]; then
  for n in 1000 10000 100000; do [ "$n" -le "$LARGEST" ] && RENDER_SIZES="$RENDER_SIZES $n"; done
  RENDER_SIZES=${RENDER_SIZES# }
fi

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
HERE=tests/bench
BIN=${TAGSTORY:-target/release/tagstory}
VENVS=target/bench-venvs
RUN=$WORK/run
RESULTS=$RUN/results.jsonl
TAG=BenchTag

command -v python3 >/dev/null || die "python3 is needed"
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing GNU time (apt-get install time)"
    apt-get install -y -q time >/dev/null || die "apt-get install time failed"
  else
    die "/usr/bin/time (GNU time) is missing: apt-get install time"
  fi
fi

FLOOR=target/release/examples/floor
if [ "$BUILD" = 1 ]; then
  echo "== cargo build --release --locked (tagstory and the floor, tests/bench/floor.rs)"
  cargo build --release --locked
  cargo build --release --locked --example floor
fi
[ -x "$BIN" ] || die "no tagstory binary at $BIN (build it, or set TAGSTORY)"

# --- peers, each in its own virtualenv (../shared/TESTING.md §4: pins and traps) -------------
venv() {  # venv NAME PIP-SPEC...
  local dir=$VENVS/$1; shift
  if [ ! -x "$dir/bin/python" ] || ! "$dir/bin/pip" show -q "${1%%=*}" >/dev/null 2>&1; then
    echo "== virtualenv $dir: pip install $*"
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q --no-cache-dir "$@" || die "pip install $* failed"
  fi
}
PEER_VERSIONS="not run"
if [ "$PEERS" = 1 ]; then
  venv sqlite-utils "sqlite-utils==4.2.1"
  venv twitter-to-sqlite "twitter-to-sqlite==0.22"
  venv mastodon-archive "mastodon-archive==1.4.8"
  PEER_VERSIONS="sqlite-utils $("$VENVS/sqlite-utils/bin/sqlite-utils" --version | awk '{print $NF}'), twitter-to-sqlite $("$VENVS/twitter-to-sqlite/bin/pip" show twitter-to-sqlite | awk '/^Version/{print $2}'), mastodon-archive $("$VENVS/mastodon-archive/bin/pip" show mastodon-archive | awk '/^Version/{print $2}')"
fi

HELP=$("$BIN" render --help)
MARKDOWN=0; [[ $HELP == *markdown* ]] && MARKDOWN=1
PAGE_SIZE=0; [[ $HELP == *--page-size* ]] && PAGE_SIZE=1

rm -rf "$RUN"
mkdir -p "$RUN/db" "$RUN/logs" "$RUN/render"
python3 "$HERE/report.py" machine --bin "$BIN" --out "$RUN/machine.json"
SIZES=$SIZES DEFAULT_SIZES=$DEFAULT_SIZES RENDER_SIZES=$RENDER_SIZES SEED=$SEED COMMAND=$COMMAND \
  MARKDOWN=$MARKDOWN PAGE_SIZE=$PAGE_SIZE PEER_VERSIONS=$PEER_VERSIONS python3 -c '
import json, os, sys
e = os.environ
json.dump({"sizes": e["SIZES"], "default_sizes": e["DEFAULT_SIZES"], "render_sizes": e["RENDER_SIZES"],
           "seed": int(e["SEED"]), "command": e["COMMAND"].strip(), "markdown": e["MARKDOWN"] == "1",
           "page_size": e["PAGE_SIZE"] == "1", "peer_versions": e["PEER_VERSIONS"]}, open(sys.argv[1], "w"))
' "$RUN/run.json"

measure() {  # measure LABEL=VALUE... -- COMMAND...
  local sets=()
  while [ "$1" != "--" ]; do sets+=(--set "$1"); shift; done
  python3 "$HERE/measure.py" --record "$RESULTS" --logs "$RUN/logs" "${sets[@]}" "$@"
}

inputs_of() {  # the files a format is collected from, under corpus DIR
  case "$2" in
    mastodon-json) echo "$1/mastodon-api/statuses.json" ;;
    mastodon-jsonl) echo "$1/mastodon-api/statuses.jsonl" ;;
    mastodon-export) echo "$1/mastodon-export/outbox.json $1/mastodon-export/actor.json" ;;
    twarc2) echo "$1/twarc2/tweets.jsonl" ;;
    twitter-v1) echo "$1/twitter-v1/tweets.jsonl" ;;
    twitter-archive) echo "$1/twitter-archive/data/tweets.js $1/twitter-archive/data/manifest.js $1/twitter-archive/data/account.js" ;;
  esac
}
source_of() {  # what tagstory collect is given
  case "$2" in
    mastodon-export) echo "$1/mastodon-export/outbox.json" ;;
    twitter-archive) echo "$1/twitter-archive" ;;
    *) inputs_of "$1" "$2" ;;
  esac
}

generate() {  # generate SIZE DIR [GENERATOR OPTIONS...]: writes and notes a corpus; echoes its story size
  local size=$1 dir=$2; shift 2
  local all=0; [[ " $* " == *" --all-in-story "* ]] && all=1
  measure kind=gen posts="$size" all_in_story=$all -- \
    python3 "$HERE/gen_corpus.py" --posts "$size" --seed "$SEED" --out "$dir" "$@" >&2
  python3 "$HERE/report.py" corpus --dir "$dir" --record "$RESULTS"
}

floor() {  # SIZE FORMAT FILE: the least an archive of FILE costs (tests/bench/floor.rs)
  [ -x "$FLOOR" ] || return 0
  local db=$RUN/db/floor-$1-$2.db
  rm -f "$db" "$db-journal"
  for fts in rebuild inline; do  # the report takes the faster
    rm -f "$db" "$db-journal"
    measure kind=floor format="$2" posts="$1" fts=$fts -- "$FLOOR" "$2" "$3" "$db" "--fts-$fts"
  done
  rm -f "$db"
}

peer_sqlite_utils() {  # SIZE FORMAT FILE TABLE
  local db=$RUN/db/peer-$1-$2-sqlite-utils.db
  rm -f "$db"
  measure kind=peer tool=sqlite-utils format="$2" posts="$1" -- \
    "$VENVS/sqlite-utils/bin/sqlite-utils" insert "$db" "$4" "$3" --nl --pk id --alter
  python3 "$HERE/report.py" rows --db "$db" --table "$4" --expect "$1" --record "$RESULTS" \
    --set tool=sqlite-utils --set format="$2" --set posts="$1"
}

echo "== collect: sizes $SIZES; formats $FORMATS"
for size in $SIZES; do
  corpus=$WORK/corpus-$size
  for fmt in $FORMATS; do
    echo "-- $size posts, $fmt"
    gen_formats=$fmt
    [ "$fmt" = twitter-archive ] && [ "$PEERS" = 1 ] && gen_formats="twitter-archive twitter-to-sqlite"
    files=$(inputs_of "$corpus" "$fmt")
    have=1; for f in $files; do [ -f "$f" ] || have=0; done
    if [ "$KEEP" = 1 ] && [ "$have" = 1 ] && [ -f "$corpus/corpus.json" ]; then
      story=$(python3 "$HERE/report.py" corpus --dir "$corpus" --record "$RESULTS")
    else
      story=$(generate "$size" "$corpus" --formats $gen_formats)
    fi
    db=$RUN/db/$size-$fmt.db
    rm -f "$db" "$db-wal" "$db-shm"
    src=$(source_of "$corpus" "$fmt")
    for pass in 1 2; do
      measure kind=collect format="$fmt" posts="$size" pass=$pass -- \
        "$BIN" collect --tag "$TAG" --db "$db" --quiet $src
      # shellcheck disable=SC2086
      again=(); [ "$pass" = 2 ] && again=(--again)
      python3 "$HERE/report.py" db-stats --db "$db" --expect "$story" --record "$RESULTS" --input $files \
        --log "$RUN/logs/collect-$fmt-$size-$pass.err" "${again[@]}" \
        --set format="$fmt" --set posts="$size" --set pass=$pass
    done
    case "$fmt" in mastodon-jsonl|twitter-v1) floor "$size" "$fmt" "$files" ;; esac
    if [ "$PEERS" = 1 ]; then
      case "$fmt" in
        mastodon-jsonl) peer_sqlite_utils "$size" "$fmt" "$files" statuses ;;
        twitter-v1) peer_sqlite_utils "$size" "$fmt" "$files" tweets ;;
        twitter-archive)
          db=$RUN/db/peer-$size-twitter-to-sqlite.db
          rm -f "$db"
          measure kind=peer tool=twitter-to-sqlite format="$fmt" posts="$size" -- \
            "$VENVS/twitter-to-sqlite/bin/twitter-to-sqlite" import "$db" "$corpus/peers/twitter-to-sqlite/tweet.js"
          python3 "$HERE/report.py" rows --db "$db" --table archive_tweet --expect "$size" --record "$RESULTS" \
            --set tool=twitter-to-sqlite --set format="$fmt" --set posts="$size"
          ;;
      esac
    fi
    if [ "$KEEP" = 0 ]; then
      # shellcheck disable=SC2086
      rm -f $files "$corpus/peers/twitter-to-sqlite/tweet.js" "$RUN"/db/*"-$size-"* "$RUN/db/$size-$fmt.db"*
    fi
  done
done

echo "== render: story sizes $RENDER_SIZES (markdown: $([ $MARKDOWN = 1 ] && echo available || echo not available))"
for size in $RENDER_SIZES; do
  echo "-- story of $size posts"
  corpus=$WORK/story-$size
  src=$corpus/mastodon-api/statuses.jsonl
  archive_dir=$corpus/peers/mastodon-archive
  if [ "$KEEP" = 1 ] && [ -f "$src" ] && [ -f "$archive_dir/bench.example.user.owner.json" ]; then
    story=$(python3 "$HERE/report.py" corpus --dir "$corpus" --record "$RESULTS")
  else
    story=$(generate "$size" "$corpus" --all-in-story --formats mastodon-jsonl mastodon-archive)
  fi
  [ "$story" = "$size" ] || die "the story corpus of $size posts has a story of $story"
  db=$RUN/db/story-$size.db
  rm -f "$db" "$db-wal" "$db-shm"
  measure kind=collect-story posts="$size" -- "$BIN" collect --tag "$TAG" --db "$db" --quiet "$src"
  python3 "$HERE/report.py" db-stats --db "$db" --expect "$size" --record "$RESULTS" --input "$src" \
    --set format=story --set posts="$size"
  outputs="html json"; [ "$MARKDOWN" = 1 ] && outputs="$outputs markdown"
  for output in $outputs; do
    ext=$output; [ "$output" = markdown ] && ext=md
    dir=$RUN/render/$size-$output
    rm -rf "$dir"; mkdir -p "$dir"
    measure kind=render output="$output" posts="$size" -- \
      "$BIN" render --tag "$TAG" --db "$db" --format "$output" --out "$dir/story.$ext"
    python3 "$HERE/report.py" render-check --out "$dir/story.$ext" --expect "$size" --record "$RESULTS" \
      --set output="$output" --set posts="$size"
  done
  if [ "$PEERS" = 1 ]; then
    rm -f "$archive_dir"/*.html
    measure kind=peer-render tool=mastodon-archive posts="$size" -- \
      bash -c "cd '$archive_dir' && exec '$ROOT/$VENVS/mastodon-archive/bin/mastodon-archive' html owner@bench.example"
    pages=$(find "$archive_dir" -name '*.html' | wc -l)
    [ "$pages" -gt 0 ] || die "mastodon-archive html wrote no page in $archive_dir"
    rm -f "$archive_dir"/*.html
  fi
  if [ "$KEEP" = 0 ]; then rm -rf "$corpus" "$db" "$db-wal" "$db-shm" "$RUN/render/$size-"*; fi
done

python3 "$HERE/report.py" write --run "$RUN" --out "$OUT"
echo "== done: $OUT (raw figures: $RESULTS, logs: $RUN/logs)"
