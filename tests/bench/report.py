#!/usr/bin/env python3
"""The checking and reporting half of `tests/bench/run.sh` (Python 3 stdlib only).

    report.py machine --bin BIN --out machine.json    describe the machine (at the start)
    report.py db-stats --db DB --expect N --record R --input FILE... [--set k=v...]
                                                      count the story, size the archive; exit 1
                                                      when the story is not N posts
    report.py rows --db DB --table T --expect N --record R [--set k=v...]
                                                      the same for a peer's table
    report.py render-check --out PATH --expect N --record R [--set k=v...]
                                                      count posts in rendered HTML or JSON
    report.py corpus --dir CORPUS --record R           note a corpus's counts; print its story size
    report.py write --run DIR --out BENCHMARKS.md     the report, from DIR/results.jsonl

Every record lands in the same JSON Lines file as measure.py's, so `write` reads one file.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys

# Issue 10's targets.
COLLECT_TARGET = {"twarc2": 150_000, "twitter-v1": 150_000, "mastodon-json": 75_000,
                  "mastodon-jsonl": 75_000, "mastodon-export": 75_000}
FORMAT_NAMES = {
    "mastodon-json": "Mastodon API, JSON array", "mastodon-jsonl": "Mastodon API, JSONL",
    "mastodon-export": "Mastodon export (outbox.json)", "twarc2": "twarc 2 JSONL (v2 pages)",
    "twitter-v1": "Twitter v1.1 JSONL (twarc 1)", "twitter-archive": "Twitter archive (tweets.js)",
}
PEAK_TARGET_MB = 64
SECOND_COLLECT_SPEEDUP = 3
RENDER_TARGET = (100_000, 2.0, 300)  # posts, seconds, MB
DB_RATIO_TARGET = 2.0
FLAT_COST = 1.5  # cost per post at the largest size / at the smallest: our reading of "flat"


def label(value):
    key, _, raw = value.partition("=")
    try:
        return key, int(raw)
    except ValueError:
        return key, raw


def append(record_path, record):
    with open(record_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")


def run_text(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


# --- machine ---------------------------------------------------------------------------------


def machine(args):
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as f:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    os_name = platform.platform()
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release", encoding="utf-8") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            if m:
                os_name = f"{m.group(1)}, kernel {platform.release()}"
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem_kb / 1024 / 1024, 1), "os": os_name,
        "rustc": run_text(["rustc", "--version"]), "tagstory": run_text([args.bin, "--version"]),
        "commit": run_text(["git", "rev-parse", "--short", "HEAD"]),
        "dirty": bool(run_text(["git", "status", "--porcelain", "--untracked-files=no"])),
        "python": platform.python_version(), "python_sqlite": sqlite3.sqlite_version,
        "load_start": open("/proc/loadavg").read().split()[:3],
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)


def sqlite_writer_version(db):
    """The SQLite version that last wrote `db` (file header, offset 96): tagstory's bundled one."""
    with open(db, "rb") as f:
        header = f.read(100)
    n = int.from_bytes(header[96:100], "big")
    return f"{n // 1_000_000}.{n // 1000 % 1000}.{n % 1000}" if n else "unknown"


# --- checks ----------------------------------------------------------------------------------


def db_bytes(db):
    return sum(os.path.getsize(p) for p in (db, db + "-wal") if os.path.exists(p))


def story_count(db, tag):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
        if "story_posts" in tables:
            return conn.execute("SELECT count(*) FROM story_posts WHERE tag = ?", (tag,)).fetchone()[0]
        return conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    finally:
        conn.close()


def tagstory_total(log):
    """tagstory's own summary (`total for #tag: … posts read: … new, …`), when its log has one."""
    if not log or not os.path.exists(log):
        return None
    with open(log, encoding="utf-8", errors="replace") as f:
        totals = [line.strip() for line in f if line.startswith("total for")]
    return totals[-1] if totals else None


