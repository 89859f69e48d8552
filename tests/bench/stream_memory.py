#!/usr/bin/env python3
"""Benchmark: does `tagstory collect` keep memory flat as inputs grow?

Generates JSON Lines (one ActivityPub Create{Note} per line, reply chains of ten, every
chain's root tagged) and a single JSON array of the same notes, at each size given in MB,
runs the release binary on each and prints wall time, peak resident memory and throughput.
Memory should stay roughly constant while the input grows.

    cargo build --release && python3 tests/bench/stream_memory.py 50 200 [1000]
"""
import json, os, subprocess, sys, tempfile, time

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
BIN = os.environ.get("TAGSTORY", "target/release/tagstory")


def note(n):
    chain, pos = divmod(n, 10)
    note = {
        "type": "Note", "id": f"https://bench.example/notes/{n}",
        "attributedTo": f"https://bench.example/users/u{n % 97}",
        "published": f"2026-08-{1 + chain % 28:02d}T{pos:02d}:00:{n % 60:02d}Z",
        "content": f"<p>note {n} of chain {chain}: " + "words and more words " * 12 + "</p>",
        "to": [PUBLIC],
        "tag": [{"type": "Hashtag", "name": "#Bench"}] if pos == 0 else [],
    }
    if pos:
        note["inReplyTo"] = f"https://bench.example/notes/{n - 1}"
    return {"type": "Create", "id": note["id"] + "/activity", "actor": note["attributedTo"], "object": note}


def write(path, megabytes, as_array):
    target, n, size = megabytes * 1_000_000, 0, 0
    with open(path, "w") as f:
        if as_array:
            f.write("[\n")
        while size < target:
            line = json.dumps(note(n))
            if as_array and n:
                f.write(",\n")
                size += 2
            f.write(line if as_array else line + "\n")
            size += len(line) + 1
            n += 1
        if as_array:
            f.write("\n]\n")
    return n


def run(path, db):
    started = time.time()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, "collect", "--tag", "bench", "--db", db, path],
                         capture_output=True, text=True)
    elapsed = time.time() - started
    if out.returncode != 0:
        sys.exit(f"collect failed:\n{out.stderr[-2000:]}")
    peak_kb = int(out.stderr.strip().splitlines()[-1])
    return elapsed, peak_kb


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [50, 200]
    print(f"{'framing':8} {'input MB':>8} {'posts':>9} {'seconds':>8} {'posts/s':>9} {'peak RSS MB':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for as_array in (False, True):
            for mb in sizes:
                path = os.path.join(tmp, "in.json" if as_array else "in.jsonl")
                posts = write(path, mb, as_array)
                db = os.path.join(tmp, f"bench-{mb}-{as_array}.db")
                elapsed, peak_kb = run(path, db)
                os.remove(path)
                os.remove(db)
                name = "array" if as_array else "jsonl"
                print(f"{name:8} {mb:>8} {posts:>9} {elapsed:>8.1f} {posts / elapsed:>9.0f} {peak_kb / 1024:>11.1f}", flush=True)


if __name__ == "__main__":
    main()
