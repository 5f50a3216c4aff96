// ExitCriteriaLogic over the in-memory store: who may set standards and profiles, and the
// exit status of a village, a township and a county computed from the register.

#include "services/personnel/exit_criteria_logic.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/mutation.h"
#include "common/region_code.h"
#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "tests/support/fake_exit_criteria_store.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/same_refusal.h"

namespace tuopin::personnel {
namespace {

using common::Principal;
using tuopin::common::v1::Criterion;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;

constexpr char kVillageA[] = "520221104001";
constexpr char kVillageB[] = "520221104002";
constexpr char kVillageC[] = "520221105001";
constexpr char kNeighbourVillage[] = "520222101001";
constexpr char kOtherPrefectureVillage[] = "520321101001";

std::string ReasonOf(const absl::Status& st) { return common::ReasonOf(common::ToGrpcStatus(st)); }
std::string FieldOf(const absl::Status& st) {
  return testing::ViolatedField(common::ToGrpcStatus(st));
}

Principal Make(tuopin::common::v1::Role role, const std::string& subject,
               const std::string& scope) {
  Principal p;
  p.set_subject(subject);
  p.add_roles(role);
  p.add_region_scopes(scope);
  return p;
}

class ExitCriteriaLogicTest : public ::testing::Test {
 protected:
  ExitCriteriaLogicTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2019, 11, 2, 8, 0, 0), absl::UTCTimeZone())),
        logic_(store_, ExitCriteriaConfig{.max_villages = 50}) {
    for (const char* code : {"52", "5202", "520221", "520221104", kVillageA, kVillageB, "520221105",
                             kVillageC, "520222", "520222101", kNeighbourVillage, "5203", "520321",
                             "520321101", kOtherPrefectureVillage}) {
      AddRegion(code);
    }
  }

  void AddRegion(const std::string& code) {
    v1::Region& r = store_.data.regions[code];
    r.set_code(code);
    r.set_name(absl::StrCat("Region ", code));
    r.set_level(static_cast<v1::RegionLevel>(common::RegionLevelOf(code)));
    r.set_parent_code(common::ParentRegionCode(code));
  }
  void AddHousehold(const std::string& village, int members, v1::HouseholdStatus status) {
    std::string id = absl::StrCat("hh-", ++households_);
    v1::Household& h = store_.data.households[id];
    h.set_id(id);
    h.set_village_code(village);
    h.set_member_count(members);
    h.set_status(status);
  }
  static v1::VillageServices AllServices() { return testing::AllVillageServices(); }
  void PutProfile(const std::string& village, int rural_population,
                  const v1::VillageServices& services = AllServices()) {
    v1::VillageProfile& p = store_.data.profiles[village];
    p.set_village_code(village);
    p.set_rural_population(rural_population);
    *p.mutable_services() = services;
  }
  static v1::PovertyStandard Standard(int32_t year = 2019, const std::string& province = "52") {
    return testing::SamplePovertyStandard(year, province);
  }
  void PutStandard(const v1::PovertyStandard& s) {
    store_.data.standards[{s.year(), s.province_code()}] = s;
  }

  MutationContext Ctx(const Principal& p, absl::string_view method,
                      const google::protobuf::Message& req, const std::string& request_id) {
    return common::ContextFor("personnel",
                              absl::StrCat("/tuopin.personnel.v1.ExitCriteriaService/", method), p,
                              request_id, clock_.Now(), req);
  }
  absl::StatusOr<v1::PovertyStandard> SetStandard(const Principal& p, const v1::PovertyStandard& s,
                                                  const std::string& request_id = "") {
    v1::SetPovertyStandardRequest req;
    req.set_request_id(request_id.empty() ? absl::StrCat("req-", ++requests_) : request_id);
    *req.mutable_standard() = s;
    v1::PovertyStandard out;
    TUOPIN_RETURN_IF_ERROR(
        logic_.SetPovertyStandard(Ctx(p, "SetPovertyStandard", req, req.request_id()), req, out));
    return out;
  }
  absl::StatusOr<v1::VillageProfile> SetProfile(const Principal& p, const std::string& village,
                                                int rural_population,
                                                const std::string& request_id = "") {
    v1::SetVillageProfileRequest req;
    req.set_request_id(request_id.empty() ? absl::StrCat("req-", ++requests_) : request_id);
    req.mutable_profile()->set_village_code(village);
    req.mutable_profile()->set_rural_population(rural_population);
    *req.mutable_profile()->mutable_services() = AllServices();
    v1::VillageProfile out;
    TUOPIN_RETURN_IF_ERROR(
        logic_.SetVillageProfile(Ctx(p, "SetVillageProfile", req, req.request_id()), req, out));
    return out;
  }
  absl::StatusOr<v1::ExitStatus> Status(const Principal& p, const std::string& region,
                                        int32_t year = 2019) {
    v1::GetExitStatusRequest req;
    req.set_region_code(region);
    req.set_year(year);
    v1::ExitStatus out;
    TUOPIN_RETURN_IF_ERROR(logic_.GetExitStatus(p, req, out));
    return out;
  }
  static const Criterion* Find(const v1::ExitStatus& s, const std::string& name) {
    for (const auto& c : s.criteria()) {
      if (c.name() == name) return &c;
    }
    return nullptr;
  }

  common::FakeClock clock_;
  testing::FakeExitCriteriaStore store_;
  ExitCriteriaLogic logic_;
  int requests_ = 0;
  int households_ = 0;
  const Principal admin_ = Make(ROLE_ADMIN, "admin-1", "*");
  const Principal shuicheng_ = Make(ROLE_COUNTY_OFFICIAL, "official-sc", "520221");
  const Principal neighbour_ = Make(ROLE_COUNTY_OFFICIAL, "official-nb", "520222");
  // Profiles are set from above the county.
  const Principal prefecture_ = Make(ROLE_COUNTY_OFFICIAL, "official-pf", "5202");
};

