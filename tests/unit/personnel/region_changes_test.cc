// Unit tests of regions with validity dates on the in-memory store: MergeVillages and
// SplitVillage (what they move and date, every refusal), the reads of the tree as of a
// time, and the refusal of every write into a village that left the tree.

#include "services/personnel/personnel_validate.h"
#include "tests/unit/personnel/exit_fixture.h"

namespace tuopin::personnel {
namespace {

// A second and a third village of the fixture's Shuicheng township, and one of another
// Shuicheng township.
constexpr char kSecond[] = "520221104002";
constexpr char kThird[] = "520221104003";
constexpr char kOtherTownship[] = "520221105001";
constexpr char kDecision[] = "示例：水城县村级建制调整决定（演示）";

class RegionChangesTest : public ExitLogicTest {
 protected:
  RegionChangesTest() {
    for (const char* code : {kSecond, kThird, "520221105", kOtherTownship}) AddRegion(code);
    AddHousehold("hh-2a", kSecond);
    AddHousehold("hh-2b", kSecond);
  }

  absl::StatusOr<v1::MergeVillagesResponse> Merge(const Principal& p,
                                                  std::vector<std::string> villages,
                                                  const std::string& into) {
    v1::MergeVillagesRequest req;
    for (auto& v : villages) req.add_village_codes(v);
    req.set_into_code(into);
    req.set_decision_reference(kDecision);
    v1::MergeVillagesResponse out;
    TUOPIN_RETURN_IF_ERROR(logic_.MergeVillages(Ctx(p, "MergeVillages", req), req, out));
    return out;
  }

  v1::SplitVillageRequest SplitRequest(std::vector<std::pair<std::string, std::string>> moves) {
    v1::SplitVillageRequest req;
    req.set_village_code(kSecond);
    for (const char* code : {"520221104011", "520221104012"}) {
      v1::Region& r = *req.add_new_villages();
      r.set_code(code);
      r.set_name(absl::StrCat("Village ", code));
    }
    for (auto& [household, village] : moves) {
      v1::HouseholdAssignment& a = *req.add_assignments();
      a.set_household_id(household);
      a.set_village_code(village);
    }
    req.set_decision_reference(kDecision);
    return req;
  }
  absl::StatusOr<v1::SplitVillageResponse> Split(const v1::SplitVillageRequest& req,
                                                 const Principal* p = nullptr) {
    v1::SplitVillageResponse out;
    TUOPIN_RETURN_IF_ERROR(
        logic_.SplitVillage(Ctx(p == nullptr ? shuicheng_ : *p, "SplitVillage", req), req, out));
    return out;
  }
  v1::SplitVillageRequest GoodSplit() {
    return SplitRequest({{"hh-2a", "520221104011"}, {"hh-2b", "520221104012"}});
  }

  std::vector<std::string> Children(const std::string& parent,
                                    std::optional<absl::Time> as_of = std::nullopt) {
    v1::ListRegionsRequest req;
    req.set_parent_code(parent);
    if (as_of.has_value()) *req.mutable_as_of() = common::ToTimestamp(*as_of);
    v1::ListRegionsResponse out;
    EXPECT_TRUE(logic_.ListRegions(shuicheng_, req, out).ok());
    std::vector<std::string> codes;
    for (const auto& r : out.regions()) codes.push_back(r.code());
    return codes;
  }

