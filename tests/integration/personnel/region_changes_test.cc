// Regions with validity dates through the real server and MariaDB (schema 007): a village
// merger and a split, the tree and the register read as of a time before and after them
// (the issue's "an as_of read across a village merger returns what was true then"), and
// the refusals the database-backed store must carry (a retired village takes nothing new,
// a code once in the tree is taken, a village in use is not merged).

#include "tests/integration/personnel/personnel_fixture.h"

namespace tuopin::personnel {
namespace {

constexpr char kDecision[] = "Illustrative test decision no. 1 (not a real document)";

class RegionChangesIntegrationTest : public PersonnelTest {
 protected:
  grpc::Status Merge(const std::string& merged, const std::string& into,
                     v1::MergeVillagesResponse* out) {
    v1::MergeVillagesRequest req;
    req.set_request_id(NextId());
    req.add_village_codes(merged);
    req.set_into_code(into);
    req.set_decision_reference(kDecision);
    return stub_->MergeVillages(ContextAs(official_).get(), req, out);
  }

  std::vector<std::string> Children(const std::string& parent, std::optional<absl::Time> as_of) {
    v1::ListRegionsRequest req;
    req.set_parent_code(parent);
    if (as_of.has_value()) *req.mutable_as_of() = common::ToTimestamp(*as_of);
    v1::ListRegionsResponse out;
    grpc::Status st = stub_->ListRegions(ContextAs(auditor_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::vector<std::string> codes;
    for (const auto& r : out.regions()) codes.push_back(r.code());
    return codes;
  }

  // A split of kVillageA into `codes`, assigning no household yet.
  v1::SplitVillageRequest SplitOfA(const std::vector<std::string>& codes) {
    v1::SplitVillageRequest req;
    req.set_request_id(NextId());
    req.set_village_code(kVillageA);
    for (const auto& code : codes) {
      v1::Region* r = req.add_new_villages();
      r->set_code(code);
      r->set_name(absl::StrCat("Village ", code));
    }
    return req;
  }

  std::vector<std::string> HouseholdsOf(const std::string& region,
                                        std::optional<absl::Time> as_of) {
    v1::ListHouseholdsRequest req;
    req.set_region_code(region);
    if (as_of.has_value()) *req.mutable_as_of() = common::ToTimestamp(*as_of);
    v1::ListHouseholdsResponse out;
    grpc::Status st = stub_->ListHouseholds(ContextAs(official_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::vector<std::string> names;
    for (const auto& h : out.households()) names.push_back(h.head_name());
    std::sort(names.begin(), names.end());
    return names;
  }
};

TEST_F(RegionChangesIntegrationTest, AsOfReadsAcrossAVillageMergerReturnWhatWasTrueThen) {
  v1::Household a, b;
  ASSERT_TRUE(CreateHousehold(official_, kVillageA, "A head", &a).ok());
  ASSERT_TRUE(CreateHousehold(official_, kVillageB, "B head", &b).ok());
  v1::Cadre cadre = CreateCadre("GZ-REG-1");
  v1::PairCadreWithHouseholdRequest pair;
  pair.set_request_id(NextId());
  pair.set_cadre_id(cadre.id());
  pair.set_household_id(b.id());
  v1::Pairing pairing;
  ASSERT_TRUE(stub_->PairCadreWithHousehold(ContextAs(official_).get(), pair, &pairing).ok());

  clock_.Advance(absl::Hours(1));
  absl::Time before = clock_.Now();
  clock_.Advance(absl::Hours(1));
  v1::MergeVillagesResponse merged;
  grpc::Status st = Merge(kVillageB, kVillageA, &merged);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(merged.households_moved(), 1);
  clock_.Advance(absl::Hours(1));
  absl::Time after = clock_.Now();

  // The tree: both villages before, only the one kept after.
  EXPECT_EQ(Children("520221104", before), (std::vector<std::string>{kVillageA, kVillageB}));
  EXPECT_EQ(Children("520221104", after), (std::vector<std::string>{kVillageA}));
  EXPECT_EQ(Children("520221104", std::nullopt), (std::vector<std::string>{kVillageA}));
  v1::GetRegionRequest get;
  get.set_code(kVillageB);
  v1::Region region;
  ASSERT_TRUE(stub_->GetRegion(ContextAs(auditor_).get(), get, &region).ok());
  EXPECT_EQ(common::FromTimestamp(region.valid_to()), before + absl::Hours(1));
  EXPECT_EQ(region.successor_code(), kVillageA);
  EXPECT_EQ(region.change_reference(), kDecision);
  *get.mutable_as_of() = common::ToTimestamp(before);
  EXPECT_TRUE(stub_->GetRegion(ContextAs(auditor_).get(), get, &region).ok());
  *get.mutable_as_of() = common::ToTimestamp(after);
  EXPECT_EQ(stub_->GetRegion(ContextAs(auditor_).get(), get, &region).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // The register: the kept village held only its own households before, both after.
  EXPECT_EQ(HouseholdsOf(kVillageA, before), (std::vector<std::string>{"A head"}));
  EXPECT_EQ(HouseholdsOf(kVillageB, before), (std::vector<std::string>{"B head"}));
  EXPECT_EQ(HouseholdsOf(kVillageA, after), (std::vector<std::string>{"A head", "B head"}));
  EXPECT_EQ(HouseholdsOf(kVillageA, std::nullopt), (std::vector<std::string>{"A head", "B head"}));
  EXPECT_TRUE(HouseholdsOf(kVillageB, std::nullopt).empty());
  v1::GetHouseholdRequest then;
  then.set_id(b.id());
  *then.mutable_as_of() = common::ToTimestamp(before);
  v1::Household old;
  ASSERT_TRUE(stub_->GetHousehold(ContextAs(official_).get(), then, &old).ok());
  EXPECT_EQ(old.village_code(), kVillageB);
  then.clear_as_of();
  ASSERT_TRUE(stub_->GetHousehold(ContextAs(official_).get(), then, &old).ok());
  EXPECT_EQ(old.village_code(), kVillageA);
  // The pairing followed its household.
  EXPECT_EQ(
      Count(absl::StrCat("SELECT COUNT(*) FROM pairings WHERE active = 1 AND village_code = '",
                         kVillageA, "' AND household_id = '", b.id(), "'")),
      1);

  // Coverage counts the villages of the tree of now.
  v1::GetCoverageRequest cov;
  cov.set_region_code("520221104");
  v1::Coverage coverage;
  ASSERT_TRUE(stub_->GetCoverage(ContextAs(official_).get(), cov, &coverage).ok());
  EXPECT_EQ(coverage.villages(), 1);
  EXPECT_EQ(std::vector<std::string>(coverage.villages_without_first_secretary().begin(),
                                     coverage.villages_without_first_secretary().end()),
            (std::vector<std::string>{kVillageA}));

  // Nothing new enters the merged village, and it is not merged twice.
  v1::Household refused;
  st = CreateHousehold(official_, kVillageB, "Late head", &refused);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(common::ReasonOf(st), "REGION_RETIRED");
  EXPECT_EQ(ViolatedField(st), "household.village_code");
  st = Merge(kVillageB, kVillageA, &merged);
  EXPECT_EQ(common::ReasonOf(st), "REGION_RETIRED");
}

TEST_F(RegionChangesIntegrationTest, SplitAndItsRefusals) {
  v1::Household a1, a2;
  ASSERT_TRUE(CreateHousehold(official_, kVillageA, "A1", &a1).ok());
  ASSERT_TRUE(CreateHousehold(official_, kVillageA, "A2", &a2).ok());
  v1::Cadre cadre = CreateCadre("GZ-REG-2");
  v1::Posting posting;
  ASSERT_TRUE(Post(cadre.id(), kVillageA, v1::POSTING_ROLE_TEAM_MEMBER, &posting).ok());

  v1::SplitVillageRequest req = SplitOfA({"520221104011", "520221104012"});
  v1::HouseholdAssignment* first = req.add_assignments();
  first->set_household_id(a1.id());
  first->set_village_code("520221104011");
  v1::HouseholdAssignment* second = req.add_assignments();
  second->set_household_id(a2.id());
  second->set_village_code("520221104012");
  req.set_decision_reference(kDecision);
  v1::SplitVillageResponse out;
  // In use while the posting is active.
  grpc::Status st = stub_->SplitVillage(ContextAs(official_).get(), req, &out);
  EXPECT_EQ(common::ReasonOf(st), "VILLAGE_IN_USE");
  EXPECT_EQ(ViolatedField(st), "village_code");
  v1::EndPostingRequest end;
  end.set_request_id(NextId());
  end.set_posting_id(posting.id());
  end.set_reason("Recalled");
  *end.mutable_end_date() = common::ToDate(absl::CivilDay(2018, 9, 1));
  ASSERT_TRUE(stub_->EndPosting(ContextAs(official_).get(), end, &posting).ok());

  // A code that is in the tree is not new.
  v1::SplitVillageRequest taken = req;
  taken.set_request_id(NextId());
  taken.mutable_new_villages(1)->set_code(kVillageB);
  taken.mutable_assignments(1)->set_village_code(kVillageB);
  st = stub_->SplitVillage(ContextAs(official_).get(), taken, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(common::ReasonOf(st), "REGION_CODE_TAKEN");

  clock_.Advance(absl::Hours(1));
  absl::Time before = clock_.Now();
  clock_.Advance(absl::Hours(1));
  req.set_request_id(NextId());
  st = stub_->SplitVillage(ContextAs(official_).get(), req, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.households_moved(), 2);
  EXPECT_EQ(out.new_villages(0).predecessor_code(), kVillageA);
  EXPECT_EQ(Children("520221104", before), (std::vector<std::string>{kVillageA, kVillageB}));
  EXPECT_EQ(Children("520221104", std::nullopt),
            (std::vector<std::string>{kVillageB, "520221104011", "520221104012"}));
  EXPECT_EQ(HouseholdsOf("520221104011", std::nullopt), (std::vector<std::string>{"A1"}));
  EXPECT_EQ(HouseholdsOf(kVillageA, before), (std::vector<std::string>{"A1", "A2"}));
}

// A village of more households than the call assigns: those not named go to
// remaining_village_code (how a village beyond one call's 1000 assignments is split).
TEST_F(RegionChangesIntegrationTest, SplitSendsTheRestToTheRemainingVillage) {
  std::vector<v1::Household> households(4);
  for (size_t i = 0; i < households.size(); ++i) {
    ASSERT_TRUE(CreateHousehold(official_, kVillageA, absl::StrCat("R", i), &households[i]).ok());
  }
  v1::SplitVillageRequest req = SplitOfA({"520221104021", "520221104022"});
  v1::HouseholdAssignment* only = req.add_assignments();
  only->set_household_id(households[2].id());
  only->set_village_code("520221104021");
  req.set_decision_reference(kDecision);
  v1::SplitVillageResponse out;
  // Not one of the new villages.
  req.set_remaining_village_code(kVillageB);
  grpc::Status st = stub_->SplitVillage(ContextAs(official_).get(), req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "remaining_village_code");

  req.set_request_id(NextId());
  req.set_remaining_village_code("520221104022");
  st = stub_->SplitVillage(ContextAs(official_).get(), req, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.households_moved(), 4);
  EXPECT_EQ(HouseholdsOf("520221104021", std::nullopt), (std::vector<std::string>{"R2"}));
  EXPECT_EQ(HouseholdsOf("520221104022", std::nullopt),
            (std::vector<std::string>{"R0", "R1", "R3"}));
  EXPECT_TRUE(HouseholdsOf(kVillageA, std::nullopt).empty());
}

}  // namespace
}  // namespace tuopin::personnel
