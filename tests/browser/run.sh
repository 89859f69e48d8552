#!/usr/bin/env bash
# Page checks in a real headless Chromium, for CI and by hand (idempotent):
#   bash tests/browser/run.sh [path/to/tagstory]      (default: target/debug/tagstory)
# Installs Debian's chromium if missing and the pinned npm packages, collects the bundled
# fixtures into a temporary archive, renders story.html and story.json (and the same story with
# the test-only hostile post of fixtures/hostile/ added, a curated copy and a Storify story), then
# runs check-page.mjs (axe-core, offline, structure, layout, print) and the Nu Html Checker.
# Screenshots and the PDF go to ${SCREENSHOT_DIR:-$TMP}. Exit 0 only if both pass.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-target/debug/tagstory}
case $BIN in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
TAG=DearMentalHealthProfessionals

started=$(date +%s.%N)
last=$started
lap() { # lap LABEL: prints the time the step took
  local now; now=$(date +%s.%N)
  awk -v a="$last" -v b="$now" -v l="$1" 'BEGIN { printf "   (%s: %.1f s)\n", l, b - a }'
  last=$now
}

[ -x "$BIN" ] || { echo "run.sh: no tagstory binary at $BIN (run cargo build first)" >&2; exit 2; }

if [ ! -x /usr/bin/chromium ]; then
  echo "-- installing chromium (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  lap "chromium install"
fi
command -v java >/dev/null || { echo "run.sh: java not found (the Nu Html Checker needs Java 17)" >&2; exit 2; }