  void Retire(const std::string& code) {
    ASSERT_TRUE(Merge(shuicheng_, {code}, kShuichengVillage).ok());
  }
};

TEST_F(RegionChangesTest, MergeMovesHouseholdsAndPairingsAndDatesTheVillage) {
  auto pairing = Pair(shuicheng_, "cadre-sc", "hh-2a");
  ASSERT_TRUE(pairing.ok()) << pairing.status();
  absl::Time at = clock_.Now();
  auto out = Merge(shuicheng_, {kSecond}, kShuichengVillage);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->households_moved(), 2);
  ASSERT_EQ(out->merged_size(), 1);
  EXPECT_EQ(out->into().code(), kShuichengVillage);
  const v1::Region& merged = store_.data.regions.at(kSecond);
  EXPECT_EQ(common::FromTimestamp(merged.valid_to()), at);
  EXPECT_EQ(merged.successor_code(), kShuichengVillage);
  EXPECT_EQ(merged.change_reference(), kDecision);
  EXPECT_FALSE(store_.data.regions.at(kShuichengVillage).has_valid_to());
  for (const char* id : {"hh-2a", "hh-2b"}) {
    const v1::Household& h = store_.data.households.at(id);
    EXPECT_EQ(h.village_code(), kShuichengVillage) << id;
    EXPECT_EQ(h.etag(), common::EtagOf(2)) << id;
  }
  // The moved household's pairing follows it (its scope is now the village's).
  EXPECT_EQ(store_.data.pairings.at(pairing->id()).village_code(), kShuichengVillage);
  // Coverage counts the villages of the tree of now.
  v1::GetCoverageRequest cov;
  cov.set_region_code("520221104");
  v1::Coverage coverage;
  ASSERT_TRUE(logic_.GetCoverage(shuicheng_, cov, coverage).ok());
  EXPECT_EQ(coverage.villages(), 2);  // the fixture's village and the third
  // One event naming the villages.
  const auto& event = store_.outbox.back();
  ASSERT_EQ(event.entities_size(), 2);
  for (const auto& e : event.entities()) EXPECT_EQ(e.type(), "region");
}

TEST_F(RegionChangesTest, TheTreeAsOfATime) {
  absl::Time before = clock_.Now();
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(Merge(shuicheng_, {kSecond}, kShuichengVillage).ok());
  absl::Time after = clock_.Now() + absl::Seconds(1);
  clock_.Advance(absl::Hours(1));

  EXPECT_EQ(Children("520221104", before),
            (std::vector<std::string>{kShuichengVillage, kSecond, kThird}));
  EXPECT_EQ(Children("520221104", after), (std::vector<std::string>{kShuichengVillage, kThird}));
  EXPECT_EQ(Children("520221104"), (std::vector<std::string>{kShuichengVillage, kThird}));

  v1::GetRegionRequest get;
  get.set_code(kSecond);
  v1::Region r;
  ASSERT_TRUE(logic_.GetRegion(shuicheng_, get, r).ok());
  EXPECT_TRUE(r.has_valid_to());  // without as_of, a merged village is still answered
  EXPECT_EQ(r.successor_code(), kShuichengVillage);
  *get.mutable_as_of() = common::ToTimestamp(before);
  ASSERT_TRUE(logic_.GetRegion(shuicheng_, get, r).ok());
  *get.mutable_as_of() = common::ToTimestamp(after);
  EXPECT_EQ(logic_.GetRegion(shuicheng_, get, r).code(), absl::StatusCode::kNotFound);
  // A time after now reads the present.
  *get.mutable_as_of() = common::ToTimestamp(clock_.Now() + absl::Hours(24 * 365));
  EXPECT_EQ(logic_.GetRegion(shuicheng_, get, r).code(), absl::StatusCode::kNotFound);
}

TEST_F(RegionChangesTest, ARegionImportedNowIsNotInTheTreeBefore) {
  absl::Time before = clock_.Now();
  clock_.Advance(absl::Hours(1));
  v1::ImportRegionsRequest req;
  v1::Region& r = *req.add_regions();
  r.set_code("520221104004");
  r.set_name("New village");
  v1::ImportRegionsResponse out;
  ASSERT_TRUE(logic_.ImportRegions(Ctx(shuicheng_, "ImportRegions", req), req, out).ok());
  EXPECT_EQ(common::FromTimestamp(store_.data.regions.at("520221104004").valid_from()),
            clock_.Now());
  EXPECT_EQ(Children("520221104", before).size(), 3u);
  EXPECT_EQ(Children("520221104").size(), 4u);
}

TEST_F(RegionChangesTest, APageTokenIsBoundToItsAsOf) {
  v1::ListRegionsRequest req;
  req.set_parent_code("520221104");
  req.set_page_size(1);
  *req.mutable_as_of() = common::ToTimestamp(clock_.Now());
  v1::ListRegionsResponse out;
  ASSERT_TRUE(logic_.ListRegions(shuicheng_, req, out).ok());
  ASSERT_FALSE(out.next_page_token().empty());
  req.set_page_token(out.next_page_token());
  *req.mutable_as_of() = common::ToTimestamp(clock_.Now() - absl::Hours(1));
  absl::Status st = logic_.ListRegions(shuicheng_, req, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(st), "page_token");
}

TEST_F(RegionChangesTest, MergeRefusesWhatTheRulesRefuseAndLeavesNothing) {
  auto before = store_.data;
  // Outside the caller's scope: every village named must be covered.
  EXPECT_FALSE(Merge(neighbour_, {kSecond}, kShuichengVillage).ok());
  EXPECT_FALSE(Merge(shuicheng_, {kNeighbourVillage}, kShuichengVillage).ok());
  // Another township.
  auto st = Merge(shuicheng_, {kOtherTownship}, kShuichengVillage).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(st), "village_codes[0]");
  // Into itself, or a village named twice.
  st = Merge(shuicheng_, {kShuichengVillage}, kShuichengVillage).status();
  EXPECT_EQ(FieldOf(st), "village_codes[0]");
  st = Merge(shuicheng_, {kSecond, kSecond}, kShuichengVillage).status();
  EXPECT_EQ(FieldOf(st), "village_codes[1]");
  // Not an imported village.
  st = Merge(shuicheng_, {"520221104099"}, kShuichengVillage).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(st), "village_codes[0]");
  st = Merge(shuicheng_, {kSecond}, "520221104099").status();
  EXPECT_EQ(FieldOf(st), "into_code");
  EXPECT_EQ(store_.data.regions.size(), before.regions.size());
  EXPECT_EQ(store_.data.households.at("hh-2a").village_code(), kSecond);
  EXPECT_TRUE(store_.outbox.empty());
}

