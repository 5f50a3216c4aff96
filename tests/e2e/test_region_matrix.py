#!/usr/bin/python3
"""The region axis of the authorization matrix, through the real gateway and services.

Every RPC that touches a region's objects is called twice with the same role: once by a
principal whose scope is Shuicheng County (520221, where the demo's objects are) and once
by a principal of the neighbouring county (520222). Outside its scope the call must be
PERMISSION_DENIED and write nothing; inside, it must not be refused for scope. Mutating
calls are the demo loader's own first request of each method (with a new request id);
reads are built from the demo's answers (ids of a household, cadre, task, account,
inspection, campaign). Regions themselves are public reference data and are not in the
table (GetRegion, ListRegions); the audit log is readable as a whole by auditors (it holds
ids and digests); audit-query's region checks are in auditquery_e2e_test. CreateTransfers
answers a result per transfer, as the ledger's contract says: outside the scope every
transfer is TRANSFER_RESULT_OUT_OF_SCOPE and no money moves (the refused batch itself is
recorded and audited, like any answered call).

Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import os
import sys
import unittest
import uuid

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))
from tuopin_testing import demo_suite  # noqa: E402

ARGS = None
INSIDE, OUTSIDE = "520221", "520222"
SKIP = {"ImportRegions"}  # reference data: admins import any region


class RegionMatrixTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        cls.suite, cls.api, cls.demo = demo_suite(ARGS.build, "region-matrix-", seed=13)
        cls.channel = grpc.insecure_channel(cls.suite.target)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.suite.stop()

    def call(self, method, request, role, region):
        token = self.suite.token(role, sub=f"matrix-{role}-{region}", regions=(region,))
        rpc = self.channel.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=lambda b: b)
        try:
            answer = rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=30)
        except grpc.RpcError as e:
            return e.code()
        if method.endswith("/CreateTransfers"):
            from tuopin.funds.v1 import funds_pb2 as fv1
            results = set(fv1.CreateTransfersResponse.FromString(answer).results)
            if results == {fv1.TRANSFER_RESULT_OUT_OF_SCOPE}:
                return grpc.StatusCode.PERMISSION_DENIED  # every transfer refused for scope
        return grpc.StatusCode.OK

    def reads(self):
        from tuopin.accountability.v1 import accountability_pb2 as av1
        from tuopin.common.v1 import common_pb2 as cv1
        from tuopin.funds.v1 import funds_pb2 as fv1
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        from tuopin.tasks.v1 import tasks_pb2 as tv1
        a = self.api.answers
        hh = pv1.Household.FromString(a["/tuopin.personnel.v1.PersonnelService/CreateHousehold"].SerializeToString())
        cadre = a["/tuopin.personnel.v1.PersonnelService/CreateCadre"]
        task = a["/tuopin.tasks.v1.TaskService/CreateTask"]
        inspection = a["/tuopin.accountability.v1.AccountabilityService/CreateInspection"]
        account = self.demo["project_account_id"]
        village = hh.village_code
        P, F, T = "tuopin.personnel.v1.PersonnelService", "tuopin.funds.v1.FundsService", "tuopin.tasks.v1.TaskService"
        A = "tuopin.accountability.v1.AccountabilityService"
        d = cv1.Date
        return [
            (P, "GetHousehold", pv1.GetHouseholdRequest(id=hh.id)),
            (P, "ListHouseholds", pv1.ListHouseholdsRequest(region_code=INSIDE)),
            (P, "GetCadre", pv1.GetCadreRequest(id=cadre.id)),
            (P, "ListCadres", pv1.ListCadresRequest(region_code=INSIDE)),
            (P, "ListPostings", pv1.ListPostingsRequest(region_code=INSIDE)),
            (P, "ListPairings", pv1.ListPairingsRequest(region_code=INSIDE)),
            (P, "GetAttendance", pv1.GetAttendanceRequest(cadre_id=cadre.id, from_date=d(year=2026, month=1, day=1),
                                                          to_date=d(year=2026, month=6, day=1))),
            (P, "GetCoverage", pv1.GetCoverageRequest(region_code=INSIDE)),
            (T, "GetCampaign", tv1.GetCampaignRequest(id=self.demo["campaign_id"])),
            (T, "GetTask", tv1.GetTaskRequest(id=task.id)),
            (T, "ListTasks", tv1.ListTasksRequest(region_code=INSIDE)),
            (T, "GetSectorProgress", tv1.GetSectorProgressRequest(region_code=INSIDE,
                                                                   campaign_id=self.demo["campaign_id"])),
            (T, "ListEscalations", tv1.ListEscalationsRequest(region_code=INSIDE)),
            (F, "GetAccount", fv1.GetAccountRequest(id=account)),
            (F, "ListAccounts", fv1.ListAccountsRequest(region_code=INSIDE)),
            (F, "ListTransfers", fv1.ListTransfersRequest(account_id=account)),
            (F, "TraceFunds", fv1.TraceFundsRequest(account_id=account)),
            (F, "GetUtilization", fv1.GetUtilizationRequest(region_code=INSIDE)),
            (F, "ListIdleFunds", fv1.ListIdleFundsRequest(region_code=INSIDE, older_than_days=30)),
            (F, "ListPublicNotices", fv1.ListPublicNoticesRequest(village_code=village)),
            (A, "GetInspection", av1.GetInspectionRequest(id=inspection.id)),
            (A, "ListFindings", av1.ListFindingsRequest(region_code=INSIDE)),
            (A, "ListRectificationOrders", av1.ListRectificationOrdersRequest(region_code=INSIDE)),
            (A, "ListAccountabilityActions", av1.ListAccountabilityActionsRequest(region_code=INSIDE)),
            (A, "SummarizeRegion", av1.SummarizeRegionRequest(region_code=INSIDE)),
        ]

    def test_outside_the_scope_is_denied_inside_is_not(self):
        from tuopin.common.v1 import common_pb2
        from google.protobuf import descriptor_pool
        pool = descriptor_pool.Default()
        problems, rows = [], 0
        cases = []
        for method, (baseline, _, role) in sorted(self.api.first.items()):
            _, service, name = method.split("/")
            if name in SKIP or service.endswith("AuditLog"):
                continue
            if not pool.FindMethodByName(f"{service}.{name}").GetOptions().Extensions[common_pb2.policy].mutating:
                continue
            cases.append((method, baseline, role))
        for service, name, req in self.reads():
            cases.append((f"/{service}/{name}", req, "auditor" if name != "GetAttendance" else "inspector"))
        for method, request, role in cases:
            def fresh():
                r = type(request)()
                r.CopyFrom(request)
                if "request_id" in r.DESCRIPTOR.fields_by_name:
                    r.request_id = f"matrix-{uuid.uuid4().hex[:20]}"
                return r
            # What a refused call must not change: idempotency records (for the ledger,
            # whose refusals are per-transfer answers, the transfers).
            probe = {s: "SELECT COUNT(*) FROM idempotency" for s in self.suite.dbs}
            if method.endswith("/CreateTransfers"):
                probe["funds"] = "SELECT COUNT(*) FROM transfers"
            before = {s: self.suite.dbs[s].scalar(q) for s, q in probe.items()}
            outside = self.call(method, fresh(), role, OUTSIDE)
            after = {s: self.suite.dbs[s].scalar(q) for s, q in probe.items()}
            inside = self.call(method, fresh(), role, INSIDE)
            rows += 1
            if outside != grpc.StatusCode.PERMISSION_DENIED:
                problems.append(f"{method} as {role} of {OUTSIDE}: {outside.name}, expected PERMISSION_DENIED")
            if before != after:
                problems.append(f"{method} as {role} of {OUTSIDE}: wrote despite the refusal")
            if inside == grpc.StatusCode.PERMISSION_DENIED:
                problems.append(f"{method} as {role} of {INSIDE}: refused inside its scope")
        print(f"{rows} RPCs x 2 regions")
        self.assertGreaterEqual(rows, 55)
        self.assertEqual(problems, [], "\n".join(problems))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
