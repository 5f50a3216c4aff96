// ExitCriteriaService through a real gRPC server and MariaDB: standards and profiles
// stored, audited and replayed; exit status figures against households created through
// PersonnelService.

#include <cppconn/resultset.h>

#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "services/personnel/exit_criteria_service.h"
#include "services/personnel/mysql_exit_criteria_store.h"
#include "tests/integration/personnel/personnel_fixture.h"
#include "tests/support/fake_exit_criteria_store.h"
#include "tests/support/same_refusal.h"

namespace tuopin::personnel {
namespace {

using tuopin::common::v1::AuditEvent;
using tuopin::common::v1::Criterion;

class ExitCriteriaTest : public PersonnelTest {
 protected:
  ExitCriteriaTest()
      : exit_store_(*pool_, ids_),
        exit_logic_(exit_store_),
        exit_authorizer_(testing::kTestInternalKey,
                         common::FindService(v1::ExitCriteriaService::service_full_name())),
        exit_handler_("personnel", exit_authorizer_, clock_),
        exit_service_(NewExitCriteriaService(exit_logic_, exit_handler_)),
        exit_server_({exit_service_.get()}),
        exit_stub_(v1::ExitCriteriaService::NewStub(exit_server_.channel())) {}

  static v1::PovertyStandard Standard(int32_t year = 2019, const std::string& province = "52") {
    return testing::SamplePovertyStandard(year, province);
  }
  grpc::Status SetStandard(const common::Principal& as, const v1::PovertyStandard& s,
                           v1::PovertyStandard* out, const std::string& request_id = "") {
    v1::SetPovertyStandardRequest req;
    req.set_request_id(request_id.empty() ? NextId() : request_id);
    *req.mutable_standard() = s;
    return exit_stub_->SetPovertyStandard(ContextAs(as).get(), req, out);
  }
  static v1::VillageServices AllServices() { return testing::AllVillageServices(); }
  grpc::Status SetProfile(const common::Principal& as, const std::string& village, int rural,
                          v1::VillageProfile* out, const std::string& request_id = "",
                          const v1::VillageServices& services = AllServices()) {
    v1::SetVillageProfileRequest req;
    req.set_request_id(request_id.empty() ? NextId() : request_id);
    req.mutable_profile()->set_village_code(village);
    req.mutable_profile()->set_rural_population(rural);
    *req.mutable_profile()->mutable_services() = services;
    return exit_stub_->SetVillageProfile(ContextAs(as).get(), req, out);
  }
  grpc::Status ExitStatus(const common::Principal& as, const std::string& region,
                          v1::ExitStatus* out, int32_t year = 2019) {
    v1::GetExitStatusRequest req;
    req.set_region_code(region);
    req.set_year(year);
    return exit_stub_->GetExitStatus(ContextAs(as).get(), req, out);
  }
  // Through PersonnelService, as the admin: a household already exited is created by an
  // admin only (imported from the national register).
  void AddHouseholds(const std::string& village, int n, v1::HouseholdStatus status) {
    for (int i = 0; i < n; ++i) {
      v1::Household h;
      grpc::Status st = CreateHousehold(admin_, village, absl::StrCat("Head ", i), &h, status);
      ASSERT_TRUE(st.ok()) << st.error_message();
    }
  }
  // The outbox's events of one method of ExitCriteriaService.
  std::vector<AuditEvent> Events(const std::string& method) {
    std::vector<AuditEvent> out;
    EXPECT_TRUE(common::WithConnection(*pool_, [&](common::DbSession& s) {
                  auto rs = common::Query(s, "SELECT event FROM outbox ORDER BY seq").Rows();
                  while (rs->next()) {
                    AuditEvent e;
                    EXPECT_TRUE(e.ParseFromString(rs->getString(1).asStdString()));
                    if (e.method() == "/tuopin.personnel.v1.ExitCriteriaService/" + method) {
                      out.push_back(std::move(e));
                    }
                  }
                  return absl::OkStatus();
                }).ok());
    return out;
  }

