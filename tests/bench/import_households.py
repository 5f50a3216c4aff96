#!/usr/bin/python3
"""ImportHouseholds at the scale of a county's register: starts the whole suite (real
binaries) on fresh databases of a MariaDB, imports 100 villages, then sends a file of
--rows households (4 members each, id-card numbers and phones included, 1 % of rows bad:
a wrong id-card check digit) as pages of 1000 rows through the gateway, three times: a dry
run, the apply, and a re-apply (every row UNCHANGED). Prints the rows/s of each pass and a
JSON line. A benchmark, not a test: it checks only the counts it reports.

  TUOPIN_TEST_DSN=<root dsn> tests/bench/import_households.py --build build"""

import argparse
import json
import os
import sys
import tempfile
import time

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from tuopin_testing import Suite  # noqa: E402

PAGE = 1000
COUNTY = "520221"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card(seventeen, bad=False):
    check = "10X98765432"[sum(int(c) * w for c, w in zip(seventeen, WEIGHTS)) % 11]
    if bad:
        check = "10X98765432"[("10X98765432".index(check) + 1) % 11]
    return seventeen + check


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--rows", type=int, default=50000)
    args = p.parse_args()
    sys.path.insert(0, f"{args.build}/python")
    from tuopin.personnel.v1 import personnel_pb2 as pv1

    d = tempfile.mkdtemp(prefix="import-bench-")
    suite = Suite(args.build, d)
    try:
        channel = grpc.insecure_channel(suite.target, options=[
            ("grpc.max_send_message_length", 8 << 20), ("grpc.max_receive_message_length", 8 << 20)])
        def rpc(method, response):
            return channel.unary_unary(f"/tuopin.personnel.v1.PersonnelService/{method}",
                                       request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response.FromString)
        admin = (("authorization", f"Bearer {suite.token('admin', regions=('*',), ttl=3600)}"),)
        official = (("authorization", "Bearer " + suite.token(
            "county_official", sub="bench-official", regions=(COUNTY,), ttl=3600)),)
        regions = [pv1.Region(code=c, name=f"Region {c}") for c in ("52", "5202", COUNTY)]
        villages = []
        for t in range(10):
            town = f"{COUNTY}{100 + t:03d}"
            regions.append(pv1.Region(code=town, name=f"Town {town}"))
            for v in range(10):
                villages.append(f"{town}{v + 1:03d}")
                regions.append(pv1.Region(code=villages[-1], name=f"Village {villages[-1]}"))
        rpc("ImportRegions", pv1.ImportRegionsResponse)(pv1.ImportRegionsRequest(request_id="bench-regions", regions=regions),
                           metadata=admin, timeout=60)

        pages, bad_rows = [], 0
        for first in range(0, args.rows, PAGE):
            req = pv1.ImportHouseholdsRequest(first_row_number=first + 2)
            for i in range(first, min(args.rows, first + PAGE)):
                bad = i % 100 == 37
                bad_rows += bad
                members = []
                for m in range(4):
                    birth = 1950 + (i + m * 17) % 60
                    members.append(pv1.Member(
                        name=f"Member {i}-{m}", relation=pv1.MEMBER_RELATION_HEAD if m == 0
                        else pv1.MEMBER_RELATION_CHILD, sex=pv1.SEX_MALE if m % 2 else pv1.SEX_FEMALE,
                        birth_year=birth, education=pv1.EDUCATION_PRIMARY, health=pv1.HEALTH_HEALTHY,
                        labour_status=pv1.LABOUR_STATUS_ABLE,
                        id_card_number=id_card(f"{COUNTY}{birth}0101{(i * 4 + m) % 1000:03d}", bad and m == 2),
                        phone=f"138{(i * 4 + m) % 100000000:08d}" if m == 0 else ""))
                req.rows.append(pv1.Household(
                    village_code=villages[i % len(villages)], head_name=f"Head {i}", member_count=4,
                    status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR, income_per_head_fen=300000 + i,
                    national_household_number=f"{520221000000 + i}", members=members))
            pages.append(req)

        import_households = rpc("ImportHouseholds", pv1.ImportHouseholdsResponse)
        figures = {"rows": args.rows, "bad_rows": bad_rows, "members_per_row": 4}
        for label, dry in (("dry run", True), ("apply", False), ("re-apply", False)):
            counts = {"created": 0, "updated": 0, "unchanged": 0, "refused": 0}
            start = time.monotonic()
            for n, req in enumerate(pages):
                req.dry_run = dry
                req.request_id = f"bench-{label.replace(' ', '-')}-{n}"
                resp = import_households(req, metadata=official, timeout=120)
                for k in counts:
                    counts[k] += getattr(resp, k)
            seconds = time.monotonic() - start
            print(f"{label:9s}: {args.rows} rows in {seconds:.1f} s = {args.rows / seconds:,.0f} rows/s "
                  f"{counts}", flush=True)
            figures[label] = {"seconds": round(seconds, 2), "rows_per_s": round(args.rows / seconds), **counts}
            if counts["refused"] != bad_rows:
                raise SystemExit(f"{label}: {counts['refused']} rows refused, {bad_rows} bad")
        print("JSON " + json.dumps(figures), flush=True)
    finally:
        suite.stop()


if __name__ == "__main__":
    main()
