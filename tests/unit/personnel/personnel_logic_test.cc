// Unit tests of personnel rules that need no database: home-village detection,
// attendance arithmetic, field masks, request validation, and (with a fake store) region
// scope over every object a posting or pairing names.

#include "services/personnel/personnel_logic.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/personnel/personnel_validate.h"
#include "tests/support/same_refusal.h"

namespace tuopin::personnel {
namespace {

v1::Posting MakePosting(const std::string& village, absl::CivilDay start,
                        std::optional<absl::CivilDay> end) {
  v1::Posting p;
  p.set_village_code(village);
  *p.mutable_start_date() = common::ToDate(start);
  if (end) *p.mutable_end_date() = common::ToDate(*end);
  return p;
}

TEST(HomeVillageTest, VillageInsideHomeRegion) {
  EXPECT_TRUE(IsHomeVillage("520221104001", "520221104001"));
  EXPECT_TRUE(IsHomeVillage("520221104", "520221104007"));
  EXPECT_FALSE(IsHomeVillage("520221104", "520221105001"));
  EXPECT_FALSE(IsHomeVillage("", "520221105001"));
}

TEST(AttendanceTest, CountsOnlyDaysInThePostedVillage) {
  // Posted to village A for 14 days (Aug 21 - Sep 3, the investigation period).
  std::vector<v1::Posting> postings = {
      MakePosting("A", absl::CivilDay(2018, 8, 21), absl::CivilDay(2018, 9, 3))};
  std::vector<CheckInDay> days = {
      {absl::CivilDay(2018, 8, 21), "A", false},
      {absl::CivilDay(2018, 8, 22), "A", true},
      {absl::CivilDay(2018, 8, 23), "B", false},  // not where the cadre is posted
      {absl::CivilDay(2018, 9, 10), "A", false},  // after the posting ended
  };
  AttendanceFigures f =
      ComputeAttendance(postings, days, absl::CivilDay(2018, 8, 1), absl::CivilDay(2018, 9, 30));
  EXPECT_EQ(f.days_required, 14 - 4);  // 14 days covered, 2 rest days in 7
  EXPECT_EQ(f.days_present, 2);
  EXPECT_EQ(f.verified_days, 1);
}

TEST(AttendanceTest, NoPostingNoRequirement) {
  AttendanceFigures f =
      ComputeAttendance({}, {}, absl::CivilDay(2018, 8, 1), absl::CivilDay(2018, 8, 31));
  EXPECT_EQ(f.days_required, 0);
  EXPECT_EQ(f.days_present, 0);
}

TEST(FieldMaskTest, AppliesOnlyMaskedFields) {
  v1::Household target, patch;
  target.set_head_name("old");
  target.set_member_count(3);
  patch.set_head_name("new");
  patch.set_member_count(9);
  patch.mutable_indicators()->set_housing_safety(true);
  google::protobuf::FieldMask mask;
  mask.add_paths("head_name");
  mask.add_paths("indicators.housing_safety");
  ASSERT_TRUE(ApplyHouseholdMask(mask, patch, target).ok());
  EXPECT_EQ(target.head_name(), "new");
  EXPECT_EQ(target.member_count(), 3);
  EXPECT_TRUE(target.indicators().housing_safety());
  EXPECT_FALSE(target.indicators().food());

  google::protobuf::FieldMask bad;
  bad.add_paths("village_code");
  EXPECT_EQ(ApplyHouseholdMask(bad, patch, target).code(), absl::StatusCode::kInvalidArgument);
  google::protobuf::FieldMask bad_indicator;
  bad_indicator.add_paths("indicators.wealth");
  EXPECT_FALSE(ApplyHouseholdMask(bad_indicator, patch, target).ok());
}

TEST(ValidateTest, CreateHouseholdNamesEveryBadField) {
  v1::CreateHouseholdRequest r;
  r.set_request_id("bad id with spaces");
  r.mutable_household()->set_village_code("5202");
  r.mutable_household()->set_head_name(std::string(65, 'x'));
  r.mutable_household()->set_member_count(0);
  r.mutable_household()->set_income_per_head_fen(-1);
  absl::Status st = Validate(r);
  ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  auto v = common::FieldViolationsOf(common::ToGrpcStatus(st));
  std::set<std::string> fields;
  for (auto& [f, d] : v) fields.insert(f);
  EXPECT_EQ(fields, (std::set<std::string>{"request_id", "household.village_code",
                                           "household.head_name", "household.member_count",
                                           "household.status", "household.income_per_head_fen"}));
}

TEST(ValidateTest, AttendancePeriodBounds) {
  v1::GetAttendanceRequest r;
  r.set_cadre_id("c1");
  *r.mutable_from_date() = common::ToDate(absl::CivilDay(2018, 9, 5));
  *r.mutable_to_date() = common::ToDate(absl::CivilDay(2018, 9, 1));
  EXPECT_FALSE(Validate(r).ok());
  *r.mutable_to_date() = common::ToDate(absl::CivilDay(2019, 9, 10));
  EXPECT_FALSE(Validate(r).ok());
  *r.mutable_to_date() = common::ToDate(absl::CivilDay(2018, 12, 31));
  EXPECT_TRUE(Validate(r).ok());
}

TEST(ValidateTest, ListNeedsAScope) {
  v1::ListPostingsRequest r;
  EXPECT_FALSE(Validate(r).ok());
  r.set_region_code("520221");
  EXPECT_TRUE(Validate(r).ok());
}

absl::Status Unimplemented() { return absl::UnimplementedError("not in this fake"); }

template <typename T>
std::optional<T> Find(const std::map<std::string, T>& m, const std::string& id) {
  auto it = m.find(id);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

// Regions, households, cadres, postings and pairings in memory: what the scope rules read
// and the posting and pairing writes; the rest is not needed here.
class FakeStore final : public PersonnelStore {
 public:
  std::map<std::string, v1::Region> regions;
  std::map<std::string, v1::Household> households;
  std::map<std::string, v1::Cadre> cadres;
  std::map<std::string, v1::Posting> postings;
  std::map<std::string, v1::Pairing> pairings;

  absl::Status ImportRegions(const MutationContext&, const std::vector<v1::Region>&,
                             v1::ImportRegionsResponse&) override {
    return Unimplemented();
  }
  absl::StatusOr<std::optional<v1::Region>> GetRegion(const std::string& code) override {
    return Find(regions, code);
  }
  absl::StatusOr<std::vector<v1::Region>> ListRegions(const std::string&,
                                                      const PageRequest&) override {
    return Unimplemented();
  }
  absl::Status CreateHousehold(const MutationContext&, const v1::Household&,
                               v1::Household&) override {
    return Unimplemented();
  }
  absl::StatusOr<std::optional<v1::Household>> GetHousehold(const std::string& id) override {
    return Find(households, id);
  }
  absl::StatusOr<std::vector<v1::Household>> ListHouseholds(const std::string&, int,
                                                            const PageRequest&) override {
    return Unimplemented();
  }
  absl::Status UpdateHousehold(const MutationContext&, const std::string&, const std::string&,
                               const HouseholdUpdate&, v1::Household&) override {
    return Unimplemented();
  }
  absl::Status CreateCadre(const MutationContext&, const v1::Cadre&, v1::Cadre&) override {
    return Unimplemented();
  }
  absl::StatusOr<std::optional<v1::Cadre>> GetCadre(const std::string& id) override {
    return Find(cadres, id);
  }
  absl::StatusOr<std::vector<v1::Cadre>> ListCadres(const std::string&, int,
                                                    const PageRequest&) override {
    return Unimplemented();
  }
  absl::Status UpdateCadre(const MutationContext&, const std::string&, const std::string&,
                           const CadreUpdate&, v1::Cadre&) override {
    return Unimplemented();
  }
  absl::Status CreatePosting(const MutationContext&, const v1::Posting& posting,
                             v1::Posting& out) override {
    out = posting;
    out.set_id(absl::StrCat("posting-", postings.size() + 1));
    out.set_active(true);
    postings[out.id()] = out;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<v1::Posting>> GetPosting(const std::string& id) override {
    return Find(postings, id);
  }
  absl::Status EndPosting(const MutationContext&, const std::string& id, absl::CivilDay end,
                          const std::string& reason, v1::Posting& out) override {
    v1::Posting& p = postings.at(id);
    p.set_active(false);
    *p.mutable_end_date() = common::ToDate(end);
    p.set_end_reason(reason);
    out = p;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<v1::Posting>> ListPostings(const std::string&, const std::string&,
                                                        bool, const PageRequest&) override {
    return Unimplemented();
  }
  absl::Status CreatePairing(const MutationContext&, const v1::Pairing& pairing, int,
                             v1::Pairing& out) override {
    out = pairing;
    out.set_id(absl::StrCat("pairing-", pairings.size() + 1));
    out.set_active(true);
    pairings[out.id()] = out;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<v1::Pairing>> GetPairing(const std::string& id) override {
    return Find(pairings, id);
  }
  absl::Status EndPairing(const MutationContext&, const std::string& id,
                          v1::Pairing& out) override {
    v1::Pairing& p = pairings.at(id);
    p.set_active(false);
    out = p;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<v1::Pairing>> ListPairings(const std::string&, const std::string&,
                                                        const std::string&, bool,
                                                        const PageRequest&) override {
    return Unimplemented();
  }
  absl::Status RecordCheckIn(const MutationContext&, const v1::CheckIn&, absl::CivilDay,
                             v1::CheckIn&) override {
    return Unimplemented();
  }
  absl::StatusOr<std::vector<CheckInDay>> ListCheckInDays(const std::string&, absl::CivilDay,
                                                          absl::CivilDay) override {
    return Unimplemented();
  }
  absl::StatusOr<v1::Coverage> GetCoverage(const CoverageQuery&) override {
    return Unimplemented();
  }
  absl::StatusOr<v1::Coverage> GetCoverageCounts(const CoverageQuery&) override {
    return Unimplemented();
  }
  absl::Status RefreshCoverageSummary(absl::Time, int, absl::Time) override {
    return Unimplemented();
  }
};

constexpr char kShuichengVillage[] = "520221104001";
constexpr char kNeighbourVillage[] = "520222101001";

// Issue 18 (points 1 and 8) on the logic: Shuicheng (520221) and its neighbour (520222),
// one cadre and one household managed by each, and officials of each county and of the
// prefecture (5202) over both.
class ScopeTest : public ::testing::Test {
 protected:
  ScopeTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone())),
        tokens_("personnel-unit-test-page-token-key-01"),
        logic_(store_, clock_, tokens_) {
    for (const char* code : {kShuichengVillage, kNeighbourVillage}) {
      v1::Region& r = store_.regions[code];
      r.set_code(code);
      r.set_level(v1::REGION_LEVEL_VILLAGE);
    }
    AddCadre("cadre-sc", "520221");
    AddCadre("cadre-nb", "520222");
    AddHousehold("hh-sc", kShuichengVillage);
    AddHousehold("hh-nb", kNeighbourVillage);
  }

  void AddCadre(const std::string& id, const std::string& managing) {
    v1::Cadre& c = store_.cadres[id];
    c.set_id(id);
    c.set_managing_region_code(managing);
    c.set_home_region_code("520201100");
  }
  void AddHousehold(const std::string& id, const std::string& village) {
    v1::Household& h = store_.households[id];
    h.set_id(id);
    h.set_village_code(village);
  }

  static Principal Official(const std::string& scope) {
    Principal p;
    p.set_subject(absl::StrCat("official-", scope));
    p.add_roles(tuopin::common::v1::ROLE_COUNTY_OFFICIAL);
    p.add_region_scopes(scope);
    return p;
  }
  MutationContext Ctx(const Principal& p) {
    MutationContext m;
    m.principal = p;
    m.request_id = absl::StrCat("req-", ++requests_);
    m.now = clock_.Now();
    return m;
  }

  absl::StatusOr<v1::Posting> Post(const Principal& p, const std::string& cadre,
                                   const std::string& village) {
    v1::PostCadreRequest req;
    req.set_cadre_id(cadre);
    req.set_village_code(village);
    req.set_role(v1::POSTING_ROLE_TEAM_MEMBER);
    *req.mutable_start_date() = common::ToDate(absl::CivilDay(2018, 3, 1));
    v1::Posting out;
    TUOPIN_RETURN_IF_ERROR(logic_.PostCadre(Ctx(p), req, out));
    return out;
  }
  absl::Status EndPosting(const Principal& p, const std::string& id) {
    v1::EndPostingRequest req;
    req.set_posting_id(id);
    req.set_reason("Recalled");
    *req.mutable_end_date() = common::ToDate(absl::CivilDay(2018, 9, 1));
    v1::Posting out;
    return logic_.EndPosting(Ctx(p), req, out);
  }
  absl::StatusOr<v1::Pairing> Pair(const Principal& p, const std::string& cadre,
                                   const std::string& household) {
    v1::PairCadreWithHouseholdRequest req;
    req.set_cadre_id(cadre);
    req.set_household_id(household);
    v1::Pairing out;
    TUOPIN_RETURN_IF_ERROR(logic_.PairCadreWithHousehold(Ctx(p), req, out));
    return out;
  }
  absl::Status Unpair(const Principal& p, const std::string& id) {
    v1::UnpairCadreRequest req;
    req.set_pairing_id(id);
    v1::Pairing out;
    return logic_.UnpairCadre(Ctx(p), req, out);
  }

  common::FakeClock clock_;
  common::PageTokenCodec tokens_;
  FakeStore store_;
  PersonnelLogic logic_;
  int requests_ = 0;
  const Principal shuicheng_ = Official("520221");
  const Principal neighbour_ = Official("520222");
  const Principal liuzhi_ = Official("520203");
  const Principal prefecture_ = Official("5202");
};

using testing::ExpectSameRefusal;

TEST_F(ScopeTest, PostingNeedsBothTheVillageAndTheCadresCounty) {
  // The neighbour cannot post Shuicheng's cadre into its own village, and a missing cadre
  // gets the same answer.
  ExpectSameRefusal(Post(neighbour_, "cadre-sc", kNeighbourVillage).status(), "cadre-sc",
                    Post(neighbour_, "cadre-ghost", kNeighbourVillage).status(), "cadre-ghost");
  // Nor Shuicheng its own cadre into the neighbour's village.
  EXPECT_EQ(Post(shuicheng_, "cadre-sc", kNeighbourVillage).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(store_.postings.empty());
  // Someone over both may; each county its own cadres in its own villages.
  EXPECT_TRUE(Post(prefecture_, "cadre-sc", kNeighbourVillage).ok());
  EXPECT_TRUE(Post(shuicheng_, "cadre-sc", kShuichengVillage).ok());
}

TEST_F(ScopeTest, EitherSideEndsAPostingNobodyElse) {
  absl::StatusOr<v1::Posting> p = Post(prefecture_, "cadre-sc", kNeighbourVillage);
  ASSERT_TRUE(p.ok()) << p.status();
  // A third county is refused, as for a posting that does not exist.
  ExpectSameRefusal(EndPosting(liuzhi_, p->id()), p->id(), EndPosting(liuzhi_, "posting-ghost"),
                    "posting-ghost");
  // The cadre's own county recalls its cadre from the other county's village.
  EXPECT_TRUE(EndPosting(shuicheng_, p->id()).ok());
  EXPECT_FALSE(store_.postings[p->id()].active());
  // The village's county may end it too.
  absl::StatusOr<v1::Posting> q = Post(prefecture_, "cadre-sc", kNeighbourVillage);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(EndPosting(neighbour_, q->id()).ok());
}

TEST_F(ScopeTest, PairingNeedsBothTheHouseholdAndTheCadresCounty) {
  ExpectSameRefusal(Pair(neighbour_, "cadre-sc", "hh-nb").status(), "cadre-sc",
                    Pair(neighbour_, "cadre-ghost", "hh-nb").status(), "cadre-ghost");
  ExpectSameRefusal(Pair(shuicheng_, "cadre-sc", "hh-nb").status(), "hh-nb",
                    Pair(shuicheng_, "cadre-sc", "hh-ghost").status(), "hh-ghost");
  EXPECT_TRUE(store_.pairings.empty());
  absl::StatusOr<v1::Pairing> p = Pair(prefecture_, "cadre-sc", "hh-nb");
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectSameRefusal(Unpair(liuzhi_, p->id()), p->id(), Unpair(liuzhi_, "pairing-ghost"),
                    "pairing-ghost");
  EXPECT_TRUE(Unpair(shuicheng_, p->id()).ok());
  EXPECT_FALSE(store_.pairings[p->id()].active());
}

TEST_F(ScopeTest, MissingLooksLikeAnotherCountysToAllButTheGlobalScope) {
  auto get_household = [&](const Principal& p, const std::string& id) {
    v1::GetHouseholdRequest req;
    req.set_id(id);
    v1::Household out;
    return logic_.GetHousehold(p, req, out);
  };
  auto get_cadre = [&](const Principal& p, const std::string& id) {
    v1::GetCadreRequest req;
    req.set_id(id);
    v1::Cadre out;
    return logic_.GetCadre(p, req, out);
  };
  ExpectSameRefusal(get_household(neighbour_, "hh-sc"), "hh-sc",
                    get_household(neighbour_, "hh-ghost"), "hh-ghost");
  ExpectSameRefusal(get_cadre(neighbour_, "cadre-sc"), "cadre-sc",
                    get_cadre(neighbour_, "cadre-ghost"), "cadre-ghost");
  // Even inside one's county a missing id is refused: it lies in no region.
  EXPECT_EQ(get_cadre(shuicheng_, "cadre-ghost").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(get_cadre(shuicheng_, "cadre-sc").ok());
  EXPECT_EQ(get_cadre(Official("*"), "cadre-ghost").code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tuopin::personnel