def db_stats(args):
    found = story_count(args.db, args.tag)
    total = tagstory_total(args.log)
    if total:
        print(f"  tagstory: {total}")
        new = re.search(r"(\d+) new", total)
        if args.again and new and int(new.group(1)):
            print(f"  WARNING: the second collect of the same input added {new.group(1)} posts", file=sys.stderr)
    inputs = sum(os.path.getsize(p) for p in args.input)
    size = db_bytes(args.db)
    append(args.record, {**dict(args.labels), "kind": "db", "story_posts": found, "expected": args.expect,
                         "db_bytes": size, "input_bytes": inputs, "sqlite": sqlite_writer_version(args.db)})
    print(f"  archive: {found} story posts (expected {args.expect}), {size / 1e6:.1f} MB "
          f"({size / max(1, inputs):.2f}x the {inputs / 1e6:.1f} MB input)")
    if found != args.expect:
        sys.exit(f"report.py: {args.db} holds {found} posts in the story of #{args.tag}, "
                 f"but the corpus has {args.expect}: the collect did not read the input as generated")


def rows(args):
    conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    found = conn.execute(f'SELECT count(*) FROM "{args.table}"').fetchone()[0]
    conn.close()
    append(args.record, {**dict(args.labels), "kind": "peer-db", "rows": found, "expected": args.expect,
                         "db_bytes": db_bytes(args.db)})
    print(f"  peer: {found} rows in {args.table} (expected {args.expect})")
    if found != args.expect:
        sys.exit(f"report.py: {args.db} table {args.table} has {found} rows, expected {args.expect}")


def render_check(args):
    paths = [args.out]
    if args.out.endswith(".html"):
        paths = sorted(glob.glob(os.path.join(os.path.dirname(args.out), "*.html")))
    found, size = None, sum(os.path.getsize(p) for p in paths)
    if args.out.endswith(".json"):
        with open(args.out, encoding="utf-8") as f:
            found = json.load(f).get("post_count")
    elif args.out.endswith(".html"):
        found = 0
        for p in paths:
            with open(p, encoding="utf-8") as f:
                found += f.read().count("<article")
    else:
        with open(args.out, encoding="utf-8") as f:
            found = None if not f.read(1) else "n/a"
    append(args.record, {**dict(args.labels), "kind": "render-out", "files": len(paths), "out_bytes": size,
                         "found": found, "expected": args.expect})
    print(f"  output: {len(paths)} file(s), {size / 1e6:.1f} MB, {found} posts found (expected {args.expect})")
    if args.out.endswith(".json") and found != args.expect:
        sys.exit(f"report.py: {args.out} says post_count {found}, expected {args.expect}")
    if found is None:
        sys.exit(f"report.py: {args.out} is empty")


# --- the report ------------------------------------------------------------------------------


def load(run):
    with open(os.path.join(run, "results.jsonl"), encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(run, "machine.json"), encoding="utf-8") as f:
        info = json.load(f)
    with open(os.path.join(run, "run.json"), encoding="utf-8") as f:
        info.update(json.load(f))
    return records, info


def find(records, **keys):
    return [r for r in records if all(r.get(k) == v for k, v in keys.items())]


def one(records, **keys):
    found = find(records, **keys)
    return found[-1] if found else None


def mb(kb_or_bytes, kb=True):
    return kb_or_bytes / 1024 if kb else kb_or_bytes / 1e6


def rate(n, seconds):
    return f"{n / seconds:,.0f}" if seconds > 0 else "∞"


def verdict(ok, factor, better="higher"):
    word = "**met**" if ok else "**missed**"
    return f"{word} ({factor:.2f}×)" if factor is not None else word


