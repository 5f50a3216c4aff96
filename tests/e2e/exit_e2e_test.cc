// A household's exit from poverty end to end: the real gateway in front of
// PersonnelService, ExitService and ExitCriteriaService in process on a real MariaDB, all
// on one fake clock, called through the gateway with the JWTs of the people who take each
// step. The public notice runs on the fake clock, so the test moves time instead of
// waiting for it.

#include "absl/strings/str_cat.h"
#include "common/handler.h"
#include "common/jwt.h"
#include "common/migrate.h"
#include "common/status.h"
#include "common/validate.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "services/gateway/gateway.h"
#include "services/gateway/proxy.h"
#include "services/personnel/exit_criteria_service.h"
#include "services/personnel/exit_service.h"
#include "services/personnel/mysql_exit_criteria_store.h"
#include "services/personnel/mysql_exit_store.h"
#include "services/personnel/mysql_personnel_store.h"
#include "services/personnel/personnel_service.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"
#include "tuopin/personnel/v1/exit.grpc.pb.h"
#include "tuopin/personnel/v1/personnel.grpc.pb.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& PersonnelMigrations();
}

namespace tuopin {
namespace {

namespace pv1 = tuopin::personnel::v1;
constexpr char kSecret[] = "exit-e2e-test-hs256-secret-0123456789abcdef";
constexpr char kVillage[] = "520221104001";
constexpr int64_t kLine = 374700;  // fen per person per year

// The ErrorInfo reason of a refused call, e.g. "OWN_PROPOSAL".
std::string Reason(const grpc::Status& s) {
  google::rpc::Status details;
  if (!details.ParseFromString(s.error_details())) return "";
  for (const auto& d : details.details()) {
    google::rpc::ErrorInfo info;
    if (d.UnpackTo(&info)) return info.reason();
  }
  return "";
}

class ExitE2eTest : public ::testing::Test {
 protected:
  ExitE2eTest()
      : pool_(db_.NewPool(8)),
        clock_(absl::FromUnixSeconds(1573000000)),  // 2019-11-06
        tokens_("exit-e2e-page-token-key-0123456789"),
        personnel_store_(*pool_, ids_),
        exit_store_(*pool_, ids_),
        criteria_store_(*pool_, ids_),
        personnel_logic_(personnel_store_, clock_, tokens_),
        exit_logic_(personnel_store_, exit_store_, criteria_store_, clock_, tokens_),
        criteria_logic_(criteria_store_),
        // The principals the gateway signs expire in real time: the authorizers keep the
        // system clock; the handlers (the time of each mutation) and the logic run on the
        // fake one.
        personnel_auth_(testing::kTestInternalKey,
                        common::FindService(pv1::PersonnelService::service_full_name())),
        exit_auth_(testing::kTestInternalKey,
                   common::FindService(pv1::ExitService::service_full_name())),
        criteria_auth_(testing::kTestInternalKey,
                       common::FindService(pv1::ExitCriteriaService::service_full_name())),
        personnel_handler_("personnel", personnel_auth_, clock_),
        exit_handler_("personnel", exit_auth_, clock_),
        criteria_handler_("personnel", criteria_auth_, clock_),
        personnel_service_(personnel::NewPersonnelService(personnel_logic_, personnel_handler_)),
        exit_service_(personnel::NewExitService(exit_logic_, exit_handler_)),
        criteria_service_(personnel::NewExitCriteriaService(criteria_logic_, criteria_handler_)),
        backend_({personnel_service_.get(), exit_service_.get(), criteria_service_.get()}) {}

  void SetUp() override {
    ASSERT_TRUE(common::ApplyMigrations(*pool_, generated::PersonnelMigrations()).ok());
    common::JwtConfig jwt;
    jwt.issuer = "tuopin-test";
    jwt.audience = "tuopin";
    jwt.algorithms = {"HS256"};
    jwt.hs256_secret = kSecret;
    gateway::GatewayConfig config;
    for (const char* s : {"tuopin.personnel.v1.PersonnelService", "tuopin.personnel.v1.ExitService",
                          "tuopin.personnel.v1.ExitCriteriaService"}) {
      config.routes[s] = "personnel";
    }
    config.targets = {{"personnel", absl::StrCat("127.0.0.1:", backend_.port())}};
    config.internal_key = testing::kTestInternalKey;
    auto gw = gateway::Gateway::Create(config, std::move(*common::JwtVerifier::Create(jwt)),
                                       common::SystemClock::Get());
    ASSERT_TRUE(gw.ok()) << gw.status();
    gateway_ = std::move(*gw);
    gateway_->set_access_log(false);
    proxy_ = std::make_unique<gateway::ProxyService>(*gateway_);
    gateway_server_ =
        std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{}, proxy_.get());
    people_ = pv1::PersonnelService::NewStub(gateway_server_->channel());
    exits_ = pv1::ExitService::NewStub(gateway_server_->channel());
    criteria_ = pv1::ExitCriteriaService::NewStub(gateway_server_->channel());
    LoadRegister();
  }

