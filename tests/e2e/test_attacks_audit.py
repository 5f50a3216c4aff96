#!/usr/bin/python3
"""The audit trail's attacks of issue 17, against the real binaries of the suite (every
service, the audit log, audit-query and the gateway, the tiny Shuicheng demo loaded
through the API), each as the hostile but authenticated caller tried it:

- one in-contract CreateTransfers of 600 allocations no longer jams the funds trail: a
  funds mutation made after it is in the log;
- a service token appends no event in another service's name;
- a token subject with a control character is refused at the gateway;
- "household " (trailing space) reads no other county's history;
- the request digest in an event is keyed: the plain SHA-256 of the request is not it,
  the HMAC under the deployment's key is;
- auditors read no leaves or event lists straight from the log, but verify checkpoints.

Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import hashlib
import hmac
import os
import sys
import time
import unittest

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))
from tuopin_testing import demo_suite, error_reason as reason  # noqa: E402

ARGS = None
COUNTY, NEIGHBOUR = "520221", "520222"
LOG = "/tuopin.auditlog.v1.AuditLog/"


class AuditTrailAttacksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        sys.path.insert(0, f"{ARGS.build}/python/third_party")
        cls.suite, cls.api, cls.demo = demo_suite(ARGS.build, "attacks-audit-", seed=23)
        cls.channel = grpc.insecure_channel(cls.suite.target)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.suite.stop()

    def call(self, method, request, response_type, role, sub=None, regions=("*",), token=None):
        token = token or self.suite.token(role, sub=sub, regions=regions)
        rpc = self.channel.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response_type.FromString)
        for attempt in range(400):  # the gateway's per-person rate limit: back off, bounded
            try:
                return rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=60)
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or attempt == 399:
                    raise
                time.sleep(0.05)

    def logged_events(self, entity_type, entity_id, want, seconds=30):
        """The log's events naming an entity (as an operator), once `want(events)` holds or
        the bound passes."""
        from tuopin.auditlog.v1 import auditlog_pb2 as av1
        deadline = time.monotonic() + seconds
        while True:
            resp = self.call(LOG + "ListEntityEvents", av1.ListEntityEventsRequest(
                entity_type=entity_type, entity_id=entity_id, page_size=1000), av1.ListEventsResponse, "admin")
            events = [leaf.event for leaf in resp.leaves]
            if want(events) or time.monotonic() > deadline:
                return events
            time.sleep(0.2)

    def test_the_largest_allocation_batch_does_not_jam_the_funds_trail(self):
        from tuopin.common.v1 import common_pb2 as cv1
        from tuopin.funds.v1 import funds_pb2 as fv1
        F = "/tuopin.funds.v1.FundsService/"

        def account(code, kind, region, **extra):
            return self.call(F + "CreateAccount", fv1.CreateAccountRequest(
                request_id=f"jam-{code}", account=fv1.Account(code=code, kind=kind, name=code, region_code=region,
                                                              **extra)), fv1.Account, "admin").id
        source = account("JAM-SRC", fv1.ACCOUNT_KIND_SOURCE, COUNTY, source_level=fv1.SOURCE_LEVEL_PROVINCIAL)
        pool = account("JAM-POOL", fv1.ACCOUNT_KIND_POOL, COUNTY)
        projects = [account(f"JAM-PRJ-{i}", fv1.ACCOUNT_KIND_PROJECT, f"520221104{100 + i:03d}",
                            sector=cv1.SECTOR_RURAL_ROADS) for i in range(600)]
        self.call(F + "CreateTransfers", fv1.CreateTransfersRequest(request_id="jam-fund", transfers=[
            fv1.Transfer(id="jam-approp", debit_account_id=source, credit_account_id=pool, amount_fen=60000,
                         kind=fv1.TRANSFER_KIND_APPROPRIATION)]), fv1.CreateTransfersResponse, "admin")
        resp = self.call(F + "CreateTransfers", fv1.CreateTransfersRequest(request_id="jam-600", transfers=[
            fv1.Transfer(id=f"jam-alloc-{i}", debit_account_id=pool, credit_account_id=p, amount_fen=100,
                         kind=fv1.TRANSFER_KIND_ALLOCATION) for i, p in enumerate(projects)]),
            fv1.CreateTransfersResponse, "admin")
        self.assertEqual(set(resp.results), {fv1.TRANSFER_RESULT_OK})
        later = account("JAM-AFTER", fv1.ACCOUNT_KIND_POOL, "520221104")
        # The batch's event (the pool, 600 projects, 600 transfers) and the one after it are
        # both in the log: nothing is stuck in the funds outbox.
        batch = self.logged_events("transfer", "jam-alloc-599", lambda ev: len(ev) > 0)
        self.assertEqual(len(batch), 1, "the 600-allocation event is not in the log")
        self.assertEqual(len(batch[0].entities), 1201)
        after = self.logged_events("account", later, lambda ev: len(ev) > 0)
        self.assertEqual(len(after), 1, "a funds event after the large batch is not in the log")
        # And the operator's view says so: no dead letter, the series exported.
        import urllib.request
        with open(f"{self.suite.d}/funds.ports") as f:
            metrics_port = int(f.read().split()[1])
        deadline = time.monotonic() + 10
        while True:  # the relay publishes its figures about once a second
            body = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
            if "tuopin_outbox_backlog 0" in body or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertIn("tuopin_outbox_dead_letters 0", body)
        self.assertIn("tuopin_outbox_backlog 0", body)
        self.assertIn("tuopin_outbox_oldest_unshipped_seconds", body)

    def test_a_service_token_cannot_append_for_another_service(self):
        from tuopin.auditlog.v1 import auditlog_pb2 as av1
        from tuopin.common.v1 import common_pb2 as cv1
        forged = cv1.AuditEvent(event_id="forged-funds-1", service="funds",
                                method="/tuopin.funds.v1.FundsService/CreateTransfers",
                                actor_subject="finance-someone-else")
        forged.occurred_at.FromSeconds(1546300800)  # 2019-01-01
        with self.assertRaises(grpc.RpcError) as err:
            self.call(LOG + "AppendEvents", av1.AppendEventsRequest(request_id="forge-1", events=[forged]),
                      av1.AppendEventsResponse, "service", sub="service:auditquery")
        self.assertEqual(err.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(reason(err.exception), "WRONG_SERVICE")

    def test_a_subject_with_a_control_character_is_refused(self):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        for sub in ("official\x01", "official\n", "official "):
            with self.assertRaises(grpc.RpcError) as err:
                self.call("/tuopin.personnel.v1.PersonnelService/GetRegion", pv1.GetRegionRequest(code=COUNTY),
                          pv1.Region, "county_official", sub=sub, regions=(COUNTY,))
            self.assertEqual(err.exception.code(), grpc.StatusCode.UNAUTHENTICATED, repr(sub))

    def test_a_trailing_space_reads_no_other_countys_history(self):
        from tuopin.auditquery.v1 import auditquery_pb2 as qv1
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        household = self.call("/tuopin.personnel.v1.PersonnelService/ListHouseholds", pv1.ListHouseholdsRequest(
            region_code=COUNTY, page_size=1), pv1.ListHouseholdsResponse, "admin").households[0].id
        Q = "/tuopin.auditquery.v1.AuditQueryService/GetEntityHistory"
        for entity_type, code in (("household", grpc.StatusCode.PERMISSION_DENIED),
                                  ("household ", grpc.StatusCode.INVALID_ARGUMENT),
                                  ("Household", grpc.StatusCode.INVALID_ARGUMENT)):
            with self.assertRaises(grpc.RpcError) as err:
                self.call(Q, qv1.GetEntityHistoryRequest(entity_type=entity_type, entity_id=household),
                          qv1.EntityHistory, "auditor", regions=(NEIGHBOUR,))
            self.assertEqual(err.exception.code(), code, repr(entity_type))

    def test_request_digests_are_keyed(self):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        from google.protobuf import field_mask_pb2
        P = "/tuopin.personnel.v1.PersonnelService/"
        h = self.call(P + "ListHouseholds", pv1.ListHouseholdsRequest(region_code=COUNTY, page_size=1),
                      pv1.ListHouseholdsResponse, "admin").households[0]
        req = pv1.UpdateHouseholdRequest(request_id="rename-1", household=pv1.Household(
            id=h.id, etag=h.etag, head_name="Zhang Wei"), update_mask=field_mask_pb2.FieldMask(paths=["head_name"]))
        self.call(P + "UpdateHousehold", req, pv1.Household, "admin", sub="admin-renamer")
        events = self.logged_events("household", h.id, lambda ev: any(
            e.method.endswith("/UpdateHousehold") and e.request_id == "rename-1" for e in ev))
        event = [e for e in events if e.method.endswith("/UpdateHousehold") and e.request_id == "rename-1"]
        self.assertEqual(len(event), 1, "the update's event is not in the log")
        event = event[0]
        body = req.SerializeToString(deterministic=True)
        # The attacker's dictionary: the name guessed right, digested without the key.
        self.assertNotEqual(event.request_sha256, hashlib.sha256(body).digest())
        # The holder of the deployment's key (here derived from the internal key) checks it.
        with open(f"{self.suite.d}/internal.key", "rb") as f:
            internal = f.read().strip()
        key = hmac.new(internal, b"tuopin audit digests", hashlib.sha256).digest()
        self.assertEqual(event.request_sha256, hmac.new(key, body, hashlib.sha256).digest())
        self.assertEqual(event.digest_key_id, hashlib.sha256(b"tuopin digest key id" + key).digest()[:8].hex())

    def test_auditors_read_the_log_only_through_audit_query(self):
        from tuopin.auditlog.v1 import auditlog_pb2 as av1
        for method, req, resp in (
                ("GetLeavesByRange", av1.GetLeavesByRangeRequest(start=0, count=10), av1.GetLeavesByRangeResponse),
                ("ListEntityEvents", av1.ListEntityEventsRequest(entity_type="region", entity_id=COUNTY),
                 av1.ListEventsResponse),
                ("ListRegionEvents", av1.ListRegionEventsRequest(
                    region_code="52", from_time={"seconds": 1500000000}, to_time={"seconds": 1900000000}),
                 av1.ListEventsResponse)):
            with self.assertRaises(grpc.RpcError) as err:
                self.call(LOG + method, req, resp, "auditor", regions=(NEIGHBOUR,))
            self.assertEqual(err.exception.code(), grpc.StatusCode.PERMISSION_DENIED, method)
        # What an auditor needs to verify the log stays open.
        cp = self.call(LOG + "GetCheckpoint", av1.GetCheckpointRequest(), av1.Checkpoint, "auditor",
                       regions=(NEIGHBOUR,))
        self.assertGreater(cp.tree_size, 0)
        self.call(LOG + "GetConsistencyProof", av1.GetConsistencyProofRequest(first_size=1, second_size=cp.tree_size),
                  av1.ConsistencyProof, "auditor", regions=(NEIGHBOUR,))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