echo "-- npm ci"
# --ignore-scripts: vnu-jar's postinstall would try to download a JDK from the internet when it
# finds no java; the jar itself ships in the package.
(cd "$HERE" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
lap "npm ci"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tagstory-browser.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
SHOTS=${SCREENSHOT_DIR:-$TMP}
mkdir -p "$SHOTS"

echo "-- collect and render"
cd "$ROOT"
rc=0
"$BIN" collect --tag "$TAG" --db "$TMP/story.db" fixtures/mastodon-api/*.json fixtures/activitypub/conversation.json fixtures/activitypub/export/outbox.json || rc=$?
case $rc in
  0) ;;
  3) echo "run.sh: warning: collect skipped some unreadable records (exit 3); checking the page anyway" >&2 ;;
  *) echo "run.sh: collect failed (exit $rc)" >&2; exit 1 ;;
esac
"$BIN" render --tag "$TAG" --db "$TMP/story.db" --out "$TMP/story.html"
"$BIN" render --tag "$TAG" --db "$TMP/story.db" --format json --out "$TMP/story.json"
lap "collect + render"

# The sample with the hostile test post added (fixtures/hostile/: markup and a javascript: avatar
# in its author, script, handlers, a javascript: link, style and an iframe in its content; never
# part of the sample). Its page must pass every check the sample's does.
cp "$TMP/story.db" "$TMP/hostile.db"
"$BIN" collect --quiet --tag "$TAG" --db "$TMP/hostile.db" fixtures/hostile/status-mallory.json fixtures/hostile/note-mallory.json
"$BIN" render --tag "$TAG" --db "$TMP/hostile.db" --out "$TMP/hostile.html"
"$BIN" render --tag "$TAG" --db "$TMP/hostile.db" --format json --out "$TMP/hostile.json"
grep -q '"https://odd.example/users/mallory/statuses/117129310502928781"' "$TMP/hostile.json" ||
  { echo "run.sh: the hostile post is not in the hostile story" >&2; exit 1; }
if grep -q 'odd.example/users/mallory' "$TMP/story.json"; then
  echo "run.sh: the hostile post is in the sample's story" >&2; exit 1
fi

# The same story curated as an educator would: title, intro, notes, a post left out (a stub
# keeps its replies), times in another zone.
cp "$TMP/story.db" "$TMP/curated.db"
printf 'Read this as a **conversation**.\n\n- who answers\n- what changes\n' >"$TMP/intro.md"
printf 'Notice who *answers* first.\n' >"$TMP/note.md"
"$BIN" story --tag "$TAG" --db "$TMP/curated.db" --title "Listening, 2026" --intro-file "$TMP/intro.md" >/dev/null
"$BIN" note --tag "$TAG" --db "$TMP/curated.db" --before https://care.example/@ruth/117126794575873100 --file "$TMP/note.md"
"$BIN" note --tag "$TAG" --db "$TMP/curated.db" --after https://care.example/users/jun/statuses/117126855452429198 --file "$TMP/note.md"
"$BIN" hide --tag "$TAG" --db "$TMP/curated.db" https://care.example/users/ruth/statuses/117126908149792447
"$BIN" render --tag "$TAG" --db "$TMP/curated.db" --timezone Europe/London --out "$TMP/curated.html"
"$BIN" render --tag "$TAG" --db "$TMP/curated.db" --format json --out "$TMP/curated.json"
# Everyone under a pseudonym, with a curator's content warning on a thread.
"$BIN" note --tag "$TAG" --db "$TMP/curated.db" --on https://care.example/users/jun/statuses/117126855452429198 --cw "names, misgendering"
"$BIN" render --tag "$TAG" --db "$TMP/curated.db" --anonymize --out "$TMP/anonymized.html"
"$BIN" render --tag "$TAG" --db "$TMP/curated.db" --anonymize --format json --out "$TMP/anonymized.json"
# A Storify story brought back: the curator's order with notes between posts.
"$BIN" collect --tag riverday --db "$TMP/storify.db" fixtures/storify/story-river-day-page1.json fixtures/storify/twitter-v1-tweets.json
"$BIN" render --tag riverday --db "$TMP/storify.db" --out "$TMP/storify.html"
# The sample with every picture archived: a folder, and a single page that embeds them.
cp "$TMP/story.db" "$TMP/media.db"
python3 "$HERE/archive_media.py" "$TMP/media.db" "$TAG"
"$BIN" render --tag "$TAG" --db "$TMP/media.db" --out "$TMP/folder/"
"$BIN" render --tag "$TAG" --db "$TMP/media.db" --format json --out "$TMP/folder-story.json"
"$BIN" render --tag "$TAG" --db "$TMP/media.db" --out "$TMP/embedded.html"
# Video, animation and sound with their posters and cover, archived, as a folder.
"$BIN" collect --tag posters --db "$TMP/posters.db" fixtures/mastodon-api/quirks/media_previews.json
python3 "$HERE/archive_media.py" "$TMP/posters.db" posters
"$BIN" render --tag posters --db "$TMP/posters.db" --out "$TMP/posters/"
# Split over pages (an index and thread pages), as a story too long for one page is.
"$BIN" render --tag "$TAG" --db "$TMP/media.db" --out "$TMP/split/" --page-size 10
lap "curated renders"

status=0
echo "-- check-page.mjs (headless Chromium)"
node "$HERE/check-page.mjs" "$TMP/story.html" "$TMP/story.json" "$SHOTS/story.png" || status=1
echo "-- check-page.mjs on the curated page"
node "$HERE/check-page.mjs" "$TMP/curated.html" "$TMP/curated.json" "$SHOTS/curated.png" || status=1
echo "-- check-page.mjs on the anonymized page"
node "$HERE/check-page.mjs" "$TMP/anonymized.html" "$TMP/anonymized.json" "$SHOTS/anonymized.png" || status=1
echo "-- check-page.mjs on the folder render, network off"
EXPECT_MEDIA=15 node "$HERE/check-page.mjs" "$TMP/folder/index.html" "$TMP/folder/story.json" "$SHOTS/folder.png" || status=1
echo "-- check-page.mjs on the single page with its pictures inside"
EXPECT_MEDIA=15 node "$HERE/check-page.mjs" "$TMP/embedded.html" "$TMP/folder-story.json" "$SHOTS/embedded.png" || status=1
echo "-- check-page.mjs on a folder with videos, their posters and a sound's cover, network off"
EXPECT_MEDIA=2 EXPECT_POSTERS=2 node "$HERE/check-page.mjs" "$TMP/posters/index.html" "$TMP/posters/story.json" "$SHOTS/posters.png" || status=1
echo "-- check-page.mjs on the page with the hostile test post"
node "$HERE/check-page.mjs" "$TMP/hostile.html" "$TMP/hostile.json" "$SHOTS/hostile.png" || status=1
lap "browser checks"

echo "-- Nu Html Checker"
VNU_JAR=$(cd "$HERE" && node -e 'console.log(String(require("vnu-jar")))')
if java -jar "$VNU_JAR" --errors-only "$TMP/story.html" "$TMP/curated.html" "$TMP/anonymized.html" "$TMP/hostile.html" "$TMP/storify.html" "$TMP/folder/index.html" "$TMP/embedded.html" "$TMP/split/index.html" "$TMP/split/threads-2.html" "$TMP/posters/index.html"; then
  echo "PASS Nu Html Checker: no errors"
else
  echo "FAIL Nu Html Checker: errors above"
  status=1
fi
lap "vnu"

total=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "-- screenshots: $SHOTS/story.png, $SHOTS/story-desktop.png, PDF: $SHOTS/story.pdf"
[ "$SHOTS" = "$TMP" ] && echo "   (removed on exit: set SCREENSHOT_DIR to keep them)"
echo "-- page checks $([ $status = 0 ] && echo passed || echo FAILED) in $total s"
exit $status
