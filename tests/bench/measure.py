#!/usr/bin/env python3
"""Runs one command under `/usr/bin/time -v` and appends its whole-process figures to a
JSON Lines file: wall seconds (measured here, to the microsecond), user and system CPU
seconds and peak resident memory (from GNU time), the exit status, and any `--set key=value`
labels. The command's stdout and stderr go to files under --logs.

    measure.py --record results.jsonl --logs logs --set kind=collect --set format=twarc2 \\
        -- target/release/tagstory collect --tag BenchTag --db a.db twarc2/tweets.jsonl

Prints one summary line. Exits with the command's status, after printing the end of its
stderr when that is not 0, so a calling script stops on a failed run. Python 3 stdlib only.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

FIELDS = {
    "user_s": r"User time \(seconds\): ([\d.]+)",
    "sys_s": r"System time \(seconds\): ([\d.]+)",
    "max_rss_kb": r"Maximum resident set size \(kbytes\): (\d+)",
    "major_faults": r"Major \(requiring I/O\) page faults: (\d+)",
    "fs_inputs": r"File system inputs: (\d+)",
    "fs_outputs": r"File system outputs: (\d+)",
}


def parse_time_v(text):
    """The figures of GNU time's `-v` report."""
    out = {}
    for key, pattern in FIELDS.items():
        m = re.search(pattern, text)
        if not m:
            raise ValueError(f"no `{pattern}` in the output of /usr/bin/time -v")
        out[key] = float(m.group(1)) if key.endswith("_s") else int(m.group(1))
    return out


def label(value):
    """`key=value`, the value read as a number when it is one."""
    key, sep, raw = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got `{value}`")
    for kind in (int, float):
        try:
            return key, kind(raw)
        except ValueError:
            pass
    return key, raw


def run(cmd, logs, name, cwd=None, stdin=None):
    os.makedirs(logs, exist_ok=True)
    out_path = os.path.join(logs, name + ".out")
    err_path = os.path.join(logs, name + ".err")
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as t:
        time_path = t.name
    try:
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            started = time.perf_counter()
            proc = subprocess.run(["/usr/bin/time", "-v", "-o", time_path, *cmd], stdout=out,
                                  stderr=err, cwd=cwd, stdin=stdin or subprocess.DEVNULL)
            wall = time.perf_counter() - started
        with open(time_path, encoding="utf-8", errors="replace") as f:
            figures = parse_time_v(f.read())
    finally:
        os.unlink(time_path)
    figures.update({"wall_s": round(wall, 4), "rc": proc.returncode, "stdout": out_path,
                    "stderr": err_path})
    figures["cpu_s"] = round(figures["user_s"] + figures["sys_s"], 2)
    return figures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--record", required=True, help="JSON Lines file the figures are appended to")
    ap.add_argument("--logs", required=True, help="folder for the command's stdout and stderr")
    ap.add_argument("--name", help="file name stem for the logs (default: from the labels)")
    ap.add_argument("--cwd", help="run the command in this folder")
    ap.add_argument("--set", dest="labels", type=label, action="append", default=[],
                    metavar="KEY=VALUE", help="a label stored with the figures (repeatable)")
    ap.add_argument("cmd", nargs=argparse.REMAINDER, help="-- the command and its arguments")
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        ap.error("no command given (put it after --)")
    if not os.access("/usr/bin/time", os.X_OK):
        sys.exit("measure.py: /usr/bin/time is missing (Debian: apt-get install time)")
    labels = dict(args.labels)
    name = args.name or "-".join(str(v) for v in labels.values()) or "run"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    figures = run(cmd, args.logs, name, cwd=args.cwd)
    record = {**labels, **figures, "cmd": cmd}
    with open(args.record, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
    what = " ".join(f"{k}={v}" for k, v in labels.items())
    print(f"  {what}: {figures['wall_s']:.2f} s wall, {figures['cpu_s']:.2f} s CPU, "
          f"{figures['max_rss_kb'] / 1024:.1f} MB peak" + (f", exit {figures['rc']}" if figures["rc"] else ""),
          flush=True)
    if figures["rc"] != 0:
        with open(figures["stderr"], encoding="utf-8", errors="replace") as f:
            tail = f.read()[-3000:]
        print(f"measure.py: `{' '.join(cmd)}` exited with {figures['rc']}; end of its stderr "
              f"({figures['stderr']}):\n{tail}", file=sys.stderr)
        sys.exit(figures["rc"] if 0 < figures["rc"] < 256 else 1)


if __name__ == "__main__":
    main()