TEST_F(RegionChangesTest, OnlyCurrentVillagesMerge) {
  Retire(kThird);
  auto st = Merge(shuicheng_, {kThird}, kShuichengVillage).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(st), "REGION_RETIRED");
  EXPECT_EQ(FieldOf(st), "village_codes[0]");
  st = Merge(shuicheng_, {kSecond}, kThird).status();
  EXPECT_EQ(ReasonOf(st), "REGION_RETIRED");
  EXPECT_EQ(FieldOf(st), "into_code");
}

TEST_F(RegionChangesTest, AVillageWithAnActivePostingIsInUse) {
  auto posting = Post(shuicheng_, "cadre-sc", kSecond);
  ASSERT_TRUE(posting.ok()) << posting.status();
  auto st = Merge(shuicheng_, {kThird, kSecond}, kShuichengVillage).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(st), "VILLAGE_IN_USE");
  EXPECT_EQ(FieldOf(st), "village_codes[1]");
  EXPECT_EQ(ReasonOf(Split(GoodSplit()).status()), "VILLAGE_IN_USE");
  // Once the posting ends, the merger goes through.
  ASSERT_TRUE(EndPosting(shuicheng_, posting->id()).ok());
  EXPECT_TRUE(Merge(shuicheng_, {kThird, kSecond}, kShuichengVillage).ok());
}

TEST_F(RegionChangesTest, AVillageWithAnExitInProgressIsInUse) {
  auto a = Propose(proposer_, "hh-sc");
  ASSERT_TRUE(a.ok()) << a.status();
  auto st = Merge(shuicheng_, {kShuichengVillage}, kSecond).status();
  EXPECT_EQ(ReasonOf(st), "VILLAGE_IN_USE");
  EXPECT_EQ(FieldOf(st), "village_codes[0]");
  // The village it is merged into may have one: the application's household stays put.
  EXPECT_TRUE(Merge(shuicheng_, {kSecond}, kShuichengVillage).ok());
}