TEST_F(ExitCriteriaLogicTest, SetPovertyStandardStoresAndAudits) {
  auto set = SetStandard(admin_, Standard());
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(common::FromTimestamp(set->update_time()), clock_.Now());
  ASSERT_EQ(store_.data.standards.count({2019, "52"}), 1u);
  EXPECT_EQ(store_.data.standards.at({2019, "52"}).poverty_line_fen(), 368000);
  ASSERT_EQ(store_.outbox().size(), 1u);
  ASSERT_EQ(store_.outbox()[0].entities_size(), 1);
  EXPECT_EQ(store_.outbox()[0].entities(0).type(), "poverty_standard");
  EXPECT_EQ(store_.outbox()[0].entities(0).id(), "2019-52");
  EXPECT_EQ(store_.outbox()[0].entities(0).region_code(), "52");

  // Replaced, not added: a later Set rewrites the row of (year, province).
  v1::PovertyStandard changed = Standard();
  changed.set_poverty_line_fen(400000);
  ASSERT_TRUE(SetStandard(admin_, changed).ok());
  EXPECT_EQ(store_.data.standards.size(), 1u);
  EXPECT_EQ(store_.data.standards.at({2019, "52"}).poverty_line_fen(), 400000);
}

TEST_F(ExitCriteriaLogicTest, SetPovertyStandardIsIdempotentByRequestId) {
  auto first = SetStandard(admin_, Standard(), "set-2019");
  ASSERT_TRUE(first.ok());
  clock_.Advance(absl::Hours(1));
  auto again = SetStandard(admin_, Standard(), "set-2019");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->update_time().seconds(), first->update_time().seconds());
  EXPECT_EQ(store_.outbox().size(), 1u);

  v1::PovertyStandard other = Standard();
  other.set_notice_days(10);
  auto reused = SetStandard(admin_, other, "set-2019");
  EXPECT_EQ(ReasonOf(reused.status()), "REQUEST_ID_REUSED");
  EXPECT_EQ(store_.data.standards.at({2019, "52"}).notice_days(), 7);
}

TEST_F(ExitCriteriaLogicTest, SetPovertyStandardNeedsAnImportedProvince) {
  auto st = SetStandard(admin_, Standard(2019, "53"));
  EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(st.status()), "standard.province_code");
  EXPECT_TRUE(store_.data.standards.empty());
  EXPECT_TRUE(store_.outbox().empty());
}

TEST_F(ExitCriteriaLogicTest, SetPovertyStandardChecksTheProvinceAgainstTheScope) {
  // An operator whose scope is another province sets nothing in this one.
  Principal admin_53 = Make(ROLE_ADMIN, "admin-53", "53");
  auto st = SetStandard(admin_53, Standard());
  EXPECT_EQ(st.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(st.status()), "OUT_OF_REGION");
  EXPECT_TRUE(store_.data.standards.empty());
}

