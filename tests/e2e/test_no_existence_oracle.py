#!/usr/bin/python3
"""Issue 18, point 8: outside the caller's scope, "does not exist" and "not yours" look the
same (AIP-211), for every RPC that takes an id, through the real binaries (every service,
audit-query and the gateway, the tiny Shuicheng demo loaded through the API).

The RPCs are found by walking the compiled descriptors: every method of the suite whose
request names an object by id (a string field `id`, `*_id` or `*_ids` at any depth, other
than request_id; the output-only ids of a Create* request name nothing). Each is called
by a principal of the neighbouring county 520222, with a role the contract admits, once
naming an existing Shuicheng (520221) object and once an id that names nothing, for every
id the request carries, in two settings:

- as the demo made the request (Shuicheng's regions and objects);
- "moved": its region codes and every other object it names changed to the neighbour's
  own, so the id under test is the one foreign thing and its check decides.

The two answers must have the same status code, ErrorInfo reason and message once the
id itself is masked (and, for reads that succeed, the same response). The baseline of a
method is the demo's first request of it, or one built in `reads()`; a method with ids and
no baseline fails the test, as does a baseline refused as invalid input, so a new RPC
cannot slip by without a thought. LEGITIMATE lists those that differ, each with why.

CreateTransfers answers per transfer: the results are compared, and a transfer id
Shuicheng already used, named by the neighbour between the neighbour's own accounts, must
be refused for scope (TRANSFER_RESULT_OUT_OF_SCOPE), never EXISTS.

Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import datetime
import hashlib
import os
import sys
import time
import unittest
import uuid

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))
from tuopin_testing import demo_suite  # noqa: E402

ARGS = None
COUNTY, NEIGHBOUR = "520221", "520222"
SERVICES = ("tuopin.personnel.v1.PersonnelService", "tuopin.funds.v1.FundsService",
            "tuopin.tasks.v1.TaskService", "tuopin.accountability.v1.AccountabilityService",
            "tuopin.auditlog.v1.AuditLog", "tuopin.auditquery.v1.AuditQueryService",
            "tuopin.personnel.v1.ExitService", "tuopin.personnel.v1.ExitCriteriaService",
            "tuopin.accountability.v1.AssessmentService")
# Methods whose answers may differ, with the reason. Keep it short: every entry is a place
# where an outsider can tell "missing" from "not yours".
LEGITIMATE = {
    "AuditLog/GetInclusionProofByEventId":
        "the audit log has no region scope: only operators (admin) read it whole; it holds "
        "ids and keyed digests, and auditors read through audit-query, which is scoped",
    "AuditLog/ListEntityEvents": "as GetInclusionProofByEventId: operators and services only",
    "AuditLog/AppendEvents": "services append their own events; no user reaches it",
}
# The first role of each policy in this order calls (never the service role).
ROLE_ORDER = ("county_official", "inspector", "finance_officer", "auditor", "cadre", "admin")
MISSING_PREFIX = "zz-missing-"


def reason_of(e):
    from google.rpc import error_details_pb2, status_pb2
    for key, value in e.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for d in status_pb2.Status.FromString(value).details:
                if d.type_url.endswith("google.rpc.ErrorInfo"):
                    return error_details_pb2.ErrorInfo.FromString(d.value).reason
    return ""


def is_id_field(f):
    from google.protobuf.descriptor import FieldDescriptor
    if f.type != FieldDescriptor.TYPE_STRING or f.name == "request_id":
        return False
    return f.name == "id" or f.name.endswith("_id") or f.name.endswith("_ids")


def output_only(f):
    from tuopin.common.v1 import common_pb2
    return f.GetOptions().Extensions[common_pb2.output_only]


def named_fields(desc, method_name, depth=0):
    """The id fields a request type can carry (paths of field names)."""
    from google.protobuf.descriptor import FieldDescriptor
    out = []
    for f in desc.fields:
        if output_only(f) and not method_name.startswith("Update"):
            continue  # ignored by the server: names nothing
        if is_id_field(f):
            out.append((f.name,))
        elif f.type == FieldDescriptor.TYPE_MESSAGE and depth < 3 and \
                not f.message_type.full_name.startswith("google."):
            out += [(f.name,) + p for p in named_fields(f.message_type, method_name, depth + 1)]
    return out


def set_paths(msg, method_name, prefix=()):
    """The id fields set in a request: paths of (field name, index or None)."""
    from google.protobuf.descriptor import FieldDescriptor
    out = []
    for f in msg.DESCRIPTOR.fields:
        if output_only(f) and not method_name.startswith("Update"):
            continue
        repeated = f.label == FieldDescriptor.LABEL_REPEATED
        value = getattr(msg, f.name)
        if is_id_field(f):
            if repeated and len(value) > 0:
                out.append(prefix + ((f.name, 0),))
            elif not repeated and value:
                out.append(prefix + ((f.name, None),))
        elif f.type == FieldDescriptor.TYPE_MESSAGE and not f.message_type.full_name.startswith("google."):
            if repeated:
                if len(value) > 0:
                    out += set_paths(value[0], method_name, prefix + ((f.name, 0),))
            elif msg.HasField(f.name):
                out += set_paths(value, method_name, prefix + ((f.name, None),))
    return out


def get_at(msg, path):
    for name, index in path[:-1]:
        msg = getattr(msg, name) if index is None else getattr(msg, name)[index]
    name, index = path[-1]
    return getattr(msg, name) if index is None else getattr(msg, name)[index]


def set_at(msg, path, value):
    for name, index in path[:-1]:
        msg = getattr(msg, name) if index is None else getattr(msg, name)[index]
    name, index = path[-1]
    if index is None:
        setattr(msg, name, value)
    else:
        getattr(msg, name)[index] = value


def path_name(path):
    return ".".join(n if i is None else f"{n}[{i}]" for n, i in path)


def truncate_repeated(msg):
    """Keeps one element of every repeated id list or list of messages that carry ids: one
    object a path (a list naming no object, a split's new villages, stays whole: its limits
    may ask for more than one)."""
    from google.protobuf.descriptor import FieldDescriptor
    for f in msg.DESCRIPTOR.fields:
        if f.label != FieldDescriptor.LABEL_REPEATED:
            if f.type == FieldDescriptor.TYPE_MESSAGE and msg.HasField(f.name) and \
                    not f.message_type.full_name.startswith("google."):
                truncate_repeated(getattr(msg, f.name))
            continue
        values = getattr(msg, f.name)
        names_objects = is_id_field(f) or (f.type == FieldDescriptor.TYPE_MESSAGE and
                                           named_fields(f.message_type, ""))
        if names_objects and len(values) > 1:
            del values[1:]
        if f.type == FieldDescriptor.TYPE_MESSAGE and len(values) == 1 and \
                not f.message_type.full_name.startswith("google."):
            truncate_repeated(values[0])


def kind_of(request, path):
    """What kind of object an id field names: "cadre", "household", ..."""
    name = path[-1][0]
    if name == "entity_id":
        return request.entity_type
    if name == "id":
        holder = request
        for n, i in path[:-1]:
            holder = getattr(holder, n) if i is None else getattr(holder, n)[i]
        type_name = holder.DESCRIPTOR.name
        if type_name.endswith("Request"):
            type_name = type_name[:-len("Request")]
            for verb in ("Get", "Update", "Delete"):
                if type_name.startswith(verb):
                    type_name = type_name[len(verb):]
        return type_name.lower()
    base = name[:-4] if name.endswith("_ids") else name[:-3]
    return base.split("_")[-1]


def move_regions(msg):
    """Region codes of Shuicheng moved to the neighbour's (mirrored) ones."""
    from google.protobuf.descriptor import FieldDescriptor
    for f in msg.DESCRIPTOR.fields:
        value = getattr(msg, f.name)
        if f.type == FieldDescriptor.TYPE_STRING and (f.name.endswith("region_code") or f.name.endswith(
                "village_code") or f.name.endswith("region_codes") or (
                f.name == "code" and msg.DESCRIPTOR.full_name == "tuopin.personnel.v1.Region")):
            if f.label == FieldDescriptor.LABEL_REPEATED:
                for k, v in enumerate(value):
                    if v.startswith(COUNTY):
                        value[k] = NEIGHBOUR + v[len(COUNTY):]
            elif value.startswith(COUNTY):
                setattr(msg, f.name, NEIGHBOUR + value[len(COUNTY):])
        elif f.type == FieldDescriptor.TYPE_MESSAGE and not f.message_type.full_name.startswith("google."):
            if f.label == FieldDescriptor.LABEL_REPEATED:
                for m in value:
                    move_regions(m)
            elif msg.HasField(f.name):
                move_regions(value)


class NoExistenceOracleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        sys.path.insert(0, f"{ARGS.build}/python/third_party")
        cls.suite, cls.api, cls.demo = demo_suite(ARGS.build, "no-oracle-", seed=29)
        cls.channel = grpc.insecure_channel(cls.suite.target)
        cls.neighbour = cls.make_neighbour()

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.suite.stop()

    @classmethod
    def rpc(cls, method, request, role, regions, sub=None):
        """(code, message, reason, response bytes) of one call through the gateway."""
        token = cls.suite.token(role, sub=sub or f"oracle-{role}", regions=regions)
        stub = cls.channel.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=lambda b: b)
        for attempt in range(400):  # the gateway's per-person rate limit: back off, bounded
            try:
                return grpc.StatusCode.OK, "", "", stub(request, metadata=(("authorization", f"Bearer {token}"),),
                                                        timeout=60)
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or attempt == 399:
                    return e.code(), e.details() or "", reason_of(e), b""
                time.sleep(0.05)

    @classmethod
    def admin(cls, service, method, request, response_type):
        code, message, _, raw = cls.rpc(f"/{service}/{method}", request, "admin", ("*",), sub="oracle-setup")
        if code != grpc.StatusCode.OK:
            raise RuntimeError(f"{method}: {code.name}: {message}")
        return response_type.FromString(raw)

    @classmethod
    def make_neighbour(cls):
        """The neighbouring county: Shuicheng's region tree mirrored under 520222, and one
        object of each kind of its own (made by an operator)."""
        from tuopin.accountability.v1 import accountability_pb2 as av1
        from tuopin.common.v1 import common_pb2 as cv1
        from tuopin.funds.v1 import funds_pb2 as fv1
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        from tuopin.tasks.v1 import tasks_pb2 as tv1
        P, F, T = "tuopin.personnel.v1.PersonnelService", "tuopin.funds.v1.FundsService", "tuopin.tasks.v1.TaskService"
        A = "tuopin.accountability.v1.AccountabilityService"
        regions, parents = [pv1.Region(code=NEIGHBOUR, name="Neighbour County")], [COUNTY]
        while parents:
            parent = parents.pop()
            for r in cls.admin(P, "ListRegions", pv1.ListRegionsRequest(parent_code=parent, page_size=1000),
                               pv1.ListRegionsResponse).regions:
                regions.append(pv1.Region(code=NEIGHBOUR + r.code[len(COUNTY):], name=f"{r.name} (neighbour)"))
                parents.append(r.code)
        regions.sort(key=lambda r: len(r.code))
        cls.admin(P, "ImportRegions", pv1.ImportRegionsRequest(request_id="oracle-regions", regions=regions),
                  pv1.ImportRegionsResponse)
        village = max(r.code for r in regions if len(r.code) == 12)
        township = village[:9]
        nb = {"village": village}
        nb["cadre"] = cls.admin(P, "CreateCadre", pv1.CreateCadreRequest(request_id="oracle-cadre", cadre=pv1.Cadre(
            employee_number="NB-0001", name="Neighbour cadre", origin_level=pv1.ORIGIN_LEVEL_COUNTY,
            dispatching_unit="Neighbour County Government", home_region_code="520201100",
            managing_region_code=NEIGHBOUR)), pv1.Cadre).id
        nb["household"] = cls.admin(P, "CreateHousehold", pv1.CreateHouseholdRequest(
            request_id="oracle-household", household=pv1.Household(
                village_code=village, head_name="Neighbour head", member_count=3,
                status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR, income_per_head_fen=300000)), pv1.Household).id
        nb["posting"] = cls.admin(P, "PostCadre", pv1.PostCadreRequest(
            request_id="oracle-post", cadre_id=nb["cadre"], village_code=village,
            role=pv1.POSTING_ROLE_TEAM_MEMBER, start_date=cv1.Date(year=2026, month=1, day=5)), pv1.Posting).id
        nb["pairing"] = cls.admin(P, "PairCadreWithHousehold", pv1.PairCadreWithHouseholdRequest(
            request_id="oracle-pair", cadre_id=nb["cadre"], household_id=nb["household"]), pv1.Pairing).id
        start = datetime.date.today() - datetime.timedelta(days=200)
        nb["campaign"] = cls.admin(T, "CreateCampaign", tv1.CreateCampaignRequest(
            request_id="oracle-campaign", campaign=tv1.Campaign(
                region_code=NEIGHBOUR, name="Neighbour campaign",
                start_date=cv1.Date(year=start.year, month=start.month, day=start.day),
                stage_days=[150, 150, 150])), tv1.Campaign).id
        due = datetime.date.today() + datetime.timedelta(days=60)
        nb["task"] = cls.admin(T, "CreateTask", tv1.CreateTaskRequest(request_id="oracle-task", task=tv1.Task(
            campaign_id=nb["campaign"], stage=tv1.STAGE_FIX_SHORTCOMINGS, sector=cv1.SECTOR_RURAL_ROADS,
            village_code=village, title="Harden the road", assignee_cadre_id=nb["cadre"],
            deadline=cv1.Date(year=due.year, month=due.month, day=due.day), priority=tv1.PRIORITY_NORMAL)),
            tv1.Task).id
        nb["inspection"] = cls.admin(A, "CreateInspection", av1.CreateInspectionRequest(
            request_id="oracle-inspection", inspection=av1.Inspection(
                kind=av1.INSPECTION_KIND_UNANNOUNCED_VISIT, group_name="Neighbour group",
                leader_cadre_ids=[nb["cadre"]], target_region_codes=[township],
                start_date=cv1.Date(year=2026, month=8, day=21), end_date=cv1.Date(year=2026, month=9, day=3),
                sample_size=1, seed_commitment=hashlib.sha256(b"neighbour seed").hexdigest())),
            av1.Inspection).id
        nb["finding"] = cls.admin(A, "CreateFinding", av1.CreateFindingRequest(
            request_id="oracle-finding", finding=av1.Finding(
                inspection_id=nb["inspection"], category=av1.FINDING_CATEGORY_SLOW_PROGRESS,
                sector=cv1.SECTOR_RURAL_ROADS, region_code=village, subject=av1.Subject(cadre_id=nb["cadre"]),
                severity=av1.SEVERITY_MODERATE, description="Road work stalled")), av1.Finding).id
        nb["order"] = cls.admin(A, "IssueRectificationOrder", av1.IssueRectificationOrderRequest(
            request_id="oracle-order", finding_ids=[nb["finding"]], responsible=av1.Subject(cadre_id=nb["cadre"]),
            deadline=cv1.Date(year=due.year, month=due.month, day=due.day), campaign_id=nb["campaign"]),
            av1.RectificationOrder).id
        nb["account"] = cls.admin(F, "CreateAccount", fv1.CreateAccountRequest(
            request_id="oracle-pool", account=fv1.Account(code="NB-POOL", kind=fv1.ACCOUNT_KIND_POOL,
                                                          name="Neighbour pool", region_code=NEIGHBOUR)),
            fv1.Account).id
        nb["project"] = cls.admin(F, "CreateAccount", fv1.CreateAccountRequest(
            request_id="oracle-project", account=fv1.Account(
                code="NB-PRJ", kind=fv1.ACCOUNT_KIND_PROJECT, name="Neighbour road", region_code=village,
                sector=cv1.SECTOR_RURAL_ROADS)), fv1.Account).id
        # Money in the neighbour's pool: a transfer of its own is then accepted unless its
        # id decides otherwise.
        source = cls.admin(F, "CreateAccount", fv1.CreateAccountRequest(
            request_id="oracle-source", account=fv1.Account(
                code="NB-SRC", kind=fv1.ACCOUNT_KIND_SOURCE, name="Neighbour county budget",
                region_code=NEIGHBOUR, source_level=fv1.SOURCE_LEVEL_COUNTY)), fv1.Account).id
        funded = cls.admin(F, "CreateTransfers", fv1.CreateTransfersRequest(
            request_id="oracle-fund", transfers=[fv1.Transfer(
                id="oracle-fund-1", debit_account_id=source, credit_account_id=nb["account"],
                amount_fen=10_000_000_000_00, kind=fv1.TRANSFER_KIND_APPROPRIATION)]), fv1.CreateTransfersResponse)
        assert list(funded.results) == [fv1.TRANSFER_RESULT_OK], funded
        cls.make_neighbour_exit(nb, village)
        return nb

    @classmethod
    def make_neighbour_exit(cls, nb, village):
        """The neighbour's own exit application and assessment (issue 20), judged by the
        demo's standard of 2019."""
        from tuopin.accountability.v1 import assessment_pb2 as sv1
        from tuopin.personnel.v1 import exit_pb2 as ev1
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        P, E = "tuopin.personnel.v1.PersonnelService", "tuopin.personnel.v1.ExitService"
        C, S = "tuopin.personnel.v1.ExitCriteriaService", "tuopin.accountability.v1.AssessmentService"
        ready = cls.admin(P, "CreateHousehold", pv1.CreateHouseholdRequest(
            request_id="oracle-ready-household", household=pv1.Household(
                village_code=village, head_name="Neighbour head 2", member_count=3,
                status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR, income_per_head_fen=900000,
                indicators=pv1.Indicators(food=True, clothing=True, compulsory_education=True,
                                          basic_medical_care=True, housing_safety=True,
                                          drinking_water_safety=True))), pv1.Household).id
        # GetExitApplicationRequest.id is "exitapplication" to kind_of, application_id "application".
        nb["application"] = nb["exitapplication"] = cls.admin(E, "ProposeExit", ev1.ProposeExitRequest(
            request_id="oracle-propose", household_id=ready, year=2019, note="Neighbour's proposal"),
            ev1.ExitApplication).id
        cls.admin(C, "SetVillageProfile", ev1.SetVillageProfileRequest(
            request_id="oracle-profile", profile=ev1.VillageProfile(village_code=village, rural_population=100)),
            ev1.VillageProfile)
        nb["assessment"] = cls.admin(S, "CreateAssessment", sv1.CreateAssessmentRequest(
            request_id="oracle-assessment", assessment=sv1.Assessment(
                county_code=NEIGHBOUR, year=2019, assessor_organisation="Neighbour assessors",
                village_sample_size=1, exited_per_village=1, registered_per_village=1,
                non_registered_per_village=1, seed_commitment=hashlib.sha256(b"neighbour").hexdigest())),
            sv1.Assessment).id

    def reads(self):
        """Baselines of the methods the demo does not call: Shuicheng's objects by id."""
        from tuopin.accountability.v1 import accountability_pb2 as av1
        from tuopin.auditquery.v1 import auditquery_pb2 as qv1
        from tuopin.common.v1 import common_pb2 as cv1
        from tuopin.funds.v1 import funds_pb2 as fv1
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        from tuopin.tasks.v1 import tasks_pb2 as tv1
        a = self.api.answers
        hh = a["/tuopin.personnel.v1.PersonnelService/CreateHousehold"].id
        cadre = a["/tuopin.personnel.v1.PersonnelService/CreateCadre"].id
        task = a["/tuopin.tasks.v1.TaskService/CreateTask"]
        inspection = a["/tuopin.accountability.v1.AccountabilityService/CreateInspection"].id
        campaign, account = self.demo["campaign_id"], self.demo["project_account_id"]
        P, F, T = "tuopin.personnel.v1.PersonnelService", "tuopin.funds.v1.FundsService", "tuopin.tasks.v1.TaskService"
        A, Q = "tuopin.accountability.v1.AccountabilityService", "tuopin.auditquery.v1.AuditQueryService"
        d = cv1.Date
        order = a["/tuopin.accountability.v1.AccountabilityService/IssueRectificationOrder"].id
        # The order verbs the demo's dice may not have thrown.
        verbs = [(A, name, req) for name, req in (
            ("SubmitRectification", av1.SubmitRectificationRequest(order_id=order, note="Done")),
            ("VerifyRectification", av1.VerifyRectificationRequest(order_id=order)),
            ("RejectRectification", av1.RejectRectificationRequest(order_id=order, reason="Not done")))
            if f"/{A}/{name}" not in self.api.first]
        return verbs + [
            (P, "ListPostings", pv1.ListPostingsRequest(cadre_id=cadre)),
            (P, "ListPairings", pv1.ListPairingsRequest(cadre_id=cadre)),
            (P, "ListPairings", pv1.ListPairingsRequest(household_id=hh)),
            (P, "GetHouseholdHistory", pv1.GetHouseholdHistoryRequest(household_id=hh)),
            (P, "GetAttendance", pv1.GetAttendanceRequest(cadre_id=cadre, from_date=d(year=2026, month=1, day=1),
                                                          to_date=d(year=2026, month=6, day=1))),
            (T, "GetCampaign", tv1.GetCampaignRequest(id=campaign)),
            (T, "ListTasks", tv1.ListTasksRequest(region_code=COUNTY, campaign_id=campaign,
                                                  assignee_cadre_id=task.assignee_cadre_id)),
            (T, "GetSectorProgress", tv1.GetSectorProgressRequest(region_code=COUNTY, campaign_id=campaign)),
            (T, "GetStageGate", tv1.GetStageGateRequest(campaign_id=campaign)),
            (F, "GetAccount", fv1.GetAccountRequest(id=account)),
            (F, "ListTransfers", fv1.ListTransfersRequest(account_id=account)),
            (F, "TraceFunds", fv1.TraceFundsRequest(account_id=account)),
            (A, "GetInspection", av1.GetInspectionRequest(id=inspection)),
            (A, "ListFindings", av1.ListFindingsRequest(region_code=COUNTY, inspection_id=inspection,
                                                        subject_cadre_id=self.demo["cadre_with_findings"])),
            (A, "ListAccountabilityActions", av1.ListAccountabilityActionsRequest(
                region_code=COUNTY, subject_cadre_id=self.demo["cadre_with_findings"])),
            # A village project account linked to one of Shuicheng's tasks (the demo's first
            # account is a source, which names no object).
            (F, "CreateAccount", fv1.CreateAccountRequest(account=fv1.Account(
                code="ORACLE-PRJ", kind=fv1.ACCOUNT_KIND_PROJECT, name="Oracle project",
                region_code=task.village_code, sector=cv1.SECTOR_RURAL_ROADS, task_id=task.id))),
            (Q, "GetEntityHistory", qv1.GetEntityHistoryRequest(entity_type="household", entity_id=hh)),
            (Q, "GetCadreDossier", qv1.GetCadreDossierRequest(cadre_id=cadre)),
            (Q, "TraceFunds", qv1.TraceFundsRequest(account_id=account)),
            (Q, "GetScorecard", qv1.GetScorecardRequest(region_code=COUNTY, campaign_id=campaign)),
            # A split of the household's village assigning it (the demo merges, never splits).
            (P, "SplitVillage", self.split_baseline(a["/tuopin.personnel.v1.PersonnelService/CreateHousehold"])),
        ] + self.exit_reads()

    @staticmethod
    def split_baseline(household):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        town = household.village_code[:9]
        return pv1.SplitVillageRequest(
            village_code=household.village_code, decision_reference="Oracle split (illustrative)",
            new_villages=[pv1.Region(code=town + "901", name="Oracle A"), pv1.Region(code=town + "902", name="Oracle B")],
            assignments=[pv1.HouseholdAssignment(household_id=household.id, village_code=town + "901")])

    def exit_reads(self):
        """Baselines of the exit workflow (issue 20) the demo does not make: its reads, and
        the steps beyond the notice period (which cannot pass during a load)."""
        from tuopin.accountability.v1 import assessment_pb2 as sv1
        from tuopin.auditquery.v1 import auditquery_pb2 as qv1
        from tuopin.personnel.v1 import exit_pb2 as ev1
        E, S = "tuopin.personnel.v1.ExitService", "tuopin.accountability.v1.AssessmentService"
        Q = "tuopin.auditquery.v1.AuditQueryService"
        application, assessment = self.demo["exit_application_id"], self.demo["assessment_id"]
        hh = self.api.answers["/tuopin.personnel.v1.PersonnelService/CreateHousehold"].id
        out = [
            (E, "GetExitApplication", ev1.GetExitApplicationRequest(id=application)),
            (E, "ConfirmExit", ev1.ConfirmExitRequest(application_id=application, confirmation="Signed")),
            (E, "ReverseExit", ev1.ReverseExitRequest(household_id=hh, reference="findings/oracle")),
            (S, "GetAssessment", sv1.GetAssessmentRequest(id=assessment)),
            (S, "GetAssessmentSample", sv1.GetAssessmentSampleRequest(assessment_id=assessment)),
            (S, "ListAssessmentVisits", sv1.ListAssessmentVisitsRequest(assessment_id=assessment)),
            (Q, "GetAssessmentReport", qv1.GetAssessmentReportRequest(assessment_id=assessment)),
        ]
        return [(service, name, r) for service, name, r in out if f"/{service}/{name}" not in self.api.first]

    def baselines(self):
        """(service, method, request) of every baseline: the demo's first request of each
        method, then reads()."""
        out = []
        for full, (request, _, _) in sorted(self.api.first.items()):
            _, service, name = full.split("/")
            out.append((service, name, request))
        return out + self.reads()

    def role_for(self, method_desc):
        from tuopin.common.v1 import common_pb2
        policy = method_desc.GetOptions().Extensions[common_pb2.policy]
        names = {common_pb2.Role.Name(r)[len("ROLE_"):].lower() for r in policy.roles}
        for role in ROLE_ORDER:
            if role in names:
                return role
        return None

    def fresh(self, request, tag):
        r = type(request)()
        r.CopyFrom(request)
        if "request_id" in r.DESCRIPTOR.fields_by_name:
            r.request_id = f"oracle-{uuid.uuid4().hex[:24]}"
        # Values that must be unique (an account's code, a cadre's employee number) would
        # make the second of two successful creations fail: each call gets its own.
        for holder, field in (("account", "code"), ("cadre", "employee_number")):
            if holder in r.DESCRIPTOR.fields_by_name and r.HasField(holder):
                setattr(getattr(r, holder), field, f"OR-{tag}-{uuid.uuid4().hex[:8]}")
        return r

    def move(self, request, path, nb, method_name):
        """The request with its regions and every other object moved to the neighbour's."""
        r = type(request)()
        r.CopyFrom(request)
        move_regions(r)
        for other in set_paths(r, method_name):
            if other == path:
                continue
            name = other[-1][0]
            if name == "debit_account_id":
                set_at(r, other, nb["account"])
            elif name == "credit_account_id":
                set_at(r, other, nb["project"])
            elif kind_of(r, other) in nb:
                set_at(r, other, nb[kind_of(r, other)])
        return r

    def compare(self, method, mutating, existing_id, missing_id, a, b):
        """Problems of answers a (the existing object) and b (the missing one)."""
        from google.protobuf import text_format
        code_a, msg_a, reason_a, raw_a = a
        code_b, msg_b, reason_b, raw_b = b
        problems = []
        if code_a != code_b:
            problems.append(f"{code_a.name} for another county's object, {code_b.name} for a missing one "
                            f"({msg_a!r} / {msg_b!r})")
        elif reason_a != reason_b:
            problems.append(f"reasons {reason_a} / {reason_b}")
        elif msg_a.replace(existing_id, "<id>") != msg_b.replace(missing_id, "<id>"):
            problems.append(f"messages differ: {msg_a!r} / {msg_b!r}")
        elif code_a == grpc.StatusCode.OK and method.endswith("FundsService/CreateTransfers"):
            from tuopin.funds.v1 import funds_pb2 as fv1
            ra = [fv1.TransferResult.Name(x) for x in fv1.CreateTransfersResponse.FromString(raw_a).results]
            rb = [fv1.TransferResult.Name(x) for x in fv1.CreateTransfersResponse.FromString(raw_b).results]
            if ra != rb:
                problems.append(f"transfer results {ra} / {rb}")
        elif code_a == grpc.StatusCode.OK and method.endswith("TaskService/BatchCreateTasks"):
            # Per-task answers: a task naming another county's object and one naming a
            # missing object are refused alike (code, reason, message, fields).
            from tuopin.tasks.v1 import tasks_pb2 as tv1

            def items(raw, object_id):
                return [text_format.MessageToString(r.error).replace(object_id, "<id>") if r.HasField("error")
                        else "created" for r in tv1.BatchCreateTasksResponse.FromString(raw).results]
            ia, ib = items(raw_a, existing_id), items(raw_b, missing_id)
            if ia != ib:
                problems.append(f"task results differ:\n{ia}\n---\n{ib}")
        elif code_a == grpc.StatusCode.OK and not mutating:
            from google.protobuf import descriptor_pool, symbol_database
            out_type = descriptor_pool.Default().FindMethodByName(method.strip("/").replace("/", ".")).output_type
            cls = symbol_database.Default().GetSymbol(out_type.full_name)
            ta = text_format.MessageToString(cls.FromString(raw_a)).replace(existing_id, "<id>")
            tb = text_format.MessageToString(cls.FromString(raw_b)).replace(missing_id, "<id>")
            if ta != tb:
                problems.append(f"responses differ:\n{ta[:400]}\n---\n{tb[:400]}")
        return problems

    def test_missing_and_not_yours_answer_alike_for_every_rpc_with_an_id(self):
        from google.protobuf import descriptor_pool
        from tuopin.accountability.v1 import accountability_pb2  # noqa: F401 (descriptors)
        from tuopin.auditlog.v1 import auditlog_pb2  # noqa: F401
        from tuopin.auditquery.v1 import auditquery_pb2  # noqa: F401
        from tuopin.common.v1 import common_pb2
        from tuopin.funds.v1 import funds_pb2  # noqa: F401
        from tuopin.personnel.v1 import personnel_pb2  # noqa: F401
        from tuopin.tasks.v1 import tasks_pb2  # noqa: F401
        from tuopin.accountability.v1 import assessment_pb2  # noqa: F401
        from tuopin.personnel.v1 import exit_pb2  # noqa: F401
        pool = descriptor_pool.Default()
        with_ids = {}
        for s in SERVICES:
            for m in pool.FindServiceByName(s).methods:
                if named_fields(m.input_type, m.name):
                    with_ids[f"{s.split('.')[-1]}/{m.name}"] = m
        baselines = {}
        for service, name, request in self.baselines():
            baselines.setdefault(f"{service.split('.')[-1]}/{name}", []).append((service, request))
        problems, rows, checked = [], [], set()
        for key, m in sorted(with_ids.items()):
            if key in LEGITIMATE:
                continue
            if key not in baselines:
                problems.append(f"{key}: takes an id but has no baseline request here (add one to reads(), "
                                f"or to LEGITIMATE with the reason)")
                continue
            role = self.role_for(m)
            mutating = m.GetOptions().Extensions[common_pb2.policy].mutating
            if role is None:
                problems.append(f"{key}: no user role may call it: add it to LEGITIMATE with the reason")
                continue
            for service, baseline in baselines[key]:
                method = f"/{service}/{m.name}"
                base = type(baseline)()
                base.CopyFrom(baseline)
                truncate_repeated(base)
                paths = set_paths(base, m.name)
                for path in paths:
                    for setting in ("as made", "moved"):
                        request = base if setting == "as made" else self.move(base, path, self.neighbour, m.name)
                        existing_id = get_at(request, path)
                        missing_id = MISSING_PREFIX + uuid.uuid4().hex[:16]
                        missing = type(request)()
                        missing.CopyFrom(request)
                        set_at(missing, path, missing_id)
                        a = self.rpc(method, self.fresh(request, "a"), role, (NEIGHBOUR,))
                        b = self.rpc(method, self.fresh(missing, "b"), role, (NEIGHBOUR,))
                        where = f"{key} {path_name(path)} ({setting}, as {role} of {NEIGHBOUR})"
                        rows.append(f"{where}: {a[0].name} / {b[0].name}")
                        checked.add(key)
                        if a[0] == grpc.StatusCode.INVALID_ARGUMENT and setting == "as made":
                            problems.append(f"{where}: the baseline is refused as invalid ({a[1]!r}): the check "
                                            f"proves nothing")
                            continue
                        if key == "FundsService/CreateTransfers" and setting == "moved" and \
                                path[-1][0] == "id":
                            continue  # the transfer id namespace: test_a_used_transfer_id_is_no_oracle
                        problems += [f"{where}: {p}" for p in self.compare(method, mutating, existing_id,
                                                                           missing_id, a, b)]
        for key in sorted(set(with_ids) - set(LEGITIMATE) - checked):
            if key in baselines:
                problems.append(f"{key}: no baseline names an object: add one to reads()")
        print(f"{len(rows)} call pairs over {len(checked)} RPCs that take ids:\n  " + "\n  ".join(rows))
        self.assertGreaterEqual(len(checked), 61)
        self.assertEqual(problems, [], "\n".join(problems))

    def test_a_used_transfer_id_is_no_oracle(self):
        """A transfer id Shuicheng used, named by the neighbour's finance officer for a
        transfer between the neighbour's own accounts: OUT_OF_SCOPE, never EXISTS."""
        from tuopin.funds.v1 import funds_pb2 as fv1
        first, _, _ = self.api.first["/tuopin.funds.v1.FundsService/CreateTransfers"]
        used = first.transfers[0].id
        # (The first amount makes the transfer differ from Shuicheng's only in its accounts.)
        for amount in (first.transfers[0].amount_fen, 1):
            request = fv1.CreateTransfersRequest(request_id=f"oracle-{uuid.uuid4().hex[:20]}", transfers=[
                fv1.Transfer(id=used, debit_account_id=self.neighbour["account"],
                             credit_account_id=self.neighbour["project"], amount_fen=amount,
                             kind=fv1.TRANSFER_KIND_ALLOCATION)])
            code, message, _, raw = self.rpc("/tuopin.funds.v1.FundsService/CreateTransfers", request,
                                             "finance_officer", (NEIGHBOUR,))
            self.assertEqual(code, grpc.StatusCode.OK, message)
            results = list(fv1.CreateTransfersResponse.FromString(raw).results)
            self.assertEqual(results, [fv1.TRANSFER_RESULT_OUT_OF_SCOPE],
                             [fv1.TransferResult.Name(r) for r in results])
        # A fresh id is accepted: the id namespace is global, so a taken id is refused (for
        # scope, as anything the caller may not see), never described.
        fresh = fv1.CreateTransfersRequest(request_id=f"oracle-{uuid.uuid4().hex[:20]}", transfers=[
            fv1.Transfer(id=f"oracle-{uuid.uuid4().hex[:20]}", debit_account_id=self.neighbour["account"],
                         credit_account_id=self.neighbour["project"], amount_fen=1,
                         kind=fv1.TRANSFER_KIND_ALLOCATION)])
        code, message, _, raw = self.rpc("/tuopin.funds.v1.FundsService/CreateTransfers", fresh,
                                         "finance_officer", (NEIGHBOUR,))
        self.assertEqual(list(fv1.CreateTransfersResponse.FromString(raw).results), [fv1.TRANSFER_RESULT_OK])
        # Shuicheng's operator still gets EXISTS for its transfer.
        retry = fv1.CreateTransfersRequest(request_id=f"oracle-{uuid.uuid4().hex[:20]}",
                                           transfers=[first.transfers[0]])
        code, message, _, raw = self.rpc("/tuopin.funds.v1.FundsService/CreateTransfers", retry, "admin", (COUNTY,))
        self.assertEqual(code, grpc.StatusCode.OK, message)
        self.assertEqual(list(fv1.CreateTransfersResponse.FromString(raw).results), [fv1.TRANSFER_RESULT_EXISTS])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
