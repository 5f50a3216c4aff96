"""The demo's last act: one village merger (issue 21), so the register shows a village that
left the tree, its households in the village it joined, and reads as of a date before the
merger that still find it.

The county merges the last village of the last township without an exit application in
progress into the township's first village. Its cadres' postings end first (a village
with an active posting is not merged); the pairings of its households follow them. The
decision reference is illustrative, not a real document number. Run after everything
else, so the demo's other figures (assessment, coverage, exits) are those of the county
before the merger. A reload replays the merger (same request id) and ends nothing twice."""

import datetime

from demo_api import date

P = "tuopin.personnel.v1.PersonnelService"
E = "tuopin.personnel.v1.ExitService"
DECISION = "DEMO ONLY, illustrative: Shuicheng County village consolidation decision no. 1 (not a real document)"


def merge_demo_villages(api, rid, villages, today):
    from tuopin.common.v1 import common_pb2 as cv1
    from tuopin.personnel.v1 import exit_pb2 as ev1
    from tuopin.personnel.v1 import personnel_pb2 as pv1
    town = villages[-1][:9]
    in_town = [v for v in villages if v[:9] == town]
    if len(in_town) < 2:
        return {}
    open_stages = {ev1.EXIT_STAGE_PROPOSED, ev1.EXIT_STAGE_NOTICE, ev1.EXIT_STAGE_OBJECTED,
                   ev1.EXIT_STAGE_TOWNSHIP_REVIEWED, ev1.EXIT_STAGE_COUNTY_APPROVED}
    apps = api.call(E, "ListExitApplications", ev1.ListExitApplicationsRequest(region_code=town, page_size=1000),
                    ev1.ListExitApplicationsResponse).applications
    busy = {a.village_code for a in apps if a.stage in open_stages}
    into = in_town[0]
    merged = next((v for v in reversed(in_town[1:]) if v not in busy), None)
    if merged is None:
        return {}
    active = api.call(P, "ListPostings", pv1.ListPostingsRequest(region_code=merged, active_only=True,
                                                                 page_size=1000), pv1.ListPostingsResponse)
    for p in active.postings:
        api.call(P, "EndPosting", pv1.EndPostingRequest(
            request_id=rid("merger-end-post", p.id), posting_id=p.id,
            reason="Village merged into its neighbour; the work team is reassigned",
            end_date=date(cv1.Date, max(today, datetime.date(p.start_date.year, p.start_date.month,
                                                               p.start_date.day)))),
            pv1.Posting, role="county_official")
    out = api.call(P, "MergeVillages", pv1.MergeVillagesRequest(
        request_id=rid("merger", merged, into), village_codes=[merged], into_code=into,
        decision_reference=DECISION), pv1.MergeVillagesResponse, role="county_official")
    return {"merged": merged, "into": into, "households_moved": out.households_moved, "decision": DECISION}