TEST_F(ExitCriteriaLogicTest, GetPovertyStandardIsReferenceData) {
  v1::GetPovertyStandardRequest req;
  req.set_year(2019);
  req.set_province_code("52");
  v1::PovertyStandard out;
  absl::Status missing = logic_.GetPovertyStandard(neighbour_, req, out);
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);

  PutStandard(Standard());
  // Any official reads the province's standard, whatever the county of its scope.
  ASSERT_TRUE(logic_.GetPovertyStandard(neighbour_, req, out).ok());
  EXPECT_EQ(out.village_incidence_max_bp(), 300);
  req.set_year(2020);
  EXPECT_EQ(logic_.GetPovertyStandard(neighbour_, req, out).code(), absl::StatusCode::kNotFound);
}

TEST_F(ExitCriteriaLogicTest, SetVillageProfileInScopeStoresAndAudits) {
  auto set = SetProfile(prefecture_, kVillageA, 420);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(store_.data.profiles.at(kVillageA).rural_population(), 420);
  EXPECT_TRUE(store_.data.profiles.at(kVillageA).services().broadband());
  ASSERT_EQ(store_.outbox().size(), 1u);
  EXPECT_EQ(store_.outbox()[0].entities(0).type(), "village_profile");
  EXPECT_EQ(store_.outbox()[0].entities(0).id(), kVillageA);
  EXPECT_EQ(store_.outbox()[0].entities(0).region_code(), kVillageA);

  ASSERT_TRUE(SetProfile(prefecture_, kVillageA, 430).ok());
  EXPECT_EQ(store_.data.profiles.size(), 1u);
  EXPECT_EQ(store_.data.profiles.at(kVillageA).rural_population(), 430);
}

TEST_F(ExitCriteriaLogicTest, SetVillageProfileIsIdempotentByRequestId) {
  ASSERT_TRUE(SetProfile(prefecture_, kVillageA, 420, "profile-1").ok());
  ASSERT_TRUE(SetProfile(prefecture_, kVillageA, 420, "profile-1").ok());
  EXPECT_EQ(store_.outbox().size(), 1u);
  EXPECT_EQ(ReasonOf(SetProfile(prefecture_, kVillageA, 999, "profile-1").status()),
            "REQUEST_ID_REUSED");
  EXPECT_EQ(store_.data.profiles.at(kVillageA).rural_population(), 420);
}

TEST_F(ExitCriteriaLogicTest, SetVillageProfileRefusesAnotherCountysVillage) {
  auto other = SetProfile(neighbour_, kVillageA, 420);
  EXPECT_EQ(ReasonOf(other.status()), "OUT_OF_REGION");
  EXPECT_TRUE(store_.data.profiles.empty());
  EXPECT_TRUE(store_.outbox().empty());
}

TEST_F(ExitCriteriaLogicTest, SetVillageProfileAnswersAMissingVillageAsOutOfScope) {
  // Inside the caller's prefecture but never imported: refused exactly as another county's.
  const std::string missing = "520221104099";
  auto not_imported = SetProfile(prefecture_, missing, 420);
  auto other = SetProfile(prefecture_, kOtherPrefectureVillage, 420);
  testing::ExpectSameRefusal(other.status(), kOtherPrefectureVillage, not_imported.status(),
                             missing);
  EXPECT_TRUE(store_.data.profiles.empty());

  // An every-region principal is told what is wrong.
  auto admin = SetProfile(admin_, missing, 420);
  EXPECT_EQ(admin.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(admin.status()), "profile.village_code");
}

TEST_F(ExitCriteriaLogicTest, AVillageOutOfTheTreeKeepsItsProfile) {
  // Merged (regions with validity dates): its last profile stays, no new one is set.
  *store_.data.regions.at(kVillageA).mutable_valid_to() = common::ToTimestamp(absl::UnixEpoch());
  auto set = SetProfile(prefecture_, kVillageA, 420);
  EXPECT_EQ(set.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(set.status()), "REGION_RETIRED");
  EXPECT_EQ(FieldOf(set.status()), "profile.village_code");
  EXPECT_TRUE(store_.data.profiles.empty());
}

