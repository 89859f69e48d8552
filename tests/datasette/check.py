#!/usr/bin/env python3
"""Checks that Datasette (from PyPI) recognises an archive's full-text index.

    python3 tests/datasette/check.py [path/to/tagstory]

Installs Datasette into a virtualenv under target/ (reused when present), collects the bundled
sample into a new archive and upgrades the version-4 fixture archive, serves each with
`datasette serve` on 127.0.0.1, and asks it: does `posts` have `posts_fts` as its search table,
and does `posts.json?_search=WORD` return exactly the posts whose text holds WORD? Datasette
finds an FTS table only by its SQL text (`content="posts"`), so this is the real test of it.
Exit 0 when every check passes.
"""

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, "target", "datasette-venv")
PIN = "datasette==0.65.5"
TAG = "DearMentalHealthProfessionals"
WORD = "letters"


def datasette():
    exe = os.path.join(VENV, "bin", "datasette")
    if not os.path.exists(exe):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "-q",
                        "--disable-pip-version-check", PIN], check=True)
    return exe


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return json.load(r)


def serve(exe, db):
    port = free_port()
    proc = subprocess.Popen([exe, "serve", db, "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            get(port, "/-/versions.json")
            return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"datasette did not start on port {port}")


def check_archive(exe, db, failures):
    name = os.path.splitext(os.path.basename(db))[0]
    conn = sqlite3.connect(db)
    want = conn.execute(
        "SELECT count(*) FROM posts WHERE text LIKE ? OR spoiler_text LIKE ?",
        (f"%{WORD}%", f"%{WORD}%")).fetchone()[0]
    total = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    conn.close()
    proc, port = serve(exe, db)
    try:
        tables = {t["name"]: t for t in get(port, f"/{name}.json")["tables"]}
        fts = tables.get("posts", {}).get("fts_table")
        ok = fts == "posts_fts"
        print(f"{'PASS' if ok else 'FAIL'} {name}: posts has fts_table {fts!r}")
        failures += not ok
        rows = get(port, f"/{name}/posts.json?_search={WORD}&_shape=array&_size=max")
        texts = [r["text"] for r in rows]
        ok = (len(rows) == want and 0 < want < total
              and all(WORD in (t or "").lower() for t in texts))
        print(f"{'PASS' if ok else 'FAIL'} {name}: ?_search={WORD} gives {len(rows)} of {total} "
              f"rows, {want} expected")
        failures += not ok
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return failures


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                             os.path.join(ROOT, "target", "debug", "tagstory"))
    exe = datasette()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, "fresh.db")
        sources = sorted(
            os.path.join(ROOT, "fixtures", "mastodon-api", f)
            for f in os.listdir(os.path.join(ROOT, "fixtures", "mastodon-api"))
            if f.endswith(".json"))
        sources += [os.path.join(ROOT, "fixtures", "activitypub", "conversation.json"),
                    os.path.join(ROOT, "fixtures", "activitypub", "export", "outbox.json")]
        subprocess.run([binary, "collect", "--quiet", "--tag", TAG, "--db", fresh, *sources],
                       check=True, stderr=subprocess.DEVNULL)
        upgraded = os.path.join(tmp, "upgraded.db")
        shutil.copy(os.path.join(ROOT, "fixtures", "archives", "v4.db"), upgraded)
        # Any command that writes to the archive upgrades it.
        subprocess.run([binary, "story", "--tag", "riverday", "--db", upgraded], check=True,
                       stdout=subprocess.DEVNULL)
        for db in (fresh, upgraded):
            failures = check_archive(exe, db, failures)
    print("datasette checks " + ("passed" if failures == 0 else f"FAILED ({failures})"))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
