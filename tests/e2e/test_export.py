#!/usr/bin/python3
"""Issue 21, point 3: export as CSV and XLSX. Through the real binaries (every service,
audit-query, the gateway with its JSON front and access log on), two counties' officials
register households; then households are exported
- through the JSON front (GET /v1/export/tuopin.personnel.v1.PersonnelService/ListHouseholds
  ?format=csv|xlsx&page_size=2, so the export pages) and through `tuopinctl --format` (paging
  over gRPC itself, or with --http through the JSON front);
- and the rows must equal what ListHouseholds returns to the same caller (scope: another
  county's official gets only their own rows; masking: an auditor's export has the members'
  id-card numbers masked as the RPC masks them);
- a caller without a token is refused, a write is not exportable;
- every export through the JSON front is a logged read: an event of service "gateway" in the
  audit log names the method, the caller and the region, and an "export" line of the
  gateway's log the rows.
Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import csv
import io
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import zipfile

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from tuopin_testing import Suite  # noqa: E402

ARGS = None
P = "/tuopin.personnel.v1.PersonnelService/"
EXPORT = "/v1/export/tuopin.personnel.v1.PersonnelService/ListHouseholds"
COUNTIES = {"520221": "520221104001", "520222": "520222104001"}
ID_CARD = "520221197001010013"  # a valid GB 11643 number


def xlsx_rows(data):
    """The sheet's rows as lists of text, read with zipfile and ElementTree."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    z = zipfile.ZipFile(io.BytesIO(data))
    root = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in root.iterfind(".//m:row", ns):
        cells = {}
        for c in row.iterfind("m:c", ns):
            index = 0
            for ch in c.get("r"):
                if ch.isalpha():
                    index = index * 26 + ord(ch) - 64
            t = c.find("m:is/m:t", ns)
            cells[index - 1] = t.text if t is not None else c.find("m:v", ns).text
        rows.append([cells.get(i, "") for i in range(max(cells, default=-1) + 1)])
    return rows


class ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        sys.path.insert(0, f"{ARGS.build}/python/third_party")
        cls.dir = tempfile.TemporaryDirectory()
        cls.suite = Suite(ARGS.build, cls.dir.name, gateway_flags=("--access_log=true", "--http_port=0"))
        cls.http_port = cls.suite.ports["gateway"][2]  # gRPC, metrics, HTTP
        cls.channel = grpc.insecure_channel(cls.suite.target)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.suite.stop()
        cls.dir.cleanup()

    def call(self, method, request, response_type, token):
        rpc = self.channel.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response_type.FromString)
        return rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=60)

    def get(self, path, token):
        req = urllib.request.Request(f"http://127.0.0.1:{self.http_port}{path}")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.headers, resp.read()

    def listed(self, token, region):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        out, page = [], ""
        while True:
            resp = self.call(P + "ListHouseholds", pv1.ListHouseholdsRequest(region_code=region, page_size=100,
                                                                          page_token=page),
                             pv1.ListHouseholdsResponse, token)
            out += resp.households
            page = resp.next_page_token
            if not page:
                return out

    def assert_rows_match(self, rows, households, what, csv_guard=True):
        # CSV's formula guard (see common/export.h); XLSX holds the text as it is.
        def cell(v):
            return "'" + v if csv_guard and v[:1] in ("=", "+", "-", "@", "\t", "\r", "'") else v

        header, body = rows[0], rows[1:]
        self.assertIn("id", header, what)
        body = [r + [""] * (len(header) - len(r)) for r in body]  # XLSX omits empty cells
        by_id = {r[header.index("id")]: dict(zip(header, r)) for r in body}
        self.assertEqual(sorted(by_id), sorted(h.id for h in households), what)
        for h in households:
            row = by_id[h.id]
            self.assertEqual(row["head_name"], cell(h.head_name), what)
            self.assertEqual(row["village_code"], h.village_code, what)
            self.assertEqual(row["member_count"], str(h.member_count), what)
            self.assertEqual(row["status"], "HOUSEHOLD_STATUS_REGISTERED_POOR", what)
            for m in h.members:  # members: their JSON, masked as the RPC masks them
                if m.id_card_number:  # (JSON omits an empty one)
                    self.assertIn(f'"idCardNumber":"{m.id_card_number}"', row["members"], what)
        return by_id

    def test_export_households_csv_xlsx_and_tuopinctl(self):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        admin = self.suite.token("admin")
        regions = pv1.ImportRegionsRequest(request_id="regions")
        for county, village in COUNTIES.items():
            for code in ("52", "5202", county, village[:9], village):
                if not any(r.code == code for r in regions.regions):
                    regions.regions.add(code=code, name=f"Region {code}")
        self.call(P + "ImportRegions", regions, pv1.ImportRegionsResponse, admin)
        officials = {c: self.suite.token("county_official", sub=f"official-{c}", regions=(c,)) for c in COUNTIES}
        for county, village in COUNTIES.items():
            n = 5 if county == "520221" else 2
            for i in range(n):
                h = pv1.Household(village_code=village, head_name=f"Head {county}-{i}, \"quoted\"",
                                  member_count=1, status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR)
                if i == 0:
                    h.head_name = "=HYPERLINK(\"evil\")"
                    h.members.add(name="Member", relation=pv1.MEMBER_RELATION_HEAD, sex=pv1.SEX_MALE,
                                  birth_year=1970, id_card_number=ID_CARD if county == "520221" else "")
                self.call(P + "CreateHousehold", pv1.CreateHouseholdRequest(
                    request_id=f"h-{county}-{i}", household=h), pv1.Household, officials[county])

        for county, token in officials.items():
            expected = self.listed(token, county)
            self.assertEqual({h.village_code for h in expected}, {COUNTIES[county]})
            headers, body = self.get(f"{EXPORT}?format=csv&page_size=2&region_code={county}", token)
            self.assertTrue(headers["Content-Type"].startswith("text/csv"))
            self.assertIn('attachment; filename="ListHouseholds.csv"', headers["Content-Disposition"])
            self.assertTrue(body.startswith(b"\xef\xbb\xbf"))
            rows = list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")))
            by_id = self.assert_rows_match(rows, expected, f"CSV of {county}")
            # The formula is guarded; the comma and quotes survive the quoting.
            self.assertIn("'=HYPERLINK(\"evil\")", [r["head_name"] for r in by_id.values()])
            headers, body = self.get(f"{EXPORT}?format=xlsx&page_size=2&region_code={county}", token)
            self.assertIn("spreadsheetml", headers["Content-Type"])
            xrows = xlsx_rows(body)
            by_id = self.assert_rows_match(xrows, expected, f"XLSX of {county}", csv_guard=False)
            self.assertIn("=HYPERLINK(\"evil\")", [r["head_name"] for r in by_id.values()])

            out = os.path.join(self.dir.name, f"ctl-{county}.csv")
            subprocess.run([f"{ARGS.build}/tools/tuopinctl", "personnel", "list-households", "--format", "csv",
                            "--out", out, "--page_size", "2", "--region_code", county, "--gateway", self.suite.target, "--token", token],
                           check=True, capture_output=True, timeout=60)
            with open(out, encoding="utf-8-sig", newline="") as f:
                self.assert_rows_match(list(csv.reader(f)), expected, f"tuopinctl CSV of {county}")
            out = os.path.join(self.dir.name, f"ctl-{county}.xlsx")
            subprocess.run([f"{ARGS.build}/tools/tuopinctl", "personnel", "list-households", "--format", "xlsx",
                            "--out", out, "--region_code", county, "--http", f"http://127.0.0.1:{self.http_port}",
                            "--token", token],
                           check=True, capture_output=True, timeout=60)
            with open(out, "rb") as f:
                self.assert_rows_match(xlsx_rows(f.read()), expected, f"tuopinctl XLSX of {county}",
                                       csv_guard=False)

        # Masking as the RPC's: a household's members (GetHousehold's one list) exported by an
        # auditor have the number masked, never the number; the county's official sees it.
        hid = next(h.id for h in self.listed(officials["520221"], "520221") if h.head_name.startswith("="))
        get = "/v1/export/tuopin.personnel.v1.PersonnelService/GetHousehold?format=csv&id=" + hid
        for token, masked in ((self.suite.token("auditor", regions=("520221",)), True),
                              (officials["520221"], False)):
            got = self.call(P + "GetHousehold", pv1.GetHouseholdRequest(id=hid), pv1.Household, token)
            number = got.members[0].id_card_number
            self.assertEqual(number != ID_CARD, masked)  # the RPC's own masking, whatever its form
            _, body = self.get(get, token)
            rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
            member = dict(zip(rows[0], rows[1]))
            self.assertEqual(len(rows), 2)
            self.assertEqual(member["id_card_number"], number)
            self.assertEqual(member["name"], "Member")
            if masked:
                self.assertNotIn(ID_CARD, body.decode("utf-8"))

        # Refusals: no token; another county's region; a write; an unknown field; a format.
        for path, token, status in ((f"{EXPORT}?format=csv&region_code=520221", "", 401),
                                    (f"{EXPORT}?format=csv&region_code=520221", officials["520222"], 403),
                                    ("/v1/export/tuopin.personnel.v1.PersonnelService/CreateHousehold", admin, 400),
                                    (f"{EXPORT}?format=csv&region_code=52&no_such_field=1", admin, 400),
                                    (f"{EXPORT}?format=pdf&region_code=52", admin, 400)):
            with self.assertRaises(urllib.error.HTTPError, msg=path) as e:
                self.get(path, token)
            self.assertEqual(e.exception.code, status, path)

        # A logged read: each export's line names the method, the caller and the rows. The
        # line is written when the last chunk has gone, so it may trail the download a moment.
        def logged(*words):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with open(os.path.join(self.dir.name, "gateway.log")) as f:
                    if any('"export"' in line and all(w in line for w in words) for line in f):
                        return True
                time.sleep(0.1)
            return False

        self.assertTrue(logged("ListHouseholds", "official-520222", '"rows":"2"', '"format":"xlsx"'))
        # ... and an event of the gateway's in the tamper-evident audit log, under the region.
        from google.protobuf import timestamp_pb2
        from tuopin.auditlog.v1 import auditlog_pb2 as av1
        # The log lists what its last checkpoint (every 200 ms here) covers.
        now, deadline = int(time.time()), time.monotonic() + 20
        while True:
            leaves = self.call("/tuopin.auditlog.v1.AuditLog/ListRegionEvents", av1.ListRegionEventsRequest(
                region_code="520222", from_time=timestamp_pb2.Timestamp(seconds=now - 3600),
                to_time=timestamp_pb2.Timestamp(seconds=now + 3600), page_size=1000), av1.ListEventsResponse,
                admin).leaves
            exports = [lf.event for lf in leaves if lf.event.service == "gateway"]
            if len(exports) >= 3 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        # Three through the JSON front (CSV, XLSX, tuopinctl --http); tuopinctl's own paging
        # (the CSV) is plain list calls, in the access log only.
        self.assertEqual(len(exports), 3, exports)
        for e in exports:
            self.assertEqual(e.method, P + "ListHouseholds")
            self.assertEqual(e.actor_subject, "official-520222")
            self.assertEqual([(r.type, r.id) for r in e.entities], [("region", "520222")])
        self.assertTrue(logged("GetHousehold", "auditor-test", '"rows":"1"'))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)