TEST_F(ExitCriteriaLogicTest, SetVillageProfileIsSetFromAboveTheCounty) {
  // The county (or its township, or the village) does not set its own denominator.
  for (const std::string& scope : {"520221", "520221104", kVillageA}) {
    auto own = SetProfile(Make(ROLE_COUNTY_OFFICIAL, "official-own", scope), kVillageA, 420);
    EXPECT_EQ(own.status().code(), absl::StatusCode::kPermissionDenied) << scope;
    EXPECT_EQ(ReasonOf(own.status()), "NOT_INDEPENDENT") << scope;
  }
  // Refused before the village is looked up: the county learns nothing of its existence.
  const std::string missing = "520221104099";
  testing::ExpectSameRefusal(SetProfile(shuicheng_, kVillageA, 420).status(), kVillageA,
                             SetProfile(shuicheng_, missing, 420).status(), missing);
  EXPECT_TRUE(store_.data.profiles.empty());
  EXPECT_TRUE(store_.outbox().empty());
  // The province, the prefecture and an every-region principal set it.
  EXPECT_TRUE(SetProfile(Make(ROLE_COUNTY_OFFICIAL, "official-gz", "52"), kVillageA, 420).ok());
  EXPECT_TRUE(SetProfile(prefecture_, kVillageA, 430).ok());
  EXPECT_TRUE(SetProfile(admin_, kVillageA, 440).ok());
  EXPECT_EQ(store_.data.profiles.at(kVillageA).rural_population(), 440);
}

