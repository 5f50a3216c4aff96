"""The Shuicheng demo's exit from poverty (issue 20): the year's poverty standard as data,
village profiles, historical exits imported from the national register, live household
exit applications at several stages, and a third-party assessment of the county by the
province's assessors with planted wrongful exits and missed households, ending in the
county's exit gate.

Everything is deterministic from the demo's seed (hashes of it, never the loader's shared
random stream), and every request id derives from it, so loading again is a replay."""

import datetime
import hashlib
import sys

from shuicheng_county import ASSESSMENT_SAMPLE

YEAR = 2019  # the province's latest standard: exits are proposed for its year only
PROVINCE = "52"
COUNTY = "520221"
# The 2019 national rural poverty line: 2,300 yuan per person per year at 2010 prices,
# 3,218 yuan at 2019 prices (National Bureau of Statistics); see docs/ARCHITECTURE.md.
POVERTY_LINE_FEN = 3218_00
SOURCE = ("Poverty line: 2,300 yuan/person/year at 2010 prices, 3,218 yuan in 2019 (National Bureau of "
          "Statistics, rural poverty monitoring). Thresholds: 《关于建立贫困退出机制的意见》 (CPC Central "
          "Committee General Office and State Council General Office, April 2016): poverty incidence below 3 % "
          "in the western provinces; 《贫困县退出专项评估检查实施办法》 (State Council Leading Group Office "
          "of Poverty Alleviation and Development, 2017): wrongful-exit and missed rates at most 2 %, public "
          "approval at least 90 %. Notice period: Guizhou practice, 7 days.")
EXITED = ("LIFTED_OUT", "AT_RISK_OF_RETURN")
# The steps each live application takes after its proposal (by demo-cadre-1): (method,
# request-id key, role, token shard = which person, fields). Each step is another person.
_REVIEW = ("ReviewExit", "village-review", "cadre", 2,
           {"approve": True, "note": "Village assembly agreed; list posted at the village committee"})
_OBJECT = ("ObjectToExit", "object", "cadre", 3,
           {"objection": "A neighbour says the household's son no longer sends money home"})
EXIT_STEPS = {
    "proposed": [],
    "notice": [_REVIEW],
    "objected": [_REVIEW, _OBJECT],
    "rejected": [("ReviewExit", "village-reject", "county_official", 5,
                  {"approve": False, "note": "The assembly found the cooperative income not yet stable"})],
    "dismissed": [_REVIEW, _OBJECT, ("ResolveObjection", "resolve", "county_official", 4, {
        "upheld": False,
        "note": "Checked the bank records: the income is the cooperative's wages; notice posted again"})],
}


def _h(seed, *key):
    """A stable number in [0, 100) from the seed and a key."""
    raw = hashlib.sha256("-".join(str(k) for k in (seed, "exit") + key).encode()).digest()
    return int.from_bytes(raw[:4], "big") % 100


def register_fields(seed, v, h, status, ind, income):
    """A household's register record under the exit rules: exited and never-registered
    households meet the standard in the register (their income above the line, every
    indicator assured); exited ones carry the national register's record of their exit.
    Returns (indicators, income per head in fen, prior exit (year, reference) or None)."""
    if status == "REGISTERED_POOR":
        return ind, income, None
    income = income if income > 3400_00 else income + 3000_00
    prior = None
    if status in EXITED:
        year = 2018 if status == "AT_RISK_OF_RETURN" or _h(seed, v, h, "year") < 50 else 2017
        prior = (year, f"GZ-{year}-{v}-{h:04d}")
    return [True] * 6, income, prior


def plant(seed, hh_plan, hh_ids):
    """What the assessors will find, by household id: a few exited households whose house
    is in fact unsafe (wrongful exits) and a few never-registered ones whose income is in
    fact below the line (missed households); at least one of each in the county."""
    exited = [hid for (v, h, status, *_), hid in zip(hh_plan, hh_ids) if status in EXITED]
    never = [hid for (v, h, status, *_), hid in zip(hh_plan, hh_ids) if status == "NOT_POOR"]
    keys = {hid: (v, h) for (v, h, *_), hid in zip(hh_plan, hh_ids)}
    wrongful = {hid for hid in exited if _h(seed, *keys[hid], "wrongful") < 3} or set(exited[:1])
    missed = {hid for hid in never if _h(seed, *keys[hid], "missed") < 8} or set(never[:1])
    return wrongful, missed