  // A call as `subject` with one role and scope, through the gateway.
  std::unique_ptr<grpc::ClientContext> As(const std::string& subject, const std::string& role,
                                          const std::string& region) {
    common::JwtClaims c;
    c.subject = subject;
    c.roles = {role};
    c.regions = {region};
    c.issuer = "tuopin-test";
    c.audience = "tuopin";
    c.issued_at = absl::Now();
    c.expires = absl::Now() + absl::Hours(1);
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", common::SignJwtHs256(c, kSecret)));
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }
  std::unique_ptr<grpc::ClientContext> Admin() { return As("admin-1", "admin", "*"); }

  std::string Rid() { return absl::StrCat("exit-e2e-", ++rid_); }

  void LoadRegister() {
    pv1::ImportRegionsRequest import;
    import.set_request_id(Rid());
    // The village and every region above it (province, prefecture, county, township).
    for (size_t digits : {2, 4, 6, 9, 12}) {
      auto* r = import.add_regions();
      r->set_code(std::string(kVillage, digits));
      r->set_name(absl::StrCat("Region ", r->code()));
    }
    pv1::ImportRegionsResponse ir;
    grpc::Status s = people_->ImportRegions(Admin().get(), import, &ir);
    ASSERT_TRUE(s.ok()) << s.error_message();
    pv1::SetPovertyStandardRequest std_req;
    std_req.set_request_id(Rid());
    pv1::PovertyStandard* st = std_req.mutable_standard();
    st->set_year(2019);
    st->set_province_code("52");
    st->set_poverty_line_fen(kLine);
    st->set_village_incidence_max_bp(300);
    st->set_county_incidence_max_bp(300);
    st->set_wrongful_exit_max_bp(200);
    st->set_missed_max_bp(200);
    st->set_approval_min_bp(9000);
    st->set_notice_days(7);
    st->set_source("test standard, after the 2016 exit mechanism opinion");
    pv1::PovertyStandard stored;
    s = criteria_->SetPovertyStandard(Admin().get(), std_req, &stored);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  pv1::Household CreateHousehold(bool housing_safe) {
    pv1::CreateHouseholdRequest req;
    req.set_request_id(Rid());
    pv1::Household* h = req.mutable_household();
    h->set_village_code(kVillage);
    h->set_head_name(absl::StrCat("Head ", rid_));
    h->set_member_count(4);
    h->set_status(pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);
    h->set_income_per_head_fen(kLine + 80000);
    pv1::Indicators* ind = h->mutable_indicators();
    ind->set_food(true);
    ind->set_clothing(true);
    ind->set_compulsory_education(true);
    ind->set_basic_medical_care(true);
    ind->set_housing_safety(housing_safe);
    ind->set_drinking_water_safety(true);
    pv1::Household out;
    grpc::Status s = people_->CreateHousehold(Admin().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  grpc::Status Propose(const std::string& household, pv1::ExitApplication& out,
                       int32_t year = 2019) {
    pv1::ProposeExitRequest req;
    req.set_request_id(Rid());
    req.set_household_id(household);
    req.set_year(year);
    req.set_note("income stable above the line for two years");
    return exits_->ProposeExit(As("cadre-proposer", "cadre", "520221104").get(), req, &out);
  }

  grpc::Status Review(const std::string& subject, const std::string& role,
                      const std::string& region, const std::string& id, pv1::ExitApplication& out) {
    pv1::ReviewExitRequest req;
    req.set_request_id(Rid());
    req.set_application_id(id);
    req.set_approve(true);
    return exits_->ReviewExit(As(subject, role, region).get(), req, &out);
  }

  pv1::Household GetHousehold(const std::string& id) {
    pv1::GetHouseholdRequest req;
    req.set_id(id);
    pv1::Household out;
    grpc::Status s = people_->GetHousehold(Admin().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  testing::TestDatabase db_;
  std::unique_ptr<common::ConnectionPool> pool_;
  common::FakeClock clock_;
  common::RandomIdGenerator ids_;
  common::PageTokenCodec tokens_;
  personnel::MysqlPersonnelStore personnel_store_;
  personnel::MysqlExitStore exit_store_;
  personnel::MysqlExitCriteriaStore criteria_store_;
  personnel::PersonnelLogic personnel_logic_;
  personnel::ExitLogic exit_logic_;
  personnel::ExitCriteriaLogic criteria_logic_;
  common::Authorizer personnel_auth_, exit_auth_, criteria_auth_;
  common::Handler personnel_handler_, exit_handler_, criteria_handler_;
  std::unique_ptr<pv1::PersonnelService::Service> personnel_service_;
  std::unique_ptr<pv1::ExitService::Service> exit_service_;
  std::unique_ptr<pv1::ExitCriteriaService::Service> criteria_service_;
  testing::TestServer backend_;
  std::unique_ptr<gateway::Gateway> gateway_;
  // Before the gateway's server: a gateway server stops its proxy when destroyed.
  std::unique_ptr<gateway::ProxyService> proxy_;
  std::unique_ptr<testing::TestServer> gateway_server_;
  std::unique_ptr<pv1::PersonnelService::Stub> people_;
  std::unique_ptr<pv1::ExitService::Stub> exits_;
  std::unique_ptr<pv1::ExitCriteriaService::Stub> criteria_;
  int rid_ = 0;
};

TEST_F(ExitE2eTest, UnsafeHousingIsRefusedNamingTheIndicator) {
  pv1::Household unsafe = CreateHousehold(/*housing_safe=*/false);
  pv1::ExitApplication a;
  grpc::Status s = Propose(unsafe.id(), a);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(Reason(s), "EXIT_CRITERIA_UNMET");
  EXPECT_NE(s.error_message().find("indicators.housing_safety"), std::string::npos)
      << s.error_message();

  // A household that met the criteria when proposed and whose house is found unsafe
  // before the village review: every approving step checks again.
  pv1::Household safe = CreateHousehold(/*housing_safe=*/true);
  s = Propose(safe.id(), a);
  ASSERT_TRUE(s.ok()) << s.error_message();
  pv1::UpdateHouseholdRequest update;
  update.set_request_id(Rid());
  update.mutable_household()->set_id(safe.id());
  update.mutable_household()->set_etag(safe.etag());
  update.mutable_household()->mutable_indicators()->set_housing_safety(false);
  update.mutable_update_mask()->add_paths("indicators.housing_safety");
  pv1::Household updated;
  s = people_->UpdateHousehold(Admin().get(), update, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  pv1::ExitApplication reviewed;
  s = Review("cadre-village", "cadre", "520221104", a.id(), reviewed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(Reason(s), "EXIT_CRITERIA_UNMET");
  EXPECT_NE(s.error_message().find("indicators.housing_safety"), std::string::npos);
}

TEST_F(ExitE2eTest, TheWholeProcedureOnTheFakeClock) {
  pv1::Household h = CreateHousehold(true);
  pv1::ExitApplication a;
  grpc::Status s = Propose(h.id(), a);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(a.stage(), pv1::EXIT_STAGE_PROPOSED);
  EXPECT_EQ(a.proposed_by(), "cadre-proposer");
  EXPECT_EQ(a.standard().notice_days(), 7);
  const std::string id = a.id();

  // The proposer cannot approve.
  s = Review("cadre-proposer", "cadre", "520221104", id, a);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Reason(s), "OWN_PROPOSAL");

  // The village review posts the notice for 7 days of the fake clock.
  s = Review("cadre-village", "cadre", "520221104", id, a);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(a.stage(), pv1::EXIT_STAGE_NOTICE);
  EXPECT_EQ(common::FromTimestamp(a.notice_end_time()), clock_.Now() + absl::Hours(24 * 7));

  // The township review waits for the notice to end.
  s = Review("official-township", "county_official", "520221104", id, a);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(s), "NOTICE_PERIOD_RUNNING");

  // An objection on day 3 stops the clock: past the first end, still no township review.
  clock_.Advance(absl::Hours(24 * 3));
  pv1::ObjectToExitRequest object;
  object.set_request_id(Rid());
  object.set_application_id(id);
  object.set_objection("a neighbour says the family's new house leaks");
  s = exits_->ObjectToExit(As("inspector-1", "inspector", "520221").get(), object, &a);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(a.stage(), pv1::EXIT_STAGE_OBJECTED);
  ASSERT_EQ(a.objections_size(), 1);
  clock_.Advance(absl::Hours(24 * 10));
  s = Review("official-township", "county_official", "520221104", id, a);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(Reason(s), "");

  // Dismissed: a full notice period again, from now.
  pv1::ResolveObjectionRequest resolve;
  resolve.set_request_id(Rid());
  resolve.set_application_id(id);
  resolve.set_upheld(false);
  resolve.set_note("inspected: the roof was repaired in October");
  s = exits_->ResolveObjection(As("cadre-proposer", "county_official", "520221").get(), resolve,
                               &a);
  EXPECT_EQ(Reason(s), "OWN_PROPOSAL");
  resolve.set_request_id(Rid());
  s = exits_->ResolveObjection(As("official-resolver", "county_official", "520221").get(), resolve,
                               &a);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(a.stage(), pv1::EXIT_STAGE_NOTICE);
  EXPECT_EQ(common::FromTimestamp(a.notice_end_time()), clock_.Now() + absl::Hours(24 * 7));
  clock_.Advance(absl::Hours(24 * 7) - absl::Seconds(1));
  s = Review("official-township", "county_official", "520221104", id, a);
  EXPECT_EQ(Reason(s), "NOTICE_PERIOD_RUNNING");
  clock_.Advance(absl::Seconds(1));
  object.set_request_id(Rid());
  s = exits_->ObjectToExit(As("inspector-1", "inspector", "520221").get(), object, &a);
  EXPECT_EQ(Reason(s), "NOTICE_ENDED") << "an objection after the notice";
  // The township's step needs a township's scope.
  s = Review("official-village", "county_official", kVillage, id, a);
  EXPECT_EQ(Reason(s), "NOT_TOWNSHIP_LEVEL");
  s = Review("official-township", "county_official", "520221104", id, a);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(a.stage(), pv1::EXIT_STAGE_TOWNSHIP_REVIEWED);

  // County approval: not from a township's scope, and not twice by one person.
  s = Review("official-township-2", "county_official", "520221104", id, a);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Reason(s), "NOT_COUNTY_LEVEL");
  s = Review("official-township", "county_official", "520221", id, a);
  EXPECT_EQ(Reason(s), "REVIEWER_INVOLVED");
  s = Review("official-county", "county_official", "520221", id, a);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(a.stage(), pv1::EXIT_STAGE_COUNTY_APPROVED);
  EXPECT_EQ(GetHousehold(h.id()).status(), pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);

  pv1::ConfirmExitRequest confirm;
  confirm.set_request_id(Rid());
  confirm.set_application_id(id);
  confirm.set_confirmation("signed by the head on 2019-12-01, file 2019-041");
  // Recorded by a member of the work team who took no earlier step.
  s = exits_->ConfirmExit(As("cadre-proposer", "cadre", "520221104").get(), confirm, &a);
  EXPECT_EQ(Reason(s), "OWN_PROPOSAL");
  confirm.set_request_id(Rid());
  s = exits_->ConfirmExit(As("cadre-village", "cadre", "520221104").get(), confirm, &a);
  EXPECT_EQ(Reason(s), "REVIEWER_INVOLVED");
  confirm.set_request_id(Rid());
  s = exits_->ConfirmExit(As("cadre-confirm", "cadre", "520221104").get(), confirm, &a);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(a.stage(), pv1::EXIT_STAGE_CONFIRMED);
  pv1::Household out = GetHousehold(h.id());
  EXPECT_EQ(out.status(), pv1::HOUSEHOLD_STATUS_LIFTED_OUT);
  EXPECT_EQ(out.exit_application_id(), id);
  // Every step is on the record, with its actor.
  std::vector<std::string> actors;
  for (const auto& step : a.steps()) actors.push_back(step.actor());
  EXPECT_EQ(actors, (std::vector<std::string>{"cadre-proposer", "cadre-village", "inspector-1",
                                              "official-resolver", "official-township",
                                              "official-county", "cadre-confirm"}));

  // A wrongful exit found later returns the household, with the link kept both ways.
  pv1::ReverseExitRequest reverse;
  reverse.set_request_id(Rid());
  reverse.set_household_id(h.id());
  reverse.set_reference("findings/f-2020-017");
  reverse.set_note("income found below the line");
  pv1::Household back;
  // An inspector names a finding: an assessment's visit is the assessment's to cite.
  reverse.set_reference("assessments/as-1/visits/v-1");
  s = exits_->ReverseExit(As("inspector-1", "inspector", "520221").get(), reverse, &back);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(testing::ViolatedField(s), "reference");
  reverse.set_request_id(Rid());
  reverse.set_reference("findings/f-2020-017");
  s = exits_->ReverseExit(As("inspector-1", "inspector", "520221").get(), reverse, &back);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(back.status(), pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  EXPECT_EQ(back.exit_application_id(), id);
  EXPECT_EQ(back.reversal_reference(), "findings/f-2020-017");
  pv1::GetExitApplicationRequest get;
  get.set_id(id);
  s = exits_->GetExitApplication(As("auditor-1", "auditor", "520221").get(), get, &a);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(a.stage(), pv1::EXIT_STAGE_REVERSED);
  EXPECT_EQ(a.reversal_reference(), "findings/f-2020-017");
  // Reversing again: the household is no longer exited.
  reverse.set_request_id(Rid());
  s = exits_->ReverseExit(As("inspector-1", "inspector", "520221").get(), reverse, &back);
  EXPECT_EQ(Reason(s), "NOT_EXITED");
}

TEST_F(ExitE2eTest, OnlyTheYearOfTheStandardInForce) {
  // The fake clock is in 2019 (China time) and 2019's is the province's latest standard.
  pv1::Household h = CreateHousehold(true);
  pv1::ExitApplication a;
  for (int32_t year : {2018, 2020}) {
    grpc::Status s = Propose(h.id(), a, year);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << year;
    EXPECT_EQ(Reason(s), "STALE_STANDARD") << year;
  }
  grpc::Status s = Propose(h.id(), a, 2019);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

TEST_F(ExitE2eTest, VillageProfilesAreSetFromAboveTheCounty) {
  pv1::Household h = CreateHousehold(true);  // 4 people
  pv1::SetVillageProfileRequest req;
  req.set_request_id(Rid());
  req.mutable_profile()->set_village_code(kVillage);
  req.mutable_profile()->set_rural_population(400);
  pv1::VillageProfile out;
  grpc::Status s = criteria_->SetVillageProfile(
      As("official-county", "county_official", "520221").get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(Reason(s), "NOT_INDEPENDENT");
  req.set_request_id(Rid());
  req.mutable_profile()->set_rural_population(3);
  s = criteria_->SetVillageProfile(As("official-prefecture", "county_official", "5202").get(), req,
                                   &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(testing::ViolatedField(s), "profile.rural_population");
  req.set_request_id(Rid());
  req.mutable_profile()->set_rural_population(400);
  s = criteria_->SetVillageProfile(As("official-prefecture", "county_official", "5202").get(), req,
                                   &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.rural_population(), 400);
}

TEST_F(ExitE2eTest, StatusEditsCannotBypassTheProcedure) {
  pv1::Household h = CreateHousehold(true);
  for (auto status : {pv1::HOUSEHOLD_STATUS_LIFTED_OUT, pv1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN}) {
    pv1::UpdateHouseholdRequest update;
    update.set_request_id(Rid());
    update.mutable_household()->set_id(h.id());
    update.mutable_household()->set_etag(h.etag());
    update.mutable_household()->set_status(status);
    update.mutable_update_mask()->add_paths("status");
    pv1::Household out;
    for (bool admin : {false, true}) {
      auto ctx = admin ? Admin() : As("official-county", "county_official", "520221");
      update.set_request_id(Rid());
      grpc::Status s = people_->UpdateHousehold(ctx.get(), update, &out);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
      EXPECT_EQ(Reason(s), "ILLEGAL_TRANSITION");
    }
  }
  EXPECT_EQ(GetHousehold(h.id()).status(), pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);
}

}  // namespace
}  // namespace tuopin
