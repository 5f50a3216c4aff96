"""tests/bench/figures.py: the table of a benchmark run shows the previous run beside each
figure and marks a change for the worse of more than 15 % (no timing is measured here).

Run by CTest."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

FIGURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "figures.py")
sys.path.insert(0, os.path.dirname(FIGURES))
import figures  # noqa: E402


def row(figure, measured, ratio="", goal="—", met=""):
    return {"figure": figure, "goal": goal, "measured": measured, "ratio": ratio, "met": met, "command": "c"}


class FiguresTest(unittest.TestCase):
    def render(self, doc, rows):
        with tempfile.TemporaryDirectory() as d:
            path, data = os.path.join(d, "B.md"), os.path.join(d, "f.jsonl")
            with open(path, "w") as f:
                f.write(doc)
            with open(data, "w") as f:
                for r in rows:
                    f.write(json.dumps(r) + "\n")
            out = subprocess.run([sys.executable, FIGURES, "render", data, path], check=True, capture_output=True,
                                 text=True, cwd=d).stdout
            with open(path) as f:
                return f.read(), out

    def test_a_second_run_is_compared_with_the_first_and_regressions_marked(self):
        first, _ = self.render("# Benchmarks\n\nintro\n\n## Details\n", [
            row("ratio figure", "65150 transfers/s", "3.47"), row("rate", "37221 events/s"),
            row("latency p99", "12.7 ms (p50 6.3 ms)"), row("added", "181 µs (515 vs 334)"),
            row("memory", "23 / 41 MiB"), row("steady", "1000 calls/s")])
        self.assertIn("## Details", first)
        self.assertIn("| new |", first)
        second, out = self.render(first, [
            row("ratio figure", "50000 transfers/s", "2.80"),    # -19 %: worse
            row("rate", "34000 events/s"),                        # -9 %: noise
            row("latency p99", "15.0 ms (p50 7 ms)"),            # +18 % of a time: worse
            row("added", "150 µs (480 vs 330)"),                  # faster
            row("memory", "30 / 60 MiB"),                         # no deciding number
            row("steady", "1160 calls/s"),                        # +16 %: better, not marked
            row("brand new", "1 ms")])
        lines = {l.split("|")[1].strip(): l for l in second.splitlines() if l.startswith("| ") and "|---" not in l}
        self.assertIn("3.47", lines["ratio figure"])
        self.assertIn("-19 %, regressed", lines["ratio figure"])
        self.assertIn("-9 %", lines["rate"])
        self.assertNotIn("regressed", lines["rate"])
        self.assertIn("+18 %, regressed", lines["latency p99"])
        self.assertIn("-17 %", lines["added"])
        self.assertNotIn("regressed", lines["added"])
        self.assertNotIn("regressed", lines["memory"])
        self.assertIn("23 / 41 MiB", lines["memory"])
        self.assertIn("+16 %", lines["steady"])
        self.assertNotIn("regressed", lines["steady"])
        self.assertIn("| new |", lines["brand new"])
        self.assertEqual(sorted(l.split(":")[1].strip() for l in out.splitlines() if l.startswith("REGRESSED")),
                         ["latency p99", "ratio figure"])

    def test_the_boundary_is_fifteen_percent(self):
        self.assertFalse(figures.compare(row("x", "85 calls/s"), {"measured": "100 calls/s", "ratio": ""})[2])
        self.assertTrue(figures.compare(row("x", "84 calls/s"), {"measured": "100 calls/s", "ratio": ""})[2])
        self.assertFalse(figures.compare(row("x", "1.15 ms"), {"measured": "1.00 ms", "ratio": ""})[2])
        self.assertTrue(figures.compare(row("x", "1.16 ms"), {"measured": "1.00 ms", "ratio": ""})[2])


if __name__ == "__main__":
    unittest.main()