  MysqlExitCriteriaStore exit_store_;
  ExitCriteriaLogic exit_logic_;
  common::Authorizer exit_authorizer_;
  common::Handler exit_handler_;
  std::unique_ptr<v1::ExitCriteriaService::Service> exit_service_;
  testing::TestServer exit_server_;
  std::unique_ptr<v1::ExitCriteriaService::Stub> exit_stub_;
  const common::Principal cadre_ = MakePrincipal("cadre-1", {ROLE_CADRE}, {kVillageA});
  // Villages' profiles are set from above the county.
  const common::Principal prefecture_ =
      MakePrincipal("official-liupanshui", {ROLE_COUNTY_OFFICIAL}, {"5202"});
};

TEST_F(ExitCriteriaTest, SetPovertyStandardIsStoredAuditedAndReplayed) {
  v1::PovertyStandard first, again;
  grpc::Status st = SetStandard(admin_, Standard(), &first, "standard-2019");
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(TimeUtil::TimestampToSeconds(first.update_time()), absl::ToUnixSeconds(kSymposium));
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(SetStandard(admin_, Standard(), &again, "standard-2019").ok());
  EXPECT_EQ(again.update_time().seconds(), first.update_time().seconds());
  v1::PovertyStandard other = Standard();
  other.set_notice_days(10);
  st = SetStandard(admin_, other, &again, "standard-2019");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "request_id");

  auto events = Events("SetPovertyStandard");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor_subject(), "admin-1");
  ASSERT_EQ(events[0].entities_size(), 1);
  EXPECT_EQ(events[0].entities(0).type(), "poverty_standard");
  EXPECT_EQ(events[0].entities(0).id(), "2019-52");
  EXPECT_EQ(events[0].entities(0).region_code(), "52");

  // A new request replaces the row of (year, province).
  ASSERT_TRUE(SetStandard(admin_, other, &again).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM poverty_standards"), 1);
  v1::GetPovertyStandardRequest get;
  get.set_year(2019);
  get.set_province_code("52");
  v1::PovertyStandard read;
  // Reference data: another county's official reads it.
  st = exit_stub_->GetPovertyStandard(ContextAs(liuzhi_official_).get(), get, &read);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(read.notice_days(), 10);
  EXPECT_EQ(read.poverty_line_fen(), 368000);
  EXPECT_EQ(read.village_incidence_max_bp(), 300);
  EXPECT_EQ(read.approval_min_bp(), 9000);
  EXPECT_EQ(read.source(), Standard().source());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(read, again));

