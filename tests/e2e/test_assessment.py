#!/usr/bin/python3
"""The third-party assessment of a county's exit, end to end through the real binaries
(every service, audit-query and the gateway on the test MariaDB).

A standard (2019, "52") and village profiles are set, households of every stratum are
created (the exited ones by an admin, with a prior exit), and an inspector whose scope is
the province assesses the county. The test then recomputes in Python, from what anyone can
read, everything the service computed:
- the population digest, from ListHouseholds and the profiles;
- the sample, from the revealed seed and the server nonce the reveal publishes, by the draw
  the contract describes;
- the four figures (numerators, denominators, value_bp, pass) and the gate, from the raw
  visit answers, the sample (its people are the register's, frozen: the assessors' head
  counts, made to differ here, weigh nothing) and the register snapshot;
and checks that the wrongly exited households are back on the register with the
assessment's reference, that a county's own inspector is refused (NOT_INDEPENDENT), that
the gate flips exactly at the wrongful-exit threshold (1/50 = 2.00 % passes, 1/48 = 2.08 %
fails) and, with the thresholds set as data, at each of the other three, and that
audit-query's assessment report proves every step from the log.

Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import hashlib
import os
import struct
import sys
import tempfile
import time
import unittest

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))
from tlog_verify import leaf_hash, parse_checkpoint, verify_inclusion, verify_note  # noqa: E402
from tuopin_testing import Suite, error_reason  # noqa: E402

ARGS = None
P = "tuopin.personnel.v1.PersonnelService"
X = "tuopin.personnel.v1.ExitCriteriaService"
A = "tuopin.accountability.v1.AssessmentService"
AQ = "tuopin.auditquery.v1.AuditQueryService"
LINE_FEN = 374700  # the 2019 line used here, 3,747 yuan per person per year
EXITED, REGISTERED, NON_REGISTERED = 1, 2, 3
NAMES = ("comprehensive_poverty_incidence", "wrongful_exit_rate", "missed_rate", "approval")


def draw(seed, sorted_ids, k):
    """The inspections' draw (accountability.proto, Sample)."""
    ids = list(sorted_ids)
    take = min(len(ids), max(0, k))
    for i in range(take):
        h = hashlib.sha256(seed + struct.pack(">Q", i)).digest()
        j = i + struct.unpack(">Q", h[:8])[0] % (len(ids) - i)
        ids[i], ids[j] = ids[j], ids[i]
    return ids[:take]


def sub_seed(seed, nonce, assessment_id, label):
    """SHA-256(seed || nonce || assessment id || label) (RevealAssessmentSample)."""
    return hashlib.sha256(seed + nonce + assessment_id.encode("ascii") + label.encode("ascii")).digest()


def ratio(name, num, den, at_most, threshold):
    """A criterion as common/exit_criteria.h decides it: exactly, a zero denominator fails,
    value_bp rounded half up."""
    value = (num * 20000 + den) // (2 * den) if den > 0 else 0
    ok = den > 0 and (num * 10000 <= threshold * den if at_most else num * 10000 >= threshold * den)
    return {"name": name, "numerator": num, "denominator": den, "value_bp": value,
            "comparison": 1 if at_most else 2, "threshold_bp": threshold, "pass": ok}


def round_half_up(a, b, c):
    return (2 * a * b + c) // (2 * c) if c > 0 else 0


class AssessmentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        sys.path.insert(0, f"{ARGS.build}/python/third_party")
        from tuopin.accountability.v1 import assessment_pb2
        from tuopin.auditlog.v1 import auditlog_pb2
        from tuopin.auditquery.v1 import auditquery_pb2
        from tuopin.personnel.v1 import exit_pb2, personnel_pb2
        cls.sv1, cls.lv1, cls.qv1, cls.xv1, cls.pv1 = (assessment_pb2, auditlog_pb2, auditquery_pb2, exit_pb2,
                                                       personnel_pb2)
        cls.suite = Suite(ARGS.build, tempfile.mkdtemp(prefix="assessment-"))
        try:
            cls.channel = grpc.insecure_channel(cls.suite.target)
            cls.rid = 0
            cls.load()
        except Exception:
            cls.suite.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.suite.stop()

    @classmethod
    def call(cls, service, method, request, response_type, role="admin", regions=("*",), sub=None):
        rpc = cls.channel.unary_unary(f"/{service}/{method}", request_serializer=lambda m: m.SerializeToString(),
                                      response_deserializer=response_type.FromString)
        token = cls.suite.token(role, sub=sub or f"{role}-assess", regions=regions)
        return rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=60)

    @classmethod
    def next_rid(cls, label):
        cls.rid += 1
        return f"assess-{label}-{cls.rid}"

    @classmethod
    def inspector(cls, service, method, request, response_type, regions=("52",), sub="inspector-province"):
        return cls.call(service, method, request, response_type, role="inspector", regions=regions, sub=sub)

    @classmethod
    def load(cls):
        """Regions, the standard, profiles and households:
        - county 520221, one township, four villages; per village 6 exited households (one
          at risk of returning), 4 registered poor and 5 not poor;
        - counties 520222 and 520223, one village each, for the gate's threshold: 10 exited
          households, one of them of 1 person, of 50 and 48 people in all."""
        pv1, xv1 = cls.pv1, cls.xv1
        regions = [pv1.Region(code="52", name="Guizhou Province"), pv1.Region(code="5202", name="Liupanshui")]
        cls.villages = {"520221": [f"520221100{v:03d}" for v in range(1, 5)],
                        "520222": ["520222100001"], "520223": ["520223100001"], "520224": ["520224100001"]}
        for county, villages in cls.villages.items():
            regions.append(pv1.Region(code=county, name=f"County {county}"))
            regions.append(pv1.Region(code=county + "100", name=f"Township {county}100"))
            regions += [pv1.Region(code=v, name=f"Village {v}") for v in villages]
        cls.call(P, "ImportRegions", pv1.ImportRegionsRequest(request_id=cls.next_rid("regions"), regions=regions),
                 pv1.ImportRegionsResponse)
        cls.standard = xv1.PovertyStandard(
            year=2019, province_code="52", poverty_line_fen=LINE_FEN, village_incidence_max_bp=300,
            county_incidence_max_bp=300, wrongful_exit_max_bp=200, missed_max_bp=200, approval_min_bp=9000,
            notice_days=7, source="test: 《贫困县退出专项评估检查实施办法》 (2017), western provinces")
        cls.call(X, "SetPovertyStandard", xv1.SetPovertyStandardRequest(
            request_id=cls.next_rid("standard"), standard=cls.standard), xv1.PovertyStandard)
        for villages in cls.villages.values():
            for v in villages:
                cls.call(X, "SetVillageProfile", xv1.SetVillageProfileRequest(
                    request_id=cls.next_rid("profile"), profile=xv1.VillageProfile(
                        village_code=v, rural_population=1000, services=xv1.VillageServices(
                            hardened_road=True, safe_drinking_water=True, electricity=True,
                            clinic_with_doctor=True, school_access=True, broadband=True))),
                    xv1.VillageProfile)
        for i, v in enumerate(cls.villages["520221"]):
            for h in range(6):
                cls.household(v, "AT_RISK_OF_RETURN" if h == 5 else "LIFTED_OUT", 1 + (i + h) % 5)
            for h in range(4):
                cls.household(v, "REGISTERED_POOR", 2 + (i * 3 + h) % 4)
            for h in range(5):
                cls.household(v, "NOT_POOR", 1 + (i + 2 * h) % 6)
        for county, people in (("520222", 50), ("520223", 48)):
            v = cls.villages[county][0]
            cls.household(v, "LIFTED_OUT", 1)
            rest = people - 1
            for h in range(9):
                cls.household(v, "LIFTED_OUT", rest // 9 + (1 if h < rest % 9 else 0))
            cls.household(v, "NOT_POOR", 4)
        # 520224: 25 registered poor, 75 exited and 900 non-registered people; three of the
        # five non-registered households (18 people) will be found missed.
        v = cls.villages["520224"][0]
        for h in range(5):
            cls.household(v, "REGISTERED_POOR", 5)
        for h in range(10):
            cls.household(v, "LIFTED_OUT", 7 if h < 5 else 8)
        for members in (6, 6, 6, 4, 4):
            cls.household(v, "NOT_POOR", members)

    @classmethod
    def household(cls, village, status, members):
        pv1 = cls.pv1
        hh = pv1.Household(village_code=village, head_name=f"Head {cls.rid}", member_count=members,
                           status=getattr(pv1, "HOUSEHOLD_STATUS_" + status), income_per_head_fen=LINE_FEN + 50000,
                           indicators=cls.all_indicators(True))
        if status in ("LIFTED_OUT", "AT_RISK_OF_RETURN"):
            hh.prior_exit.year = 2018
            hh.prior_exit.reference = f"GZ-2018-{village[:6]}-{cls.rid:04d}"
        return cls.call(P, "CreateHousehold", pv1.CreateHouseholdRequest(
            request_id=cls.next_rid("hh"), household=hh), pv1.Household)

    @classmethod
    def all_indicators(cls, value):
        return cls.pv1.Indicators(food=value, clothing=value, compulsory_education=value, basic_medical_care=value,
                                  housing_safety=value, drinking_water_safety=value)

    # --- reading the register and recomputing ------------------------------------------

    def households_of(self, county):
        pv1 = self.pv1
        out, token = [], ""
        while True:
            resp = self.call(P, "ListHouseholds", pv1.ListHouseholdsRequest(
                region_code=county, page_size=1000, page_token=token), pv1.ListHouseholdsResponse)
            out += resp.households
            token = resp.next_page_token
            if not token:
                return out

    def stratum(self, status):
        pv1 = self.pv1
        return {pv1.HOUSEHOLD_STATUS_LIFTED_OUT: EXITED, pv1.HOUSEHOLD_STATUS_AT_RISK_OF_RETURN: EXITED,
                pv1.HOUSEHOLD_STATUS_REGISTERED_POOR: REGISTERED, pv1.HOUSEHOLD_STATUS_NOT_POOR: NON_REGISTERED}[status]

    def expected_population(self, county):
        """(digest, population {(village, stratum): sorted ids}, people by id, snapshot)."""
        households = self.households_of(county)
        population, people = {}, {}
        for h in households:
            population.setdefault((h.village_code, self.stratum(h.status)), []).append(h.id)
            people[h.id] = h.member_count
        for ids in population.values():
            ids.sort()
        lines = sorted(f"{v}/{s}/{i}" for (v, s), ids in population.items() for i in ids)
        digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
        rural = 1000 * len(self.villages[county])
        registered = sum(h.member_count for h in households if self.stratum(h.status) == REGISTERED)
        exited = sum(h.member_count for h in households if self.stratum(h.status) == EXITED)
        village_non_registered = {v: 1000 - sum(h.member_count for h in households if h.village_code == v and
                                                self.stratum(h.status) != NON_REGISTERED)
                                  for v in self.villages[county]}
        snapshot = {"rural_population": rural, "registered_poor_people": registered, "exited_people": exited,
                    "non_registered_people": rural - registered - exited}
        return digest, population, people, snapshot, village_non_registered, len(lines)

    def expected_sample(self, seed, a, population):
        """`a` as read after the reveal, with its server nonce."""
        self.assertEqual(len(a.server_nonce_hex), 64)
        nonce = bytes.fromhex(a.server_nonce_hex)
        villages = draw(sub_seed(seed, nonce, a.id, "villages"), sorted(self.villages[a.county_code]),
                        a.village_sample_size)
        sample = []
        for v in villages:
            for s, k in ((EXITED, a.exited_per_village), (REGISTERED, a.registered_per_village),
                         (NON_REGISTERED, a.non_registered_per_village)):
                ids = population.get((v, s), [])
                sample += [(h, v, s) for h in draw(sub_seed(seed, nonce, a.id, f"households/{v}/{s}"), ids, k)]
        return villages, sample

    def expected_gate(self, a, sample, visits):
        """The four figures and the gate from the raw answers (assessment.proto,
        AssessmentGate)."""
        std, reg = a.standard, a.register
        people = {h.household_id: h.people for h in sample.households}
        exited = sum(people[v.household_id] for v in visits if v.stratum == EXITED)
        wrong = sum(people[v.household_id] for v in visits if v.wrongly_exited)
        missed = sum(people[v.household_id] for v in visits if v.missed)
        nonreg_sampled = sum(v.non_registered_people for v in sample.villages)
        est_missed = round_half_up(missed, reg.non_registered_people, nonreg_sampled)
        est_wrong = round_half_up(wrong, reg.exited_people, exited)
        gate = [
            ratio("comprehensive_poverty_incidence", reg.registered_poor_people + est_missed + est_wrong,
                  reg.rural_population, True, std.county_incidence_max_bp),
            ratio("wrongful_exit_rate", wrong, exited, True, std.wrongful_exit_max_bp),
            ratio("missed_rate", missed, nonreg_sampled, True, std.missed_max_bp),
            ratio("approval", sum(v.approves for v in visits), len(visits), False, std.approval_min_bp)]
        return {c["name"]: c for c in gate}, all(c["pass"] for c in gate)

    def verdict(self, observed_indicators, income, stratum):
        """(meets, wrongly exited, missed, first unmet criterion) as common/exit_criteria.h
        orders the criteria."""
        unmet = "" if income > LINE_FEN else "income_per_head"
        if not unmet:
            for f in self.pv1.Indicators.DESCRIPTOR.fields:
                if not getattr(observed_indicators, f.name):
                    unmet = f"indicators.{f.name}"
                    break
        meets = unmet == ""
        return meets, stratum == EXITED and not meets, stratum == NON_REGISTERED and not meets, unmet

    # --- the assessment's steps ------------------------------------------------------------

    def create(self, county, seed, label, villages, exited, registered, non_registered, **kw):
        sv1 = self.sv1
        return self.inspector(A, "CreateAssessment", sv1.CreateAssessmentRequest(
            request_id=self.next_rid(label), assessment=sv1.Assessment(
                county_code=county, year=2019, assessor_organisation=f"Guizhou University team {label}",
                village_sample_size=villages, exited_per_village=exited, registered_per_village=registered,
                non_registered_per_village=non_registered, seed_commitment=hashlib.sha256(seed).hexdigest())),
            sv1.Assessment, **kw)

    def reveal(self, a, seed):
        sv1 = self.sv1
        return self.inspector(A, "RevealAssessmentSample", sv1.RevealAssessmentSampleRequest(
            request_id=self.next_rid("reveal"), assessment_id=a.id, seed_hex=seed.hex()), sv1.AssessmentSample)

    def visit(self, a, h, indicators, income, approves):
        sv1 = self.sv1
        req = sv1.RecordAssessmentVisitRequest(
            request_id=self.next_rid("visit"), assessment_id=a.id, household_id=h.household_id,
            observed_indicators=indicators, observed_income_per_head_fen=income,
            observed_people=h.people % 30 + 1,  # not the register's count: recorded, never weighed
            approves=approves, notes="visited by two assessors")
        req.visit_time.GetCurrentTime()  # after the reveal (to the nanosecond), not in the future
        return self.inspector(A, "RecordAssessmentVisit", req, sv1.AssessmentVisit)

    def finalize(self, a):
        sv1 = self.sv1
        return self.inspector(A, "FinalizeAssessment", sv1.FinalizeAssessmentRequest(
            request_id=self.next_rid("finalize"), assessment_id=a.id), sv1.Assessment)

    def assert_gate(self, a, sample, visits):
        want, may_exit = self.expected_gate(a, sample, visits)
        got = {}
        for c in a.gate.criteria:
            got[c.name] = {"name": c.name, "numerator": c.numerator, "denominator": c.denominator,
                           "value_bp": c.value_bp, "comparison": c.comparison, "threshold_bp": c.threshold_bp,
                           "pass": getattr(c, "pass")}
        self.assertEqual(sorted(got), sorted(NAMES))
        for name in NAMES:
            self.assertEqual(got[name], want[name], name)
        self.assertEqual(a.gate.may_exit, may_exit)
        return want

    def list_visits(self, a):
        sv1 = self.sv1
        out, token = [], ""
        while True:
            resp = self.call(A, "ListAssessmentVisits", sv1.ListAssessmentVisitsRequest(
                assessment_id=a.id, page_size=7, page_token=token), sv1.ListAssessmentVisitsResponse,
                role="auditor", regions=("520221",))
            out += resp.visits
            token = resp.next_page_token
            if not token:
                return out

    # --- the tests ----------------------------------------------------------------------------

    def test_a_countys_own_inspector_may_not_assess_it(self):
        with self.assertRaises(grpc.RpcError) as e:
            self.create("520221", os.urandom(32), "own", 2, 1, 1, 1, regions=("520221",), sub="inspector-county")
        self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED, e.exception.details())
        self.assertEqual(error_reason(e.exception), "NOT_INDEPENDENT")

    def test_county_assessment_is_reproducible_and_its_figures_recomputed(self):
        sv1, pv1 = self.sv1, self.pv1
        seed = hashlib.sha256(b"assessment seed of the test").digest()
        digest, population, people, snapshot, nonreg, n = self.expected_population("520221")
        a = self.create("520221", seed, "county", 3, 3, 2, 3)
        self.assertEqual(a.state, sv1.ASSESSMENT_STATE_CREATED)
        self.assertEqual(a.server_nonce_hex, "", "the server nonce is secret until the reveal")
        # One assessment per county and year: no shopping for a draw.
        with self.assertRaises(grpc.RpcError) as e:
            self.create("520221", os.urandom(32), "again", 3, 3, 2, 3)
        self.assertEqual(e.exception.code(), grpc.StatusCode.ALREADY_EXISTS, e.exception.details())
        self.assertEqual(error_reason(e.exception), "ASSESSMENT_EXISTS")
        self.assertEqual(a.created_by, "inspector-province")
        self.assertEqual(a.population_digest, digest)
        self.assertEqual(a.population_households, n)
        self.assertEqual({f.name: getattr(a.register, f.name) for f in a.register.DESCRIPTOR.fields}, snapshot)
        want_std = type(self.standard)()
        want_std.CopyFrom(a.standard)
        want_std.ClearField("update_time")
        self.assertEqual(want_std, self.standard)
        # A wrong seed is refused and draws nothing.
        with self.assertRaises(grpc.RpcError) as e:
            self.reveal(a, os.urandom(32))
        self.assertEqual(error_reason(e.exception), "SEED_MISMATCH")
        # A visit before the reveal: there is no sample yet.
        anyone = population[(self.villages["520221"][0], EXITED)][0]
        with self.assertRaises(grpc.RpcError) as e:
            self.visit(a, sv1.SampledHousehold(household_id=anyone, people=1), self.all_indicators(True),
                       LINE_FEN + 1, True)
        self.assertEqual(error_reason(e.exception), "NOT_REVEALED")

        sample = self.reveal(a, seed)
        revealed = self.call(A, "GetAssessment", sv1.GetAssessmentRequest(id=a.id), sv1.Assessment)
        villages, drawn = self.expected_sample(seed, revealed, population)
        # The county sees neither the sample nor what would recompute it before the end.
        with self.assertRaises(grpc.RpcError) as e:
            self.call(A, "GetAssessmentSample", sv1.GetAssessmentSampleRequest(assessment_id=a.id),
                      sv1.AssessmentSample, role="auditor", regions=("520221",))
        self.assertEqual(error_reason(e.exception), "NOT_INDEPENDENT")
        own = self.call(A, "GetAssessment", sv1.GetAssessmentRequest(id=a.id), sv1.Assessment,
                        role="auditor", regions=("520221",))
        self.assertEqual((own.revealed_seed_hex, own.server_nonce_hex), ("", ""))
        self.assertEqual([v.village_code for v in sample.villages], villages)
        self.assertEqual([(v.rural_population, v.non_registered_people) for v in sample.villages],
                         [(1000, nonreg[v]) for v in villages])
        self.assertEqual([(h.household_id, h.village_code, h.stratum) for h in sample.households], drawn)
        self.assertEqual([h.people for h in sample.households], [people[h] for h, _, _ in drawn])
        self.assertEqual(len(sample.households), 3 * (3 + 2 + 3))
        got = self.call(A, "GetAssessmentSample", sv1.GetAssessmentSampleRequest(assessment_id=a.id),
                        sv1.AssessmentSample, role="auditor", regions=("52",))
        self.assertEqual(got, sample)
        with self.assertRaises(grpc.RpcError) as e:
            self.reveal(a, seed)
        self.assertEqual(error_reason(e.exception), "ALREADY_REVEALED")
        # A household of the county that was not drawn may not be visited.
        outside = sorted(set(people) - {h.household_id for h in sample.households})[0]
        with self.assertRaises(grpc.RpcError) as e:
            self.visit(a, sv1.SampledHousehold(household_id=outside, people=1), self.all_indicators(True),
                       LINE_FEN + 1, True)
        self.assertEqual(error_reason(e.exception), "NOT_IN_SAMPLE")

        # Planted: the first two drawn exited households are wrongly exited (unsafe housing;
        # income below the line), the first drawn non-registered one is missed (no safe
        # water), a registered one is still poor, and two households disapprove.
        exited = [h for h in sample.households if h.stratum == EXITED]
        nonreg_h = [h for h in sample.households if h.stratum == NON_REGISTERED]
        registered = [h for h in sample.households if h.stratum == REGISTERED]
        plan = {}
        for h in sample.households:
            plan[h.household_id] = (self.all_indicators(True), LINE_FEN + 30000, True)
        bad_housing = self.all_indicators(True)
        bad_housing.housing_safety = False
        plan[exited[0].household_id] = (bad_housing, LINE_FEN + 30000, True)
        plan[exited[1].household_id] = (self.all_indicators(True), LINE_FEN, False)
        bad_water = self.all_indicators(True)
        bad_water.drinking_water_safety = False
        plan[nonreg_h[0].household_id] = (bad_water, LINE_FEN + 1, True)
        plan[registered[0].household_id] = (self.all_indicators(True), LINE_FEN - 100, False)
        recorded = []
        for h in sample.households:
            ind, income, approves = plan[h.household_id]
            if h is sample.households[-1]:
                with self.assertRaises(grpc.RpcError) as e:
                    self.finalize(a)
                self.assertEqual(error_reason(e.exception), "VISITS_MISSING")
            v = self.visit(a, h, ind, income, approves)
            meets, wrong, missed, unmet = self.verdict(ind, income, h.stratum)
            self.assertEqual((v.household_id, v.village_code, v.stratum), (h.household_id, h.village_code, h.stratum))
            self.assertEqual((v.meets_standard, v.wrongly_exited, v.missed, v.unmet_criterion),
                             (meets, wrong, missed, unmet), h.household_id)
            self.assertEqual(v.recorded_by, "inspector-province")
            recorded.append(v)
        with self.assertRaises(grpc.RpcError) as e:
            self.visit(a, exited[0], bad_housing, LINE_FEN + 30000, True)
        self.assertEqual(error_reason(e.exception), "VISIT_ALREADY_RECORDED")

        final = self.finalize(a)
        self.assertEqual(final.state, sv1.ASSESSMENT_STATE_FINALIZED)
        self.assertEqual((final.sampled_households, final.visited_households), (24, 24))
        visits = self.list_visits(a)
        self.assertEqual(sorted(v.id for v in visits), sorted(v.id for v in recorded))
        for v in visits:  # the raw answers are what was recorded
            ind, income, approves = plan[v.household_id]
            self.assertEqual((v.observed_indicators, v.observed_income_per_head_fen, v.approves),
                             (ind, income, approves))
        want = self.assert_gate(final, sample, visits)
        self.assertGreaterEqual(want["wrongful_exit_rate"]["numerator"], 2)
        self.assertGreaterEqual(want["missed_rate"]["numerator"], 1)
        self.assertFalse(final.gate.may_exit, "two wrongly exited households of a few dozen people")
        self.assertEqual(self.call(A, "GetAssessment", sv1.GetAssessmentRequest(id=a.id), sv1.Assessment), final)

        # The wrongly exited households are back on the register, with the visit named.
        by_household = {v.household_id: v for v in visits}
        for h in exited[:2]:
            back = self.call(P, "GetHousehold", pv1.GetHouseholdRequest(id=h.household_id), pv1.Household)
            self.assertEqual(back.status, pv1.HOUSEHOLD_STATUS_REGISTERED_POOR)
            self.assertEqual(back.reversal_reference,
                             f"assessments/{a.id}/visits/{by_household[h.household_id].id}")
        for h in exited[2:]:
            kept = self.call(P, "GetHousehold", pv1.GetHouseholdRequest(id=h.household_id), pv1.Household)
            self.assertEqual(self.stratum(kept.status), EXITED)
            self.assertEqual(kept.reversal_reference, "")
        with self.assertRaises(grpc.RpcError) as e:
            self.finalize(a)  # a new request on a finalized assessment
        self.assertEqual(error_reason(e.exception), "ASSESSMENT_FINALIZED")

        self.check_report(final, sample, visits)

    @staticmethod
    def without_notes(v):
        out = type(v)()
        out.CopyFrom(v)
        out.ClearField("notes")
        return out

    def check_report(self, final, sample, visits):
        """Audit-query's report: the assessment, sample and visits as the service says, and
        every step's event proven against one signed checkpoint."""
        qv1, lv1 = self.qv1, self.lv1
        key = self.call("tuopin.auditlog.v1.AuditLog", "GetPublicKey", lv1.GetPublicKeyRequest(),
                        lv1.PublicKey).verifier_key
        steps = 1 + 1 + len(visits) + 1  # creation, reveal, visits, finalization
        deadline = time.monotonic() + 20
        while True:
            report = self.call(AQ, "GetAssessmentReport", qv1.GetAssessmentReportRequest(assessment_id=final.id),
                               qv1.AssessmentReport, role="auditor", regions=("520221",), sub="auditor-report")
            named = [e for e in report.events if e.leaf.event.service == "accountability"]
            if len(named) >= steps or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        self.assertEqual(report.assessment, final)
        self.assertEqual(report.sample, sample)
        # The visits without their notes (auditquery.proto: the report's size stays bounded).
        self.assertTrue(visits[0].notes)
        self.assertEqual(sorted(v.SerializeToString(deterministic=True) for v in report.visits),
                         sorted(self.without_notes(v).SerializeToString(deterministic=True) for v in visits))
        methods = [e.leaf.event.method.rsplit("/", 1)[-1] for e in named]
        self.assertEqual(methods.count("CreateAssessment"), 1, methods)
        self.assertEqual(methods.count("RevealAssessmentSample"), 1, methods)
        self.assertEqual(methods.count("RecordAssessmentVisit"), len(visits), methods)
        self.assertEqual(methods.count("FinalizeAssessment"), 1, methods)
        # A visit's event names the assessment and the visit, in the county: never the drawn
        # household nor its village, which the county must not learn before the finalization.
        for e in named:
            if e.leaf.event.method.endswith("/RecordAssessmentVisit"):
                self.assertEqual(sorted(r.type for r in e.leaf.event.entities),
                                 ["assessment", "assessment_visit"])
                self.assertEqual({r.region_code for r in e.leaf.event.entities}, {"520221"})
        for e in report.events:
            self.assertTrue(any(r.type in ("assessment", "assessment_visit", "household", "exit_application")
                                for r in e.leaf.event.entities))
        text = verify_note(report.checkpoint.signed_note, key)
        self.assertIsNotNone(text, "the checkpoint's signature verifies")
        _, size, root = parse_checkpoint(text)
        self.assertEqual((size, root), (report.checkpoint.tree_size, report.checkpoint.root_hash))
        for e in report.events:
            self.assertEqual(e.leaf.event.SerializeToString(deterministic=True), e.leaf.leaf_value)
            self.assertTrue(verify_inclusion(leaf_hash(e.leaf.leaf_value), e.leaf.index, size,
                                             list(e.proof.hashes), root), e.leaf.index)
        # A tampered proof does not verify: the check above can fail.
        if report.events and report.events[0].proof.hashes:
            h = list(report.events[0].proof.hashes)
            h[0] = bytes([h[0][0] ^ 1]) + h[0][1:]
            self.assertFalse(verify_inclusion(leaf_hash(report.events[0].leaf.leaf_value),
                                              report.events[0].leaf.index, size, h, root))
        # Another county's auditor is refused.
        with self.assertRaises(grpc.RpcError) as e:
            self.call(AQ, "GetAssessmentReport", qv1.GetAssessmentReportRequest(assessment_id=final.id),
                      qv1.AssessmentReport, role="auditor", regions=("520222",), sub="auditor-other")
        self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED)

    def test_gate_flips_exactly_at_the_wrongful_exit_threshold(self):
        """All exited households visited, the 1-person one wrongly exited, everything else
        clean: 1/50 = 2.00 % passes (AT_MOST 200 bp), 1/48 = 2.08 % fails; the other three
        figures pass in both, so the wrongful-exit rate alone decides the gate."""
        outcomes = {}
        for county, people in (("520222", 50), ("520223", 48)):
            seed = hashlib.sha256(county.encode()).digest()
            _, population, sizes, _, _, _ = self.expected_population(county)
            a = self.create(county, seed, f"gate-{county}", 1, 30, 0, 1)
            sample = self.reveal(a, seed)
            exited = [h for h in sample.households if h.stratum == EXITED]
            self.assertEqual(sum(h.people for h in exited), people, "every exited household drawn")
            visits = []
            for h in sample.households:
                ind = self.all_indicators(True)
                if h.stratum == EXITED and h.people == 1:
                    ind.housing_safety = False
                visits.append(self.visit(a, h, ind, LINE_FEN + 10000, True))
            self.assertEqual(sum(v.wrongly_exited for v in visits), 1)
            final = self.finalize(a)
            want = self.assert_gate(final, sample, self.list_visits_any(a))
            self.assertEqual((want["wrongful_exit_rate"]["numerator"], want["wrongful_exit_rate"]["denominator"]),
                             (1, people))
            for name in ("comprehensive_poverty_incidence", "missed_rate", "approval"):
                self.assertTrue(want[name]["pass"], name)
            outcomes[county] = (want["wrongful_exit_rate"]["value_bp"], final.gate.may_exit)
        self.assertEqual(outcomes, {"520222": (200, True), "520223": (208, False)})

    def test_gate_flips_exactly_at_each_threshold(self):
        """One county (520224) assessed four times, every household visited and found the
        same: 18 missed people of 900 non-registered (200 bp), 18 of 20 households approve
        (9000 bp), comprehensive incidence (25 + 18 + 0) / 1000 (430 bp), nobody wrongly
        exited. Standards are data: at the figures exactly (2020) every criterion passes;
        one basis point stricter on one criterion (2021-2023) fails that one and vetoes the
        exit."""
        xv1 = self.xv1
        exact = dict(county_incidence_max_bp=430, missed_max_bp=200, approval_min_bp=9000, wrongful_exit_max_bp=0)
        years = {2020: (exact, None),
                 2021: (dict(exact, county_incidence_max_bp=429), "comprehensive_poverty_incidence"),
                 2022: (dict(exact, missed_max_bp=199), "missed_rate"),
                 2023: (dict(exact, approval_min_bp=9001), "approval")}
        for year, (thresholds, failing) in years.items():
            self.call(X, "SetPovertyStandard", xv1.SetPovertyStandardRequest(
                request_id=self.next_rid("standard"), standard=xv1.PovertyStandard(
                    year=year, province_code="52", poverty_line_fen=LINE_FEN, village_incidence_max_bp=300,
                    notice_days=7, source=f"test thresholds of {year}", **thresholds)), xv1.PovertyStandard)
        sv1 = self.sv1
        for year, (thresholds, failing) in years.items():
            seed = hashlib.sha256(f"520224-{year}".encode()).digest()
            a = sv1.Assessment(county_code="520224", year=year, assessor_organisation=f"Assessors {year}",
                               village_sample_size=1, exited_per_village=30, registered_per_village=30,
                               non_registered_per_village=30, seed_commitment=hashlib.sha256(seed).hexdigest())
            a = self.inspector(A, "CreateAssessment", sv1.CreateAssessmentRequest(
                request_id=self.next_rid("flip"), assessment=a), sv1.Assessment)
            sample = self.reveal(a, seed)
            self.assertEqual(len(sample.households), 20)
            missed_ids = [h.household_id for h in sample.households
                          if h.stratum == NON_REGISTERED and h.people == 6]
            self.assertEqual(len(missed_ids), 3)
            disapproving = {h.household_id for h in sample.households if h.stratum == EXITED}
            disapproving = set(sorted(disapproving)[:2])
            for h in sample.households:
                income = LINE_FEN - 1 if h.household_id in missed_ids else LINE_FEN + 1
                self.visit(a, h, self.all_indicators(True), income, h.household_id not in disapproving)
            final = self.finalize(a)
            want = self.assert_gate(final, sample, self.list_visits_any(a))
            figures = {n: (want[n]["numerator"], want[n]["denominator"], want[n]["value_bp"]) for n in NAMES}
            self.assertEqual(figures, {"comprehensive_poverty_incidence": (43, 1000, 430),
                                       "wrongful_exit_rate": (0, 75, 0), "missed_rate": (18, 900, 200),
                                       "approval": (18, 20, 9000)}, year)
            self.assertEqual({n for n in NAMES if not want[n]["pass"]}, {failing} - {None}, year)
            self.assertEqual(final.gate.may_exit, failing is None, year)

    def list_visits_any(self, a):
        sv1 = self.sv1
        return self.call(A, "ListAssessmentVisits", sv1.ListAssessmentVisitsRequest(
            assessment_id=a.id, page_size=1000), sv1.ListAssessmentVisitsResponse).visits


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
