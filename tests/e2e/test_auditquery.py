#!/usr/bin/python3
"""Audit-query end to end: the real binaries of the whole suite (every service, audit-query
and the gateway) on the test MariaDB, the Shuicheng demo loaded through the public API at
its tiny size, and every query of AuditQueryService asked through the gateway as an
auditor. Each answer is checked against what the owning services say when asked
directly, every proof is verified by the independent verifier in tests/support, each
query's access event is found in the log, `tuopinctl bundle verify` passes on an
exported bundle and fails on tampered ones, auditors are refused on every mutating RPC of
every service, and region scope and bad input are enforced.

Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
import unittest

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))
from tlog_verify import leaf_hash, parse_checkpoint, verify_inclusion, verify_note  # noqa: E402
from tuopin_testing import demo_suite  # noqa: E402

ARGS = None
AQ = "tuopin.auditquery.v1.AuditQueryService"


class AuditQueryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        cls.suite, _, cls.demo = demo_suite(ARGS.build, "auditquery-", seed=7)
        cls.d = cls.suite.d
        try:
            cls.channel = grpc.insecure_channel(cls.suite.target)
            from tuopin.accountability.v1 import accountability_pb2
            from tuopin.auditlog.v1 import auditlog_pb2
            cls.av1, cls.lv1 = accountability_pb2, auditlog_pb2
            cls.key = cls.call("tuopin.auditlog.v1.AuditLog", "GetPublicKey",
                               auditlog_pb2.GetPublicKeyRequest(), auditlog_pb2.PublicKey,
                               role="admin").verifier_key
        except Exception:
            cls.suite.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.suite.stop()

    @classmethod
    def call(cls, service, method, request, response_type, role="auditor", regions=("52",), sub="auditor-sc"):
        rpc = cls.channel.unary_unary(f"/{service}/{method}", request_serializer=lambda m: m.SerializeToString(),
                                      response_deserializer=response_type.FromString)
        token = cls.suite.token(role, sub=sub if role == "auditor" else f"{role}-direct", regions=regions)
        return rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=30)

    def aq(self, method, request, response_type, **kw):
        return self.call(AQ, method, request, response_type, **kw)

    def assert_refused(self, code, fn, field=None):
        with self.assertRaises(grpc.RpcError) as e:
            fn()
        self.assertEqual(e.exception.code(), code, e.exception.details())
        if field is not None:
            self.assertIn(field, e.exception.details())

    def verify_proven(self, checkpoint, events):
        """Every event's inclusion, checked with the independent verifier against the
        checkpoint, whose signature is checked against the log's key."""
        text = verify_note(checkpoint.signed_note, self.key)
        self.assertIsNotNone(text, "the checkpoint's signature verifies")
        _, size, root = parse_checkpoint(text)
        self.assertEqual((size, root), (checkpoint.tree_size, checkpoint.root_hash))
        for e in events:
            self.assertEqual(e.leaf.event.SerializeToString(deterministic=True), e.leaf.leaf_value)
            self.assertEqual(e.proof.leaf_index, e.leaf.index)
            self.assertTrue(verify_inclusion(leaf_hash(e.leaf.leaf_value), e.leaf.index, size,
                                             list(e.proof.hashes), root), e.leaf.index)

    def logged_look(self, entity_type, entity_id, method, subject):
        """Whether the log holds audit-query's access event of `subject` calling `method`
        about the entity (waiting, bounded, for a checkpoint to cover it)."""
        lv1 = self.lv1
        deadline = time.monotonic() + 10
        while True:
            resp = self.call("tuopin.auditlog.v1.AuditLog", "ListEntityEvents", lv1.ListEntityEventsRequest(
                entity_type=entity_type, entity_id=entity_id, page_size=1000), lv1.ListEventsResponse, role="admin")
            if any(leaf.event.service == "auditquery" and leaf.event.method == f"/{AQ}/{method}" and
                   leaf.event.actor_subject == subject for leaf in resp.leaves):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)

    def test_scorecard_matches_the_services_and_is_logged(self):
        from tuopin.auditquery.v1 import auditquery_pb2 as q
        from tuopin.funds.v1 import funds_pb2 as fv1
        from tuopin.tasks.v1 import tasks_pb2 as tv1
        # Task counts and money come from roll-ups refreshed every 10 s: wait (bounded) for a
        # pass that began after the demo was loaded, then they equal the services' own sums.
        loaded = time.time()
        deadline = time.monotonic() + 60
        while True:
            card = self.aq("GetScorecard", q.GetScorecardRequest(region_code="520221",
                                                                 campaign_id=self.demo["campaign_id"]), q.Scorecard)
            if min(card.progress_as_of.ToMicroseconds(), card.utilization_as_of.ToMicroseconds()) >= loaded * 1e6:
                break
            self.assertLess(time.monotonic(), deadline, "the roll-ups were refreshed within 60 s")
            time.sleep(0.5)
        self.assertEqual(card.stage, tv1.STAGE_FIX_SHORTCOMINGS, "200 days in: the second stage")
        self.assertEqual(len(card.sectors), 10)
        self.assertGreater(sum(s.tasks for s in card.sectors), 0)
        self.assertEqual(card.findings, self.demo["findings"])
        self.assertEqual(card.rectification_orders, self.demo["rectification_orders"])
        self.assertGreater(card.coverage.registered_poor_households, 0)
        progress = self.call("tuopin.tasks.v1.TaskService", "GetSectorProgress", tv1.GetSectorProgressRequest(
            region_code="520221", campaign_id=self.demo["campaign_id"]), tv1.SectorProgress, role="admin")
        for s in card.sectors:
            rows = [r for r in progress.rows if r.sector == s.sector]
            self.assertEqual(s.tasks, sum(r.total for r in rows), "the current stage's tasks")
            self.assertEqual(s.verified, sum(r.verified for r in rows))
            self.assertEqual(s.overdue, sum(r.overdue for r in rows))
            u = self.call("tuopin.funds.v1.FundsService", "GetUtilization", fv1.GetUtilizationRequest(
                region_code="520221", sector=s.sector), fv1.Utilization, role="admin")
            self.assertEqual(s.utilization, u)
        self.assertGreater(sum(s.utilization.allocated_fen for s in card.sectors), 0)
        # The demo makes the four worst areas of the symposium lag.
        lagging = {s.sector for s in card.sectors if s.lagging}
        self.assertTrue(lagging, "some work areas lag")
        self.assertTrue(self.logged_look("campaign", self.demo["campaign_id"], "GetScorecard", "auditor-sc"))

    def test_rectification_status_counts_every_order(self):
        from tuopin.auditquery.v1 import auditquery_pb2 as q
        av1 = self.av1
        report = self.aq("GetRectificationStatus", q.GetRectificationStatusRequest(region_code="520221"),
                         q.RectificationStatusReport, sub="auditor-rs")
        orders = self.call("tuopin.accountability.v1.AccountabilityService", "ListRectificationOrders",
                           av1.ListRectificationOrdersRequest(region_code="520221", page_size=1000),
                           av1.ListRectificationOrdersResponse, role="admin").orders
        self.assertEqual(report.open + report.submitted + report.verified, len(orders))
        self.assertEqual(report.verified, sum(o.status == av1.RECTIFICATION_STATUS_VERIFIED for o in orders))
        reopened = sum(o.reopen_count > 0 for o in orders)
        self.assertEqual(report.reopen_rate_bp, reopened * 10000 // len(orders))
        self.assertEqual(report.overdue, len(report.overdue_orders))
        self.assertTrue(self.logged_look("region", "520221", "GetRectificationStatus", "auditor-rs"))

    def test_cadre_dossier_gathers_the_cadres_record(self):
        from tuopin.auditquery.v1 import auditquery_pb2 as q
        av1 = self.av1
        cadre = self.demo["cadre_with_findings"]
        dossier = self.aq("GetCadreDossier", q.GetCadreDossierRequest(cadre_id=cadre), q.CadreDossier)
        self.assertEqual(dossier.cadre.id, cadre)
        self.assertGreaterEqual(len(dossier.postings), 1)
        self.assertTrue(all(p.cadre_id == cadre for p in dossier.postings))
        self.assertTrue(all(p.cadre_id == cadre for p in dossier.pairings))
        self.assertTrue(all(t.assignee_cadre_id == cadre for t in dossier.tasks))
        self.assertEqual(dossier.overdue_tasks, sum(t.overdue for t in dossier.tasks))
        self.assertGreater(dossier.attendance_last_90_days.days_present, 0)
        findings = self.call("tuopin.accountability.v1.AccountabilityService", "ListFindings",
                             av1.ListFindingsRequest(region_code="52", subject_cadre_id=cadre, page_size=1000),
                             av1.ListFindingsResponse, role="admin").findings
        self.assertGreaterEqual(len(findings), 1)
        self.assertEqual(sorted(f.id for f in dossier.findings), sorted(f.id for f in findings))
        self.assertTrue(self.logged_look("cadre", cadre, "GetCadreDossier", "auditor-sc"))
        # A missing cadre lies in no region: refused as another county's would be (issue 18),
        # except to an auditor whose scope covers every region.
        self.assert_refused(grpc.StatusCode.PERMISSION_DENIED, lambda: self.aq(
            "GetCadreDossier", q.GetCadreDossierRequest(cadre_id="no-such-cadre"), q.CadreDossier))
        self.assert_refused(grpc.StatusCode.NOT_FOUND, lambda: self.aq(
            "GetCadreDossier", q.GetCadreDossierRequest(cadre_id="no-such-cadre"), q.CadreDossier,
            regions=("*",)))

    def test_fund_trace_proves_every_transfer(self):
        from tuopin.auditquery.v1 import auditquery_pb2 as q
        project = self.demo["project_account_id"]
        traced = self.aq("TraceFunds", q.TraceFundsRequest(account_id=project), q.FundTraceWithEvents)
        levels = {e.level for e in traced.trace.edges}
        self.assertEqual(levels, {1, 2, 3}, "project <- township pool <- county pool <- sources")
        self.assertEqual(sum(s.amount_fen for s in traced.trace.by_source), traced.trace.received_fen)
        named = {t for e in traced.trace.edges for t in e.transfer_ids}
        proven = {ref.id for ev in traced.transfer_events for ref in ev.leaf.event.entities if ref.type == "transfer"}
        self.assertLessEqual(named, proven, "every transfer of the trace has its proven audit event")
        self.assertTrue(all(ev.leaf.event.service == "funds" for ev in traced.transfer_events))
        self.verify_proven(traced.checkpoint, traced.transfer_events)
        self.assertTrue(self.logged_look("account", project, "TraceFunds", "auditor-sc"))

    def test_entity_history_is_proven_and_includes_earlier_looks(self):
        from tuopin.auditquery.v1 import auditquery_pb2 as q
        project = self.demo["project_account_id"]
        req = q.GetEntityHistoryRequest(entity_type="account", entity_id=project)
        first = self.aq("GetEntityHistory", req, q.EntityHistory, sub="auditor-eh")
        self.assertTrue(first.events)
        self.assertTrue(all(any(r.type == "account" and r.id == project for r in e.leaf.event.entities)
                            for e in first.events))
        self.verify_proven(first.checkpoint, first.events)
        # The look itself is in the log: a later history shows who looked.
        deadline = time.monotonic() + 10
        while True:
            later = self.aq("GetEntityHistory", req, q.EntityHistory, sub="auditor-eh2")
            looks = [e.leaf.event for e in later.events if e.leaf.event.service == "auditquery"]
            if any(e.actor_subject == "auditor-eh" for e in looks) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertTrue(any(e.actor_subject == "auditor-eh" and e.method.endswith("/GetEntityHistory")
                            for e in looks))
        self.verify_proven(later.checkpoint, later.events)
        self.assert_refused(grpc.StatusCode.PERMISSION_DENIED, lambda: self.aq(
            "GetEntityHistory", q.GetEntityHistoryRequest(entity_type="account", entity_id="nothing"),
            q.EntityHistory))
        self.assert_refused(grpc.StatusCode.NOT_FOUND, lambda: self.aq(
            "GetEntityHistory", q.GetEntityHistoryRequest(entity_type="account", entity_id="nothing"),
            q.EntityHistory, regions=("*",)))

    def test_bundle_verifies_offline_and_tampering_is_caught(self):
        from tuopin.auditquery.v1 import auditquery_pb2 as q
        today = datetime.date.today() + datetime.timedelta(days=1)
        start = today - datetime.timedelta(days=300)
        bundle = self.aq("ExportAuditBundle", q.ExportAuditBundleRequest(
            region_code="520221", from_date={"year": start.year, "month": start.month, "day": start.day},
            to_date={"year": today.year, "month": today.month, "day": today.day}), q.AuditBundle)
        self.assertGreater(len(bundle.events), 50)
        self.assertEqual(bundle.verifier_key, self.key)
        self.verify_proven(bundle.checkpoint, bundle.events)
        ctl = f"{ARGS.build}/tools/tuopinctl"

        def verify(b, name):
            path = f"{self.d}/{name}"
            with open(path, "wb") as f:
                f.write(b.SerializeToString())
            return subprocess.run([ctl, "bundle", "verify", path, "--verifier_key", self.key],
                                  capture_output=True, text=True)
        ok = verify(bundle, "bundle.pb")
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.assertIn(f"{len(bundle.events)} of {len(bundle.events)} events proven", ok.stdout)
        # The same bundle as JSON, as `tuopinctl auditquery export-audit-bundle --json` writes it.
        from google.protobuf import json_format
        with open(f"{self.d}/bundle.json", "w") as f:
            f.write(json_format.MessageToJson(bundle))
        as_json = subprocess.run([ctl, "bundle", "verify", f"{self.d}/bundle.json", "--verifier_key", self.key],
                                 capture_output=True, text=True)
        self.assertEqual(as_json.returncode, 0, as_json.stdout + as_json.stderr)
        # An event's shown actor rewritten; an event's leaf bytes rewritten; a proof hash
        # flipped; the checkpoint re-signed by another key: each is caught.
        t1 = q.AuditBundle.FromString(bundle.SerializeToString())
        t1.events[3].leaf.event.actor_subject = "someone-else"
        t2 = q.AuditBundle.FromString(bundle.SerializeToString())
        ev = t2.events[5].leaf.event
        ev.actor_subject = "someone-else"
        t2.events[5].leaf.leaf_value = ev.SerializeToString(deterministic=True)
        t3 = q.AuditBundle.FromString(bundle.SerializeToString())
        hashes = t3.events[7].proof.hashes
        hashes[0] = bytes([hashes[0][0] ^ 1]) + hashes[0][1:]
        for name, b in (("shown", t1), ("leaf", t2), ("proof", t3)):
            bad = verify(b, f"tampered-{name}.pb")
            self.assertEqual(bad.returncode, 1, name + bad.stdout + bad.stderr)
            self.assertIn("FAIL", bad.stdout)
        other = subprocess.run([ctl, "bundle", "verify", f"{self.d}/bundle.pb", "--verifier_key",
                                "tuopin.other+01234567+AQ" + "A" * 43], capture_output=True, text=True)
        self.assertNotEqual(other.returncode, 0)
        self.assertTrue(self.logged_look("region", "520221", "ExportAuditBundle", "auditor-sc"))

    def test_region_scope_and_bad_input(self):
        from tuopin.auditquery.v1 import auditquery_pb2 as q
        other = {"regions": ("520222",)}  # an auditor of the neighbouring county
        denied = grpc.StatusCode.PERMISSION_DENIED
        self.assert_refused(denied, lambda: self.aq("GetScorecard", q.GetScorecardRequest(
            region_code="520221", campaign_id=self.demo["campaign_id"]), q.Scorecard, **other))
        self.assert_refused(denied, lambda: self.aq("GetCadreDossier", q.GetCadreDossierRequest(
            cadre_id=self.demo["cadre_with_findings"]), q.CadreDossier, **other))
        self.assert_refused(denied, lambda: self.aq("TraceFunds", q.TraceFundsRequest(
            account_id=self.demo["project_account_id"]), q.FundTraceWithEvents, **other))
        self.assert_refused(denied, lambda: self.aq("GetEntityHistory", q.GetEntityHistoryRequest(
            entity_type="account", entity_id=self.demo["project_account_id"]), q.EntityHistory, **other))
        self.assert_refused(denied, lambda: self.aq("GetRectificationStatus", q.GetRectificationStatusRequest(
            region_code="520221"), q.RectificationStatusReport, **other))
        self.assert_refused(denied, lambda: self.aq("ExportAuditBundle", q.ExportAuditBundleRequest(
            region_code="520221", from_date={"year": 2026, "month": 1, "day": 1},
            to_date={"year": 2026, "month": 2, "day": 1}), q.AuditBundle, **other))
        # Only auditors and admins: a county official may not use audit-query at all.
        self.assert_refused(denied, lambda: self.aq("GetRectificationStatus", q.GetRectificationStatusRequest(
            region_code="520221"), q.RectificationStatusReport, role="county_official"))
        bad = grpc.StatusCode.INVALID_ARGUMENT
        for method, req, resp, field in (
                ("GetScorecard", q.GetScorecardRequest(region_code="5202x1", campaign_id="c"), q.Scorecard,
                 "region_code"),
                ("GetScorecard", q.GetScorecardRequest(region_code="520221"), q.Scorecard, "campaign_id"),
                ("GetCadreDossier", q.GetCadreDossierRequest(cadre_id="a b"), q.CadreDossier, "cadre_id"),
                ("TraceFunds", q.TraceFundsRequest(), q.FundTraceWithEvents, "account_id"),
                ("GetEntityHistory", q.GetEntityHistoryRequest(entity_id="x"), q.EntityHistory, "entity_type"),
                ("GetRectificationStatus", q.GetRectificationStatusRequest(region_code=""),
                 q.RectificationStatusReport, "region_code"),
                ("ExportAuditBundle", q.ExportAuditBundleRequest(
                    region_code="520221", from_date={"year": 2026, "month": 2, "day": 30},
                    to_date={"year": 2026, "month": 3, "day": 1}), q.AuditBundle, "from_date"),
                ("ExportAuditBundle", q.ExportAuditBundleRequest(
                    region_code="520221", from_date={"year": 2024, "month": 1, "day": 1},
                    to_date={"year": 2026, "month": 1, "day": 1}), q.AuditBundle, "to_date")):
            self.assert_refused(bad, lambda: self.aq(method, req, resp), field)

    def test_auditors_are_refused_on_every_mutating_rpc(self):
        from google.protobuf import descriptor_pool
        from tuopin.accountability.v1 import accountability_pb2  # noqa: F401  (registers descriptors)
        from tuopin.auditlog.v1 import auditlog_pb2  # noqa: F401
        from tuopin.auditquery.v1 import auditquery_pb2  # noqa: F401
        from tuopin.common.v1 import common_pb2
        from tuopin.funds.v1 import funds_pb2  # noqa: F401
        from tuopin.personnel.v1 import personnel_pb2  # noqa: F401
        from tuopin.tasks.v1 import tasks_pb2  # noqa: F401
        pool = descriptor_pool.Default()
        mutating = []
        for name in ("tuopin.personnel.v1.PersonnelService", "tuopin.funds.v1.FundsService",
                     "tuopin.tasks.v1.TaskService", "tuopin.accountability.v1.AccountabilityService",
                     "tuopin.auditlog.v1.AuditLog", AQ):
            for m in pool.FindServiceByName(name).methods:
                policy = m.GetOptions().Extensions[common_pb2.policy]
                if policy.mutating:
                    mutating.append(f"/{name}/{m.name}")
        self.assertGreaterEqual(len(mutating), 30)
        token = self.suite.token("auditor", sub="auditor-all", regions=("*",))
        for method in mutating:
            rpc = self.channel.unary_unary(method)
            with self.assertRaises(grpc.RpcError, msg=method) as e:
                rpc(b"", metadata=(("authorization", f"Bearer {token}"),), timeout=10)
            self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED, method)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
