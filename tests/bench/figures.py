#!/usr/bin/python3
"""The figures of one tests/bench/run, and the table it writes into docs/BENCHMARKS.md.

  figures.py add FILE --figure F --goal G --measured M [--ratio R] [--met yes|no] --command C
  figures.py render FILE DOC     rewrites the block between the "bench:begin" and
                                 "bench:end" markers of DOC with one row per figure

Each `add` appends one JSON line to FILE; `render` is the run's last step, so a run that
stops early leaves the document as it was.

`render` also reads the table it replaces (the previous recorded run) and puts each
figure's previous value beside it, with the change of its deciding number: the ratio when
it has one, else the first number measured (higher is better for rates such as calls/s,
lower for times and memory). A change for the worse of more than REGRESSION (15 %; this
2-core machine's noise is about ±10 %) is marked, and printed, so a change that slows a path
is seen the day it lands."""

import argparse
import datetime
import json
import re
import subprocess

BEGIN = "<!-- bench:begin (written by tests/bench/run; edit the text outside the markers) -->"
END = "<!-- bench:end -->"
REGRESSION = 0.15
LOWER_IS_BETTER = re.compile(r"^\s*[\d.,]+\s*(µs|us|ms|s|MiB|KiB|GiB)\b")
HIGHER_IS_BETTER = re.compile(r"^\s*[\d.,]+\s*[^\s(]*/s\b")


def previous_rows(doc):
    """The figures of the table between the markers of doc: {figure: row}."""
    if BEGIN not in doc or END not in doc:
        return {}
    rows = {}
    for line in doc[doc.index(BEGIN):doc.index(END)].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 6 or cells[0] == "figure" or line.startswith("|---"):
            continue
        rows[cells[0]] = {"measured": cells[2], "ratio": cells[3]}
    return rows


def deciding(row):
    """(value, higher_is_better) of a row, or None when it has no comparable number."""
    if row.get("ratio"):
        try:
            return float(row["ratio"]), True
        except ValueError:
            return None
    measured = row.get("measured", "")
    number = re.match(r"^\s*([\d.,]+)", measured)
    if not number:
        return None
    value = float(number.group(1).replace(",", ""))
    if LOWER_IS_BETTER.match(measured):
        return value, False
    if HIGHER_IS_BETTER.match(measured):
        return value, True
    return None


def compare(row, before):
    """(previous text, change text, regressed) of row against its previous run's row."""
    if before is None:
        return "", "new", False
    previous = before["measured"] + (f" ({before['ratio']})" if before.get("ratio") else "")
    now, then = deciding(row), deciding(before)
    if now is None or then is None or then[0] == 0 or now[1] != then[1]:
        return previous, "", False
    change = (now[0] - then[0]) / then[0]
    worse = -change if now[1] else change
    text = f"{change * 100:+.0f} %"
    if worse > REGRESSION:
        return previous, f"**{text}, regressed**", True
    return previous, text, False


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
    doc = open(args.doc).read()
    before = previous_rows(doc)
    was = re.search(r"## Latest `tests/bench/run` \((.*?)\)", doc[doc.index(BEGIN):] if BEGIN in doc else "")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [BEGIN, "", f"## Latest `tests/bench/run` ({when}, commit {commit})", "",
             "Written by the run itself; the sections below explain each figure and keep earlier runs. "
             f"`previous` is the run this one replaced ({was.group(1) if was else 'none'}); a change for the "
             f"worse of more than {REGRESSION * 100:.0f} % is marked regressed.", "",
             "| figure | goal | measured | ratio | met | previous | change | command |",
             "|---|---|---|---|---|---|---|---|"]
    regressed = []
    for row in rows:
        met = {"yes": "yes", "no": "**no**", "": ""}[row["met"]]
        previous, change, worse = compare(row, before.get(row["figure"]))
        if worse:
            regressed.append(f"{row['figure']}: {previous} -> {row['measured']} {row['ratio']} ({change})")
        lines.append(f"| {row['figure']} | {row['goal']} | {row['measured']} | {row['ratio']} | {met} | "
                     f"{previous} | {change} | `{row['command']}` |")
    lines += ["", END]
    block = "\n".join(lines)
    if BEGIN in doc and END in doc:
        doc = doc[:doc.index(BEGIN)] + block + doc[doc.index(END) + len(END):]
    else:  # first run: after the introduction
        head, _, rest = doc.partition("\n## ")
        doc = head.rstrip() + "\n\n" + block + "\n\n## " + rest
    with open(args.doc, "w") as f:
        f.write(doc)
    print(f"wrote {len(rows)} figures into {args.doc}")
    for r in regressed:
        print(f"REGRESSED by more than {REGRESSION * 100:.0f} %: {r}")


if __name__ == "__main__":
    main()