def load_exit(api, rid, seed, size, today, villages, hh_plan, hh_ids, summary):
    from tuopin.accountability.v1 import assessment_pb2 as asv1
    from tuopin.personnel.v1 import exit_pb2 as ev1
    from tuopin.personnel.v1 import personnel_pb2 as pv1
    P, E = "tuopin.personnel.v1.PersonnelService", "tuopin.personnel.v1.ExitService"
    C, AS = "tuopin.personnel.v1.ExitCriteriaService", "tuopin.accountability.v1.AssessmentService"

    # The year's standard for Guizhou (a western province), as data with its source.
    api.call(C, "SetPovertyStandard", ev1.SetPovertyStandardRequest(
        request_id=rid("standard", YEAR, PROVINCE), standard=ev1.PovertyStandard(
            year=YEAR, province_code=PROVINCE, poverty_line_fen=POVERTY_LINE_FEN, village_incidence_max_bp=300,
            county_incidence_max_bp=300, wrongful_exit_max_bp=200, missed_max_bp=200, approval_min_bp=9000,
            notice_days=7, source=SOURCE)), ev1.PovertyStandard)

    # Village profiles: the rural population is the register's people and the villagers
    # the register does not list (never poor, never surveyed), never fewer than the register
    # holds; most basic services are in. Set by the prefecture (its statistics), never by
    # the county the figures judge (a county scope is refused: NOT_INDEPENDENT).
    people = {}
    for (v, h, status, ind, members, income) in hh_plan:
        people[v] = people.get(v, 0) + members

    def profile(v):
        services = ev1.VillageServices(
            hardened_road=_h(seed, v, "road") >= 10, safe_drinking_water=_h(seed, v, "water") >= 10,
            electricity=True, clinic_with_doctor=_h(seed, v, "clinic") >= 20, school_access=True,
            broadband=_h(seed, v, "broadband") >= 35)
        return api.call(C, "SetVillageProfile", ev1.SetVillageProfileRequest(
            request_id=rid("profile", v), profile=ev1.VillageProfile(
                village_code=v, rural_population=people.get(v, 0) + max(5, people.get(v, 0) // 4),
                services=services)), ev1.VillageProfile, role="county_official", shard=0,
            regions=(COUNTY[:4],))
    api.each("village profiles", villages, profile)

    # What each household is in fact (the assessors' observation), by id.
    truth = {}
    for (v, h, status, ind, members, income), hid in zip(hh_plan, hh_ids):
        truth[hid] = [v, h, status, list(ind), members, income]

    # Live exit applications. A household is proposed by one person and reviewed by
    # another (nobody reviews their own proposal); the subjects are fixed by `shard`.
    # The 7-day public notice cannot pass during a live demo, so no application here goes
    # beyond the notice: township review, county approval and the household's
    # confirmation are shown by the historical exits (imported with `prior_exit`) and by
    # the end-to-end tests, which run the notice on a fake clock.
    poor = [hid for hid in hh_ids if truth[hid][2] == "REGISTERED_POOR"]
    # From as many villages as possible: the first registered household of each village.
    firsts, seen = [], set()
    for hid in poor:
        if truth[hid][0] not in seen:
            seen.add(truth[hid][0])
            firsts.append(hid)
    chosen = (firsts + [hid for hid in poor if hid not in firsts])[:5]
    fates = ["notice", "proposed", "objected", "rejected", "dismissed"][:len(chosen)]
    applications = {}
    for k, (hid, fate) in enumerate(zip(chosen, fates)):
        # The work that makes the household ready: a renovated house, piped water, income
        # from the cooperative (recorded by the county before the proposal).
        target = 3600_00 + 100_00 * k
        got = api.call(P, "GetHousehold", pv1.GetHouseholdRequest(id=hid), pv1.Household)
        ready = got.income_per_head_fen == target and all(getattr(got.indicators, f.name) for f in
                                                          got.indicators.DESCRIPTOR.fields)
        if not ready:  # (a reload finds it done: the update is not replayed)
            api.call(P, "UpdateHousehold", pv1.UpdateHouseholdRequest(
                request_id=rid("ready", hid), household=pv1.Household(
                    id=hid, etag=got.etag, income_per_head_fen=target,
                    indicators=pv1.Indicators(food=True, clothing=True, compulsory_education=True,
                                              basic_medical_care=True, housing_safety=True,
                                              drinking_water_safety=True)),
                update_mask={"paths": ["income_per_head_fen", "indicators"]}), pv1.Household,
                role="county_official", shard=9)
        truth[hid][3], truth[hid][5] = [True] * 6, target
        app = api.call(E, "ProposeExit", ev1.ProposeExitRequest(
            request_id=rid("propose", hid), household_id=hid, year=YEAR,
            note="Income from the kiwifruit cooperative above the line; house renovated"),
            ev1.ExitApplication, role="cadre", shard=1)
        for method, key, role, shard, fields in EXIT_STEPS[fate]:
            request = getattr(ev1, method + "Request")(request_id=rid(key, hid), application_id=app.id, **fields)
            app = api.call(E, method, request, ev1.ExitApplication, role=role, shard=shard)
        applications[fate] = app.id
    sys.stderr.write(("" if sys.stderr.isatty() else "\n") +
                     f"  {'exit applications':<28} {', '.join(applications)}\n")

    # The third-party assessment of the county, by the province's assessors (scope "52":
    # independent of the county), with a committed seed revealed after the population is
    # frozen.
    wrongful, missed = plant(seed, hh_plan, hh_ids)
    n_vil, n_exited, n_registered, n_never = ASSESSMENT_SAMPLE[size]
    secret = hashlib.sha256(f"{seed}-{size}-assessment-{YEAR}".encode()).digest()
    assessors = dict(role="inspector", shard=0, regions=(PROVINCE,))
    assessment = api.call(AS, "CreateAssessment", asv1.CreateAssessmentRequest(
        request_id=rid("assessment", YEAR), assessment=asv1.Assessment(
            county_code=COUNTY, year=YEAR,
            assessor_organisation="Southwest University third-party assessment team 3",
            village_sample_size=min(n_vil, len(villages)), exited_per_village=n_exited,
            registered_per_village=n_registered, non_registered_per_village=n_never,
            seed_commitment=hashlib.sha256(secret).hexdigest())), asv1.Assessment, **assessors)
    sample = api.call(AS, "RevealAssessmentSample", asv1.RevealAssessmentSampleRequest(
        request_id=rid("assessment-reveal", YEAR), assessment_id=assessment.id, seed_hex=secret.hex()),
        asv1.AssessmentSample, **assessors)
    # Visited after the reveal and never in the future (RecordAssessmentVisit), a few
    # seconds apart: dated from the stored reveal time, so the same on a reload, and within
    # the 5 minutes of clock skew the service allows even if all are recorded at once.
    revealed = api.call(AS, "GetAssessment", asv1.GetAssessmentRequest(id=assessment.id), asv1.Assessment,
                        **assessors)
    reveal_time = revealed.reveal_time.ToDatetime()

    def visit(p):
        i, s = p
        if s.household_id not in truth:  # a household added since, outside the demo: as registered
            got = api.call(P, "GetHousehold", pv1.GetHouseholdRequest(id=s.household_id), pv1.Household)
            truth[s.household_id] = [got.village_code, -1, "", [getattr(got.indicators, f.name) for f in
                                     got.indicators.DESCRIPTOR.fields], got.member_count, got.income_per_head_fen]
        v, h, status, ind, members, income = truth[s.household_id]
        ind = list(ind)
        notes = "Household visited; income and the two assurances and three guarantees checked"
        if s.household_id in wrongful:
            ind[4] = False
            notes = "Exited, but the house is dilapidated (cracked load-bearing walls)"
        if s.household_id in missed:
            income = 2400_00 + 100_00 * (_h(seed, v, h, "income") % 6)
            notes = "Never registered; income per head below the line (elderly couple, no wage income)"
        approves = not (s.household_id in missed or _h(seed, v, h, "approves") < 3)
        req = asv1.RecordAssessmentVisitRequest(
            request_id=rid("assessment-visit", s.household_id), assessment_id=assessment.id,
            household_id=s.household_id, observed_indicators=pv1.Indicators(
                food=ind[0], clothing=ind[1], compulsory_education=ind[2], basic_medical_care=ind[3],
                housing_safety=ind[4], drinking_water_safety=ind[5]),
            observed_income_per_head_fen=income, observed_people=members, approves=approves, notes=notes)
        req.visit_time.FromDatetime(reveal_time + datetime.timedelta(seconds=i % 240))
        return api.call(AS, "RecordAssessmentVisit", req, asv1.AssessmentVisit, **assessors)
    visits = api.each("assessment visits", enumerate(sample.households), visit)
    final = api.call(AS, "FinalizeAssessment", asv1.FinalizeAssessmentRequest(
        request_id=rid("assessment-finalize", YEAR), assessment_id=assessment.id), asv1.Assessment, **assessors)

    gate = []
    # (after a progress bar, which ends its line only on a terminal)
    sys.stderr.write(("" if sys.stderr.isatty() else "\n") +
                     f"County exit gate of {COUNTY} ({YEAR}, {final.assessor_organisation}):\n")
    for c in final.gate.criteria:
        op = "<=" if c.comparison == c.COMPARISON_AT_MOST else ">="
        passed = getattr(c, "pass")  # a Python keyword
        sys.stderr.write(f"  {c.name:<28} {c.numerator}/{c.denominator} = {c.value_bp / 100:.2f} % "
                         f"{op} {c.threshold_bp / 100:.2f} %  {'pass' if passed else 'FAIL'}\n")
        gate.append({"name": c.name, "numerator": c.numerator, "denominator": c.denominator,
                     "value_bp": c.value_bp, "comparison": "AT_MOST" if op == "<=" else "AT_LEAST",
                     "threshold_bp": c.threshold_bp, "pass": passed})
    sys.stderr.write(f"  the county {'may' if final.gate.may_exit else 'may not'} exit\n")
    summary["exit"] = {
        "year": YEAR, "applications": applications, "assessment_id": final.id,
        "sampled_households": len(sample.households), "visits": len(visits),
        "wrongly_exited_found": sum(1 for x in visits if x.wrongly_exited),
        "missed_found": sum(1 for x in visits if x.missed),
        "gate": gate, "may_exit": final.gate.may_exit,
    }
    summary["assessment_id"] = final.id
    summary["exit_application_id"] = applications.get("notice", "")
    return summary
