#!/usr/bin/python3
"""Issue 21, point 1: members' id-card numbers and phones are personal data. Through the
real binaries (every service, audit-query and the gateway with its access log on), a county
official registers households with members; then the numbers must be
- unreadable at rest: absent from a dump of the personnel database (mariadb-dump) and from
  the files of that database and the server's redo log in the MariaDB data directory;
- absent from the audit log: its leaves (AuditLog.ListEntityEvents) and a dump of its
  database;
- absent from the gateway's access log and from every error message (a wrong check
  digit, a national number used twice);
while a county official reads them in full and an auditor masked. Every search is shown
able to find: the members' names (not secret) are found where the numbers are not.
Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import base64
import glob
import os
import random
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from tuopin_testing import Suite, error_reason  # noqa: E402

ARGS = None
P = "/tuopin.personnel.v1.PersonnelService/"
LOG = "/tuopin.auditlog.v1.AuditLog/"
VILLAGE = "520221104001"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card_number(rng):
    """A valid GB 11643 number no other test writes: a random birth date and sequence."""
    body = f"520221{rng.randint(1940, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
           f"{rng.randint(0, 999):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS)) % 11]


class PersonalDataTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        sys.path.insert(0, f"{ARGS.build}/python/third_party")
        cls.dir = tempfile.TemporaryDirectory()
        cls.suite = Suite(ARGS.build, cls.dir.name, gateway_flags=("--access_log=true",))
        cls.channel = grpc.insecure_channel(cls.suite.target)
        rng = random.Random()
        cls.ids = [id_card_number(rng) for _ in range(6)]
        cls.phones = [f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}" for _ in range(6)]
        cls.names = [f"Member{rng.randint(10**9, 10**10)}" for _ in range(6)]

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.suite.stop()
        cls.dir.cleanup()

    def call(self, method, request, response_type, role, regions=("*",)):
        token = self.suite.token(role, regions=regions)
        rpc = self.channel.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response_type.FromString)
        return rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=60)

    def secrets(self):
        # The id-card numbers without their check digit: a match needs no "X".
        return [i[:17] for i in self.ids] + self.phones

    def assert_none_in(self, what, text):
        for s in self.secrets():
            self.assertNotIn(s, text, f"{what} holds personal data")

    def test_personal_data_is_encrypted_masked_and_never_logged(self):
        from tuopin.auditlog.v1 import auditlog_pb2 as av1
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        regions = pv1.ImportRegionsRequest(request_id="regions")
        for code in ("52", "5202", "520221", "520221104", VILLAGE):
            regions.regions.add(code=code, name=f"Region {code}")
        self.call(P + "ImportRegions", regions, pv1.ImportRegionsResponse, "admin")

        def member(i, relation):
            return pv1.Member(name=self.names[i], relation=relation, sex=pv1.SEX_FEMALE, birth_year=1970 + i,
                              education=pv1.EDUCATION_PRIMARY, health=pv1.HEALTH_HEALTHY,
                              labour_status=pv1.LABOUR_STATUS_ABLE, id_card_number=self.ids[i],
                              phone=self.phones[i])

        created = []
        for h in range(3):
            req = pv1.CreateHouseholdRequest(request_id=f"household-{h}", household=pv1.Household(
                village_code=VILLAGE, head_name=self.names[2 * h], member_count=2,
                status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR, national_household_number=f"5202211040000{h}",
                members=[member(2 * h, pv1.MEMBER_RELATION_HEAD), member(2 * h + 1, pv1.MEMBER_RELATION_CHILD)]))
            out = self.call(P + "CreateHousehold", req, pv1.Household, "county_official", regions=("520221",))
            self.assert_none_in("a CreateHousehold response", out.SerializeToString().decode("latin-1"))
            created.append(out.id)

        # Refusals name the field, never the value.
        bad = pv1.CreateHouseholdRequest(request_id="bad-id", household=pv1.Household(
            village_code=VILLAGE, head_name="X", member_count=1, status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR,
            members=[member(0, pv1.MEMBER_RELATION_HEAD)]))
        wrong = self.ids[0][:17] + ("0" if self.ids[0][17] != "0" else "1")
        bad.household.members[0].id_card_number = wrong
        with self.assertRaises(grpc.RpcError) as e:
            self.call(P + "CreateHousehold", bad, pv1.Household, "county_official", regions=("520221",))
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("members[0].id_card_number", e.exception.details())
        details = e.exception.details() + repr(e.exception.trailing_metadata())
        self.assertNotIn(wrong[:17], details)
        self.assert_none_in("an error", details)
        twice = pv1.CreateHouseholdRequest(request_id="twice", household=pv1.Household(
            village_code=VILLAGE, head_name="Y", member_count=1, status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR,
            national_household_number="52022110400000", members=[member(1, pv1.MEMBER_RELATION_HEAD)]))
        with self.assertRaises(grpc.RpcError) as e:
            self.call(P + "CreateHousehold", twice, pv1.Household, "county_official", regions=("520221",))
        self.assertEqual(e.exception.code(), grpc.StatusCode.ALREADY_EXISTS)
        self.assertEqual(error_reason(e.exception), "HOUSEHOLD_NUMBER_TAKEN")
        self.assert_none_in("an error", e.exception.details() + repr(e.exception.trailing_metadata()))

        # Read in full by the county official, masked for the auditor.
        full = self.call(P + "GetHousehold", pv1.GetHouseholdRequest(id=created[0]), pv1.Household,
                         "county_official", regions=("520221",))
        self.assertEqual([m.id_card_number for m in full.members], self.ids[0:2])
        self.assertEqual([m.phone for m in full.members], self.phones[0:2])
        masked = self.call(P + "GetHousehold", pv1.GetHouseholdRequest(id=created[0]), pv1.Household, "auditor",
                           regions=("520221",))
        self.assertEqual(masked.members[0].id_card_number, "*" * 16 + self.ids[0][-2:])
        self.assertEqual(masked.members[0].phone, "*" * 7 + self.phones[0][-4:])
        self.assertEqual(masked.members[1].name, self.names[1])

        # The audit log: every household's events reach it, without the numbers.
        deadline = time.monotonic() + 60
        for hid in created:
            while True:
                resp = self.call(LOG + "ListEntityEvents", av1.ListEntityEventsRequest(
                    entity_type="household", entity_id=hid, page_size=100), av1.ListEventsResponse, "admin")
                if resp.leaves or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            self.assertTrue(resp.leaves, f"no event of household {hid} in the log")
            self.assert_none_in("the audit log's leaves", resp.SerializeToString().decode("latin-1"))

        personnel_dump = self.dump("personnel")
        self.assertIn(self.names[1], personnel_dump)  # the dump sees the members' rows
        self.assertIn("INSERT INTO `household_versions`", personnel_dump)  # and the history
        self.assert_none_in("a dump of the personnel database", personnel_dump)
        # The history's snapshots are base64 in the dump, which would hide a snapshot kept in
        # clear from the search above: each is decoded and searched, and must be sealed.
        db = self.suite.dbs["personnel"]
        versions = db.sql(f"SELECT pii_key_id, snapshot FROM {db.name}.household_versions")
        self.assertEqual(len(versions), len(created))
        for key_id, snapshot in versions:
            self.assertTrue(key_id, "a household version with personal data is not sealed")
            self.assert_none_in("a household version's snapshot",
                                base64.b64decode(snapshot).decode("latin-1"))
        self.assert_none_in("a dump of the audit log's database", self.dump("auditlog"))

        # The files of the personnel database and the server's redo log.
        datadir = self.suite.dbs["personnel"].sql("SELECT @@datadir")[0][0]
        self.suite.dbs["personnel"].sql("FLUSH TABLES")
        files = glob.glob(os.path.join(datadir, self.suite.dbs["personnel"].name, "*")) + \
            glob.glob(os.path.join(datadir, "ib_logfile*"))
        self.assertTrue(files)
        found_name = False
        for path in files:
            with open(path, "rb") as f:
                data = f.read().decode("latin-1")
            found_name = found_name or self.names[1] in data
            self.assert_none_in(path, data)
        self.assertTrue(found_name, "the data files hold none of the members' names: the search is blind")

        # The gateway's access log: on, and the calls are in it.
        with open(f"{self.dir.name}/gateway.log", encoding="utf-8", errors="replace") as f:
            access = f.read()
        self.assertIn("CreateHousehold", access)
        self.assert_none_in("the gateway's access log", access)
        # Nor any service's log.
        for name in ("personnel", "auditlog", "auditquery"):
            with open(f"{self.dir.name}/{name}.log", encoding="utf-8", errors="replace") as f:
                self.assert_none_in(f"the {name} log", f.read())

    def test_personnel_does_not_start_without_its_key_file(self):
        binary = f"{ARGS.build}/services/personnel/tuopin-personnel"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUOPIN_")}
        base = [binary, f"--db_dsn_file={self.suite.dbs['personnel'].dsn_file(self.dir.name)}", "--migrate=false", "--port=0",
                "--metrics_port=0", "--host=127.0.0.1", f"--internal_key_file={self.dir.name}/internal.key"]
        bad = os.path.join(self.dir.name, "bad.keys")
        with open(bad, "w") as f:
            f.write("k1 REPLACE-WITH-64-HEX-DIGITS\n")
        for extra in ([], [f"--pii_key_file={bad}"], [f"--pii_key_file={self.dir.name}/missing.keys"]):
            r = subprocess.run(base + extra, env=env, capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 2, f"{extra}: {r.stderr}")
            self.assertIn("--pii_key_file", r.stderr, extra)

    def dump(self, service):
        db = self.suite.dbs[service]
        return subprocess.run(["mariadb-dump", "--no-defaults", f"--socket={db.socket}", f"-u{db.user}",
                               "--skip-extended-insert", db.name], check=True, capture_output=True).stdout.decode(
                                   "latin-1")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest])
