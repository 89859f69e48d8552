#!/usr/bin/env bash
# Where a collect reads and writes pages: every pread64/pwrite64 of one collect, counted by the
# file descriptor, the innermost tagstory function and the innermost SQLite function on its
# call stack (perf's syscall tracepoints, frame-pointer stacks). Page I/O is what callgrind
# does not count and what the kernel's share of a large collect is made of (issue 10).
#
# Usage: tests/bench/io_profile.sh INPUT [TAG] [--second]
#   INPUT     a source file (e.g. one of gen_corpus.py's)
#   TAG       default BenchTag
#   --second  count the second collect of INPUT into the same archive instead of the first
# Needs perf (Debian: linux-perf) and root or perf_event_paranoid <= 1. Builds a frame-pointer
# release binary in target/profile-fp first.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,12p' "$0"; exit 2; }
input=$1
tag=${2:-BenchTag}
second=0
[ "${3:-}" = --second ] && second=1
RUSTFLAGS="-C force-frame-pointers=yes" CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
  cargo build --release --locked --target-dir target/profile-fp >&2
bin=target/profile-fp/release/tagstory
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
events=(-e syscalls:sys_enter_pread64 -e syscalls:sys_enter_pwrite64)
if [ $second = 1 ]; then
  "$bin" collect --tag "$tag" --db "$work/a.db" "$input" >/dev/null
fi
perf record -q -o "$work/perf.data" "${events[@]}" --call-graph fp \
  "$bin" collect --tag "$tag" --db "$work/a.db" "$input" >/dev/null
perf script -i "$work/perf.data" -F event,trace,ip,sym 2>/dev/null | python3 -c '
import collections, re, sys
counts, totals = collections.Counter(), collections.Counter()
event, fd, stack = None, None, []
def flush():
    if event is None:
        return
    ours = [s for s in stack if s.startswith("tagstory::")]
    sqlite = [s for s in stack if s.startswith("sqlite3") and s not in ("sqlite3_step", "sqlite3VdbeExec")]
    counts[(event, fd, ours[0][:72] if ours else "?", sqlite[-1] if sqlite else "?")] += 1
    totals[event] += 1
for line in sys.stdin:
    if not line.strip():
        flush(); event, stack = None, []
        continue
    m = re.match(r"\s*syscalls:sys_enter_(\w+):\s+fd: (0x[0-9a-f]+)", line)
    if m:
        event, fd = m.group(1), int(m.group(2), 16)
        continue
    m = re.match(r"\s*[0-9a-f]+ (\S+)", line)
    if m:
        stack.append(m.group(1))
flush()
print("totals:", dict(totals))
print("count  syscall  fd  tagstory function  SQLite function")
for (event, fd, ours, sqlite), n in counts.most_common(30):
    print(f"{n:7} {event:8} {fd:3}  {ours}  {sqlite}")
'