TEST_F(RegionChangesTest, SplitMovesEveryHouseholdToItsNewVillage) {
  absl::Time at = clock_.Now();
  auto out = Split(GoodSplit());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->households_moved(), 2);
  EXPECT_EQ(store_.data.households.at("hh-2a").village_code(), "520221104011");
  EXPECT_EQ(store_.data.households.at("hh-2b").village_code(), "520221104012");
  const v1::Region& made = store_.data.regions.at("520221104011");
  EXPECT_EQ(made.level(), v1::REGION_LEVEL_VILLAGE);
  EXPECT_EQ(made.parent_code(), "520221104");
  EXPECT_EQ(made.predecessor_code(), kSecond);
  EXPECT_EQ(common::FromTimestamp(made.valid_from()), at);
  EXPECT_EQ(common::FromTimestamp(store_.data.regions.at(kSecond).valid_to()), at);
  EXPECT_EQ(Children("520221104"),
            (std::vector<std::string>{kShuichengVillage, kThird, "520221104011", "520221104012"}));
  EXPECT_EQ(store_.outbox.back().entities_size(), 3);
}

TEST_F(RegionChangesTest, SplitAssignsEveryHouseholdExactlyOnce) {
  auto st = Split(SplitRequest({{"hh-2a", "520221104011"}})).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(st), "assignments");
  st = Split(SplitRequest(
                 {{"hh-2a", "520221104011"}, {"hh-2b", "520221104012"}, {"hh-2a", "520221104012"}}))
           .status();
  EXPECT_EQ(FieldOf(st), "assignments[2].household_id");
  st = Split(SplitRequest(
                 {{"hh-2a", "520221104011"}, {"hh-2b", "520221104012"}, {"hh-sc", "520221104011"}}))
           .status();
  EXPECT_EQ(FieldOf(st), "assignments[2].household_id");
  st = Split(SplitRequest({{"hh-2a", "520221104011"}, {"hh-2b", kThird}})).status();
  EXPECT_EQ(FieldOf(st), "assignments[1].village_code");
  EXPECT_EQ(store_.data.households.at("hh-2a").village_code(), kSecond);
  EXPECT_FALSE(store_.data.regions.count("520221104011"));
}

TEST_F(RegionChangesTest, SplitTakesNewCodesOfTheSameTownship) {
  v1::SplitVillageRequest req = GoodSplit();
  req.mutable_new_villages(1)->set_code(kThird);  // in the tree now
  req.mutable_assignments(1)->set_village_code(kThird);
  auto st = Split(req).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(st), "REGION_CODE_TAKEN");
  EXPECT_EQ(FieldOf(st), "new_villages[1].code");
  Retire(kThird);  // in the tree before: still taken
  EXPECT_EQ(ReasonOf(Split(req).status()), "REGION_CODE_TAKEN");
  req = GoodSplit();
  req.mutable_new_villages(0)->set_code("520221105011");
  req.mutable_assignments(0)->set_village_code("520221105011");
  st = Split(req).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(st), "new_villages[0].code");
  // Outside the caller's scope.
  EXPECT_FALSE(Split(GoodSplit(), &neighbour_).ok());
}

TEST_F(RegionChangesTest, SplitRefusesATownshipStyleCode) {
  v1::SplitVillageRequest req = GoodSplit();
  req.mutable_new_villages(1)->set_code("520221104000");
  req.mutable_assignments(1)->set_village_code("520221104000");
  auto st = Split(req).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(st), "new_villages[1].code");
  EXPECT_EQ(FieldOf(Validate(req)), "new_villages[1].code");  // the request validator's too
  EXPECT_FALSE(store_.data.regions.count("520221104000"));
}

