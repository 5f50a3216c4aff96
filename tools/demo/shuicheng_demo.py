#!/usr/bin/python3
"""The Shuicheng demo county, loaded through the suite's public gRPC API (the gateway).

The domain is the 2018 Liupanshui symposium (../shared/seed): Guizhou > Liupanshui >
Shuicheng County with its townships and villages; registered households; cadres with
first secretaries sent by the central, provincial, municipal and county governments,
posted to villages and paired with households; a campaign of three 150-day stages, now in
its second ("address shortcomings"), with tasks in all ten work areas, some areas lagging;
money from central, provincial, municipal, county and counterpart-aid sources through the
county and township pools to village projects, some disbursed and some left idle; and six
investigation groups from August 21 to September 3 with unannounced visits and random
household surveys, findings in the seed's categories, rectification orders (some
verified, some rejected and reopened) and accountability actions; last, one village
merger (shuicheng_merger.py: an illustrative decision, not a real document number).

Deterministic from --seed: the same seed gives the same county, and every call carries a
request id derived from it, so loading again is a replay (nothing is created twice).

  shuicheng_demo.py --target 127.0.0.1:50051 --secret_file .tuopin/keys/jwt-hs256.secret \\
      --pyout build/python [--size demo|small|tiny] [--times N] [--seed 2018]

Prints a JSON summary (ids of the campaign, a cadre with findings, a project account, ...)
on stdout; progress goes to stderr.
"""

import argparse
import datetime
import hashlib
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo_api import Api, date  # noqa: E402
from shuicheng_county import (CATEGORIES, GROUP_KINDS, LAGGING, SECTORS, SIZES, SOURCES,  # noqa: E402
                              TASK_TITLES, TOWNSHIPS, VILLAGE_WORDS, rng_hours, rng_name)
from shuicheng_exit import load_exit, register_fields  # noqa: E402
from shuicheng_merger import merge_demo_villages  # noqa: E402