TEST_F(ExitCriteriaLogicTest, RuralPopulationIsNotBelowTheRegister) {
  // Every status counts: 4 + 5 + 6 people in village A; village B's do not.
  AddHousehold(kVillageA, 4, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  AddHousehold(kVillageA, 5, v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  AddHousehold(kVillageA, 6, v1::HOUSEHOLD_STATUS_NOT_POOR);
  AddHousehold(kVillageB, 100, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  auto below = SetProfile(prefecture_, kVillageA, 14);
  EXPECT_EQ(below.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(below.status()), "profile.rural_population");
  EXPECT_TRUE(absl::StrContains(below.status().message(), "15")) << below.status();
  EXPECT_TRUE(store_.data.profiles.empty());
  EXPECT_TRUE(store_.outbox().empty());
  auto exact = SetProfile(prefecture_, kVillageA, 15);
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(store_.data.profiles.at(kVillageA).rural_population(), 15);
}

TEST_F(ExitCriteriaLogicTest, VillageStatusCountsPeopleAndHouseholdsByStatus) {
  PutStandard(Standard());
  AddHousehold(kVillageA, 4, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  AddHousehold(kVillageA, 3, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  AddHousehold(kVillageA, 5, v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  AddHousehold(kVillageA, 2, v1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN);
  AddHousehold(kVillageA, 6, v1::HOUSEHOLD_STATUS_NOT_POOR);
  AddHousehold(kVillageB, 9, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  PutProfile(kVillageA, 350);
  auto s = Status(shuicheng_, kVillageA);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->region_code(), kVillageA);
  EXPECT_EQ(s->year(), 2019);
  EXPECT_EQ(s->standard().poverty_line_fen(), 368000);
  EXPECT_EQ(s->counts().registered_poor_people(), 7);
  EXPECT_EQ(s->counts().registered_poor_households(), 2);
  EXPECT_EQ(s->counts().lifted_out_people(), 5);
  EXPECT_EQ(s->counts().lifted_out_households(), 1);
  EXPECT_EQ(s->counts().at_risk_people(), 2);
  EXPECT_EQ(s->counts().at_risk_households(), 1);
  EXPECT_EQ(s->counts().not_poor_people(), 6);
  EXPECT_EQ(s->counts().not_poor_households(), 1);
  EXPECT_EQ(s->rural_population(), 350);
  // 7 / 350 = 200 bp against 300.
  const Criterion* incidence = Find(*s, "poverty_incidence");
  ASSERT_NE(incidence, nullptr);
  EXPECT_EQ(incidence->numerator(), 7);
  EXPECT_EQ(incidence->denominator(), 350);
  EXPECT_EQ(incidence->value_bp(), 200);
  EXPECT_EQ(incidence->threshold_bp(), 300);
  EXPECT_EQ(incidence->comparison(), Criterion::COMPARISON_AT_MOST);
  EXPECT_TRUE(incidence->pass());
  ASSERT_EQ(s->criteria_size(), 7);
  EXPECT_EQ(s->criteria(0).name(), "poverty_incidence");
  EXPECT_EQ(s->criteria(1).name(), "services.hardened_road");
  EXPECT_EQ(s->criteria(6).name(), "services.broadband");
  EXPECT_TRUE(s->meets_exit_criteria());
  EXPECT_EQ(s->villages_size(), 0) << "a village lists no villages";
}

TEST_F(ExitCriteriaLogicTest, VillageIncidenceIsExactAtTheThreshold) {
  // A village is judged by the village's figure, never the county's.
  v1::PovertyStandard standard = Standard();
  standard.set_county_incidence_max_bp(100);
  PutStandard(standard);
  PutProfile(kVillageA, 1000);
  for (int i = 0; i < 10; ++i) AddHousehold(kVillageA, 3, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  auto at = Status(shuicheng_, kVillageA);  // 30 / 1000 = 300 bp: at most 300 holds
  ASSERT_TRUE(at.ok());
  EXPECT_TRUE(Find(*at, "poverty_incidence")->pass());
  EXPECT_TRUE(at->meets_exit_criteria());
  AddHousehold(kVillageA, 1, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  auto over = Status(shuicheng_, kVillageA);  // 31 / 1000
  ASSERT_TRUE(over.ok());
  EXPECT_FALSE(Find(*over, "poverty_incidence")->pass());
  EXPECT_FALSE(over->meets_exit_criteria());
}

TEST_F(ExitCriteriaLogicTest, AMissingServiceFailsTheVillage) {
  PutStandard(Standard());
  v1::VillageServices services = AllServices();
  services.set_clinic_with_doctor(false);
  PutProfile(kVillageA, 500, services);
  auto s = Status(shuicheng_, kVillageA);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(Find(*s, "poverty_incidence")->pass());
  EXPECT_FALSE(Find(*s, "services.clinic_with_doctor")->pass());
  EXPECT_TRUE(Find(*s, "services.broadband")->pass());
  EXPECT_FALSE(s->meets_exit_criteria());
}

TEST_F(ExitCriteriaLogicTest, AVillageWithoutProfileFailsEveryCriterion) {
  PutStandard(Standard());
  AddHousehold(kVillageA, 4, v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  auto s = Status(shuicheng_, kVillageA);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->criteria_size(), 7);
  for (const auto& c : s->criteria()) EXPECT_FALSE(c.pass()) << c.name();
  EXPECT_EQ(Find(*s, "poverty_incidence")->denominator(), 0);
  EXPECT_EQ(s->rural_population(), 0);
  EXPECT_FALSE(s->meets_exit_criteria());
}

TEST_F(ExitCriteriaLogicTest, CountyStatusListsEveryVillage) {
  // Central figures for the county (200 bp), so the gates differ from the villages'.
  v1::PovertyStandard standard = Standard();
  standard.set_county_incidence_max_bp(200);
  PutStandard(standard);
  AddHousehold(kVillageA, 5, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);  // 5 / 400 = 125 bp
  AddHousehold(kVillageA, 4, v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  AddHousehold(kVillageB, 9, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);  // 9 / 200 = 450 bp
  AddHousehold(kVillageC, 2, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);  // no profile
  AddHousehold(kNeighbourVillage, 50, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  PutProfile(kVillageA, 400);
  PutProfile(kVillageB, 200);
  PutProfile(kNeighbourVillage, 1000);
  auto s = Status(shuicheng_, "520221");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->counts().registered_poor_people(), 16);
  EXPECT_EQ(s->counts().registered_poor_households(), 3);
  EXPECT_EQ(s->counts().lifted_out_people(), 4);
  EXPECT_EQ(s->rural_population(), 600);
  // 16 / 600 = 267 bp: within a village's 300, over the county's 200.
  ASSERT_EQ(s->criteria_size(), 1);
  EXPECT_EQ(s->criteria(0).name(), "poverty_incidence");
  EXPECT_EQ(s->criteria(0).value_bp(), 267);
  EXPECT_EQ(s->criteria(0).threshold_bp(), 200);
  EXPECT_FALSE(s->criteria(0).pass());
  EXPECT_FALSE(s->meets_exit_criteria());

  ASSERT_EQ(s->villages_size(), 3);
  EXPECT_EQ(s->villages(0).village_code(), kVillageA);
  EXPECT_EQ(s->villages(0).counts().registered_poor_people(), 5);
  EXPECT_EQ(s->villages(0).counts().lifted_out_households(), 1);
  EXPECT_EQ(s->villages(0).rural_population(), 400);
  EXPECT_TRUE(s->villages(0).meets_exit_criteria());
  EXPECT_EQ(s->villages(1).village_code(), kVillageB);
  EXPECT_FALSE(s->villages(1).meets_exit_criteria());
  EXPECT_EQ(s->villages(2).village_code(), kVillageC);
  EXPECT_EQ(s->villages(2).rural_population(), 0);
  EXPECT_FALSE(s->villages(2).meets_exit_criteria());
  EXPECT_EQ(s->villages_meeting_criteria(), 1);
  ASSERT_EQ(s->villages_without_profile_size(), 1);
  EXPECT_EQ(s->villages_without_profile(0), kVillageC);
  EXPECT_EQ(store_.register_reads, 1);
}

TEST_F(ExitCriteriaLogicTest, CountyMeetsWhenItsIncidenceIsWithinTheCountyGate) {
  PutStandard(Standard());
  AddHousehold(kVillageA, 3, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  PutProfile(kVillageA, 100);  // 300 bp: fails nothing at 300
  PutProfile(kVillageB, 900);  // 3 / 1000 = 30 bp for the county
  auto s = Status(shuicheng_, "520221");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->meets_exit_criteria());
  EXPECT_EQ(s->criteria(0).value_bp(), 30);
  // The county's gate here is its incidence only: a village without a profile is listed
  // but does not fail it (the assessment adds the rest of the gate).
  ASSERT_EQ(s->villages_without_profile_size(), 1);
  EXPECT_EQ(s->villages_without_profile(0), kVillageC);
  EXPECT_EQ(s->villages_size(), 3);
}

TEST_F(ExitCriteriaLogicTest, TownshipStatusCoversItsSubtreeOnly) {
  PutStandard(Standard());
  AddHousehold(kVillageA, 4, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  AddHousehold(kVillageC, 7, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  auto s = Status(shuicheng_, "520221104");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->counts().registered_poor_people(), 4);
  ASSERT_EQ(s->villages_size(), 2);
  EXPECT_EQ(s->villages(1).village_code(), kVillageB);
  EXPECT_EQ(s->villages_without_profile_size(), 2);
}

TEST_F(ExitCriteriaLogicTest, StatusListsAtMostTheConfiguredVillages) {
  ExitCriteriaLogic small(store_, ExitCriteriaConfig{.max_villages = 2});
  PutStandard(Standard());
  AddHousehold(kVillageC, 7, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  v1::GetExitStatusRequest req;
  req.set_region_code("520221");
  req.set_year(2019);
  v1::ExitStatus out;
  ASSERT_TRUE(small.GetExitStatus(shuicheng_, req, out).ok());
  ASSERT_EQ(out.villages_size(), 2);
  EXPECT_EQ(out.villages(1).village_code(), kVillageB);
  // The totals still cover the whole county.
  EXPECT_EQ(out.counts().registered_poor_people(), 7);
}

TEST_F(ExitCriteriaLogicTest, StatusIsInTheCallersScope) {
  PutStandard(Standard());
  auto other = Status(neighbour_, "520221");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(other.status()), "OUT_OF_REGION");
  EXPECT_EQ(ReasonOf(Status(neighbour_, kVillageA).status()), "OUT_OF_REGION");
  // A township official does not read the county's figures.
  Principal township = Make(ROLE_COUNTY_OFFICIAL, "official-tw", "520221104");
  EXPECT_EQ(ReasonOf(Status(township, "520221").status()), "OUT_OF_REGION");
  EXPECT_TRUE(Status(township, kVillageA).ok());
  EXPECT_EQ(store_.register_reads, 1);
}

TEST_F(ExitCriteriaLogicTest, StatusOfAnUnknownRegionIsNotFound) {
  PutStandard(Standard());
  EXPECT_EQ(Status(admin_, "520299").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ExitCriteriaLogicTest, StatusNeedsTheYearsStandardOfTheProvince) {
  PutStandard(Standard(2019));
  PutStandard(Standard(2020, "53"));
  auto s = Status(shuicheng_, kVillageA, 2020);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s.status()), "NO_POVERTY_STANDARD");
  EXPECT_EQ(store_.register_reads, 0);
}

TEST(VillageExitCriteriaTest, EveryServiceIsACriterion) {
  v1::PovertyStandard standard;
  standard.set_village_incidence_max_bp(300);
  v1::VillageProfile profile;
  profile.set_rural_population(100);
  auto criteria = VillageExitCriteria(v1::RegisterCounts(), &profile, standard);
  ASSERT_EQ(static_cast<int>(criteria.size()),
            1 + v1::VillageServices::descriptor()->field_count());
  for (size_t i = 1; i < criteria.size(); ++i) {
    EXPECT_FALSE(criteria[i].pass()) << criteria[i].name();
    EXPECT_EQ(criteria[i].threshold_bp(), 10000);
  }
  EXPECT_TRUE(criteria[0].pass());
}

}  // namespace
}  // namespace tuopin::personnel