TEST_F(RegionChangesTest, SplitSendsTheHouseholdsNotAssignedToTheRemainingVillage) {
  AddHousehold("hh-2c", kSecond);
  v1::SplitVillageRequest req = SplitRequest({{"hh-2b", "520221104011"}});
  req.set_remaining_village_code("520221104012");
  auto out = Split(req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->households_moved(), 3);
  EXPECT_EQ(store_.data.households.at("hh-2a").village_code(), "520221104012");
  EXPECT_EQ(store_.data.households.at("hh-2b").village_code(), "520221104011");
  EXPECT_EQ(store_.data.households.at("hh-2c").village_code(), "520221104012");
}

TEST_F(RegionChangesTest, TheRemainingVillageIsOneOfTheNew) {
  v1::SplitVillageRequest req = SplitRequest({{"hh-2b", "520221104011"}});
  for (const char* remaining : {kThird, "520221104013"}) {
    req.set_remaining_village_code(remaining);
    auto st = Split(req).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << remaining;
    EXPECT_EQ(FieldOf(st), "remaining_village_code") << remaining;
    EXPECT_EQ(FieldOf(Validate(req)), "remaining_village_code") << remaining;
  }
  // With it, a household named twice or not of the village is still refused.
  req = SplitRequest({{"hh-2a", "520221104011"}, {"hh-2a", "520221104012"}});
  req.set_remaining_village_code("520221104012");
  EXPECT_EQ(FieldOf(Split(req).status()), "assignments[1].household_id");
  req = SplitRequest({{"hh-sc", "520221104011"}});
  req.set_remaining_village_code("520221104012");
  EXPECT_EQ(FieldOf(Split(req).status()), "assignments[0].household_id");
  EXPECT_EQ(store_.data.households.at("hh-2a").village_code(), kSecond);
  EXPECT_FALSE(store_.data.regions.count("520221104011"));
}

// kMaxHouseholdsMoved: the village reaches it with `extra` more households than the fixture's.
class BoundedDecisionTest : public RegionChangesTest {
 protected:
  void Fill(const std::string& village, int64_t n) {
    for (int64_t i = 0; i < n; ++i) AddHousehold(absl::StrCat("hh-bulk-", i), village);
  }
};

TEST_F(BoundedDecisionTest, AMergerMovesAtMostTheBound) {
  // kSecond's two and kThird's: one more than the bound, over the villages merged together.
  Fill(kThird, kMaxHouseholdsMoved - 1);
  auto st = Merge(shuicheng_, {kSecond, kThird}, kShuichengVillage).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(st), "VILLAGE_IN_USE");
  EXPECT_EQ(FieldOf(st), "village_codes");
  EXPECT_EQ(store_.data.households.at("hh-2a").village_code(), kSecond);
  EXPECT_FALSE(store_.data.regions.at(kThird).has_valid_to());
  EXPECT_TRUE(store_.outbox.empty());
  // Each alone is within it.
  EXPECT_TRUE(Merge(shuicheng_, {kSecond}, kShuichengVillage).ok());
  auto out = Merge(shuicheng_, {kThird}, kShuichengVillage);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->households_moved(), kMaxHouseholdsMoved - 1);
}

TEST_F(BoundedDecisionTest, ASplitMovesAtMostTheBound) {
  Fill(kSecond, kMaxHouseholdsMoved - 1);  // and the fixture's two
  v1::SplitVillageRequest req = SplitRequest({{"hh-2a", "520221104011"}});
  req.set_remaining_village_code("520221104012");
  auto st = Split(req).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(st), "VILLAGE_IN_USE");
  EXPECT_EQ(FieldOf(st), "village_code");
  EXPECT_FALSE(store_.data.regions.count("520221104011"));
  // At the bound, it goes through.
  store_.data.households.erase("hh-2b");
  auto out = Split(req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->households_moved(), kMaxHouseholdsMoved);
}