def load(api, size="demo", seed=2018, times=1, today=None):
    from tuopin.accountability.v1 import accountability_pb2 as av1
    from tuopin.common.v1 import common_pb2 as cv1
    from tuopin.funds.v1 import funds_pb2 as fv1
    from tuopin.personnel.v1 import personnel_pb2 as pv1
    from tuopin.tasks.v1 import tasks_pb2 as tv1
    P, F, T = "tuopin.personnel.v1.PersonnelService", "tuopin.funds.v1.FundsService", "tuopin.tasks.v1.TaskService"
    A = "tuopin.accountability.v1.AccountabilityService"
    rng = random.Random(seed)
    n_town, n_vil, n_hh, n_cad = SIZES[size]
    n_town *= times  # ten times the county: ten times the townships
    today = today or datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
    def rid(*parts):
        """A request (and transfer) id from the seed: 1-64 characters, stable across runs."""
        raw = "demo-" + "-".join(str(p) for p in (seed, size, times) + parts)
        return raw if len(raw) <= 64 else raw[:43] + "-" + hashlib.sha256(raw.encode()).hexdigest()[:20]
    summary = {"seed": seed, "size": size, "times": times, "county": "520221", "anchor": today.isoformat()}
    t0 = time.monotonic()
    sys.stderr.write(f"Loading the Shuicheng demo ({size}, x{times}, seed {seed})\n")

    # Regions.
    regions = [pv1.Region(code="52", name="Guizhou Province"), pv1.Region(code="5202", name="Liupanshui"),
               pv1.Region(code="520221", name="Shuicheng County")]
    villages = []
    for t in range(n_town):
        tcode = f"520221{100 + t:03d}"
        tname = TOWNSHIPS[t % len(TOWNSHIPS)] + ("" if t < len(TOWNSHIPS) else f" {t // len(TOWNSHIPS) + 1}")
        regions.append(pv1.Region(code=tcode, name=f"{tname} Town"))
        for v in range(n_vil):
            vcode = f"{tcode}{v + 1:03d}"
            name = rng.choice(VILLAGE_WORDS) + rng.choice(VILLAGE_WORDS).lower()
            regions.append(pv1.Region(code=vcode, name=f"{name} Village"))
            villages.append(vcode)
    chunks = [regions[i:i + 500] for i in range(0, len(regions), 500)]
    for i, chunk in enumerate(chunks):  # in order: a parent before its children
        api.call(P, "ImportRegions", pv1.ImportRegionsRequest(request_id=rid("regions", i), regions=chunk),
                 pv1.ImportRegionsResponse)
    sys.stderr.write(f"  {'regions':<28} {len(regions)} in {len(chunks)} calls\n")
    summary["villages"] = len(villages)

    # The campaign: started 200 days ago, so it is in its second stage.
    start = today - datetime.timedelta(days=200)
    campaign = api.call(T, "CreateCampaign", tv1.CreateCampaignRequest(
        request_id=rid("campaign"), campaign=tv1.Campaign(
            region_code="520221", name="Shuicheng: implement, fix shortcomings, win a resounding victory",
            start_date=date(cv1.Date, start), stage_days=[150, 150, 150])), tv1.Campaign)
    summary["campaign_id"] = campaign.id

    # Cadres: per village a first secretary sent by the central, provincial, municipal or
    # county government, a team leader and members from the county and townships.
    cadre_plan = []
    for i, v in enumerate(villages):
        for k in range(n_cad):
            if k == 0:
                origin = rng.choices(["CENTRAL", "PROVINCIAL", "MUNICIPAL", "COUNTY"], [5, 15, 30, 50])[0]
                role = "FIRST_SECRETARY"
            else:
                origin = rng.choice(["COUNTY", "TOWNSHIP", "TOWNSHIP"])
                role = "TEAM_LEADER" if k == 1 else "TEAM_MEMBER"
            # From another township (a posting in one's home area needs a waiver).
            others = [x for x in villages if x[:9] != v[:9]] or ["520201100"]
            home = others[(i * 7 + k) % len(others)]
            cadre_plan.append((v, k, origin, role, home))
    unit = {"CENTRAL": "State Council Leading Group Office of Poverty Alleviation",
            "PROVINCIAL": "Guizhou Provincial Poverty Alleviation Office", "MUNICIPAL": "Liupanshui Municipal Government",
            "COUNTY": "Shuicheng County Government", "TOWNSHIP": "Township Government"}

    postings = {}

    def create_cadre(p):
        v, k, origin, role, home = p
        name = rng_name(seed, v, k)
        c = api.call(P, "CreateCadre", pv1.CreateCadreRequest(request_id=rid("cadre", v, k), cadre=pv1.Cadre(
            employee_number=f"SC{v[-6:]}{k:02d}", name=name, origin_level=getattr(pv1, "ORIGIN_LEVEL_" + origin),
            dispatching_unit=unit[origin], home_region_code=home,
            managing_region_code="520221")), pv1.Cadre)
        posting = api.call(P, "PostCadre", pv1.PostCadreRequest(
            request_id=rid("post", v, k), cadre_id=c.id, village_code=v, role=getattr(pv1, "POSTING_ROLE_" + role),
            start_date=date(cv1.Date, start)), pv1.Posting)
        postings[c.id] = posting.id
        return c.id
    cadre_ids = api.each("cadres and postings", cadre_plan, create_cadre)
    by_village = {}
    for (v, k, *_), cid in zip(cadre_plan, cadre_ids):
        by_village.setdefault(v, []).append(cid)
    summary["cadres"] = len(cadre_ids)

    # Leaders of the six investigation groups: municipal cadres.
    leaders = api.each("group leaders", range(6), lambda g: api.call(
        P, "CreateCadre", pv1.CreateCadreRequest(request_id=rid("leader", g), cadre=pv1.Cadre(
            employee_number=f"LPS-LEADER-{g + 1}", name=f"Investigation group {g + 1} leader",
            origin_level=pv1.ORIGIN_LEVEL_MUNICIPAL, dispatching_unit="Liupanshui Municipal Party Committee",
            home_region_code="520201100", managing_region_code="520221")), pv1.Cadre).id)

    # Households: 35 % registered poor, 10 % at risk of returning to poverty, 35 % lifted
    # out (exits of 2017 and 2018, imported from the national register), 20 % never
    # registered (known to the register as not poor).
    hh_plan = []
    for v in villages:
        for h in range(n_hh):
            r = rng.random()
            status = "REGISTERED_POOR" if r < 0.35 else "AT_RISK_OF_RETURN" if r < 0.45 else \
                "LIFTED_OUT" if r < 0.80 else "NOT_POOR"
            ind = [rng.random() < (0.6 if status not in ("LIFTED_OUT", "NOT_POOR") else 0.98) for _ in range(6)]
            members, income = rng.randint(1, 7), rng.randint(1500, 9000) * 100
            ind, income, prior = register_fields(seed, v, h, status, ind, income)
            hh_plan.append((v, h, status, ind, members, income, prior))

    def create_household(p):
        v, h, status, ind, members, income, prior = p
        household = pv1.Household(
            village_code=v, head_name=rng_name(seed, v, 100 + h), member_count=members,
            status=getattr(pv1, "HOUSEHOLD_STATUS_" + status), income_per_head_fen=income,
            indicators=pv1.Indicators(food=ind[0], clothing=ind[1], compulsory_education=ind[2],
                                      basic_medical_care=ind[3], housing_safety=ind[4],
                                      drinking_water_safety=ind[5]))
        if prior:  # an exit before this register: only an admin imports it
            household.prior_exit.year, household.prior_exit.reference = prior
        return api.call(P, "CreateHousehold", pv1.CreateHouseholdRequest(
            request_id=rid("hh", v, h), household=household), pv1.Household).id
    # The register's own households first (the first CreateHousehold is an ordinary one),
    # then the historical exits.
    order = sorted(range(len(hh_plan)), key=lambda i: hh_plan[i][6] is not None)
    split = sum(1 for p in hh_plan if p[6] is None)
    created = api.each("households", [hh_plan[i] for i in order[:split]], create_household) + \
        api.each("households exited before", [hh_plan[i] for i in order[split:]], create_household)
    hh_ids = [None] * len(hh_plan)
    for i, hid in zip(order, created):
        hh_ids[i] = hid
    hh_plan = [p[:6] for p in hh_plan]
    summary["households"] = len(hh_ids)

    # Pairings: every poor or at-risk household with a cadre of its village (at most 10
    # each), except about 3 % left without one (a coverage gap for the inspectors).
    pair_plan = []
    slots = {}
    for (v, h, status, *_), hid in zip(hh_plan, hh_ids):
        if status in ("LIFTED_OUT", "NOT_POOR") or rng.random() < 0.03:
            continue
        cadres = by_village[v]
        k = slots.get(v, 0)
        if k >= 10 * len(cadres):
            continue
        slots[v] = k + 1
        pair_plan.append((v, h, cadres[k % len(cadres)], hid))
    pairings = api.each("pairings", pair_plan, lambda p: api.call(P, "PairCadreWithHousehold", pv1.PairCadreWithHouseholdRequest(
        request_id=rid("pair", p[0], p[1]), cadre_id=p[2], household_id=p[3]), pv1.Pairing))

    # Check-ins over the last 30 days (the most a check-in may be back-dated); about one
    # cadre in eight is rarely on post.
    checkins = []
    for (v, k, *_), cid in zip(cadre_plan, cadre_ids):
        days = 1 if rng.random() < 0.12 else 6
        for d in sorted(rng.sample(range(1, 30), days)):
            checkins.append((v, k, d, cid))
    # On the anchor day minus d, at a fixed hour (China Standard Time), so a reload makes
    # the same requests; days more than 30 days before the real today are skipped (a
    # check-in may be back-dated at most 31 days).
    real_today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
    checkins = [c for c in checkins if (real_today - (today - datetime.timedelta(days=c[2]))).days <= 30]

    def check_in(p):
        v, k, d, cid = p
        day = today - datetime.timedelta(days=d)
        t = datetime.datetime(day.year, day.month, day.day, 8 + rng_hours(seed, v, k, d)) - \
            datetime.timedelta(hours=8)
        req = pv1.RecordCheckInRequest(request_id=rid("in", v, k, day.isoformat()), cadre_id=cid, village_code=v,
                                       method=pv1.CHECK_IN_METHOD_SELF_REPORT)
        req.time.FromDatetime(t)
        return api.call(P, "RecordCheckIn", req, pv1.CheckIn)
    api.each("check-ins", checkins, check_in)

    # Tasks: in every village, one or two per work area, assigned to the village's cadres,
    # due across the first two stages. Lagging areas are rarely finished; others mostly.
    task_plan = []
    for v in villages:
        for s in SECTORS:
            for n in range(rng.choice([1, 1, 2])):
                due = start + datetime.timedelta(days=rng.randint(60, 290))
                lag = s in LAGGING
                fate = rng.choices(["verified", "completed", "progress", "open"],
                                   [15, 10, 35, 40] if lag else [70, 10, 15, 5])[0]
                task_plan.append((v, s, n, due, fate, rng.choice(by_village[v]), rng.randint(10, 90)))

    def new_task(p):
        v, s, n, due, fate, cid, pct = p
        return tv1.Task(
            campaign_id=campaign.id, stage=tv1.STAGE_FIX_SHORTCOMINGS if due > start + datetime.timedelta(days=150)
            else tv1.STAGE_IMPLEMENT, sector=getattr(cv1, "SECTOR_" + s), village_code=v,
            title=TASK_TITLES[s], description=f"{TASK_TITLES[s]} in village {v}", assignee_cadre_id=cid,
            deadline=date(cv1.Date, due), priority=tv1.PRIORITY_HIGH if s in LAGGING else tv1.PRIORITY_NORMAL)

    # The plan goes in batches of 100 (BatchCreateTasks, one transaction each); the first task
    # alone through CreateTask, the call a clerk makes for one task.
    first = task_plan[0]
    created = [api.call(T, "CreateTask", tv1.CreateTaskRequest(request_id=rid("task", *first[:3]),
                                                              task=new_task(first)), tv1.Task).id]

    def batch(k):
        chunk = task_plan[1 + 100 * k:1 + 100 * (k + 1)]
        answer = api.call(T, "BatchCreateTasks", tv1.BatchCreateTasksRequest(
            request_id=rid("tasks", k, *chunk[0][:3]), tasks=[new_task(p) for p in chunk]),
            tv1.BatchCreateTasksResponse)
        for r in answer.results:
            if r.HasField("error"):
                raise RuntimeError(f"BatchCreateTasks refused a task: {r.error.message}")
        return [r.task.id for r in answer.results]
    for ids in api.each("tasks", range((len(task_plan) - 1 + 99) // 100), batch):
        created += ids

    def task(pair):
        (v, s, n, due, fate, cid, pct), tid = pair
        t = tv1.Task(id=tid)
        if fate != "open":
            api.call(T, "ReportProgress", tv1.ReportProgressRequest(
                request_id=rid("progress", v, s, n), task_id=t.id, percent=pct, note="Work under way"), tv1.Task)
        if fate in ("completed", "verified"):
            api.call(T, "CompleteTask", tv1.CompleteTaskRequest(
                request_id=rid("complete", v, s, n), task_id=t.id,
                evidence=[tv1.Evidence(uri=f"https://evidence.example/{t.id}.jpg",
                                       sha256_hex=hashlib.sha256(t.id.encode()).hexdigest())]), tv1.Task)
        if fate == "verified":
            api.call(T, "VerifyTask", tv1.VerifyTaskRequest(
                request_id=rid("verify", v, s, n), task_id=t.id, note="Checked on site"), tv1.Task,
                role="county_official")
        return t.id
    task_ids = api.each("task progress", list(zip(task_plan, created)), task)
    summary["tasks"] = len(task_ids)

    # Funds: sources appropriate to the county pool, the county allocates to township
    # pools, townships to village projects; most projects pay contractors, some sit idle.
    def account(code, kind, name, region, level=None, sector=None, task_id=""):
        a = fv1.Account(code=code, kind=getattr(fv1, "ACCOUNT_KIND_" + kind), name=name, region_code=region)
        if level:
            a.source_level = getattr(fv1, "SOURCE_LEVEL_" + level)
        if sector:
            a.sector = getattr(cv1, "SECTOR_" + sector)
            a.task_id = task_id
        try:
            return api.call(F, "CreateAccount", fv1.CreateAccountRequest(
                request_id=rid("acct", code), account=a, allow_overdraft=kind == "PAYEE"), fv1.Account).id
        except RuntimeError as e:
            if "ALREADY_EXISTS" not in str(e):
                raise
            # Made earlier under another request id (an older demo): use that account.
            req = fv1.ListAccountsRequest(region_code=region, kind=a.kind, page_size=1000)
            while True:
                page = api.call(F, "ListAccounts", req, fv1.ListAccountsResponse)
                for found in page.accounts:
                    if found.code == code:
                        return found.id
                if not page.next_page_token:
                    raise
                req.page_token = page.next_page_token
    sources = api.each("fund sources", SOURCES, lambda s: account(f"SRC-{s[0]}", "SOURCE", s[1], "520221", s[0]))
    county_pool = account("POOL-520221", "POOL", "Shuicheng county poverty-alleviation pool", "520221")
    towns = sorted({v[:9] for v in villages})
    town_pools = dict(zip(towns, api.each("township pools", towns, lambda t: account(
        f"POOL-{t}", "POOL", f"Township pool {t}", t))))
    project_plan = [(v, s, tid) for (v, s, n, *_), tid in zip(task_plan, task_ids) if n == 0 and s in (
        "HOUSING_SAFETY", "DRINKING_WATER", "RURAL_ROADS", "INDUSTRY_SUPPORT")]
    project_ids = api.each("village projects", project_plan, lambda p: account(
        f"PRJ-{p[0]}-{p[1][:8]}", "PROJECT", f"{TASK_TITLES[p[1]]} ({p[0]})", p[0], sector=p[1], task_id=p[2]))
    payee = account("PAYEE-CONTRACTORS", "PAYEE", "Contractors and suppliers", "520221")
    amounts = [rng.randint(20, 120) * 10_000_00 for _ in project_plan]  # 200,000-1,200,000 yuan
    total = sum(amounts)
    # Money enters the ledger only from those entitled to issue it (funds.proto): the
    # centre's, the province's, the city's and the counterpart's money comes from above (an
    # admin, as the province would); the county's finance officer appropriates only the
    # county's own budget.
    appropriations = {"admin": [], "finance_officer": []}
    for (lvl, _, share), src in zip(SOURCES, sources):
        appropriations["finance_officer" if lvl == "COUNTY" else "admin"].append(fv1.Transfer(
            id=f"{rid('tr', 'approp', lvl)}", debit_account_id=src, credit_account_id=county_pool,
            amount_fen=total * share // 100 + 100_000_00, kind=fv1.TRANSFER_KIND_APPROPRIATION,
            memo=f"{lvl.lower()} appropriation"))
    for role, batch in appropriations.items():
        resp = api.call(F, "CreateTransfers", fv1.CreateTransfersRequest(request_id=rid("approp-batch", role),
                                                                         transfers=batch),
                        fv1.CreateTransfersResponse, role=role, shard=0)
        bad = [fv1.TransferResult.Name(r) for r in resp.results
               if r not in (fv1.TRANSFER_RESULT_OK, fv1.TRANSFER_RESULT_EXISTS)]
        if bad:
            raise RuntimeError(f"appropriations by {role}: {bad[:3]}")
    transfers = []
    by_town = {}
    for (v, *_), amt in zip(project_plan, amounts):
        by_town[v[:9]] = by_town.get(v[:9], 0) + amt
    for t, amt in sorted(by_town.items()):
        transfers.append(fv1.Transfer(id=rid("tr", "alloc", t), debit_account_id=county_pool,
                                      credit_account_id=town_pools[t], amount_fen=amt,
                                      kind=fv1.TRANSFER_KIND_ALLOCATION, memo="county to township"))
    idle = 0
    for (v, s, _), pid, amt in zip(project_plan, project_ids, amounts):
        transfers.append(fv1.Transfer(id=rid("tr", "proj", v, s), debit_account_id=town_pools[v[:9]],
                                      credit_account_id=pid, amount_fen=amt, kind=fv1.TRANSFER_KIND_ALLOCATION,
                                      memo="township to village project"))
        if rng.random() < 0.25:
            idle += 1
            continue  # allocated, nothing disbursed: idle money
        paid = amt * rng.randint(40, 100) // 100
        transfers.append(fv1.Transfer(id=rid("tr", "pay", v, s), debit_account_id=pid, credit_account_id=payee,
                                      amount_fen=paid, kind=fv1.TRANSFER_KIND_DISBURSEMENT, memo="contractor payment"))
    batches = [transfers[i:i + 100] for i in range(0, len(transfers), 100)]
    # In order: a project is paid only after its money arrived. (Request ids other than the
    # "batch" ones of loaders that appropriated in the first batch: reloading a database
    # they filled answers EXISTS per transfer instead of refusing a reused request id.)
    for b, batch in enumerate(batches):
        resp = api.call(F, "CreateTransfers", fv1.CreateTransfersRequest(request_id=rid("alloc-batch", b),
                                                                         transfers=batch),
                        fv1.CreateTransfersResponse, role="finance_officer", shard=0)
        bad = [fv1.TransferResult.Name(r) for r in resp.results
               if r not in (fv1.TRANSFER_RESULT_OK, fv1.TRANSFER_RESULT_EXISTS)]
        if bad:
            raise RuntimeError(f"transfer batch {b}: {bad[:3]}")
    sys.stderr.write(f"  {'transfers':<28} {len(transfers) + len(SOURCES)} in {len(batches) + 2} batches\n")
    summary.update(projects=len(project_ids), idle_projects=idle, project_account_id=project_ids[0] if project_ids
                   else "", county_pool_id=county_pool)

    # Six investigation groups, August 21 to September 3, each visiting a few townships
    # unannounced or surveying random households; findings in the seed's categories.
    year = today.year if (today.month, today.day) >= (9, 4) else today.year - 1
    g_start, g_end = datetime.date(year, 8, 21), datetime.date(year, 9, 3)
    cadre_of_village = {v: cs for v, cs in by_village.items()}
    findings_total, orders = 0, []
    finding_subjects = []
    for g in range(6):
        targets = towns[g::6] or towns[:1]
        secret = hashlib.sha256(f"{seed}-{size}-{times}-group-{g}".encode()).digest()
        kind = GROUP_KINDS[g]
        insp = api.call(A, "CreateInspection", av1.CreateInspectionRequest(
            request_id=rid("insp", g), inspection=av1.Inspection(
                kind=getattr(av1, "INSPECTION_KIND_" + kind), group_name=f"Investigation group {g + 1}",
                leader_cadre_ids=[leaders[g]], target_region_codes=targets[:50],
                start_date=date(cv1.Date, g_start), end_date=date(cv1.Date, g_end),
                sample_size=min(20, max(1, n_hh // 4)), seed_commitment=hashlib.sha256(secret).hexdigest())),
            av1.Inspection, role="inspector")
        sample = api.call(A, "RevealSample", av1.RevealSampleRequest(
            request_id=rid("reveal", g), inspection_id=insp.id, seed_hex=secret.hex()), av1.Sample, role="inspector")
        visited = list(sample.household_ids)[:10]

        def visit(p):
            i, hid = p
            req = av1.RecordVisitRequest(request_id=rid("visit", g, i), inspection_id=insp.id, household_id=hid,
                                         observations="Household visited unannounced; registry data checked")
            req.visit_time.FromDatetime(datetime.datetime(g_start.year, 8, 21 + i % 12, 10))
            return api.call(A, "RecordVisit", req, av1.Visit, role="inspector")
        api.each(f"group {g + 1} visits", enumerate(visited), visit)
        group_findings = []
        for k in range(max(2, len(targets) * 3 // 2)):
            town = targets[k % len(targets)]
            vil = rng.choice([v for v in villages if v.startswith(town)])
            cat = CATEGORIES[(g * 5 + k) % len(CATEGORIES)]
            sector = rng.choice(sorted(LAGGING)) if cat == "SECTOR_LAGGING" or rng.random() < 0.5 else \
                rng.choice(SECTORS)
            subject_cadre = rng.choice(cadre_of_village[vil])
            f = api.call(A, "CreateFinding", av1.CreateFindingRequest(request_id=rid("finding", g, k), finding=av1.Finding(
                inspection_id=insp.id, category=getattr(av1, "FINDING_CATEGORY_" + cat),
                sector=getattr(cv1, "SECTOR_" + sector), region_code=vil,
                subject=av1.Subject(cadre_id=subject_cadre), severity=rng.choice(
                    [av1.SEVERITY_MINOR, av1.SEVERITY_MODERATE, av1.SEVERITY_MODERATE] +
                    ([av1.SEVERITY_SERIOUS] if hasattr(av1, "SEVERITY_SERIOUS") else [])),
                description=f"{cat.replace('_', ' ').capitalize()} found in village {vil} ({sector.lower()})",
                evidence_uris=[f"https://inspection.example/{g + 1}/{k}.jpg"])), av1.Finding, role="inspector")
            group_findings.append(f)
            finding_subjects.append(subject_cadre)
        findings_total += len(group_findings)
        # One rectification order per finding's village, due within 30 to 90 days.
        for k, f in enumerate(group_findings):
            o = api.call(A, "IssueRectificationOrder", av1.IssueRectificationOrderRequest(
                request_id=rid("order", g, k), finding_ids=[f.id], responsible=f.subject,
                deadline=date(cv1.Date, g_end + datetime.timedelta(days=rng.choice([30, 60, 90]))),
                campaign_id=campaign.id), av1.RectificationOrder, role="inspector")
            orders.append((g, k, o, f))
    # Most orders are worked on: submitted, verified or rejected (reopened) by inspectors.
    for g, k, o, f in orders:
        fate = rng.choices(["open", "submitted", "verified", "reopened"], [25, 20, 40, 15])[0]
        if fate == "open":
            continue
        api.call(A, "SubmitRectification", av1.SubmitRectificationRequest(
            request_id=rid("submit", g, k), order_id=o.id, note="Rectified; see the attached records"),
            av1.RectificationOrder, role="county_official")
        if fate == "verified":
            # An order is verified only once its tasks are: each is completed, then verified
            # on site by an inspector (a second person: neither the assignee nor who completed it).
            for i, tid in enumerate(o.task_ids):
                api.call(T, "CompleteTask", tv1.CompleteTaskRequest(
                    request_id=rid("complete-order", g, k, i), task_id=tid,
                    evidence=[tv1.Evidence(uri=f"https://evidence.example/{tid}.jpg",
                                           sha256_hex=hashlib.sha256(tid.encode()).hexdigest())]), tv1.Task)
                api.call(T, "VerifyTask", tv1.VerifyTaskRequest(
                    request_id=rid("verify-order-task", g, k, i), task_id=tid, note="Rectified, checked on site"),
                    tv1.Task, role="inspector")
            api.call(A, "VerifyRectification", av1.VerifyRectificationRequest(
                request_id=rid("verify-order", g, k), order_id=o.id), av1.RectificationOrder, role="inspector")
        elif fate == "reopened":
            api.call(A, "RejectRectification", av1.RejectRectificationRequest(
                request_id=rid("reject", g, k), order_id=o.id, reason="Not rectified on site"),
                av1.RectificationOrder, role="inspector")
    # Actions against the cadres of serious findings: a reminder, criticism or warning.
    actioned = orders[::4]
    for g, k, o, f in actioned:
        api.call(A, "RecordAccountabilityAction", av1.RecordAccountabilityActionRequest(
            request_id=rid("action", g, k), action=av1.AccountabilityAction(
                subject=f.subject, kind=rng.choice([av1.ACTION_KIND_REMINDER, av1.ACTION_KIND_CRITICISM,
                                                    av1.ACTION_KIND_WARNING]),
                finding_ids=[f.id], decided_by="Liupanshui Municipal Commission for Discipline Inspection",
                decision_date=date(cv1.Date, g_end + datetime.timedelta(days=2)), region_code=f.region_code)),
            av1.AccountabilityAction, role="inspector")
    # What happens next in a county, once each: a cadre's unit renamed, a posting ended and
    # a pairing dissolved with it, a task's deadline moved, one cancelled, a verified task
    # reopened after a survey, and two allocations approved in two phases (one posted, one
    # voided). Households leave poverty only through the exit procedure (below).
    c0 = cadre_ids[0]
    got = api.call(P, "GetCadre", pv1.GetCadreRequest(id=c0), pv1.Cadre)
    api.call(P, "UpdateCadre", pv1.UpdateCadreRequest(
        request_id=rid("unit", c0), cadre=pv1.Cadre(id=c0, etag=got.etag, dispatching_unit=got.dispatching_unit +
                                                     " (Rural Revitalisation Bureau)"),
        update_mask={"paths": ["dispatching_unit"]}), pv1.Cadre)
    if len(pairings) > 0:
        api.call(P, "UnpairCadre", pv1.UnpairCadreRequest(request_id=rid("unpair", pairings[0].id),
                                                          pairing_id=pairings[0].id), pv1.Pairing)
    member = cadre_ids[min(2, len(cadre_ids) - 1)]
    api.call(P, "EndPosting", pv1.EndPostingRequest(
        request_id=rid("end-post", member), posting_id=postings[member], reason="Recalled to the county office",
        end_date=date(cv1.Date, today)), pv1.Posting)
    open_tasks = [tid for (v, s, n, due, fate, *_), tid in zip(task_plan, task_ids) if fate == "open"]
    verified = [tid for (v, s, n, due, fate, *_), tid in zip(task_plan, task_ids) if fate == "verified"]
    if open_tasks:
        task0 = api.call(T, "GetTask", tv1.GetTaskRequest(id=open_tasks[0]), tv1.Task)
        api.call(T, "UpdateTask", tv1.UpdateTaskRequest(
            request_id=rid("deadline", task0.id), task=tv1.Task(id=task0.id, etag=task0.etag,
                                                             deadline=date(cv1.Date, today + datetime.timedelta(days=45))),
            update_mask={"paths": ["deadline"]}), tv1.Task)
    if len(open_tasks) > 1:
        api.call(T, "CancelTask", tv1.CancelTaskRequest(request_id=rid("cancel", open_tasks[1]), task_id=open_tasks[1],
                                                        reason="Merged into the relocation plan"), tv1.Task)
    if verified:
        api.call(T, "ReopenTask", tv1.ReopenTaskRequest(
            request_id=rid("reopen", verified[0]), task_id=verified[0],
            reason="A random household survey found the work not done"), tv1.Task, role="inspector")
    if project_ids:
        for i, (what, resolve) in enumerate((("post", "PostPendingTransfer"), ("void", "VoidPendingTransfer"))):
            tid = rid("pending", what)
            t = fv1.Transfer(id=tid, debit_account_id=county_pool, credit_account_id=project_ids[-1], amount_fen=50_000_00,
                             kind=fv1.TRANSFER_KIND_ALLOCATION, pending=True, memo="awaiting the county's approval")
            t.timeout.FromSeconds(7 * 86400)
            resp = api.call(F, "CreateTransfers", fv1.CreateTransfersRequest(request_id=rid("pending-batch", what),
                                                                             transfers=[t]),
                            fv1.CreateTransfersResponse, role="finance_officer", shard=0)
            if resp.results[0] not in (fv1.TRANSFER_RESULT_OK, fv1.TRANSFER_RESULT_EXISTS):
                raise RuntimeError(f"pending transfer: {fv1.TransferResult.Name(resp.results[0])}")
            req = (fv1.PostPendingTransferRequest(request_id=rid("resolve", what), transfer_id=tid) if what == "post"
                   else fv1.VoidPendingTransferRequest(request_id=rid("resolve", what), transfer_id=tid,
                                                       reason="Duplicate request from the township"))
            # Four eyes on money: a finance officer reserved it, a county official (a second
            # person) posts it; the creator could void it but never post it.
            api.call(F, resolve, req, fv1.Transfer, role="county_official")
    # The exit from poverty: the year's standard, village profiles, live exit applications
    # and the county's third-party assessment with its gate.
    load_exit(api, rid, seed, size, today, villages, hh_plan, hh_ids, summary)
    # Last, one village merger (regions with validity dates): after every figure above.
    summary["merger"] = merge_demo_villages(api, rid, villages, today)
    summary.update(findings=findings_total, rectification_orders=len(orders), actions=len(actioned),
                   cadre_with_findings=finding_subjects[0] if finding_subjects else "", calls=api.calls,
                   seconds=round(time.monotonic() - t0, 1))
    sys.stderr.write(f"Loaded in {summary['seconds']} s ({api.calls} calls)\n")
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default=os.environ.get("TUOPIN_GATEWAY", "127.0.0.1:50051"))
    parser.add_argument("--secret_file", required=True, help="the gateway's HS256 secret (local development)")
    parser.add_argument("--pyout", required=True, help="the generated Python modules (build/python)")
    parser.add_argument("--size", choices=sorted(SIZES), default="demo")
    parser.add_argument("--times", type=int, default=1, help="multiply the county (benchmarks: 10)")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--anchor", help="the demo's 'today' (YYYY-MM-DD, China time; default today): the "
                        "campaign started 200 days before it. Pass the same anchor to reload the same demo.")
    args = parser.parse_args()
    with open(args.secret_file, "rb") as f:
        secret = f.read().strip()
    api = Api(args.target, secret, args.pyout, args.workers)
    anchor = datetime.date.fromisoformat(args.anchor) if args.anchor else None
    print(json.dumps(load(api, args.size, args.seed, args.times, today=anchor), indent=2))


if __name__ == "__main__":
    main()