class Report:
    def __init__(self, records, info):
        self.r, self.info = records, info
        self.sizes = sorted({r["posts"] for r in find(records, kind="collect")})
        self.render_sizes = sorted({r["posts"] for r in find(records, kind="render")})
        self.formats = [f for f in FORMAT_NAMES if find(records, kind="collect", format=f)]
        self.lines = []

    def out(self, *lines):
        self.lines.extend(lines)

    def table(self, head, rows):
        self.out("| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|")
        for row in rows:
            self.out("| " + " | ".join(str(c) for c in row) + " |")
        self.out("")

    def collect(self, fmt, size, pass_no=1):
        return one(self.r, kind="collect", format=fmt, posts=size, **{"pass": pass_no})

    def write(self):
        self.header()
        self.targets()
        self.floor_table()
        self.collect_tables()
        self.render_tables()
        self.peer_tables()
        self.corpus()
        return "\n".join(self.lines) + "\n"

    def header(self):
        i = self.info
        self.out("# Benchmarks", "")
        busy = float(i["load_start"][0]) > 0.5 * (i["nproc"] or 1)
        if i["sizes"] != i["default_sizes"]:
            kind = "Small run" if max(self.sizes or [0]) < 1_000_000 else "Custom sizes"
            self.out(f"> **{kind}** (`--sizes \"{i['sizes']}\"`, render sizes `{i['render_sizes']}`): "
                     "not the sizes issue 10 asks for. Replace with a full run (`tests/bench/run.sh`) at a "
                     "quiet time.", "")
        if busy:
            self.out(f"> **Busy machine**: the load average was {i['load_start'][0]} on {i['nproc']} cores "
                     "when the run started; other work competed for the CPU, so wall times are inflated "
                     "and noisy (CPU times less so).", "")
        self.out("Written by `tests/bench/run.sh` (" + i["command"] + "); every figure is a whole process "
                 "(`/usr/bin/time -v`: wall clock, user + system CPU, peak resident memory), all tools on "
                 "the same generated inputs in the same run. Inputs: `tests/bench/gen_corpus.py "
                 f"--seed {i['seed']}` (one #BenchTag conversation written in every format). "
                 "Posts/s counts every post of the input, read and decided, kept or not.", "")
        self.out("## Machine", "")
        self.table(["", ""], [
            ["date", i["date"]], ["CPU", f"{i['cpu']} × {i['nproc']} (nproc)"], ["RAM", f"{i['ram_gib']} GiB"],
            ["OS", i["os"]], ["rustc", i["rustc"]],
            ["tagstory", f"{i['tagstory']} at `{i['commit']}`" + (" (uncommitted changes)" if i["dirty"] else "")],
            ["SQLite", f"{i.get('sqlite_tagstory', '?')} (bundled in tagstory); {i['python_sqlite']} "
                       f"(Python {i['python']}'s, used by the peers)"],
            ["load average", f"{' '.join(i['load_start'])} at the start, {' '.join(i['load_end'])} at the end"],
            ["peers", i.get("peer_versions", "not run")],
        ])

    # --- targets -------------------------------------------------------------------------

    def targets(self):
        if not self.sizes:
            return
        big = self.sizes[-1]
        at = lambda size, wanted: f"{size:,}" + ("" if size == wanted else f" (target: {wanted:,})")
        rows = []
        for fmt in self.formats:
            c = self.collect(fmt, big)
            target = COLLECT_TARGET.get(fmt)
            if not c or not target:
                continue
            wall, cpu = big / c["wall_s"], big / max(c["cpu_s"], 1e-9)
            figure = f"{wall:,.0f}/s wall, {cpu:,.0f}/s CPU"
            f = self.floor(fmt, big)
            if f:
                figure += f" (the floor: {big / f['wall_s']:,.0f}/s)"
            rows.append([f"collect {FORMAT_NAMES[fmt]} ≥ {target:,} posts/s", at(big, 1_000_000),
                         figure, verdict(wall >= target, wall / target)])
        for fmt, tool, want in (("twitter-archive", "twitter-to-sqlite", 10), ("mastodon-jsonl", "sqlite-utils", 5),
                                ("twitter-v1", "sqlite-utils", 5)):
            c, p = self.collect(fmt, big), one(self.r, kind="peer", tool=tool, format=fmt, posts=big)
            if not c or not p:
                continue
            fw, fc = p["wall_s"] / c["wall_s"], p["cpu_s"] / max(c["cpu_s"], 1e-9)
            figure = f"{fw:.2f}× wall, {fc:.2f}× CPU"
            f = self.floor(fmt, big)
            if f:
                on = " on the Twitter v1.1 JSONL of the same tweets" if fmt == "twitter-archive" else ""
                figure += (f" (the floor{on}: {p['wall_s'] / f['wall_s']:.2f}× wall, "
                           f"{p['cpu_s'] / max(f['cpu_s'], 1e-9):.2f}× CPU)")
            rows.append([f"≥ {want}× `{tool}` on {FORMAT_NAMES[fmt]} (wall and CPU)", at(big, big),
                         figure, verdict(min(fw, fc) >= want, min(fw, fc) / want)])
        peaks = [(self.collect(f, big)["max_rss_kb"] / 1024, f) for f in self.formats if self.collect(f, big)]
        if peaks:
            peak, fmt = max(peaks)
            rows.append([f"peak memory ≤ {PEAK_TARGET_MB} MB, any form", at(big, 1_000_000),
                         f"{peak:.1f} MB (worst: {FORMAT_NAMES[fmt]})", verdict(peak <= PEAK_TARGET_MB, PEAK_TARGET_MB / peak)])
        second = 100_000 if 100_000 in self.sizes else big
        speedups = []
        for fmt in self.formats:
            a, b = self.collect(fmt, second, 1), self.collect(fmt, second, 2)
            if a and b:
                speedups.append((a["wall_s"] / b["wall_s"], fmt))
        if speedups:
            s, fmt = min(speedups)
            rows.append([f"second collect ≥ {SECOND_COLLECT_SPEEDUP}× faster than the first", at(second, 100_000),
                         f"{s:.2f}× (worst: {FORMAT_NAMES[fmt]})", verdict(s >= SECOND_COLLECT_SPEEDUP, s / SECOND_COLLECT_SPEEDUP)])
        rows += self.render_targets()
        ratios = []
        for fmt in self.formats:
            d = one(self.r, kind="db", format=fmt, posts=big, **{"pass": 1})
            if d:
                ratios.append((d["db_bytes"] / d["input_bytes"], fmt))
        if ratios:
            ratio, fmt = max(ratios)
            rows.append([f"database ≤ {DB_RATIO_TARGET:g}× the raw JSON", at(big, big),
                         f"{ratio:.2f}× (worst: {FORMAT_NAMES[fmt]})", verdict(ratio <= DB_RATIO_TARGET, DB_RATIO_TARGET / ratio)])
        if len(self.sizes) > 1:
            small = self.sizes[0]
            growth = []
            for fmt in self.formats:
                a, b = self.collect(fmt, small), self.collect(fmt, big)
                if a and b:
                    growth.append(((b["cpu_s"] / big) / max(a["cpu_s"] / small, 1e-9), fmt))
            if growth:
                g, fmt = max(growth)
                rows.append([f"collect cost per post flat (CPU per post at {big:,} ÷ at {small:,} ≤ {FLAT_COST})",
                             f"{small:,} → {big:,}", f"{g:.2f}× (worst: {FORMAT_NAMES[fmt]})", verdict(g <= FLAT_COST, FLAT_COST / g)])
        self.out("## Targets (issue 10)", "",
                 f"Measured at the largest size of this run ({big:,} posts; render {self.render_sizes[-1] if self.render_sizes else '-':,}). "
                 "The factor is how far the figure is from the target: above 1 is met with room, below 1 is missed by that much.", "")
        self.table(["target", "size", "figure", "verdict"], rows)

    def floor(self, fmt, size):
        """The floor measured on the JSON Lines file of `fmt`'s family (Mastodon or Twitter)."""
        family = "twitter-v1" if fmt in ("twarc2", "twitter-v1", "twitter-archive") else "mastodon-jsonl"
        floors = find(self.r, kind="floor", format=family, posts=size)
        return min(floors, key=lambda f: f["wall_s"]) if floors else None

    def floor_table(self):
        floors = [self.floor(fmt, size) for size in self.sizes for fmt in ("mastodon-jsonl", "twitter-v1")]
        floors = [f for f in floors if f]
        if not floors:
            return
        self.out("## The floor", "",
                 "`tests/bench/floor.rs` on the same file: one thread parses each line (serde_json, only the "
                 "fields of a post row), another inserts one row per post (URI unique, source line kept) into a "
                 "new SQLite archive with tagstory's page size, in one transaction, then builds the full-text "
                 "index in one statement. No sanitising, hashtags, threads or story: the least any archive of "
                 "the file costs on this machine. Where the floor is below a target, no SQLite archive that "
                 "keeps the source and a full-text index meets it here. Of the index built at the end and the index "
                 "filled row by row, the faster is shown.", "")
        rows = []
        for f in floors:
            size, fmt = f["posts"], f["format"]
            c = self.collect(fmt, size)
            floor_rate = size / f["wall_s"]
            target = COLLECT_TARGET.get(fmt)
            peer = one(self.r, kind="peer", format=fmt, posts=size)
            rows.append([f"{size:,}", FORMAT_NAMES[fmt], f["fts"], f"{f['wall_s']:.2f}", f"{f['cpu_s']:.2f}",
                         f"{f['max_rss_kb'] / 1024:.1f}", f"{floor_rate:,.0f}",
                         f"{target:,}" if target else "-",
                         f"{c['wall_s']:.2f} ({c['wall_s'] / f['wall_s']:.2f}×)" if c else "-",
                         f"{peer['wall_s'] / f['wall_s']:.2f}×" if peer else "-"])
        self.table(["posts", "input", "full-text index", "floor wall s", "floor CPU s", "floor peak MB", "floor posts/s",
                    "target posts/s", "tagstory wall s (× the floor)", "sqlite-utils ÷ floor, wall"], rows)

    def render_targets(self):
        rows = []
        if not self.render_sizes:
            return rows
        size = self.render_sizes[-1]
        want, secs, peak_mb = RENDER_TARGET
        h = one(self.r, kind="render", output="html", posts=size)
        if h:
            where = f"{size:,}" + ("" if size == want else f" (target: {want:,})")
            rows.append([f"render HTML ≤ {secs:g} s", where, f"{h['wall_s']:.2f} s", verdict(h["wall_s"] <= secs, secs / h["wall_s"])])
            peak = h["max_rss_kb"] / 1024
            rows.append([f"render HTML ≤ {peak_mb} MB", where, f"{peak:.1f} MB", verdict(peak <= peak_mb, peak_mb / peak)])
            m = one(self.r, kind="peer-render", tool="mastodon-archive", posts=size)
            if m:
                f = m["wall_s"] / h["wall_s"]
                rows.append(["render HTML ≥ 5× faster than `mastodon-archive html`", where, f"{f:.2f}×", verdict(f >= 5, f / 5)])
            rows.append(["render HTML ≥ 1.5× faster than `fossilizer build`", where, "not measured: fossilizer is published on GitHub only, not on crates.io or any registry this machine reaches", "—"])
        return rows

    # --- detail tables ------------------------------------------------------------------

    def collect_tables(self):
        self.out("## Collect", "", "First collect of each input into a new archive, then the same input again into "
                 "that archive (idempotent: nothing changes). Sanity check: the archive's story holds exactly the "
                 "posts the generator put in threads with a tagged post.", "")
        rows = []
        for size in self.sizes:
            for fmt in self.formats:
                a, b = self.collect(fmt, size, 1), self.collect(fmt, size, 2)
                d = one(self.r, kind="db", format=fmt, posts=size, **{"pass": 1})
                if not a:
                    continue
                rows.append([f"{size:,}", FORMAT_NAMES[fmt], f"{d['input_bytes'] / 1e6:,.1f}" if d else "?",
                             f"{a['wall_s']:.2f}", f"{a['user_s']:.2f} + {a['sys_s']:.2f}",
                             rate(size, a["wall_s"]), rate(size, a["cpu_s"]), f"{a['max_rss_kb'] / 1024:.1f}",
                             f"{b['wall_s']:.2f}" if b else "-", f"{a['wall_s'] / b['wall_s']:.2f}×" if b else "-",
                             f"{b['max_rss_kb'] / 1024:.1f}" if b else "-"])
        self.table(["posts", "input", "MB", "wall s", "user + sys s", "posts/s wall", "posts/s CPU", "peak MB",
                    "2nd collect wall s", "1st ÷ 2nd", "2nd peak MB"], rows)
        self.out("### Database size", "")
        rows = []
        for size in self.sizes:
            for fmt in self.formats:
                d = one(self.r, kind="db", format=fmt, posts=size, **{"pass": 1})
                d2 = one(self.r, kind="db", format=fmt, posts=size, **{"pass": 2})
                if d:
                    rows.append([f"{size:,}", FORMAT_NAMES[fmt], f"{d['story_posts']:,}", f"{d['db_bytes'] / 1e6:,.1f}",
                                 f"{d['db_bytes'] / max(1, d['story_posts']):,.0f}",
                                 f"{d['db_bytes'] / d['input_bytes']:.2f}×",
                                 f"{d2['db_bytes'] / 1e6:,.1f}" if d2 else "-"])
        self.table(["posts", "input", "story posts", "db MB", "db bytes per stored post", "db ÷ raw JSON",
                    "db MB after 2nd collect"], rows)
        if len(self.sizes) > 1:
            self.out("### Cost per post across sizes (CPU µs per input post)", "")
            rows = []
            for fmt in self.formats:
                cells = []
                for size in self.sizes:
                    c = self.collect(fmt, size)
                    cells.append(f"{c['cpu_s'] / size * 1e6:,.0f}" if c else "-")
                rows.append([FORMAT_NAMES[fmt], *cells])
            self.table(["input", *[f"{s:,}" for s in self.sizes]], rows)

    def render_tables(self):
        if not self.render_sizes:
            return
        self.out("## Render", "", "Stories of exactly N posts (a corpus generated with `--all-in-story`, collected "
                 "from Mastodon API JSONL), rendered whole. `mastodon-archive html` renders the same statuses "
                 "(its own archive file, same posts) with its default page size.", "")
        rows = []
        for size in self.render_sizes:
            for r in find(self.r, kind="render", posts=size) + find(self.r, kind="peer-render", posts=size):
                o = one(self.r, kind="render-out", output=r.get("output"), posts=size) if r["kind"] == "render" else None
                what = f"tagstory render --format {r['output']}" if r["kind"] == "render" else f"`{r['tool']} html`"
                rows.append([f"{size:,}", what, f"{r['wall_s']:.2f}", f"{r['cpu_s']:.2f}", f"{r['max_rss_kb'] / 1024:.1f}",
                             f"{o['out_bytes'] / 1e6:.1f}" if o else "-", str(o["files"]) if o else "-",
                             rate(size, r["wall_s"])])
        self.table(["story posts", "command", "wall s", "CPU s", "peak MB", "output MB", "files", "posts/s wall"], rows)
        if not self.info.get("markdown"):
            self.out("Markdown: not available (`tagstory render --help` lists no `markdown` format in this build).", "")
        if not self.info.get("page_size"):
            self.out("Pages: this build has no `--page-size`; every story is rendered as one page.", "")
        else:
            self.out("Pages: this build has `--page-size`; *files* counts the HTML files written.", "")

    def peer_tables(self):
        peers = find(self.r, kind="peer")
        if not peers:
            self.out("## Peers", "", "Not run (`--no-peers`).", "")
            return
        self.out("## Peers, same inputs", "", "`sqlite-utils insert DB T FILE --nl --pk id --alter` (rows as they are, "
                 "no FTS) and `twitter-to-sqlite import DB tweet.js`, each from its own virtualenv, right after "
                 "tagstory read the same file. Factor = peer time ÷ tagstory time (above 1: tagstory is faster).", "")
        rows = []
        for p in peers:
            c = self.collect(p["format"], p["posts"])
            rows.append([f"{p['posts']:,}", f"`{p['tool']}`", FORMAT_NAMES[p["format"]], f"{p['wall_s']:.2f}",
                         f"{p['cpu_s']:.2f}", f"{p['max_rss_kb'] / 1024:.1f}",
                         f"{c['wall_s']:.2f}" if c else "-", f"{c['cpu_s']:.2f}" if c else "-",
                         f"{p['wall_s'] / c['wall_s']:.2f}×" if c else "-",
                         f"{p['cpu_s'] / max(c['cpu_s'], 1e-9):.2f}×" if c else "-"])
        self.table(["posts", "peer", "input", "peer wall s", "peer CPU s", "peer peak MB", "tagstory wall s",
                    "tagstory CPU s", "factor wall", "factor CPU"], rows)

    def corpus(self):
        self.out("## Corpus", "")
        rows = []
        seen = set()
        for c in find(self.r, kind="corpus"):
            key = (c["posts"], c["all_in_story"])
            if key in seen:
                continue
            seen.add(key)
            s = c["shape"]
            n = c["counts"]
            gen_s = sum(g["wall_s"] for g in find(self.r, kind="gen", posts=c["posts"])
                        if bool(g.get("all_in_story")) == bool(c["all_in_story"]))
            rows.append([f"{n['posts']:,}", "yes" if c.get("all_in_story") else "no", f"{n['tagged']:,}",
                         f"{n['context']:,}", f"{n['unrelated']:,}", f"{s['threads']:,}",
                         f"{s['deep_threads']} / {s['wide_threads']}", s["max_depth"], s["max_direct_replies"],
                         f"{gen_s:.1f}"])
        self.table(["posts", "all in story", "tagged", "context", "unrelated", "threads", "deep / wide threads",
                    "deepest reply chain", "most direct replies", "generation wall s"], rows)
        notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
        if os.path.exists(notes):
            with open(notes, encoding="utf-8") as f:
                self.out(f.read().rstrip(), "")