TEST_F(RegionChangesTest, NothingNewEntersAVillageOutOfTheTree) {
  Retire(kThird);
  // A household.
  v1::CreateHouseholdRequest create;
  create.mutable_household()->set_village_code(kThird);
  create.mutable_household()->set_head_name("Li");
  create.mutable_household()->set_member_count(2);
  create.mutable_household()->set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  v1::Household h;
  auto st = logic_.CreateHousehold(Ctx(shuicheng_, "CreateHousehold", create), create, h);
  EXPECT_EQ(ReasonOf(st), "REGION_RETIRED");
  EXPECT_EQ(FieldOf(st), "household.village_code");
  // A row of a register file.
  v1::ImportHouseholdsRequest import;
  *import.add_rows() = create.household();
  import.mutable_rows(0)->set_national_household_number("5202211040030001");
  import.set_first_row_number(1);
  v1::ImportHouseholdsResponse imported;
  ASSERT_TRUE(
      logic_.ImportHouseholds(Ctx(shuicheng_, "ImportHouseholds", import), import, imported).ok());
  ASSERT_EQ(imported.results_size(), 1);
  EXPECT_EQ(imported.results(0).outcome(), v1::IMPORT_OUTCOME_REFUSED);
  EXPECT_EQ(imported.results(0).violations(0).field(), "village_code");
  // A posting.
  st = Post(shuicheng_, "cadre-sc", kThird).status();
  EXPECT_EQ(ReasonOf(st), "REGION_RETIRED");
  EXPECT_EQ(FieldOf(st), "village_code");
  // The code itself, imported again.
  v1::ImportRegionsRequest regions;
  v1::Region& r = *regions.add_regions();
  r.set_code(kThird);
  r.set_name("Back again");
  v1::ImportRegionsResponse out;
  st = logic_.ImportRegions(Ctx(shuicheng_, "ImportRegions", regions), regions, out);
  EXPECT_EQ(ReasonOf(st), "REGION_RETIRED");
  EXPECT_EQ(FieldOf(st), "regions[0].code");
}

// The checks made inside the writing transaction, for what a concurrent merger leaves
// behind (seeded here as such a race would leave it).
TEST_F(RegionChangesTest, PairingsAndCheckInsAreRefusedInAVillageOutOfTheTree) {
  Retire(kThird);
  AddHousehold("hh-late", kThird);
  auto st = Pair(shuicheng_, "cadre-sc", "hh-late").status();
  EXPECT_EQ(ReasonOf(st), "REGION_RETIRED");
  EXPECT_EQ(FieldOf(st), "household_id");

  v1::Posting& p = store_.data.postings["posting-late"];
  p.set_id("posting-late");
  p.set_cadre_id("cadre-sc");
  p.set_village_code(kThird);
  p.set_active(true);
  *p.mutable_start_date() = common::ToDate(absl::CivilDay(2018, 3, 1));
  v1::RecordCheckInRequest req;
  req.set_cadre_id("cadre-sc");
  req.set_village_code(kThird);
  *req.mutable_time() = common::ToTimestamp(clock_.Now());
  req.set_method(v1::CHECK_IN_METHOD_SELF_REPORT);
  v1::CheckIn c;
  const Principal cadre = WithRole(ROLE_CADRE, "cadre-sc", "520221");
  st = logic_.RecordCheckIn(Ctx(cadre, "RecordCheckIn", req), req, c);
  EXPECT_EQ(ReasonOf(st), "REGION_RETIRED");
  EXPECT_EQ(FieldOf(st), "village_code");

  MakeEligible("hh-late");
  st = Propose(shuicheng_, "hh-late").status();
  EXPECT_EQ(ReasonOf(st), "REGION_RETIRED");
  EXPECT_EQ(FieldOf(st), "household_id");
  EXPECT_TRUE(store_.data.open_exit_applications.empty());
}

}  // namespace
}  // namespace tuopin::personnel
