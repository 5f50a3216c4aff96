// Unit tests of the records logic's inspections (the population frozen before the seed is
// known, the committed draw), visits, findings, lists, the region summary, submission and
// actions, on the in-memory fakes (no server, no database).

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/accountability/records_events.h"
#include "tests/support/same_refusal.h"
#include "tests/unit/accountability/records_test_fixture.h"

namespace tuopin::accountability {
namespace {

using testing::ExpectSameRefusal;
using tuopin::common::v1::ROLE_CADRE;

constexpr char kSeed[] = "0123456789abcdef";  // 16 bytes
constexpr char kLiuzhiVillage[] = "520203101001";

std::string Reason(const absl::Status& st) { return common::ReasonOf(common::ToGrpcStatus(st)); }

class InspectionTest : public RecordsLogicTest {
 protected:
  InspectionTest() {
    // Registered households: three in Shuicheng (two villages), one in Liuzhi.
    for (const auto& [id, village] :
         std::vector<std::pair<std::string, std::string>>{{"h-3", kVillage},
                                                          {"h-1", kVillage},
                                                          {"h-2", "520221104002"},
                                                          {"h-liuzhi", kLiuzhiVillage}}) {
      personnel_.household_villages[id] = village;
      personnel_.registered.insert(id);
    }
    personnel_.household_villages["h-unregistered"] = kVillage;
  }

  absl::StatusOr<v1::Inspection> Create(const std::string& request_id = "insp-1",
                                        const std::string& region = "520221",
                                        const std::string& leader = "cadre-7", int k = 2) {
    v1::CreateInspectionRequest req;
    req.set_request_id(request_id);
    v1::Inspection* in = req.mutable_inspection();
    in->set_kind(v1::INSPECTION_KIND_RANDOM_HOUSEHOLD_SURVEY);
    in->set_group_name("Provincial group 3");
    in->add_leader_cadre_ids(leader);
    in->add_target_region_codes(region);
    *in->mutable_start_date() = common::ToDate(absl::CivilDay(2018, 9, 1));
    *in->mutable_end_date() = common::ToDate(absl::CivilDay(2018, 9, 30));
    in->set_sample_size(k);
    in->set_seed_commitment(common::HexEncode(common::Sha256(kSeed)));
    in->set_id("chosen-by-caller");
    in->set_revealed(true);
    v1::Inspection out;
    TUOPIN_RETURN_IF_ERROR(logic_.CreateInspection(Ctx(request_id), req, out));
    return out;
  }

  absl::StatusOr<v1::Sample> Reveal(const std::string& id, const std::string& seed,
                                    const std::string& request_id = "reveal-1") {
    v1::RevealSampleRequest req;
    req.set_request_id(request_id);
    req.set_inspection_id(id);
    req.set_seed_hex(common::HexEncode(seed));
    v1::Sample out;
    TUOPIN_RETURN_IF_ERROR(logic_.RevealSample(Ctx(request_id), req, out));
    return out;
  }

