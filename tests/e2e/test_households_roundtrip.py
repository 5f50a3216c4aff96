#!/usr/bin/python3
"""Issue 21, "export -> import round-trips to identical data", and point 5 (a diff against a
registry snapshot). Two suites of the real binaries, A and B:
- households with members, id-card numbers and phones (and one exited before, with its
  prior exit) are registered in A; A's register is exported with
  `tuopinctl personnel list-households --view HOUSEHOLD_VIEW_FULL --format csv`;
- `tuopinctl households import` loads the file into the empty B; B exported the same way is
  the same file except exactly the columns a new register assigns: id, etag, create_time,
  update_time (row order follows the ids, so rows are compared by national number);
- importing the file again changes nothing (all unchanged, B's export byte-identical);
- `tuopinctl households diff` of A's file against B: all SAME, no EXTRA (exit 0); after an
  UpdateHousehold in B: CHANGED naming the field (exit 1); after a new household in B: one
  EXTRA; B's file diffed against A: that household MISSING;
- a file with a bad row: the dry run names the row, line and field and writes nothing, the
  apply writes only the good rows and exits 1; a malformed file names its line and column;
- a file imported again after its households changed sets them back each time (a run's
  request ids are its own: an earlier run's answer is never replayed), and a number repeated
  on a later page ends with that page's row even when its page's dry run planned no write.
Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import unittest

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from tuopin_testing import Suite  # noqa: E402

ARGS = None
P = "/tuopin.personnel.v1.PersonnelService/"
COUNTY = "520221"
VILLAGES = ("520221104001", "520221104002")
OTHER_VILLAGE = "520222104001"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# What a new register assigns: the only columns in which B's export may differ from A's.
ASSIGNED = {"id", "etag", "create_time", "update_time"}


def id_card_number(i):
    body = f"52022119{70 + i:02d}0101{i:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS)) % 11]


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], {r[rows[0].index("national_household_number")]: r for r in rows[1:]}


class HouseholdsRoundTripTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        sys.path.insert(0, f"{ARGS.build}/python/third_party")
        cls.dir = tempfile.TemporaryDirectory()
        os.makedirs(f"{cls.dir.name}/a")
        os.makedirs(f"{cls.dir.name}/b")
        cls.a = Suite(ARGS.build, f"{cls.dir.name}/a")
        try:
            cls.b = Suite(ARGS.build, f"{cls.dir.name}/b")
        except Exception:
            cls.a.stop()
            raise
        cls.channels = {s: grpc.insecure_channel(s.target) for s in (cls.a, cls.b)}

    @classmethod
    def tearDownClass(cls):
        for c in cls.channels.values():
            c.close()
        cls.a.stop()
        cls.b.stop()
        cls.dir.cleanup()

    def call(self, suite, method, request, response_type):
        rpc = self.channels[suite].unary_unary(P + method, request_serializer=lambda m: m.SerializeToString(),
                                               response_deserializer=response_type.FromString)
        token = suite.token("admin")
        return rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=60)

    def ctl(self, suite, *args, check=None):
        run = subprocess.run([f"{ARGS.build}/tools/tuopinctl", *args, "--gateway", suite.target,
                              "--token", suite.token("admin")], capture_output=True, text=True, timeout=300)
        if check is not None:
            self.assertEqual(run.returncode, check, f"{args}: {run.stdout}\n{run.stderr}")
        return run

    def export(self, suite, name, region=COUNTY):
        path = os.path.join(self.dir.name, name)
        self.ctl(suite, "personnel", "list-households", "--format", "csv", "--out", path, "--region_code", region,
                 "--view", "HOUSEHOLD_VIEW_FULL", "--page_size", "4", check=0)
        return path

    def household(self, i, pv1):
        h = pv1.Household(village_code=VILLAGES[i % 2], national_household_number=f"52022100{i:04d}",
                          head_name=f"王{i}, \"户主\"", member_count=2, income_per_head_fen=350000 + i,
                          status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR)
        h.indicators.food = True
        h.indicators.housing_safety = i % 2 == 0
        h.members.add(name=f"王{i}", relation=pv1.MEMBER_RELATION_HEAD, sex=pv1.SEX_MALE, birth_year=1970 + i,
                      education=pv1.EDUCATION_PRIMARY, health=pv1.HEALTH_HEALTHY,
                      labour_status=pv1.LABOUR_STATUS_ABLE, id_card_number=id_card_number(i),
                      phone=f"1381234{i:04d}")
        h.members.add(name=f"李{i}", relation=pv1.MEMBER_RELATION_SPOUSE, sex=pv1.SEX_FEMALE, birth_year=1972,
                      health=pv1.HEALTH_LONG_TERM_ILLNESS)
        if i == 0:
            h.head_name = "=HYPERLINK(\"x\")"  # formula-guarded in the CSV
        if i == 1:
            h.status = pv1.HOUSEHOLD_STATUS_LIFTED_OUT
            h.prior_exit.year = 2018
            h.prior_exit.reference = "GZ-2018-520221-0041"
        if i == 2:
            h.ClearField("indicators")  # unset: kept as all false, exported "false"
        return h

    def test_export_import_round_trip_and_diff(self):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        from google.protobuf import field_mask_pb2
        regions = pv1.ImportRegionsRequest(request_id="regions")
        for code in ("52", "5202", COUNTY, "520221104", *VILLAGES):
            regions.regions.add(code=code, name=f"Region {code}")
        for s in (self.a, self.b):
            self.call(s, "ImportRegions", regions, pv1.ImportRegionsResponse)
        load = pv1.ImportHouseholdsRequest(request_id="load-a", first_row_number=1,
                                           rows=[self.household(i, pv1) for i in range(7)])
        self.assertEqual(self.call(self.a, "ImportHouseholds", load, pv1.ImportHouseholdsResponse).created, 7)
        # One household changed in A: its etag is no longer the first.
        listed = self.call(self.a, "ListHouseholds", pv1.ListHouseholdsRequest(region_code=COUNTY),
                           pv1.ListHouseholdsResponse).households
        first = next(h for h in listed if h.national_household_number == "520221000003")
        self.call(self.a, "UpdateHousehold", pv1.UpdateHouseholdRequest(
            request_id="update-a", household=pv1.Household(id=first.id, etag=first.etag, income_per_head_fen=1),
            update_mask=field_mask_pb2.FieldMask(paths=["income_per_head_fen"])), pv1.Household)

        a_file = self.export(self.a, "a.csv")
        header, a_rows = read_csv(a_file)
        self.assertEqual(len(a_rows), 7)
        self.assertIn('"idCardNumber":"%s"' % id_card_number(4), a_rows["520221000004"][header.index("members")],
                      "view FULL: the numbers in full")
        run = self.ctl(self.b, "households", "import", "--file", a_file, check=0)
        self.assertIn("created 7, updated 0, unchanged 0, refused 0", run.stdout)
        self.assertIn("dry run: 7 of 7 rows", run.stderr)

        b_file = self.export(self.b, "b.csv")
        b_header, b_rows = read_csv(b_file)
        self.assertEqual(b_header, header)
        self.assertEqual(sorted(b_rows), sorted(a_rows))
        differing = set()
        for number, row in a_rows.items():
            for column, x, y in zip(header, row, b_rows[number]):
                if x != y:
                    differing.add(column)
        self.assertEqual(differing, ASSIGNED)
        self.assertEqual(a_rows["520221000000"][header.index("head_name")], "'=HYPERLINK(\"x\")")

        # The same file again: nothing changes.
        run = self.ctl(self.b, "households", "import", "--file", a_file, check=0)
        self.assertIn("created 0, updated 0, unchanged 7, refused 0", run.stdout)
        with open(b_file, "rb") as f1, open(self.export(self.b, "b-again.csv"), "rb") as f2:
            self.assertEqual(f1.read(), f2.read())

        run = self.ctl(self.b, "households", "diff", "--file", a_file, "--region_code", COUNTY, check=0)
        self.assertIn("same 7, changed 0, missing 0, refused 0, extra 0", run.stdout)

        # A change in B: CHANGED naming the field, never the value.
        listed = self.call(self.b, "ListHouseholds", pv1.ListHouseholdsRequest(region_code=COUNTY),
                           pv1.ListHouseholdsResponse).households
        h5 = next(h for h in listed if h.national_household_number == "520221000005")
        self.call(self.b, "UpdateHousehold", pv1.UpdateHouseholdRequest(
            request_id="update-b", household=pv1.Household(id=h5.id, etag=h5.etag,
                                                           indicators=pv1.Indicators(clothing=True)),
            update_mask=field_mask_pb2.FieldMask(paths=["indicators.clothing"])), pv1.Household)
        run = self.ctl(self.b, "households", "diff", "--file", a_file, "--region_code", COUNTY, check=1)
        self.assertRegex(run.stdout, rf"CHANGED row \d+ \(line \d+\) 520221000005 household {h5.id}: "
                                     r"indicators.clothing\n")
        self.assertIn("same 6, changed 1, missing 0, refused 0, extra 0", run.stdout)

        # A new household in B: one EXTRA; B's file against A: it is MISSING there.
        new = self.household(9, pv1)
        created = self.call(self.b, "CreateHousehold", pv1.CreateHouseholdRequest(request_id="new-b", household=new),
                            pv1.Household)
        run = self.ctl(self.b, "households", "diff", "--file", a_file, "--region_code", COUNTY, check=1)
        self.assertIn(f"EXTRA household {created.id} 520221000009\n", run.stdout)
        self.assertIn("same 6, changed 1, missing 0, refused 0, extra 1", run.stdout)
        run = self.ctl(self.a, "households", "diff", "--file", self.export(self.b, "b-changed.csv"),
                       "--region_code", COUNTY, check=1)
        self.assertRegex(run.stdout, r"MISSING row \d+ \(line \d+\) 520221000009\n")
        self.assertIn("same 6, changed 1, missing 1, refused 0, extra 0", run.stdout)
        for number in (id_card_number(5), "1381234"):
            self.assertNotIn(number, run.stdout + run.stderr)

    def test_bad_rows_and_malformed_files(self):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        # Another county than the round trip's, whose exports and diffs it stays out of.
        regions = pv1.ImportRegionsRequest(request_id="regions-bad")
        for code in ("52", "5202", "520222", "520222104", OTHER_VILLAGE):
            regions.regions.add(code=code, name=f"Region {code}")
        self.call(self.b, "ImportRegions", regions, pv1.ImportRegionsResponse)
        good, bad = self.household(20, pv1), self.household(21, pv1)
        good.village_code = bad.village_code = OTHER_VILLAGE
        # One member's check digit wrong.
        wrong = id_card_number(21)[:-1] + ("0" if id_card_number(21)[-1] != "0" else "1")
        path = os.path.join(self.dir.name, "bad.csv")
        from_header = "national_household_number,village_code,head_name,member_count,status,members"

        def line(h, members):
            return ",".join([h.national_household_number, h.village_code, "Head", "2",
                             "HOUSEHOLD_STATUS_REGISTERED_POOR", '"' + members.replace('"', '""') + '"'])
        members = '[{"name":"A","relation":"MEMBER_RELATION_HEAD","sex":"SEX_MALE","birthYear":1970,' \
                  '"idCardNumber":"%s"},{"name":"B","relation":"MEMBER_RELATION_SPOUSE","sex":"SEX_FEMALE",' \
                  '"birthYear":1971}]'
        with open(path, "w", newline="") as f:
            f.write(from_header + "\r\n" + line(good, members % id_card_number(20)) + "\r\n"
                    + line(bad, members % wrong) + "\r\n")
        run = self.ctl(self.b, "households", "import", "--file", path, "--dry_run", check=1)
        self.assertIn("REFUSED row 2 (line 3) members[0].id_card_number: ", run.stdout)
        self.assertNotIn(wrong, run.stdout + run.stderr)
        self.assertIn("dry run: would create 1, update 0; unchanged 0, refused 1", run.stdout)
        listed = self.call(self.b, "ListHouseholds", pv1.ListHouseholdsRequest(region_code="520222"),
                           pv1.ListHouseholdsResponse).households
        self.assertNotIn("520221000020", [h.national_household_number for h in listed])
        run = self.ctl(self.b, "households", "import", "--file", path, check=1)
        self.assertIn("created 1, updated 0, unchanged 0, refused 1", run.stdout)
        listed = self.call(self.b, "ListHouseholds", pv1.ListHouseholdsRequest(region_code="520222"),
                           pv1.ListHouseholdsResponse).households
        numbers = [h.national_household_number for h in listed]
        self.assertIn("520221000020", numbers)
        self.assertNotIn("520221000021", numbers)

        with open(path, "w", newline="") as f:
            f.write(from_header + "\r\n" + line(good, members % id_card_number(20)) + "\r\n1,\"unclosed\r\n")
        run = self.ctl(self.b, "households", "import", "--file", path, check=2)
        self.assertIn("line 3, column 2: a quoted field is not closed", run.stderr)

    def test_reimport_sets_changed_households_back(self):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        from google.protobuf import field_mask_pb2
        # A county of its own, out of the other tests' exports and diffs.
        county, village = "520223", "520223104001"
        regions = pv1.ImportRegionsRequest(request_id="regions-reimport")
        for code in ("52", "5202", county, "520223104", village):
            regions.regions.add(code=code, name=f"Region {code}")
        self.call(self.b, "ImportRegions", regions, pv1.ImportRegionsResponse)
        rows = []
        for i in range(3):
            h = self.household(10 + i, pv1)
            h.village_code, h.national_household_number = village, f"5202230000{i:02d}"
            rows.append(h)
        load = pv1.ImportHouseholdsRequest(request_id="load-reimport", first_row_number=1, rows=rows)
        self.assertEqual(self.call(self.b, "ImportHouseholds", load, pv1.ImportHouseholdsResponse).created, 3)
        f = self.export(self.b, "reimport.csv", region=county)
        run = self.ctl(self.b, "households", "import", "--file", f, check=0)
        self.assertIn("created 0, updated 0, unchanged 3, refused 0", run.stdout)

        def household(number):
            listed = self.call(self.b, "ListHouseholds", pv1.ListHouseholdsRequest(region_code=county),
                               pv1.ListHouseholdsResponse).households
            return next(h for h in listed if h.national_household_number == number)
        for attempt, income in enumerate((1, 2)):
            h = household("520223000001")
            self.call(self.b, "UpdateHousehold", pv1.UpdateHouseholdRequest(
                request_id=f"update-reimport-{attempt}", household=pv1.Household(
                    id=h.id, etag=h.etag, income_per_head_fen=income),
                update_mask=field_mask_pb2.FieldMask(paths=["income_per_head_fen"])), pv1.Household)
            self.assertEqual(household("520223000001").income_per_head_fen, income)
            run = self.ctl(self.b, "households", "import", "--file", f, check=0)
            self.assertIn("created 0, updated 1, unchanged 2, refused 0", run.stdout, f"import {attempt + 2}")
            self.assertEqual(household("520223000001").income_per_head_fen, 350011, f"import {attempt + 2}")

        # A number on page 1 and again on page 2, whose page-2 row is what the register holds:
        # page 2's dry run plans no write, yet the household must end with page 2's row.
        header = "national_household_number,village_code,head_name,member_count,status,members"
        members = ('[{"name":"A","relation":"MEMBER_RELATION_HEAD","sex":"SEX_MALE","birthYear":1970,'
                   f'"idCardNumber":"{id_card_number(15)}"}},{{"name":"B","relation":"MEMBER_RELATION_SPOUSE",'
                   '"sex":"SEX_FEMALE","birthYear":1971}]')

        def line(number, head):
            return ",".join([number, village, head, "2", "HOUSEHOLD_STATUS_REGISTERED_POOR",
                             '"' + members.replace('"', '""') + '"'])
        path = os.path.join(self.dir.name, "repeated.csv")
        with open(path, "w", newline="") as out:
            out.write(header + "\r\n" + line("520223000009", "Later") + "\r\n")
        self.ctl(self.b, "households", "import", "--file", path, check=0)
        with open(path, "w", newline="") as out:
            # Rows 2-1000 have no number (refused, nothing written): row 1001 opens page 2.
            out.write(header + "\r\n" + line("520223000009", "Earlier") + "\r\n"
                      + (line("", "Nobody") + "\r\n") * 999 + line("520223000009", "Later") + "\r\n")
        run = self.ctl(self.b, "households", "import", "--file", path, "--dry_run", check=1)
        self.assertEqual(run.stdout.splitlines()[-1], "dry run: would create 0, update 1; unchanged 1, refused 999")
        run = self.ctl(self.b, "households", "import", "--file", path, check=1)
        self.assertEqual(run.stdout.splitlines()[-1], "created 0, updated 2, unchanged 0, refused 999")
        self.assertEqual(household("520223000009").head_name, "Later")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)
