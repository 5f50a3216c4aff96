#!/usr/bin/python3
"""The figures of one tests/bench/run, and the table it writes into docs/BENCHMARKS.md.

  figures.py add FILE --figure F --goal G --measured M [--ratio R] [--met yes|no] --command C
  figures.py render FILE DOC     rewrites the block between the "bench:begin" and
                                 "bench:end" markers of DOC with one row per figure

Each `add` appends one JSON line to FILE; `render` is the run's last step, so a run that
stops early leaves the document as it was."""

import argparse
import datetime
import json
import subprocess

BEGIN = "<!-- bench:begin (written by tests/bench/run; edit the text outside the markers) -->"
END = "<!-- bench:end -->"


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("add")
    a.add_argument("file")
    a.add_argument("--figure", required=True)
    a.add_argument("--goal", default="—")
    a.add_argument("--measured", required=True)
    a.add_argument("--ratio", default="")
    a.add_argument("--met", choices=["yes", "no", ""], default="")
    a.add_argument("--command", required=True)
    r = sub.add_parser("render")
    r.add_argument("file")
    r.add_argument("doc")
    args = p.parse_args()
    if args.cmd == "add":
        with open(args.file, "a") as f:
            f.write(json.dumps({k: getattr(args, k) for k in ("figure", "goal", "measured", "ratio", "met",
                                                              "command")}) + "\n")
        return
    rows = [json.loads(line) for line in open(args.file) if line.strip()]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [BEGIN, "", f"## Latest `tests/bench/run` ({when}, commit {commit})", "",
             "Written by the run itself; the sections below explain each figure and keep earlier runs.", "",
             "| figure | goal | measured | ratio | met | command |", "|---|---|---|---|---|---|"]
    for row in rows:
        met = {"yes": "yes", "no": "**no**", "": ""}[row["met"]]
        lines.append(f"| {row['figure']} | {row['goal']} | {row['measured']} | {row['ratio']} | {met} | "
                     f"`{row['command']}` |")
    lines += ["", END]
    doc = open(args.doc).read()
    block = "\n".join(lines)
    if BEGIN in doc and END in doc:
        doc = doc[:doc.index(BEGIN)] + block + doc[doc.index(END) + len(END):]
    else:  # first run: after the introduction
        head, _, rest = doc.partition("\n## ")
        doc = head.rstrip() + "\n\n" + block + "\n\n## " + rest
    with open(args.doc, "w") as f:
        f.write(doc)
    print(f"wrote {len(rows)} figures into {args.doc}")


if __name__ == "__main__":
    main()
