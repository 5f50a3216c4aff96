#pragma once
// AccountabilityService through real servers: personnel, tasks, the gateway and the
// accountability service on MariaDB. The fixture the records integration tests share.

#include <atomic>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/gateway_client.h"
#include "common/handler.h"
#include "common/jwt.h"
#include "common/migrate.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/accountability/records_service.h"
#include "services/gateway/gateway.h"
#include "services/gateway/proxy.h"
#include "services/personnel/mysql_personnel_store.h"
#include "services/personnel/personnel_service.h"
#include "services/tasks/mysql_tasks_store.h"
#include "services/tasks/tasks_service.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& PersonnelMigrations();
const std::vector<tuopin::common::Migration>& TasksMigrations();
const std::vector<tuopin::common::Migration>& AccountabilityMigrations();
}  // namespace tuopin::generated

namespace tuopin::accountability {

namespace pv1 = tuopin::personnel::v1;
namespace tv1 = tuopin::tasks::v1;
using testing::ContextAs;
using testing::MakePrincipal;
using testing::ViolatedField;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_AUDITOR;
using tuopin::common::v1::ROLE_CADRE;
using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;
using tuopin::common::v1::ROLE_INSPECTOR;

inline constexpr char kSecret[] = "records-test-hs256-secret-0123456789abc";
inline constexpr char kVillage[] = "520221104001";

class RecordsTest : public ::testing::Test {
 protected:
  RecordsTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone())),
        tokens_("records-test-page-token-key-0123456789") {}

  void SetUp() override {
    ppool_ = pdb_.NewPool(8);
    tpool_ = tdb_.NewPool(8);
    apool_ = adb_.NewPool(8);
    ASSERT_TRUE(common::ApplyMigrations(*ppool_, generated::PersonnelMigrations()).ok());
    ASSERT_TRUE(common::ApplyMigrations(*tpool_, generated::TasksMigrations()).ok());
    ASSERT_TRUE(common::ApplyMigrations(*apool_, generated::AccountabilityMigrations()).ok());
    // personnel
    pstore_ = std::make_unique<personnel::MysqlPersonnelStore>(*ppool_, ids_);
    plogic_ = std::make_unique<personnel::PersonnelLogic>(*pstore_, clock_, tokens_);
    pauth_ = std::make_unique<common::Authorizer>(
        testing::kTestInternalKey, common::FindService(pv1::PersonnelService::service_full_name()));
    phandler_ = std::make_unique<common::Handler>("personnel", *pauth_, clock_);
    pservice_ = personnel::NewPersonnelService(*plogic_, *phandler_);
    pserver_ = std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{pservice_.get()});
    // tasks and accountability reach others through the gateway, started before them.
    tserver_port_ = 0;
    common::JwtConfig jwt;
    jwt.issuer = "tuopin-test";
    jwt.audience = "tuopin";
    jwt.algorithms = {"HS256"};
    jwt.hs256_secret = kSecret;
    // Tasks first (it needs only personnel).
    StartGateway(jwt, /*tasks_port=*/0);
    tstore_ = std::make_unique<tasks::MysqlTasksStore>(*tpool_, ids_);
    tpersonnel_ = std::make_unique<common::GatewayPersonnelDirectory>(*client_);
    tlogic_ = std::make_unique<tasks::TasksLogic>(*tstore_, *tpersonnel_, clock_, tokens_);
    tauth_ = std::make_unique<common::Authorizer>(
        testing::kTestInternalKey, common::FindService(tv1::TaskService::service_full_name()));
    thandler_ = std::make_unique<common::Handler>("tasks", *tauth_, clock_);
    tservice_ = tasks::NewTasksService(*tlogic_, *thandler_);
    tserver_ = std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{tservice_.get()});
    StartGateway(jwt, tserver_->port());
    astore_ = std::make_unique<MysqlRecordsStore>(*apool_, ids_);
    apersonnel_ = std::make_unique<common::GatewayPersonnelDirectory>(*client_);
    atasks_ = std::make_unique<common::GatewayTaskClient>(*client_);
    alogic_ = std::make_unique<RecordsLogic>(*astore_, *apersonnel_, *atasks_, clock_, tokens_);
    aauth_ = std::make_unique<common::Authorizer>(
        testing::kTestInternalKey,
        common::FindService(v1::AccountabilityService::service_full_name()));
    ahandler_ = std::make_unique<common::Handler>("accountability", *aauth_, clock_);
    aservice_ = NewRecordsService(*alogic_, *ahandler_);
    aserver_ = std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{aservice_.get()});
    stub_ = v1::AccountabilityService::NewStub(aserver_->channel());
    people_ = pv1::PersonnelService::NewStub(pserver_->channel());
    task_stub_ = tv1::TaskService::NewStub(tserver_->channel());
    Seed();
  }

  // (Re)starts the gateway with the backends known so far; the client follows it.
  void StartGateway(const common::JwtConfig& jwt, int tasks_port) {
    gateway::GatewayConfig config;
    config.routes = {{"tuopin.personnel.v1.PersonnelService", "personnel"}};
    config.targets = {{"personnel", absl::StrCat("127.0.0.1:", pserver_->port())}};
    if (tasks_port != 0) {
      config.routes["tuopin.tasks.v1.TaskService"] = "tasks";
      config.targets["tasks"] = absl::StrCat("127.0.0.1:", tasks_port);
    }
    config.internal_key = testing::kTestInternalKey;
    auto gw = gateway::Gateway::Create(config, std::move(*common::JwtVerifier::Create(jwt)),
                                       common::SystemClock::Get());
    ASSERT_TRUE(gw.ok());
    gateways_.push_back(std::move(*gw));
    gateways_.back()->set_access_log(false);
    proxies_.push_back(std::make_unique<gateway::ProxyService>(*gateways_.back()));
    gateway_servers_.push_back(std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{},
                                                                     proxies_.back().get()));
    common::JwtClaims claims;
    // The accountability service's own principal: the only one task tracking lets link a
    // task to a rectification order.
    claims.subject = tasks::kAccountabilityServiceSubject;
    claims.roles = {"service"};
    claims.regions = {"*"};
    claims.issuer = "tuopin-test";
    claims.audience = "tuopin";
    claims.issued_at = absl::Now();
    claims.expires = absl::Now() + absl::Hours(1);
    if (!client_) {
      client_ = std::make_unique<common::GatewayClient>(gateway_servers_.back()->channel(),
                                                        common::SignJwtHs256(claims, kSecret));
    } else {
      *client_ = common::GatewayClient(gateway_servers_.back()->channel(),
                                       common::SignJwtHs256(claims, kSecret));
    }
  }

  std::string NextId() { return absl::StrCat("req-", ++counter_); }

  void Seed() {
    pv1::ImportRegionsRequest import;
    import.set_request_id("regions");
    for (auto [code, name] :
         std::vector<std::pair<const char*, const char*>>{{"52", "Guizhou"},
                                                          {"5202", "Liupanshui"},
                                                          {"520221", "Shuicheng"},
                                                          {"520221104", "Mugang"},
                                                          {kVillage, "Gaofeng"}}) {
      auto* r = import.add_regions();
      r->set_code(code);
      r->set_name(name);
    }
    pv1::ImportRegionsResponse ir;
    ASSERT_TRUE(people_->ImportRegions(ContextAs(admin_).get(), import, &ir).ok());
    for (int i = 0; i < 30; ++i) AddHousehold(i);
    pv1::CreateCadreRequest c;
    c.set_request_id("cadre");
    c.mutable_cadre()->set_employee_number("LPS-17");
    c.mutable_cadre()->set_name("Zhao Lin");
    c.mutable_cadre()->set_origin_level(pv1::ORIGIN_LEVEL_COUNTY);
    c.mutable_cadre()->set_dispatching_unit("Shuicheng Water Bureau");
    c.mutable_cadre()->set_home_region_code("520221106");
    c.mutable_cadre()->set_managing_region_code("520221");
    ASSERT_TRUE(people_->CreateCadre(ContextAs(admin_).get(), c, &cadre_).ok());
    tv1::CreateCampaignRequest camp;
    camp.set_request_id("campaign");
    camp.mutable_campaign()->set_region_code("520221");
    camp.mutable_campaign()->set_name("Shuicheng 450 days");
    *camp.mutable_campaign()->mutable_start_date() = common::ToDate(absl::CivilDay(2018, 4, 1));
    ASSERT_TRUE(task_stub_->CreateCampaign(ContextAs(admin_).get(), camp, &campaign_).ok());
  }

  std::string AddHousehold(int i) {
    pv1::CreateHouseholdRequest h;
    h.set_request_id(absl::StrCat("household-", i));
    h.mutable_household()->set_village_code(kVillage);
    h.mutable_household()->set_head_name(absl::StrCat("Head ", i));
    h.mutable_household()->set_member_count(4);
    h.mutable_household()->set_status(pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);
    pv1::Household out;
    EXPECT_TRUE(people_->CreateHousehold(ContextAs(admin_).get(), h, &out).ok());
    household_ids_.push_back(out.id());
    return out.id();
  }

  v1::Inspection Inspect(const std::string& seed, int sample) {
    v1::CreateInspectionRequest req;
    req.set_request_id(NextId());
    auto* in = req.mutable_inspection();
    in->set_kind(v1::INSPECTION_KIND_RANDOM_HOUSEHOLD_SURVEY);
    in->set_group_name("Investigation group 3");
    in->add_leader_cadre_ids(cadre_.id());
    in->add_target_region_codes("520221104");
    *in->mutable_start_date() = common::ToDate(absl::CivilDay(2018, 8, 21));
    *in->mutable_end_date() = common::ToDate(absl::CivilDay(2018, 9, 3));
    in->set_sample_size(sample);
    in->set_seed_commitment(common::HexEncode(common::Sha256(seed)));
    v1::Inspection out;
    grpc::Status st = stub_->CreateInspection(ContextAs(inspector_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  v1::Finding Find(const std::string& inspection, v1::FindingCategory category,
                   const std::string& region = kVillage) {
    v1::CreateFindingRequest req;
    req.set_request_id(NextId());
    auto* f = req.mutable_finding();
    f->set_inspection_id(inspection);
    f->set_category(category);
    f->set_sector(tuopin::common::v1::SECTOR_HOUSING_SAFETY);
    f->set_region_code(region);
    f->mutable_subject()->set_cadre_id(cadre_.id());
    f->set_severity(v1::SEVERITY_SERIOUS);
    f->set_description(
        "Two registered households still live in unsafe houses; the ledger says repaired.");
    f->add_evidence_uris("https://evidence.tuopin.example/inspection/3/photo-12.jpg");
    v1::Finding out;
    grpc::Status st = stub_->CreateFinding(ContextAs(inspector_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  // An order of two findings in kVillage (two linked tasks), assigned to cadre_.
  v1::RectificationOrder IssueOrder(const std::string& request_id) {
    v1::Inspection in = Inspect(absl::StrCat("seed-", request_id, "-0123456789"), 0);
    v1::Finding a = Find(in.id(), v1::FINDING_CATEGORY_SECTOR_LAGGING);
    v1::Finding b = Find(in.id(), v1::FINDING_CATEGORY_CADRES_NOT_DOWN_TO_EARTH);
    v1::IssueRectificationOrderRequest issue;
    issue.set_request_id(request_id);
    issue.add_finding_ids(a.id());
    issue.add_finding_ids(b.id());
    issue.mutable_responsible()->set_cadre_id(cadre_.id());
    *issue.mutable_deadline() = common::ToDate(absl::CivilDay(2018, 10, 31));
    issue.set_campaign_id(campaign_.id());
    v1::RectificationOrder order;
    grpc::Status st = stub_->IssueRectificationOrder(ContextAs(inspector_).get(), issue, &order);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(order.task_ids_size(), 2);
    return order;
  }

  grpc::Status Submit(const std::string& order_id) {
    v1::SubmitRectificationRequest req;
    req.set_request_id(NextId());
    req.set_order_id(order_id);
    req.set_note("Both houses rebuilt; ledger corrected.");
    v1::RectificationOrder out;
    return stub_->SubmitRectification(ContextAs(Responsible()).get(), req, &out);
  }

  tv1::Task GetTask(const std::string& id) {
    tv1::GetTaskRequest req;
    req.set_id(id);
    tv1::Task task;
    grpc::Status st = task_stub_->GetTask(ContextAs(admin_).get(), req, &task);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return task;
  }

  // The responsible cadre completes the task (when it is not already completed), and
  // inspector-3, a second person, verifies it.
  void CompleteTask(const std::string& id) {
    tv1::CompleteTaskRequest complete;
    complete.set_request_id(NextId());
    complete.set_task_id(id);
    tv1::Task task;
    grpc::Status st = task_stub_->CompleteTask(ContextAs(Responsible()).get(), complete, &task);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  void FinishTask(const std::string& id) {
    CompleteTask(id);
    tv1::VerifyTaskRequest verify;
    verify.set_request_id(NextId());
    verify.set_task_id(id);
    tv1::Task task;
    grpc::Status st = task_stub_->VerifyTask(ContextAs(inspector_).get(), verify, &task);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  common::Principal Responsible() const {
    return MakePrincipal(cadre_.id(), {ROLE_CADRE}, {kVillage});
  }

  common::FakeClock clock_;
  common::PageTokenCodec tokens_;
  common::SequentialIdGenerator ids_{"r"};
  testing::TestDatabase pdb_, tdb_, adb_;
  std::unique_ptr<common::ConnectionPool> ppool_, tpool_, apool_;
  std::unique_ptr<personnel::MysqlPersonnelStore> pstore_;
  std::unique_ptr<personnel::PersonnelLogic> plogic_;
  std::unique_ptr<common::Authorizer> pauth_, tauth_, aauth_;
  std::unique_ptr<common::Handler> phandler_, thandler_, ahandler_;
  std::unique_ptr<pv1::PersonnelService::Service> pservice_;
  std::unique_ptr<testing::TestServer> pserver_, tserver_, aserver_;
  std::vector<std::unique_ptr<gateway::Gateway>> gateways_;
  std::vector<std::unique_ptr<gateway::ProxyService>> proxies_;
  std::vector<std::unique_ptr<testing::TestServer>> gateway_servers_;
  std::unique_ptr<common::GatewayClient> client_;
  int tserver_port_ = 0;
  std::unique_ptr<tasks::MysqlTasksStore> tstore_;
  std::unique_ptr<common::GatewayPersonnelDirectory> tpersonnel_, apersonnel_;
  std::unique_ptr<tasks::TasksLogic> tlogic_;
  std::unique_ptr<tv1::TaskService::Service> tservice_;
  std::unique_ptr<MysqlRecordsStore> astore_;
  std::unique_ptr<common::GatewayTaskClient> atasks_;
  std::unique_ptr<RecordsLogic> alogic_;
  std::unique_ptr<v1::AccountabilityService::Service> aservice_;
  std::unique_ptr<v1::AccountabilityService::Stub> stub_;
  std::unique_ptr<pv1::PersonnelService::Stub> people_;
  std::unique_ptr<tv1::TaskService::Stub> task_stub_;
  std::vector<std::string> household_ids_;
  pv1::Cadre cadre_;
  tv1::Campaign campaign_;
  std::atomic<int> counter_{0};

  const common::Principal admin_ = MakePrincipal("admin-1", {ROLE_ADMIN}, {"*"});
  const common::Principal inspector_ = MakePrincipal("inspector-3", {ROLE_INSPECTOR}, {"5202"});
  const common::Principal other_inspector_ =
      MakePrincipal("inspector-9", {ROLE_INSPECTOR}, {"520203"});
  const common::Principal auditor_ = MakePrincipal("auditor-1", {ROLE_AUDITOR}, {"52"});
};

}  // namespace tuopin::accountability