def corpus(args):
    with open(os.path.join(args.dir, "corpus.json"), encoding="utf-8") as f:
        m = json.load(f)
    append(args.record, {"kind": "corpus", "posts": m["counts"]["posts"], "all_in_story": m["all_in_story"],
                         "counts": m["counts"], "shape": m["shape"]})
    return m["counts"]["story"]


def write(args):
    records, info = load(args.run)
    info["load_end"] = open("/proc/loadavg").read().split()[:3]
    versions = sorted({r["sqlite"] for r in find(records, kind="db") if r.get("sqlite")})
    info["sqlite_tagstory"] = ", ".join(versions) or "?"
    text = Report(records, info).write()
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {args.out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("machine")
    p.add_argument("--bin", required=True)
    p.add_argument("--out", required=True)
    for name in ("db-stats", "rows", "render-check"):
        p = sub.add_parser(name)
        p.add_argument("--record", required=True)
        p.add_argument("--expect", type=int, required=True)
        p.add_argument("--set", dest="labels", type=label, action="append", default=[])
        if name == "db-stats":
            p.add_argument("--db", required=True)
            p.add_argument("--tag", default="benchtag")
            p.add_argument("--input", nargs="+", required=True)
            p.add_argument("--log", help="the collect's stderr, for tagstory's own summary")
            p.add_argument("--again", action="store_true", help="a second collect of the same input")
        elif name == "rows":
            p.add_argument("--db", required=True)
            p.add_argument("--table", required=True)
        else:
            p.add_argument("--out", required=True)
    p = sub.add_parser("corpus")
    p.add_argument("--dir", required=True)
    p.add_argument("--record", required=True)
    p = sub.add_parser("write")
    p.add_argument("--run", required=True)
    p.add_argument("--out", required=True)
    args = ap.parse_args()
    {"machine": machine, "corpus": lambda a: print(corpus(a)), "db-stats": db_stats, "rows": rows, "render-check": render_check, "write": write}[args.cmd](args)


if __name__ == "__main__":
    main()
