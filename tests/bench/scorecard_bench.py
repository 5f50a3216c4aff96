#!/usr/bin/python3
"""GetScorecard on the Shuicheng demo county: starts the whole suite (real binaries) on
fresh databases of a MariaDB, loads the demo through the public API at --times the demo
county (1 = 20 townships, 200 villages, 50,000 households), and times GetScorecard through
the gateway with tuopin-load (one client, then four). Prints one JSON line per run.

  TUOPIN_TEST_DSN=<root dsn> tests/bench/scorecard_bench.py --build build --times 1

Loading goes at about 950 calls/s on the 2-core machine: about 100 s for the demo county,
about 17 minutes for ten times it."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))
from tuopin_testing import Suite  # noqa: E402
import shuicheng_demo  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--times", type=int, default=1)
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--keep", action="store_true", help="leave the databases (for a second measurement)")
    args = p.parse_args()
    d = tempfile.mkdtemp(prefix="scorecard-bench-")
    suite = Suite(args.build, d)
    try:
        api = shuicheng_demo.Api(suite.target, suite.secret, f"{args.build}/python")
        demo = shuicheng_demo.load(api, size="demo", seed=2018, times=args.times)
        with open(f"{d}/auditor.jwt", "w") as f:
            f.write(suite.token("auditor", sub="bench-auditor", regions=("520221",), ttl=3600))
        time.sleep(1)  # a checkpoint of the loaded log
        for c in (1, 4):
            out = subprocess.run([
                f"{args.build}/tests/tuopin-load", f"--target={suite.target}",
                "--method=/tuopin.auditquery.v1.AuditQueryService/GetScorecard",
                f"--request_json={json.dumps({'regionCode': '520221', 'campaignId': demo['campaign_id']})}",
                f"--token_file={d}/auditor.jwt", f"--concurrency={c}", f"--requests={args.requests}",
                "--warmup=10", f"--label=GetScorecard x{args.times} county, {c} client(s)"],
                capture_output=True, text=True, check=True).stdout
            result = json.loads(out.splitlines()[1][5:])
            result.update(times=args.times, households=demo["households"], tasks=demo["tasks"],
                          load_seconds=demo["seconds"])
            print(out.splitlines()[0])
            print("JSON " + json.dumps(result), flush=True)
    finally:
        if not args.keep:
            suite.stop()
        else:
            print(f"kept: {d}")


if __name__ == "__main__":
    main()