  absl::StatusOr<v1::Visit> VisitHousehold(const std::string& inspection_id,
                                           const std::string& household_id,
                                           const std::string& request_id) {
    v1::RecordVisitRequest req;
    req.set_request_id(request_id);
    req.set_inspection_id(inspection_id);
    req.set_household_id(household_id);
    req.set_observations("Roof repaired, water connected");
    *req.mutable_visit_time() = common::ToTimestamp(clock_.Now());
    v1::Visit out;
    TUOPIN_RETURN_IF_ERROR(logic_.RecordVisit(Ctx(request_id), req, out));
    return out;
  }
};

TEST(DrawSampleTest, ADeterministicPrefixOfAPermutation) {
  std::vector<std::string> ids = {"a", "b", "c", "d", "e", "f"};
  std::vector<std::string> sample = DrawSample(kSeed, ids, 4);
  EXPECT_EQ(sample, DrawSample(kSeed, ids, 4));
  ASSERT_EQ(sample.size(), 4u);
  std::vector<std::string> sorted = sample;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end()) << "a household drawn twice";
  // The first k of a longer draw: the same households in the same order.
  std::vector<std::string> longer = DrawSample(kSeed, ids, 6);
  EXPECT_TRUE(std::equal(sample.begin(), sample.end(), longer.begin()));
  EXPECT_NE(DrawSample("another seed, 16b", ids, 6), longer);
  EXPECT_EQ(DrawSample(kSeed, ids, 10).size(), 6u);
  EXPECT_TRUE(DrawSample(kSeed, ids, 0).empty());
  EXPECT_TRUE(DrawSample(kSeed, {}, 3).empty());
}

TEST(PopulationDigestTest, HashOfTheSortedIdsOneALine) {
  EXPECT_EQ(PopulationDigest({"h-1", "h-2"}), common::HexEncode(common::Sha256("h-1\nh-2")));
  EXPECT_NE(PopulationDigest({"h-1", "h-2"}), PopulationDigest({"h-1", "h-3"}));
}

TEST(RectificationTaskTest, TheFindingsTaskInTheOrdersTerms) {
  v1::Finding f;
  f.set_id("f-1");
  f.set_region_code(kVillage);
  f.set_category(v1::FINDING_CATEGORY_SECTOR_LAGGING);
  f.set_description(std::string(5000, 'd'));
  v1::RectificationOrder o;
  o.set_id("order-1");
  o.set_campaign_id("campaign-1");
  o.mutable_responsible()->set_department("Shuicheng water bureau");
  *o.mutable_deadline() = common::ToDate(absl::CivilDay(2018, 10, 31));
  tv1::Task t = RectificationTask(f, o, tv1::STAGE_FIX_SHORTCOMINGS);
  EXPECT_EQ(t.village_code(), kVillage);
  EXPECT_EQ(t.stage(), tv1::STAGE_FIX_SHORTCOMINGS);
  EXPECT_EQ(t.title(), "Rectify: sector lagging");
  EXPECT_EQ(t.description().size(), 4000u);
  // A finding of no sector is about the basic information.
  EXPECT_EQ(t.sector(), tuopin::common::v1::SECTOR_BASIC_INFORMATION);
  EXPECT_EQ(t.assignee_department(), "Shuicheng water bureau");
  EXPECT_TRUE(t.assignee_cadre_id().empty());
  EXPECT_EQ(t.rectification_order_id(), "order-1");
  EXPECT_EQ(t.priority(), tv1::PRIORITY_HIGH);
  EXPECT_EQ(common::FromDate(t.deadline()), absl::CivilDay(2018, 10, 31));
}

// The audit events tag what lies in a region with it, so another region's auditors cannot
// read it; objects tagged by their own creation (a cadre, an inspection) are named bare.
TEST(RecordsEventsTest, EveryObjectOfAnOrderOrActionCarriesItsRegion) {
  v1::RectificationOrder o;
  o.set_id("order-1");
  o.set_region_code(kVillage);
  o.add_finding_ids("f-1");
  o.add_task_ids("task-1");
  common::EntityRefs refs = OrderEntities(o);
  ASSERT_EQ(refs.size(), 3u);
  for (const auto& e : refs) EXPECT_EQ(e.region_code(), kVillage) << e.type();
  EXPECT_EQ(refs[2].type(), "task");
  v1::AccountabilityAction a;
  a.set_id("act-1");
  a.set_region_code(kVillage);
  a.mutable_subject()->set_cadre_id("cadre-7");
  a.add_finding_ids("f-1");
  refs = ActionEntities(a);
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[0].region_code(), kVillage);
  EXPECT_EQ(refs[1].type(), "cadre");
  EXPECT_TRUE(refs[1].region_code().empty());
  EXPECT_EQ(refs[2].region_code(), kVillage);
  v1::Finding f;
  f.set_id("f-1");
  f.set_inspection_id("insp-1");
  f.set_region_code(kVillage);
  f.mutable_subject()->set_department("Water bureau");
  refs = FindingEntities(f);
  ASSERT_EQ(refs.size(), 2u);  // a department is no object
  EXPECT_EQ(refs[0].region_code(), kVillage);
  EXPECT_TRUE(refs[1].region_code().empty());
}

// ---- CreateInspection

TEST_F(InspectionTest, CreateFreezesThePopulationBeforeTheSeedIsKnown) {
  absl::StatusOr<v1::Inspection> in = Create();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_NE(in->id(), "chosen-by-caller");
  EXPECT_FALSE(in->revealed());
  EXPECT_EQ(in->population_size(), 3);
  EXPECT_EQ(in->population_digest(), PopulationDigest({"h-1", "h-2", "h-3"}));
  EXPECT_EQ(store_.populations[in->id()], (std::vector<std::string>{"h-1", "h-2", "h-3"}));
  // A household registered afterwards does not enter the draw.
  personnel_.registered.insert("h-unregistered");
  EXPECT_EQ(store_.populations[in->id()].size(), 3u);
  ASSERT_EQ(store_.mutations.events.size(), 1u);
  const auto& event = store_.mutations.events[0];
  EXPECT_EQ(event.entities(0).region_code(), "520221");
  EXPECT_EQ(event.entities(1).type(), "cadre");
}

