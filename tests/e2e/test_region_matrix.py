#!/usr/bin/python3
"""The region axis of the authorization matrix, through the real gateway and services.

Every RPC that touches a region's objects is called twice with the same role: once by a
principal whose scope is Shuicheng County (520221, where the demo's objects are) and once
by a principal of the neighbouring county (520222). Outside its scope the call must be
PERMISSION_DENIED and write nothing; inside, it must not be refused for scope. The RPCs
come from the descriptors, not from a list: every method of every service is probed unless
EXCUSED names it (or its service) with a reason, and one that cannot be probed fails the
test. Mutating calls are the demo loader's own first request of each method (with a new
request id); reads, and mutations the demo never makes, are built from the fields' limits
(tuopin.common.v1.limits): a region code is the county (or its village), an id is the
demo's object of the kind its `ref` names (household, cadre, task, account, transfer,
inspection, campaign, exit_application, assessment). Regions themselves are public
reference data (GetRegion, ListRegions, ImportRegions), and so are the poverty standards
of a province; the mutations of an assessment are probed "inside" by a prefecture's
scope (a county's own people never assess it); the audit log is readable as a whole by auditors (it holds
ids and digests); audit-query's region checks are in auditquery_e2e_test. CreateTransfers
answers a result per transfer, as the ledger's contract says: outside the scope every
transfer is TRANSFER_RESULT_OUT_OF_SCOPE and no money moves (the refused batch itself is
recorded and audited, like any answered call).

A second table (issue 18, point 1) names objects across the two counties: a mutation
must have every object it names in the caller's scope, not only its target (another
county's cadre posted or paired, assigned a task, leading an inspection, subject of a
finding, an order or an action; another county's household in a task or a visit; another
county's campaign under an order), and either side may end a posting or pairing: the
cadre's own county can always recall its cadre.

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
# The RPCs (or whole services) that are not region-probed, and why. Every other RPC of every
# service is probed, from its descriptor: a new RPC needs no entry here.
EXCUSED = {
    "/tuopin.personnel.v1.PersonnelService/ImportRegions": "reference data: admins import any region",
    "/tuopin.personnel.v1.PersonnelService/GetRegion": "regions are public reference data",
    "/tuopin.personnel.v1.PersonnelService/ListRegions": "regions are public reference data",
    "tuopin.auditlog.v1.AuditLog": "the log holds ids and digests and is readable as a whole by auditors",
    "tuopin.auditquery.v1.AuditQueryService": "its region checks are in auditquery_e2e_test",
    "/tuopin.personnel.v1.ExitCriteriaService/SetPovertyStandard":
        "province-level reference data, like regions: admins set any province's standard",
    "/tuopin.personnel.v1.ExitCriteriaService/GetPovertyStandard": "province-level reference data, like regions",
}
# Where "inside" is not the county itself: the mutations of an assessment are by a scope
# over the county from above (a county's own people never assess it: NOT_INDEPENDENT).
# So are villages' profiles (a county does not set its own denominators). By service or method.
INSIDE_FROM_ABOVE = {"tuopin.accountability.v1.AssessmentService": "5202",
                     "/tuopin.personnel.v1.ExitCriteriaService/SetVillageProfile": "5202"}
# Mutations replayed as another role than the demo's, and why.
ROLE_OVERRIDE = {
    # The demo's first review was the village's (a cadre's); its application is now at the
    # township review, which only officials take (a cadre is refused for the role there).
    "/tuopin.personnel.v1.ExitService/ReviewExit": "county_official",
}
# The role a read is probed as: the first of these the method's policy admits.
READ_ROLES = ("auditor", "inspector", "county_official")
# Text fields whose grammar only code says (the least text "x" is refused), by full name.
PROBE_TEXT = {"tuopin.personnel.v1.ReverseExitRequest.reference": "findings/region-matrix"}


def limits(f):
    from tuopin.common.v1 import common_pb2
    options = f.GetOptions()
    return options.Extensions[common_pb2.limits] if options.HasExtension(common_pb2.limits) else None


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
        if method.endswith("/BatchCreateTasks"):
            from tuopin.tasks.v1 import tasks_pb2 as tv1
            results = tv1.BatchCreateTasksResponse.FromString(answer).results
            if results and all(r.HasField("error") and r.error.code == grpc.StatusCode.PERMISSION_DENIED.value[0]
                               for r in results):
                return grpc.StatusCode.PERMISSION_DENIED  # every task refused for scope
        if method.endswith("/ImportHouseholds"):
            from tuopin.personnel.v1 import personnel_pb2 as pv1
            rows = pv1.ImportHouseholdsResponse.FromString(answer).results
            if rows and all([v.field for v in r.violations] == ["village_code"] for r in rows):
                return grpc.StatusCode.PERMISSION_DENIED  # every row refused for scope
        return grpc.StatusCode.OK

    def ids(self):
        """The demo's objects inside the scope, by what a field's limits say it names."""
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        a = self.api.answers
        hh = pv1.Household.FromString(a["/tuopin.personnel.v1.PersonnelService/CreateHousehold"].SerializeToString())
        return {
            "household": hh.id,
            "cadre": a["/tuopin.personnel.v1.PersonnelService/CreateCadre"].id,
            "task": a["/tuopin.tasks.v1.TaskService/CreateTask"].id,
            "inspection": a["/tuopin.accountability.v1.AccountabilityService/CreateInspection"].id,
            "campaign": self.demo["campaign_id"],
            "account": self.demo["project_account_id"],
            "transfer": self.api.first["/tuopin.funds.v1.FundsService/CreateTransfers"][0].transfers[0].id,
            "exit_application": a["/tuopin.personnel.v1.ExitService/ProposeExit"].id,
            "assessment": a["/tuopin.accountability.v1.AssessmentService/CreateAssessment"].id,
        }, hh.village_code

    def probe(self, request_type, ids, village):
        """A valid request of request_type aimed at the demo's objects inside the scope, built
        from the contract's limits: region codes are the county (or its village where only a
        village is accepted), ids the demo's objects of the kind the field names, other
        required values the least the limits accept; optional fields stay empty. Returns
        (request, None), or (None, why) when a field cannot be filled."""
        from tuopin.common.v1 import common_pb2
        L = common_pb2.FieldLimits

        def fill(msg):
            bearing, oneofs = False, set()
            # Of a oneof, a region member is the probe's first choice.
            fields = sorted(msg.DESCRIPTOR.fields, key=lambda f: (
                f.containing_oneof is None, not limits(f) or limits(f).format != L.FORMAT_REGION_CODE))
            for f in fields:
                lim = limits(f)
                if f.GetOptions().Extensions[common_pb2.output_only] or f.label == f.LABEL_REPEATED:
                    continue
                if f.containing_oneof is not None:
                    if f.containing_oneof.name in oneofs:
                        continue
                    oneofs.add(f.containing_oneof.name)
                if f.type == f.TYPE_MESSAGE:
                    sub = getattr(msg, f.name)
                    name = f.message_type.full_name
                    if lim is None and not name.startswith("tuopin."):
                        continue
                    if lim is not None and lim.optional:
                        continue
                    if name == "tuopin.common.v1.Date":
                        sub.year, sub.month, sub.day = 2026, 1, 1
                    elif name == "google.protobuf.Timestamp":
                        sub.GetCurrentTime()
                    else:
                        sub_bearing, why = fill(sub)
                        if why:
                            return False, why
                        bearing |= sub_bearing
                    continue
                if lim is None or lim.optional or lim.checked_by:
                    continue
                if f.type == f.TYPE_STRING:
                    if lim.format == L.FORMAT_REGION_CODE:
                        setattr(msg, f.name, village if lim.min_digits == 12 else INSIDE)
                        bearing = True
                    elif lim.format == L.FORMAT_ID:
                        if lim.ref not in ids:
                            return False, f"{f.full_name} names {lim.ref or 'an object'!r}, of which the demo has no id"
                        setattr(msg, f.name, ids[lim.ref])
                        bearing = True
                    elif lim.format == L.FORMAT_REQUEST_ID:
                        setattr(msg, f.name, "probe")  # each call gets its own (fresh())
                    elif lim.format == L.FORMAT_TEXT and lim.min_len > 0:
                        setattr(msg, f.name, PROBE_TEXT.get(f.full_name, "x"))
                    elif lim.format != L.FORMAT_TEXT and lim.format != L.FORMAT_OPAQUE:
                        return False, f"{f.full_name}: no probe value of its format"
                elif f.type == f.TYPE_ENUM and lim.defined:
                    setattr(msg, f.name, [v.number for v in f.enum_type.values if v.number][0])
                elif f.type != f.TYPE_BOOL and lim.HasField("min") and lim.min > 0:
                    setattr(msg, f.name, lim.min)
            return bearing, None

        request = request_type()
        bearing, why = fill(request)
        if why:
            return None, why
        if not bearing:
            return None, "the request names no region and no object of one"
        return request, None

    def import_probe(self, village):
        """One row of a register file in the village, keyed by a national number of its own."""
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        row = pv1.Household(village_code=village, head_name="x", member_count=1,
                            status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR,
                            national_household_number="990000000001")
        return pv1.ImportHouseholdsRequest(first_row_number=1, rows=[row])

    def split_probe(self, village):
        """A split of the village into two codes new to its township (the demo never splits):
        inside it is refused for the village's state (its postings: VILLAGE_IN_USE), not
        for scope nor as invalid."""
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        return pv1.SplitVillageRequest(village_code=village, decision_reference="x", new_villages=[
            pv1.Region(code=village[:9] + "901", name="x"), pv1.Region(code=village[:9] + "902", name="x")])

    def cases(self):
        """Every RPC of the region-scoped services, from the descriptors: mutations as the demo
        loader first made them, reads built from the fields' limits. An RPC that cannot be
        probed and is not in EXCUSED is a problem."""
        import importlib
        import pkgutil
        from google.protobuf import symbol_database
        from tuopin.common.v1 import common_pb2
        import tuopin
        for m in pkgutil.walk_packages(tuopin.__path__, "tuopin."):
            if m.name.endswith("_pb2"):
                importlib.import_module(m.name)
        ids, village = self.ids()
        cases, problems = [], []
        services = set()
        for module in list(sys.modules.values()):
            file = getattr(module, "DESCRIPTOR", None)
            if getattr(module, "__name__", "").startswith("tuopin.") and hasattr(file, "services_by_name"):
                services.update(file.services_by_name.values())
        for service in sorted(services, key=lambda s: s.full_name):
            for m in service.methods:
                method = f"/{service.full_name}/{m.name}"
                excuse = EXCUSED.get(method) or EXCUSED.get(service.full_name)
                if excuse:
                    continue
                policy = m.GetOptions().Extensions[common_pb2.policy]
                if policy.mutating and method in self.api.first:
                    baseline, _, role = self.api.first[method]
                    cases.append((method, baseline, ROLE_OVERRIDE.get(method, role), False))
                    continue
                # A read, or a mutation the demo never makes: built from the limits (a
                # mutation of an existing object may then be refused for its state inside
                # the scope, which still shows it was not refused for scope).
                request_type = symbol_database.Default().GetSymbol(m.input_type.full_name)
                request, why = self.probe(request_type, ids, village)
                if method.endswith("/ImportHouseholds"):  # its region is in its rows
                    request, why = self.import_probe(village), None
                if method.endswith("/SplitVillage"):  # its new villages are a list
                    request, why = self.split_probe(village), None
                if method.endswith("/DiffHouseholds"):  # its rows are a list, like an import's
                    from tuopin.personnel.v1 import personnel_pb2 as pv1
                    request, why = pv1.DiffHouseholdsRequest(
                        region_code=INSIDE, first_row_number=1, rows=self.import_probe(village).rows), None
                if why:
                    problems.append(f"{method}: cannot be probed: {why}")
                    continue
                names = [common_pb2.Role.Name(r)[5:].lower() for r in policy.roles]
                prefer = READ_ROLES if not policy.mutating else [r for r in names if r not in ("admin", "service")]
                role = next((r for r in prefer if r in names), None)
                if role is None:
                    problems.append(f"{method}: no role to probe it as among {names}")
                    continue
                cases.append((method, request, role, True))
        return cases, problems

    def test_outside_the_scope_is_denied_inside_is_not(self):
        from google.protobuf import descriptor_pool
        from tuopin.common.v1 import common_pb2
        cases, problems = self.cases()
        rows = 0
        for method, request, role, built in cases:
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
            if method.endswith("/BatchCreateTasks"):  # refusals are per-task answers too
                probe["tasks"] = "SELECT COUNT(*) FROM tasks"
            if method.endswith("/ImportHouseholds"):  # refusals are per-row answers too
                probe["personnel"] = "SELECT COUNT(*) FROM households"
            before = {s: self.suite.dbs[s].scalar(q) for s, q in probe.items()}
            outside = self.call(method, fresh(), role, OUTSIDE)
            after = {s: self.suite.dbs[s].scalar(q) for s, q in probe.items()}
            service = method.split("/")[1]
            mutating = descriptor_pool.Default().FindMethodByName(
                method.strip("/").replace("/", ".")).GetOptions().Extensions[common_pb2.policy].mutating
            inside = self.call(method, fresh(), role,
                               INSIDE_FROM_ABOVE.get(method, INSIDE_FROM_ABOVE.get(service, INSIDE))
                               if mutating else INSIDE)
            rows += 1
            if outside != grpc.StatusCode.PERMISSION_DENIED:
                problems.append(f"{method} as {role} of {OUTSIDE}: {outside.name}, expected PERMISSION_DENIED")
            if before != after:
                problems.append(f"{method} as {role} of {OUTSIDE}: wrote despite the refusal")
            if inside == grpc.StatusCode.PERMISSION_DENIED:
                problems.append(f"{method} as {role} of {INSIDE}: refused inside its scope")
            elif built and inside == grpc.StatusCode.INVALID_ARGUMENT:
                problems.append(f"{method} as {role} of {INSIDE}: INVALID_ARGUMENT; the probe must be valid")
        built = sorted(m.split("/")[-1] for m, _, _, b in cases if b)
        print(f"{rows} RPCs x 2 regions; built from the limits: {', '.join(built)}")
        self.assertGreaterEqual(rows, 74)
        self.assertEqual(problems, [], "\n".join(problems))

    def admin(self, method, request, response_type):
        token = self.suite.token("admin", sub="matrix-admin", regions=("*",))
        rpc = self.channel.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response_type.FromString)
        return rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=30)

    def test_every_named_object_is_in_scope_and_the_owner_ends(self):
        import datetime
        import hashlib
        from tuopin.accountability.v1 import accountability_pb2 as av1
        from tuopin.common.v1 import common_pb2 as cv1
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        from tuopin.tasks.v1 import tasks_pb2 as tv1
        P, T = "/tuopin.personnel.v1.PersonnelService/", "/tuopin.tasks.v1.TaskService/"
        A = "/tuopin.accountability.v1.AccountabilityService/"
        town, village = OUTSIDE + "100", OUTSIDE + "100001"
        self.admin(P + "ImportRegions", pv1.ImportRegionsRequest(request_id="cross-regions", regions=[
            pv1.Region(code=OUTSIDE, name="Neighbour County"), pv1.Region(code=town, name="Neighbour Town"),
            pv1.Region(code=village, name="Neighbour Village")]), pv1.ImportRegionsResponse)

        def cadre(number, managing):
            return self.admin(P + "CreateCadre", pv1.CreateCadreRequest(request_id=f"cross-{number}", cadre=pv1.Cadre(
                employee_number=number, name=number, origin_level=pv1.ORIGIN_LEVEL_COUNTY,
                dispatching_unit="County Government", home_region_code="520201100",
                managing_region_code=managing)), pv1.Cadre).id
        ours, theirs = cadre("SC-CROSS-1", INSIDE), cadre("NB-CROSS-1", OUTSIDE)
        household = self.admin(P + "CreateHousehold", pv1.CreateHouseholdRequest(
            request_id="cross-household", household=pv1.Household(
                village_code=village, head_name="Neighbour head", member_count=2,
                status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR)), pv1.Household).id
        shuicheng_household, shuicheng_village = (lambda h: (h.id, h.village_code))(pv1.Household.FromString(
            self.api.answers[P + "CreateHousehold"].SerializeToString()))
        start = datetime.date.today() - datetime.timedelta(days=200)
        due = datetime.date.today() + datetime.timedelta(days=60)
        d = lambda x: cv1.Date(year=x.year, month=x.month, day=x.day)  # noqa: E731
        campaign = self.admin(T + "CreateCampaign", tv1.CreateCampaignRequest(
            request_id="cross-campaign", campaign=tv1.Campaign(region_code=OUTSIDE, name="Neighbour campaign",
                                                               start_date=d(start))), tv1.Campaign).id
        got = {}

        def post(cadre_id):
            return pv1.PostCadreRequest(cadre_id=cadre_id, village_code=village, role=pv1.POSTING_ROLE_TEAM_MEMBER,
                                        start_date=cv1.Date(year=2026, month=1, day=5))

        def task(**kw):
            return tv1.CreateTaskRequest(task=tv1.Task(
                campaign_id=campaign, stage=tv1.STAGE_FIX_SHORTCOMINGS, sector=cv1.SECTOR_RURAL_ROADS,
                title="Harden the road", deadline=d(due), priority=tv1.PRIORITY_NORMAL,
                **({"village_code": village} | kw)))

        def inspection(leader):
            return av1.CreateInspectionRequest(inspection=av1.Inspection(
                kind=av1.INSPECTION_KIND_UNANNOUNCED_VISIT, group_name="Group", leader_cadre_ids=[leader],
                target_region_codes=[town], start_date=cv1.Date(year=2026, month=8, day=21),
                end_date=cv1.Date(year=2026, month=9, day=3), seed_commitment=hashlib.sha256(b"x").hexdigest()))

        def finding(subject):
            return av1.CreateFindingRequest(finding=av1.Finding(
                inspection_id=got["inspection"], category=av1.FINDING_CATEGORY_SLOW_PROGRESS,
                sector=cv1.SECTOR_RURAL_ROADS, region_code=village, subject=av1.Subject(cadre_id=subject),
                severity=av1.SEVERITY_MODERATE, description="Road work stalled"))

        def order(responsible, campaign_id):
            return av1.IssueRectificationOrderRequest(
                finding_ids=[got["finding"]], responsible=av1.Subject(cadre_id=responsible),
                deadline=d(due), campaign_id=campaign_id)
        OK, DENIED = grpc.StatusCode.OK, grpc.StatusCode.PERMISSION_DENIED
        # (what, method, request, role, scope, expected, key to keep the answer's id under)
        steps = [
            ("the neighbour posts Shuicheng's cadre into its own village", P + "PostCadre",
             lambda: post(ours), "county_official", OUTSIDE, DENIED, None),
            ("Shuicheng posts its cadre into the neighbour's village", P + "PostCadre",
             lambda: post(ours), "county_official", INSIDE, DENIED, None),
            ("the prefecture, over both, posts it", P + "PostCadre",
             lambda: post(ours), "county_official", "5202", OK, "posting"),
            ("a third county ends that posting", P + "EndPosting",
             lambda: pv1.EndPostingRequest(posting_id=got["posting"], reason="x", end_date=d(datetime.date.today())),
             "county_official", "520203", DENIED, None),
            ("Shuicheng, the cadre's county, ends it", P + "EndPosting",
             lambda: pv1.EndPostingRequest(posting_id=got["posting"], reason="Recalled",
                                           end_date=d(datetime.date.today())),
             "county_official", INSIDE, OK, None),
            ("the neighbour pairs Shuicheng's cadre with its household", P + "PairCadreWithHousehold",
             lambda: pv1.PairCadreWithHouseholdRequest(cadre_id=ours, household_id=household),
             "county_official", OUTSIDE, DENIED, None),
            ("the prefecture pairs them", P + "PairCadreWithHousehold",
             lambda: pv1.PairCadreWithHouseholdRequest(cadre_id=ours, household_id=household),
             "county_official", "5202", OK, "pairing"),
            ("Shuicheng, the cadre's county, unpairs them", P + "UnpairCadre",
             lambda: pv1.UnpairCadreRequest(pairing_id=got["pairing"]), "county_official", INSIDE, OK, None),
            ("the neighbour assigns its task to Shuicheng's cadre", T + "CreateTask",
             lambda: task(assignee_cadre_id=ours), "county_official", OUTSIDE, DENIED, None),
            ("the neighbour's task names Shuicheng's household", T + "CreateTask",
             lambda: task(village_code="", household_id=shuicheng_household, assignee_cadre_id=theirs),
             "county_official", OUTSIDE, DENIED, None),
            ("the neighbour assigns its task to its own cadre", T + "CreateTask",
             lambda: task(assignee_cadre_id=theirs), "county_official", OUTSIDE, OK, "task"),
            ("the neighbour reassigns it to Shuicheng's cadre", T + "UpdateTask",
             lambda: tv1.UpdateTaskRequest(task=tv1.Task(id=got["task"], assignee_cadre_id=ours),
                                           update_mask={"paths": ["assignee_cadre_id"]}),
             "county_official", OUTSIDE, DENIED, None),
            ("the neighbour's inspection is led by Shuicheng's cadre", A + "CreateInspection",
             lambda: inspection(ours), "inspector", OUTSIDE, DENIED, None),
            ("the neighbour's inspection is led by its own cadre", A + "CreateInspection",
             lambda: inspection(theirs), "inspector", OUTSIDE, OK, "inspection"),
            ("the neighbour visits Shuicheng's household", A + "RecordVisit",
             lambda: av1.RecordVisitRequest(inspection_id=got["inspection"], household_id=shuicheng_household,
                                            observations="Visited", visit_time={"seconds": int(
                                                datetime.datetime(2026, 8, 25).timestamp())}),
             "inspector", OUTSIDE, DENIED, None),
            ("the neighbour's finding names Shuicheng's cadre", A + "CreateFinding",
             lambda: finding(ours), "inspector", OUTSIDE, DENIED, None),
            ("the neighbour's finding names its own cadre", A + "CreateFinding",
             lambda: finding(theirs), "inspector", OUTSIDE, OK, "finding"),
            ("the neighbour's order makes Shuicheng's cadre responsible", A + "IssueRectificationOrder",
             lambda: order(ours, campaign), "inspector", OUTSIDE, DENIED, None),
            ("the neighbour's order runs under Shuicheng's campaign", A + "IssueRectificationOrder",
             lambda: order(theirs, self.demo["campaign_id"]), "inspector", OUTSIDE, DENIED, None),
            ("the neighbour's action disciplines Shuicheng's cadre", A + "RecordAccountabilityAction",
             lambda: av1.RecordAccountabilityActionRequest(action=av1.AccountabilityAction(
                 subject=av1.Subject(cadre_id=ours), kind=av1.ACTION_KIND_WARNING, finding_ids=[got["finding"]],
                 decided_by="Neighbour commission", decision_date=d(datetime.date.today()))),
             "inspector", OUTSIDE, DENIED, None),
        ]
        problems = []
        for what, method, build, role, scope, expected, keep in steps:
            request = build()
            request.request_id = f"cross-{uuid.uuid4().hex[:20]}"
            token = self.suite.token(role, sub=f"cross-{role}-{scope}", regions=(scope,))
            rpc = self.channel.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                                           response_deserializer=lambda b: b)
            before = {s: self.suite.dbs[s].scalar("SELECT COUNT(*) FROM idempotency") for s in self.suite.dbs}
            try:
                raw = rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=30)
                code, details = grpc.StatusCode.OK, ""
            except grpc.RpcError as e:
                code, details = e.code(), e.details()
            after = {s: self.suite.dbs[s].scalar("SELECT COUNT(*) FROM idempotency") for s in self.suite.dbs}
            print(f"  {what} ({role} of {scope}): {code.name}")
            if code != expected:
                problems.append(f"{what} ({role} of {scope}): {code.name} {details!r}, expected {expected.name}")
            if code != OK and before != after:
                problems.append(f"{what}: wrote despite the refusal")
            if keep and code == OK:
                out_type = {"posting": pv1.Posting, "pairing": pv1.Pairing, "task": tv1.Task,
                            "inspection": av1.Inspection, "finding": av1.Finding}[keep]
                got[keep] = out_type.FromString(raw).id
            if keep and keep not in got:
                problems.append(f"{what}: nothing to go on with")
                break
        # A batch is checked task by task exactly as CreateTask: the neighbour's batch naming
        # Shuicheng's cadre, Shuicheng's household or a village outside its scope has those
        # tasks refused in place (PERMISSION_DENIED), its own task created, nothing else.
        token = self.suite.token("county_official", sub="cross-batch", regions=(OUTSIDE,))
        batch = tv1.BatchCreateTasksRequest(request_id=f"cross-{uuid.uuid4().hex[:20]}", tasks=[
            task(assignee_cadre_id=theirs).task, task(assignee_cadre_id=ours).task,
            task(village_code="", household_id=shuicheng_household, assignee_cadre_id=theirs).task,
            task(village_code=shuicheng_village, assignee_cadre_id=theirs).task])
        tasks_before = self.suite.dbs["tasks"].scalar("SELECT COUNT(*) FROM tasks")
        answer = self.channel.unary_unary(T + "BatchCreateTasks", request_serializer=lambda m: m.SerializeToString(),
                                          response_deserializer=tv1.BatchCreateTasksResponse.FromString)(
            batch, metadata=(("authorization", f"Bearer {token}"),), timeout=30)
        codes = [grpc.StatusCode.OK.value[0] if r.HasField("task") else r.error.code for r in answer.results]
        print(f"  the neighbour's batch (own cadre, Shuicheng's cadre, household, village): {codes}")
        denied = grpc.StatusCode.PERMISSION_DENIED.value[0]
        if codes != [0, denied, denied, denied]:
            problems.append(f"the neighbour's batch: results {codes}, expected [0, {denied}, {denied}, {denied}]")
        if self.suite.dbs["tasks"].scalar("SELECT COUNT(*) FROM tasks") != tasks_before + 1:
            problems.append("the neighbour's batch wrote other than its own task")
        self.assertEqual(problems, [], "\n".join(problems))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