  // The exit procedure reads the same row through PovertyStandards.
  PovertyStandards& standards = exit_store_;
  auto got = standards.GetStandard(2019, "52");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(**got, again));
  got = standards.GetStandard(2019, "53");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_F(ExitCriteriaTest, SetPovertyStandardRefusals) {
  v1::PovertyStandard out;
  // Admin only, by policy.
  EXPECT_EQ(SetStandard(official_, Standard(), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status st = SetStandard(admin_, Standard(2019, "53"), &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "standard.province_code");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM poverty_standards"), 0);
  EXPECT_TRUE(Events("SetPovertyStandard").empty());
}

TEST_F(ExitCriteriaTest, GetPovertyStandardNotFoundWhenUnset) {
  v1::GetPovertyStandardRequest get;
  get.set_year(2020);
  get.set_province_code("52");
  v1::PovertyStandard read;
  EXPECT_EQ(exit_stub_->GetPovertyStandard(ContextAs(official_).get(), get, &read).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ExitCriteriaTest, SetVillageProfileInScopeOnly) {
  v1::VillageProfile first, again;
  grpc::Status st = SetProfile(prefecture_, kVillageA, 400, &first, "profile-a");
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_TRUE(SetProfile(prefecture_, kVillageA, 400, &again, "profile-a").ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM village_profiles"), 1);
  EXPECT_EQ(Count("SELECT rural_population FROM village_profiles"), 400);
  auto events = Events("SetVillageProfile");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].entities(0).type(), "village_profile");
  EXPECT_EQ(events[0].entities(0).id(), kVillageA);
  EXPECT_EQ(events[0].entities(0).region_code(), kVillageA);

  // Another prefecture's official, and a village never imported, get one refusal.
  v1::VillageProfile out;
  const common::Principal other_prefecture =
      MakePrincipal("official-anshun", {ROLE_COUNTY_OFFICIAL}, {"5204"});
  grpc::Status other = SetProfile(other_prefecture, kVillageA, 10, &out);
  grpc::Status missing = SetProfile(other_prefecture, "520402100099", 10, &out);
  testing::ExpectSameRefusal(other, kVillageA, missing, "520402100099");
  // The county judged by the profile does not set it, nor learns whether a village exists.
  grpc::Status own = SetProfile(official_, kVillageA, 10, &out);
  EXPECT_EQ(common::ReasonOf(own), "NOT_INDEPENDENT");
  testing::ExpectSameRefusal(own, kVillageA, SetProfile(official_, "520221104099", 10, &out),
                             "520221104099");
  EXPECT_EQ(SetProfile(cadre_, kVillageA, 10, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Count("SELECT rural_population FROM village_profiles"), 400);
  EXPECT_EQ(Events("SetVillageProfile").size(), 1u);
}

TEST_F(ExitCriteriaTest, RuralPopulationIsNotBelowTheRegister) {
  AddHouseholds(kVillageA, 2, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  AddHouseholds(kVillageA, 1, v1::HOUSEHOLD_STATUS_NOT_POOR);
  AddHouseholds(kVillageB, 3, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  v1::ExitStatus s;
  v1::PovertyStandard standard;
  ASSERT_TRUE(SetStandard(admin_, Standard(), &standard).ok());
  ASSERT_TRUE(ExitStatus(admin_, kVillageA, &s).ok());
  const int people =
      static_cast<int>(s.counts().registered_poor_people() + s.counts().not_poor_people());
  ASSERT_GT(people, 0);
  v1::VillageProfile out;
  grpc::Status st = SetProfile(prefecture_, kVillageA, people - 1, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "profile.rural_population");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM village_profiles"), 0);
  ASSERT_TRUE(SetProfile(prefecture_, kVillageA, people, &out).ok());
}

TEST_F(ExitCriteriaTest, LatestStandardIsTheOneInForce) {
  v1::PovertyStandard set;
  for (int year : {2016, 2018, 2020}) ASSERT_TRUE(SetStandard(admin_, Standard(year), &set).ok());
  PovertyStandards& standards = exit_store_;
  auto latest = [&](int32_t up_to, const std::string& province) {
    auto got = standards.LatestStandard(up_to, province);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() && got->has_value() ? (*got)->year() : 0;
  };
  EXPECT_EQ(latest(2019, "52"), 2018);
  EXPECT_EQ(latest(2018, "52"), 2018);
  EXPECT_EQ(latest(2030, "52"), 2020);
  EXPECT_EQ(latest(2015, "52"), 0);
  EXPECT_EQ(latest(2019, "53"), 0);  // another province's
}

TEST_F(ExitCriteriaTest, VillageExitStatusFromTheRegister) {
  v1::PovertyStandard standard;
  ASSERT_TRUE(SetStandard(admin_, Standard(), &standard).ok());
  AddHouseholds(kVillageA, 2, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  AddHouseholds(kVillageA, 1, v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  AddHouseholds(kVillageA, 1, v1::HOUSEHOLD_STATUS_NOT_POOR);
  AddHouseholds(kVillageB, 1, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  // Every service column is stored and read back in its place.
  v1::VillageServices services;
  services.set_hardened_road(true);
  services.set_electricity(true);
  services.set_school_access(true);
  v1::VillageProfile profile;
  ASSERT_TRUE(SetProfile(prefecture_, kVillageA, 400, &profile, "", services).ok());

  v1::ExitStatus s;
  grpc::Status st = ExitStatus(official_, kVillageA, &s);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(s.counts().registered_poor_people(), 8);
  EXPECT_EQ(s.counts().registered_poor_households(), 2);
  EXPECT_EQ(s.counts().lifted_out_people(), 4);
  EXPECT_EQ(s.counts().lifted_out_households(), 1);
  EXPECT_EQ(s.counts().not_poor_households(), 1);
  EXPECT_EQ(s.counts().at_risk_households(), 0);
  EXPECT_EQ(s.rural_population(), 400);
  ASSERT_EQ(s.criteria_size(), 7);
  EXPECT_EQ(s.criteria(0).name(), "poverty_incidence");
  EXPECT_EQ(s.criteria(0).value_bp(), 200);  // 8 / 400
  EXPECT_TRUE(s.criteria(0).pass());
  std::vector<std::pair<std::string, bool>> expected = {
      {"services.hardened_road", true}, {"services.safe_drinking_water", false},
      {"services.electricity", true},   {"services.clinic_with_doctor", false},
      {"services.school_access", true}, {"services.broadband", false}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(s.criteria(i + 1).name(), expected[i].first);
    EXPECT_EQ(s.criteria(i + 1).pass(), expected[i].second) << expected[i].first;
  }
  EXPECT_FALSE(s.meets_exit_criteria());

  ASSERT_TRUE(SetProfile(prefecture_, kVillageA, 400, &profile).ok());
  ASSERT_TRUE(ExitStatus(auditor_, kVillageA, &s).ok());
  EXPECT_TRUE(s.meets_exit_criteria());
}

TEST_F(ExitCriteriaTest, CountyExitStatusListsItsVillages) {
  v1::PovertyStandard standard;
  ASSERT_TRUE(SetStandard(admin_, Standard(), &standard).ok());
  AddHouseholds(kVillageA, 2, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  AddHouseholds(kVillageA, 1, v1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN);
  AddHouseholds(kVillageB, 1, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  v1::Household liuzhi;
  ASSERT_TRUE(CreateHousehold(liuzhi_official_, kLiuzhiVillage, "Liuzhi head", &liuzhi).ok());
  v1::VillageProfile profile;
  ASSERT_TRUE(SetProfile(prefecture_, kVillageA, 400, &profile).ok());

  v1::ExitStatus s;
  grpc::Status st = ExitStatus(inspector_, kShuicheng, &s);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(s.counts().registered_poor_people(), 12);
  EXPECT_EQ(s.counts().registered_poor_households(), 3);
  EXPECT_EQ(s.counts().at_risk_people(), 4);
  EXPECT_EQ(s.rural_population(), 400);
  ASSERT_EQ(s.criteria_size(), 1);
  EXPECT_EQ(s.criteria(0).value_bp(), 300);  // 12 / 400, at most 300
  EXPECT_EQ(s.criteria(0).threshold_bp(), 300);
  EXPECT_TRUE(s.meets_exit_criteria());
  ASSERT_EQ(s.villages_size(), 2);
  EXPECT_EQ(s.villages(0).village_code(), kVillageA);
  EXPECT_EQ(s.villages(0).counts().registered_poor_people(), 8);
  EXPECT_EQ(s.villages(0).counts().at_risk_households(), 1);
  EXPECT_EQ(s.villages(0).rural_population(), 400);
  EXPECT_TRUE(s.villages(0).meets_exit_criteria());
  EXPECT_EQ(s.villages(1).village_code(), kVillageB);
  EXPECT_EQ(s.villages(1).counts().registered_poor_households(), 1);
  EXPECT_FALSE(s.villages(1).meets_exit_criteria());
  EXPECT_EQ(s.villages_meeting_criteria(), 1);
  ASSERT_EQ(s.villages_without_profile_size(), 1);
  EXPECT_EQ(s.villages_without_profile(0), kVillageB);

  // One more poor household tips the county over 3 %.
  AddHouseholds(kVillageB, 1, v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  ASSERT_TRUE(ExitStatus(official_, kShuicheng, &s).ok());
  EXPECT_FALSE(s.criteria(0).pass());
  EXPECT_FALSE(s.meets_exit_criteria());
}

TEST_F(ExitCriteriaTest, ExitStatusRefusals) {
  v1::ExitStatus s;
  grpc::Status st = ExitStatus(official_, kShuicheng, &s);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(common::ReasonOf(st), "NO_POVERTY_STANDARD");
  v1::PovertyStandard standard;
  ASSERT_TRUE(SetStandard(admin_, Standard(), &standard).ok());
  st = ExitStatus(liuzhi_official_, kShuicheng, &s);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(common::ReasonOf(st), "OUT_OF_REGION");
  EXPECT_EQ(ExitStatus(liuzhi_official_, kVillageA, &s).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ExitStatus(admin_, "520299", &s).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ExitStatus(official_, kShuicheng, &s, 2020).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace tuopin::personnel