TEST_F(InspectionTest, CreateNamesOnlyTheCallersRegionsAndCadres) {
  EXPECT_EQ(Create("insp-a", "520203").status().code(), absl::StatusCode::kPermissionDenied);
  ExpectSameRefusal(Create("insp-b", "520221", "cadre-liuzhi").status(), "cadre-liuzhi",
                    Create("insp-c", "520221", "cadre-ghost").status(), "cadre-ghost");
  EXPECT_TRUE(store_.inspections.empty());
  // Personnel unreachable: no inspection over a population that could not be read.
  personnel_.fail = absl::UnavailableError("personnel is restarting");
  EXPECT_EQ(Create("insp-d").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(store_.inspections.empty());
}

// ---- GetInspection

TEST_F(InspectionTest, GetShowsAnInspectionOfAnyTargetRegionInScope) {
  absl::StatusOr<v1::Inspection> in = Create();
  ASSERT_TRUE(in.ok());
  v1::GetInspectionRequest req;
  req.set_id(in->id());
  v1::Inspection out;
  ASSERT_TRUE(logic_.GetInspection(inspector_, req, out).ok());
  EXPECT_EQ(out.id(), in->id());
  // Another county's inspection looks missing.
  v1::Inspection& liuzhi = store_.inspections["insp-liuzhi"];
  liuzhi.set_id("insp-liuzhi");
  liuzhi.add_target_region_codes("520203");
  auto get = [&](const std::string& id) {
    req.set_id(id);
    return logic_.GetInspection(inspector_, req, out);
  };
  ExpectSameRefusal(get("insp-liuzhi"), "insp-liuzhi", get("insp-ghost"), "insp-ghost");
  liuzhi.add_target_region_codes("520221104");  // and one of ours
  EXPECT_TRUE(get("insp-liuzhi").ok());
}

// ---- RevealSample

TEST_F(InspectionTest, RevealDrawsTheCommittedSampleOnce) {
  absl::StatusOr<v1::Inspection> in = Create();
  ASSERT_TRUE(in.ok());
  absl::StatusOr<v1::Sample> wrong = Reveal(in->id(), "fedcba9876543210", "reveal-0");
  EXPECT_EQ(Reason(wrong.status()), "SEED_MISMATCH") << wrong.status();
  EXPECT_FALSE(store_.inspections[in->id()].revealed());

  absl::StatusOr<v1::Sample> sample = Reveal(in->id(), kSeed);
  ASSERT_TRUE(sample.ok()) << sample.status();
  std::vector<std::string> drawn(sample->household_ids().begin(), sample->household_ids().end());
  EXPECT_EQ(drawn, DrawSample(kSeed, {"h-1", "h-2", "h-3"}, 2));
  EXPECT_TRUE(store_.inspections[in->id()].revealed());
  // The same request again is replayed; a new one is refused: a sample is drawn once.
  EXPECT_TRUE(Reveal(in->id(), kSeed).ok());
  EXPECT_EQ(Reason(Reveal(in->id(), kSeed, "reveal-2").status()), "ALREADY_REVEALED");
  EXPECT_EQ(store_.samples[in->id()], drawn);
}

TEST_F(InspectionTest, RevealRefusesAPopulationChangedSinceTheCommitment) {
  absl::StatusOr<v1::Inspection> in = Create();
  ASSERT_TRUE(in.ok());
  store_.populations[in->id()].push_back("h-slipped-in");
  EXPECT_EQ(Reveal(in->id(), kSeed).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(store_.inspections[in->id()].revealed());
}

// ---- RecordVisit

TEST_F(InspectionTest, VisitsOutsideTheSampleAreFlagged) {
  absl::StatusOr<v1::Inspection> in = Create("insp-1", "520221", "cadre-7", 1);
  ASSERT_TRUE(in.ok());
  absl::StatusOr<v1::Sample> sample = Reveal(in->id(), kSeed);
  ASSERT_TRUE(sample.ok());
  std::string drawn = sample->household_ids(0);
  std::string other = drawn == "h-1" ? "h-2" : "h-1";
  absl::StatusOr<v1::Visit> in_sample = VisitHousehold(in->id(), drawn, "visit-1");
  ASSERT_TRUE(in_sample.ok()) << in_sample.status();
  EXPECT_FALSE(in_sample->outside_sample());
  EXPECT_EQ(in_sample->region_code(), personnel_.household_villages[drawn]);
  absl::StatusOr<v1::Visit> outside = VisitHousehold(in->id(), other, "visit-2");
  ASSERT_TRUE(outside.ok());
  EXPECT_TRUE(outside->outside_sample());
  EXPECT_EQ(store_.visits.size(), 2u);
  // The household is tagged with its village: only that village's auditors read its visits.
  const auto& event = store_.mutations.events.back();
  ASSERT_EQ(event.entities_size(), 3);
  EXPECT_EQ(event.entities(2).type(), "household");
  EXPECT_EQ(event.entities(2).region_code(), personnel_.household_villages[other]);
  // A unit is visited in the inspection's first region.
  v1::RecordVisitRequest req;
  req.set_request_id("visit-3");
  req.set_inspection_id(in->id());
  req.set_unit_name("Township clinic");
  req.set_observations("Doctor on duty");
  v1::Visit unit;
  ASSERT_TRUE(logic_.RecordVisit(Ctx("visit-3"), req, unit).ok());
  EXPECT_EQ(unit.region_code(), "520221");
  EXPECT_FALSE(unit.outside_sample());
}

TEST_F(InspectionTest, AVisitNamesAHouseholdOfTheCallersScope) {
  absl::StatusOr<v1::Inspection> in = Create();
  ASSERT_TRUE(in.ok());
  ExpectSameRefusal(VisitHousehold(in->id(), "h-liuzhi", "visit-a").status(), "h-liuzhi",
                    VisitHousehold(in->id(), "h-ghost", "visit-b").status(), "h-ghost");
  EXPECT_TRUE(store_.visits.empty());
}

// ---- CreateFinding

TEST_F(InspectionTest, AFindingBelongsToAVisibleInspectionAndRegion) {
  absl::StatusOr<v1::Inspection> in = Create();
  ASSERT_TRUE(in.ok());
  auto create = [&](const std::string& request_id, const std::string& region,
                    const std::string& cadre) {
    v1::CreateFindingRequest req;
    req.set_request_id(request_id);
    v1::Finding* f = req.mutable_finding();
    f->set_id("chosen-by-caller");
    f->set_inspection_id(in->id());
    f->set_category(v1::FINDING_CATEGORY_SECTOR_LAGGING);
    f->set_region_code(region);
    f->mutable_subject()->set_cadre_id(cadre);
    f->set_description("Two houses still unsafe");
    v1::Finding out;
    absl::Status st = logic_.CreateFinding(Ctx(request_id), req, out);
    return st.ok() ? absl::StatusOr<v1::Finding>(out) : absl::StatusOr<v1::Finding>(st);
  };
  absl::StatusOr<v1::Finding> f = create("find-1", kVillage, "cadre-7");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_NE(f->id(), "chosen-by-caller");
  EXPECT_EQ(store_.findings.count(f->id()), 1u);
  EXPECT_EQ(create("find-2", kLiuzhiVillage, "cadre-7").status().code(),
            absl::StatusCode::kPermissionDenied);
  ExpectSameRefusal(create("find-3", kVillage, "cadre-liuzhi").status(), "cadre-liuzhi",
                    create("find-4", kVillage, "cadre-ghost").status(), "cadre-ghost");
  EXPECT_EQ(store_.findings.size(), 1u);
}

// ---- ListFindings

TEST_F(RecordsLogicTest, ListFindingsFiltersAndPages) {
  AddFinding("f-1", kVillage);
  AddFinding("f-2", "520221104002");
  AddFinding("f-3", kVillage);
  AddFinding("f-liuzhi", "520203101001");
  store_.findings["f-3"].mutable_subject()->set_cadre_id("cadre-7");
  v1::ListFindingsRequest req;
  req.set_region_code("520221");
  req.set_page_size(2);
  v1::ListFindingsResponse page1, page2;
  ASSERT_TRUE(logic_.ListFindings(inspector_, req, page1).ok());
  ASSERT_EQ(page1.findings_size(), 2);
  EXPECT_EQ(page1.findings(0).id(), "f-1");
  ASSERT_FALSE(page1.next_page_token().empty());
  req.set_page_token(page1.next_page_token());
  ASSERT_TRUE(logic_.ListFindings(inspector_, req, page2).ok());
  ASSERT_EQ(page2.findings_size(), 1);
  EXPECT_EQ(page2.findings(0).id(), "f-3");
  EXPECT_TRUE(page2.next_page_token().empty());
  // A token belongs to its filters.
  req.set_region_code("520221104");
  v1::ListFindingsResponse other;
  EXPECT_EQ(logic_.ListFindings(inspector_, req, other).code(), absl::StatusCode::kInvalidArgument);
  req.clear_page_token();
  req.set_subject_cadre_id("cadre-7");
  ASSERT_TRUE(logic_.ListFindings(inspector_, req, other).ok());
  ASSERT_EQ(other.findings_size(), 1);
  EXPECT_EQ(other.findings(0).id(), "f-3");
  req.set_region_code("520203");
  EXPECT_EQ(logic_.ListFindings(inspector_, req, other).code(),
            absl::StatusCode::kPermissionDenied);
}

// ---- SummarizeRegion

TEST_F(RecordsLogicTest, SummaryCountsFindingsAndOrdersByChinasDay) {
  AddFinding("f-1", kVillage);
  AddFinding("f-2", kVillage);
  AddFinding("f-liuzhi", "520203101001");
  store_.findings["f-2"].set_sector(tuopin::common::v1::SECTOR_DRINKING_WATER);
  auto order = [&](const std::string& id, v1::RectificationStatus s, absl::CivilDay deadline,
                   int reopens) {
    v1::RectificationOrder& o = store_.orders[id];
    o.set_id(id);
    o.set_region_code(kVillage);
    o.set_status(s);
    *o.mutable_deadline() = common::ToDate(deadline);
    o.set_reopen_count(reopens);
  };
  // The clock reads 02:00 UTC on 5 September: 10:00 in China, the same day.
  order("o-late", v1::RECTIFICATION_STATUS_OPEN, absl::CivilDay(2018, 9, 4), 0);
  order("o-today", v1::RECTIFICATION_STATUS_SUBMITTED, absl::CivilDay(2018, 9, 5), 1);
  order("o-done", v1::RECTIFICATION_STATUS_VERIFIED, absl::CivilDay(2018, 8, 1), 0);
  v1::SummarizeRegionRequest req;
  req.set_region_code("520221");
  v1::RegionSummary out;
  ASSERT_TRUE(logic_.SummarizeRegion(inspector_, req, out).ok());
  EXPECT_EQ(out.region_code(), "520221");
  EXPECT_EQ(out.findings(), 2);
  EXPECT_EQ(out.findings_by_sector_size(), 2);
  EXPECT_EQ(out.orders(), 3);
  EXPECT_EQ(out.orders_open(), 1);
  EXPECT_EQ(out.orders_submitted(), 1);
  EXPECT_EQ(out.orders_verified(), 1);
  EXPECT_EQ(out.orders_reopened(), 1);
  EXPECT_EQ(out.orders_overdue(), 1);
  req.set_region_code("520203");
  EXPECT_EQ(logic_.SummarizeRegion(inspector_, req, out).code(),
            absl::StatusCode::kPermissionDenied);
}

// ---- SubmitRectification

TEST_F(RecordsLogicTest, OnlyTheResponsibleCadreSubmitsAnOpenOrder) {
  AddFinding("f-1", kVillage);
  absl::StatusOr<v1::RectificationOrder> o = Issue({"f-1"});
  ASSERT_TRUE(o.ok()) << o.status();
  auto submit = [&](const common::Principal& who, const std::string& request_id) {
    v1::SubmitRectificationRequest req;
    req.set_request_id(request_id);
    req.set_order_id(o->id());
    req.set_note("Both houses rebuilt");
    v1::RectificationOrder out;
    return logic_.SubmitRectification(Ctx(request_id, who), req, out);
  };
  common::Principal other_cadre;
  other_cadre.set_subject("cadre-8");
  other_cadre.add_roles(ROLE_CADRE);
  other_cadre.add_region_scopes("520221");
  EXPECT_EQ(Reason(submit(other_cadre, "submit-1")), "NOT_RESPONSIBLE");
  // The responsible cadre submits, from outside the order's region too.
  common::Principal responsible;
  responsible.set_subject("cadre-7");
  responsible.add_roles(ROLE_CADRE);
  responsible.add_region_scopes("520203");
  ASSERT_TRUE(submit(responsible, "submit-2").ok());
  EXPECT_EQ(store_.orders[o->id()].status(), v1::RECTIFICATION_STATUS_SUBMITTED);
  EXPECT_EQ(store_.orders[o->id()].submission_note(), "Both houses rebuilt");
  EXPECT_EQ(Reason(submit(responsible, "submit-3")), "ILLEGAL_TRANSITION");
  // Whoever issued it may not verify it when responsible for it.
  v1::VerifyRectificationRequest verify;
  verify.set_request_id("verify-1");
  verify.set_order_id(o->id());
  v1::RectificationOrder out;
  EXPECT_EQ(Reason(logic_.VerifyRectification(Ctx("verify-1", responsible), verify, out)),
            "VERIFIER_RESPONSIBLE");
}

// ---- ListRectificationOrders

TEST_F(RecordsLogicTest, ListOrdersByState) {
  AddFinding("f-1", kVillage);
  AddFinding("f-2", kVillage);
  absl::StatusOr<v1::RectificationOrder> a = Issue({"f-1"}, "issue-a");
  absl::StatusOr<v1::RectificationOrder> b = Issue({"f-2"}, "issue-b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->status(), v1::RECTIFICATION_STATUS_OPEN);
  store_.orders[b->id()].set_status(v1::RECTIFICATION_STATUS_SUBMITTED);
  v1::ListRectificationOrdersRequest req;
  req.set_region_code("520221");
  v1::ListRectificationOrdersResponse all, submitted;
  ASSERT_TRUE(logic_.ListRectificationOrders(inspector_, req, all).ok());
  EXPECT_EQ(all.orders_size(), 2);
  req.set_status(v1::RECTIFICATION_STATUS_SUBMITTED);
  ASSERT_TRUE(logic_.ListRectificationOrders(inspector_, req, submitted).ok());
  ASSERT_EQ(submitted.orders_size(), 1);
  EXPECT_EQ(submitted.orders(0).id(), b->id());
  EXPECT_EQ(submitted.orders(0).task_ids_size(), 1);
  req.set_region_code("520203");
  EXPECT_EQ(logic_.ListRectificationOrders(inspector_, req, all).code(),
            absl::StatusCode::kPermissionDenied);
}

// ---- RecordAccountabilityAction, ListAccountabilityActions

TEST_F(RecordsLogicTest, AnActionLiesInItsFindingsRegionAndIsListedThere) {
  AddFinding("f-1", kVillage);
  AddFinding("f-2", kVillage);
  v1::RecordAccountabilityActionRequest req;
  req.set_request_id("act-1");
  v1::AccountabilityAction* a = req.mutable_action();
  a->mutable_subject()->set_cadre_id("cadre-7");
  a->add_finding_ids("f-1");
  a->add_finding_ids("f-2");
  a->set_kind(v1::ACTION_KIND_WARNING);
  a->set_decided_by("County discipline commission");
  a->set_region_code("520203");  // ignored: the findings decide
  v1::AccountabilityAction out;
  ASSERT_TRUE(logic_.RecordAccountabilityAction(Ctx("act-1"), req, out).ok());
  EXPECT_EQ(out.region_code(), kVillage);
  EXPECT_FALSE(out.id().empty());
  req.set_request_id("act-2");
  req.mutable_action()->mutable_subject()->set_department("Township office");
  ASSERT_TRUE(logic_.RecordAccountabilityAction(Ctx("act-2"), req, out).ok());

  v1::ListAccountabilityActionsRequest list;
  list.set_region_code("520221");
  v1::ListAccountabilityActionsResponse all, about_cadre;
  ASSERT_TRUE(logic_.ListAccountabilityActions(inspector_, list, all).ok());
  EXPECT_EQ(all.actions_size(), 2);
  list.set_subject_cadre_id("cadre-7");
  ASSERT_TRUE(logic_.ListAccountabilityActions(inspector_, list, about_cadre).ok());
  ASSERT_EQ(about_cadre.actions_size(), 1);
  EXPECT_EQ(about_cadre.actions(0).subject().cadre_id(), "cadre-7");
  list.set_region_code("520203");
  EXPECT_EQ(logic_.ListAccountabilityActions(inspector_, list, all).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace tuopin::accountability
