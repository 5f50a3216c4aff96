#!/usr/bin/python3
"""Export of a county's register at scale: starts the whole suite (real binaries, the
gateway's JSON front on) on fresh databases of a MariaDB, imports --rows households (4
members each, id-card numbers on all, a phone on the head) in pages of 1000, then exports
ListHouseholds of the county (view FULL) as CSV and as XLSX
- through the JSON front: GET /v1/export/tuopin.personnel.v1.PersonnelService/ListHouseholds
  (the gateway pages the RPC and streams the file; one logged read);
- through `tuopinctl personnel list-households --format csv|xlsx` (tuopinctl pages over gRPC);
then the round trip: `tuopinctl households import` of the CSV into a second, empty suite and
the same export there. Prints rows/s and MB/s of each and a JSON line. A benchmark, not a
test: it checks only the row counts it reports.

  TUOPIN_TEST_DSN=<root dsn> tests/bench/export_households.py --build build"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from import_households import id_card  # noqa: E402
from tuopin_testing import Suite  # noqa: E402

COUNTY = "520221"
EXPORT = "/v1/export/tuopin.personnel.v1.PersonnelService/ListHouseholds"


def regions(pv1):
    out = [pv1.Region(code=c, name=f"Region {c}") for c in ("52", "5202", COUNTY)]
    for t in range(10):
        town = f"{COUNTY}{100 + t:03d}"
        out.append(pv1.Region(code=town, name=f"Town {town}"))
        out += [pv1.Region(code=f"{town}{v + 1:03d}", name=f"Village {v}") for v in range(10)]
    return out


def household(pv1, i):
    villages = [f"{COUNTY}{100 + t:03d}{v + 1:03d}" for t in range(10) for v in range(10)]
    h = pv1.Household(village_code=villages[i % 100], head_name=f"户主 {i}", member_count=4,
                      status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR, income_per_head_fen=300000 + i,
                      national_household_number=f"{520221000000 + i}")
    h.indicators.food = True
    for m in range(4):
        birth = 1950 + (i + m * 17) % 60
        h.members.add(name=f"成员 {i}-{m}", relation=pv1.MEMBER_RELATION_HEAD if m == 0 else pv1.MEMBER_RELATION_CHILD,
                      sex=pv1.SEX_MALE if m % 2 else pv1.SEX_FEMALE, birth_year=birth,
                      education=pv1.EDUCATION_PRIMARY, health=pv1.HEALTH_HEALTHY, labour_status=pv1.LABOUR_STATUS_ABLE,
                      id_card_number=id_card(f"{COUNTY}{birth}0101{(i * 4 + m) % 1000:03d}"),
                      phone=f"138{(i * 4 + m) % 100000000:08d}" if m == 0 else "")
    return h


def timed(label, rows, path, run):
    start = time.monotonic()
    run()
    seconds = time.monotonic() - start
    size = os.path.getsize(path)
    print(f"{label:22s}: {rows} rows, {size / 1e6:.1f} MB in {seconds:.1f} s = {rows / seconds:,.0f} rows/s, "
          f"{size / 1e6 / seconds:.1f} MB/s", flush=True)
    return {"seconds": round(seconds, 2), "rows_per_s": round(rows / seconds), "mb": round(size / 1e6, 1),
            "mb_per_s": round(size / 1e6 / seconds, 1)}


def csv_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--rows", type=int, default=50000)
    args = p.parse_args()
    sys.path.insert(0, f"{args.build}/python")
    from tuopin.personnel.v1 import personnel_pb2 as pv1

    d = tempfile.mkdtemp(prefix="export-bench-")
    os.makedirs(f"{d}/a")
    os.makedirs(f"{d}/b")
    ctl = f"{args.build}/tools/tuopinctl"
    suites = []
    try:
        a = Suite(args.build, f"{d}/a", gateway_flags=("--http_port=0",))
        suites.append(a)
        channel = grpc.insecure_channel(a.target, options=[("grpc.max_send_message_length", 8 << 20)])
        def rpc(method, response):
            return channel.unary_unary(f"/tuopin.personnel.v1.PersonnelService/{method}",
                                       request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response.FromString)
        admin = (("authorization", f"Bearer {a.token('admin', ttl=3600)}"),)
        rpc("ImportRegions", pv1.ImportRegionsResponse)(
            pv1.ImportRegionsRequest(request_id="bench-regions", regions=regions(pv1)), metadata=admin, timeout=60)
        load = rpc("ImportHouseholds", pv1.ImportHouseholdsResponse)
        created = 0
        for first in range(0, args.rows, 1000):
            req = pv1.ImportHouseholdsRequest(request_id=f"bench-load-{first}", first_row_number=first + 1,
                                              rows=[household(pv1, i) for i in range(first, min(args.rows, first + 1000))])
            created += load(req, metadata=admin, timeout=120).created
        assert created == args.rows, created

        token = a.token("county_official", sub="bench-official", regions=(COUNTY,), ttl=3600)
        figures = {"rows": args.rows, "members_per_row": 4}
        for fmt in ("csv", "xlsx"):
            path = f"{d}/http.{fmt}"

            def http():
                req = urllib.request.Request(f"http://127.0.0.1:{a.ports['gateway'][2]}{EXPORT}?format={fmt}"
                                             f"&region_code={COUNTY}&view=HOUSEHOLD_VIEW_FULL")
                req.add_header("Authorization", f"Bearer {token}")
                with urllib.request.urlopen(req, timeout=600) as resp, open(path, "wb") as f:
                    while chunk := resp.read(1 << 20):
                        f.write(chunk)
            figures[f"http {fmt}"] = timed(f"JSON front GET ({fmt})", args.rows, path, http)
            path = f"{d}/ctl.{fmt}"
            figures[f"tuopinctl {fmt}"] = timed(f"tuopinctl ({fmt})", args.rows, path, lambda: subprocess.run(
                [ctl, "personnel", "list-households", "--format", fmt, "--out", path, "--region_code", COUNTY,
                 "--view", "HOUSEHOLD_VIEW_FULL", "--gateway", a.target, "--token", token],
                check=True, capture_output=True, timeout=600))
        assert csv_rows(f"{d}/http.csv") == args.rows and csv_rows(f"{d}/ctl.csv") == args.rows

        # The round trip: the file imported into an empty register, exported again.
        b = Suite(args.build, f"{d}/b")
        suites.append(b)
        b_admin = b.token("admin", ttl=3600)
        b.channel = grpc.insecure_channel(b.target)
        b_rpc = b.channel.unary_unary("/tuopin.personnel.v1.PersonnelService/ImportRegions",
                                      request_serializer=lambda m: m.SerializeToString(),
                                      response_deserializer=pv1.ImportRegionsResponse.FromString)
        b_rpc(pv1.ImportRegionsRequest(request_id="bench-regions", regions=regions(pv1)),
              metadata=(("authorization", f"Bearer {b_admin}"),), timeout=60)
        start = time.monotonic()
        run = subprocess.run([ctl, "households", "import", "--file", f"{d}/ctl.csv", "--gateway", b.target,
                              "--token", b.token("county_official", sub="bench-b", regions=(COUNTY,), ttl=3600)],
                             capture_output=True, text=True, timeout=900)
        seconds = time.monotonic() - start
        if f"created {args.rows}, updated 0, unchanged 0, refused 0" not in run.stdout:
            raise SystemExit(f"round trip import: {run.stdout}\n{run.stderr}")
        print(f"{'tuopinctl import (csv)':22s}: {args.rows} rows in {seconds:.1f} s = {args.rows / seconds:,.0f} "
              f"rows/s (dry run of the whole file, then the apply)", flush=True)
        figures["tuopinctl households import"] = {"seconds": round(seconds, 2), "rows_per_s": round(args.rows / seconds)}
        path = f"{d}/b.csv"
        figures["round trip export"] = timed("export of B (csv)", args.rows, path, lambda: subprocess.run(
            [ctl, "personnel", "list-households", "--format", "csv", "--out", path, "--region_code", COUNTY,
             "--view", "HOUSEHOLD_VIEW_FULL", "--gateway", b.target, "--token", b_admin],
            check=True, capture_output=True, timeout=600))
        assert csv_rows(path) == args.rows
        print("JSON " + json.dumps(figures), flush=True)
    finally:
        for s in suites:
            s.stop()


if __name__ == "__main__":
    main()
