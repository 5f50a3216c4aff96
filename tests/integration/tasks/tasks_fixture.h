#pragma once
// TaskService through real servers: tasks and personnel on MariaDB, the gateway between
// them. The fixture the tasks integration tests share; a fake clock drives stages,
// overdue and lag.

#include <atomic>

#include "absl/strings/str_cat.h"
#include "common/gateway_client.h"
#include "common/handler.h"
#include "common/jwt.h"
#include "common/migrate.h"
#include "common/validate.h"
#include "gtest/gtest.h"
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
}  // namespace tuopin::generated

namespace tuopin::tasks {

namespace pv1 = tuopin::personnel::v1;
using testing::ContextAs;
using testing::MakePrincipal;
using testing::ViolatedField;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_CADRE;
using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;
using tuopin::common::v1::ROLE_INSPECTOR;
using tuopin::common::v1::SECTOR_DRINKING_WATER;
using tuopin::common::v1::SECTOR_HOUSING_SAFETY;
using tuopin::common::v1::SECTOR_RURAL_ROADS;

inline constexpr char kSecret[] = "tasks-test-hs256-secret-0123456789abcdef";
inline constexpr char kVillageA[] = "520221104001";
inline constexpr char kVillageB[] = "520221105001";
// 5 September 2018, 10:00 in China: the symposium.
inline const absl::Time kSymposium =
    absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone());

class TasksTest : public ::testing::Test {
 protected:
  // Group commit as the binary runs it by default (--group_commit_*).
  explicit TasksTest(common::GroupCommitOptions group_commit = common::GroupCommitOptions{})
      : clock_(kSymposium),
        personnel_pool_(personnel_db_.NewPool(8)),
        tasks_pool_(tasks_db_.NewPool(8)),
        tokens_("page-token-key-for-tasks-tests-0123"),
        personnel_store_(*personnel_pool_, ids_),
        personnel_logic_(personnel_store_, clock_, tokens_),
        personnel_authorizer_(testing::kTestInternalKey,
                              common::FindService(pv1::PersonnelService::service_full_name())),
        personnel_handler_("personnel", personnel_authorizer_, clock_),
        personnel_service_(personnel::NewPersonnelService(personnel_logic_, personnel_handler_)),
        tasks_store_(*tasks_pool_, ids_, group_commit),
        tasks_authorizer_(testing::kTestInternalKey,
                          common::FindService(v1::TaskService::service_full_name())),
        tasks_handler_("tasks", tasks_authorizer_, clock_) {}

  void SetUp() override {
    ASSERT_TRUE(common::ApplyMigrations(*personnel_pool_, generated::PersonnelMigrations()).ok());
    ASSERT_TRUE(common::ApplyMigrations(*tasks_pool_, generated::TasksMigrations()).ok());
    personnel_server_ = std::make_unique<testing::TestServer>(
        std::vector<grpc::Service*>{personnel_service_.get()});
    // The gateway: tasks' calls to personnel pass through it with the service token.
    common::JwtConfig jwt;
    jwt.issuer = "tuopin-test";
    jwt.audience = "tuopin";
    jwt.algorithms = {"HS256"};
    jwt.hs256_secret = kSecret;
    gateway::GatewayConfig config;
    config.routes = {{"tuopin.personnel.v1.PersonnelService", "personnel"}};
    config.targets = {{"personnel", absl::StrCat("127.0.0.1:", personnel_server_->port())}};
    config.internal_key = testing::kTestInternalKey;
    auto gw = gateway::Gateway::Create(config, std::move(*common::JwtVerifier::Create(jwt)),
                                       common::SystemClock::Get());
    ASSERT_TRUE(gw.ok());
    gateway_ = std::move(*gw);
    gateway_->set_access_log(false);
    proxy_ = std::make_unique<gateway::ProxyService>(*gateway_);
    gateway_server_ =
        std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{}, proxy_.get());
    common::JwtClaims claims;
    claims.subject = "service:tasks";
    claims.roles = {"service"};
    claims.regions = {"*"};
    claims.issuer = "tuopin-test";
    claims.audience = "tuopin";
    claims.issued_at = absl::Now();
    claims.expires = absl::Now() + absl::Hours(1);
    gateway_client_ = std::make_unique<common::GatewayClient>(
        gateway_server_->channel(), common::SignJwtHs256(claims, kSecret));
    directory_ = std::make_unique<common::GatewayPersonnelDirectory>(*gateway_client_);
    tasks_logic_ = std::make_unique<TasksLogic>(tasks_store_, *directory_, clock_, tokens_);
    tasks_service_ = NewTasksService(*tasks_logic_, tasks_handler_);
    tasks_server_ =
        std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{tasks_service_.get()});
    stub_ = v1::TaskService::NewStub(tasks_server_->channel());
    people_ = pv1::PersonnelService::NewStub(personnel_server_->channel());
    SeedPersonnel();
  }

  std::string NextId() { return absl::StrCat("req-", ++counter_); }

  void SeedPersonnel() {
    pv1::ImportRegionsRequest import;
    import.set_request_id("regions");
    for (auto [code, name] :
         std::vector<std::pair<const char*, const char*>>{{"52", "Guizhou"},
                                                          {"5202", "Liupanshui"},
                                                          {"520221", "Shuicheng"},
                                                          {"520221104", "Mugang"},
                                                          {"520221105", "Baohua"},
                                                          {kVillageA, "Gaofeng"},
                                                          {kVillageB, "Tangfang"}}) {
      auto* r = import.add_regions();
      r->set_code(code);
      r->set_name(name);
    }
    pv1::ImportRegionsResponse ir;
    ASSERT_TRUE(people_->ImportRegions(ContextAs(admin_).get(), import, &ir).ok());
    pv1::CreateHouseholdRequest h;
    h.set_request_id("household");
    h.mutable_household()->set_village_code(kVillageA);
    h.mutable_household()->set_head_name("Long Xiuying");
    h.mutable_household()->set_member_count(5);
    h.mutable_household()->set_status(pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);
    ASSERT_TRUE(people_->CreateHousehold(ContextAs(admin_).get(), h, &household_).ok());
    for (auto [out, number] : {std::pair{&cadre_, "C-1"}, std::pair{&other_cadre_, "C-2"}}) {
      pv1::CreateCadreRequest c;
      c.set_request_id(absl::StrCat("cadre-", number));
      c.mutable_cadre()->set_employee_number(number);
      c.mutable_cadre()->set_name(number);
      c.mutable_cadre()->set_origin_level(pv1::ORIGIN_LEVEL_MUNICIPAL);
      c.mutable_cadre()->set_dispatching_unit("Liupanshui Water Bureau");
      c.mutable_cadre()->set_home_region_code("520221106");
      c.mutable_cadre()->set_managing_region_code("520221");
      ASSERT_TRUE(people_->CreateCadre(ContextAs(admin_).get(), c, out).ok());
    }
  }

  std::string Campaign(absl::CivilDay start = absl::CivilDay(2018, 4, 1)) {
    v1::CreateCampaignRequest req;
    req.set_request_id(NextId());
    req.mutable_campaign()->set_region_code("520221");
    req.mutable_campaign()->set_name("Shuicheng: implement, fix shortcomings, final victory");
    *req.mutable_campaign()->mutable_start_date() = common::ToDate(start);
    v1::Campaign out;
    grpc::Status st = stub_->CreateCampaign(ContextAs(official_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.id();
  }

  v1::CreateTaskRequest TaskRequest(const std::string& campaign, tuopin::common::v1::Sector sector,
                                    const std::string& village, absl::CivilDay deadline,
                                    v1::Stage stage = v1::STAGE_FIX_SHORTCOMINGS) {
    v1::CreateTaskRequest req;
    req.set_request_id(NextId());
    auto* t = req.mutable_task();
    t->set_campaign_id(campaign);
    t->set_stage(stage);
    t->set_sector(sector);
    t->set_village_code(village);
    t->set_title("Repair unsafe houses");
    t->set_assignee_cadre_id(cadre_.id());
    *t->mutable_deadline() = common::ToDate(deadline);
    t->set_priority(v1::PRIORITY_HIGH);
    return req;
  }

  v1::Task Create(const v1::CreateTaskRequest& req) {
    v1::Task out;
    grpc::Status st = stub_->CreateTask(ContextAs(official_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  grpc::Status Act(const common::Principal& as, const std::string& task, const std::string& what,
                   v1::Task* out, int percent = 50) {
    if (what == "report") {
      v1::ReportProgressRequest r;
      r.set_request_id(NextId());
      r.set_task_id(task);
      r.set_percent(percent);
      r.set_note("Walls re-built, roof pending");
      auto* e = r.add_evidence();
      e->set_uri("https://evidence.tuopin.example/photos/1.jpg");
      e->set_sha256_hex(std::string(64, 'a'));
      return stub_->ReportProgress(ContextAs(as).get(), r, out);
    }
    if (what == "complete") {
      v1::CompleteTaskRequest r;
      r.set_request_id(NextId());
      r.set_task_id(task);
      return stub_->CompleteTask(ContextAs(as).get(), r, out);
    }
    if (what == "verify") {
      v1::VerifyTaskRequest r;
      r.set_request_id(NextId());
      r.set_task_id(task);
      return stub_->VerifyTask(ContextAs(as).get(), r, out);
    }
    if (what == "reopen") {
      v1::ReopenTaskRequest r;
      r.set_request_id(NextId());
      r.set_task_id(task);
      r.set_reason("Random household survey found the roof still leaking");
      return stub_->ReopenTask(ContextAs(as).get(), r, out);
    }
    v1::CancelTaskRequest r;
    r.set_request_id(NextId());
    r.set_task_id(task);
    r.set_reason("Household relocated");
    return stub_->CancelTask(ContextAs(as).get(), r, out);
  }

  common::FakeClock clock_;
  testing::TestDatabase personnel_db_, tasks_db_;
  std::unique_ptr<common::ConnectionPool> personnel_pool_, tasks_pool_;
  common::SequentialIdGenerator ids_{"t"};
  common::PageTokenCodec tokens_;
  personnel::MysqlPersonnelStore personnel_store_;
  personnel::PersonnelLogic personnel_logic_;
  common::Authorizer personnel_authorizer_;
  common::Handler personnel_handler_;
  std::unique_ptr<pv1::PersonnelService::Service> personnel_service_;
  MysqlTasksStore tasks_store_;
  common::Authorizer tasks_authorizer_;
  common::Handler tasks_handler_;
  // Before the servers: a gateway server stops its proxy when it is destroyed.
  std::unique_ptr<gateway::ProxyService> proxy_;
  std::unique_ptr<testing::TestServer> personnel_server_, gateway_server_, tasks_server_;
  std::unique_ptr<gateway::Gateway> gateway_;
  std::unique_ptr<common::GatewayClient> gateway_client_;
  std::unique_ptr<common::GatewayPersonnelDirectory> directory_;
  std::unique_ptr<TasksLogic> tasks_logic_;
  std::unique_ptr<v1::TaskService::Service> tasks_service_;
  std::unique_ptr<v1::TaskService::Stub> stub_;
  std::unique_ptr<pv1::PersonnelService::Stub> people_;
  pv1::Household household_;
  pv1::Cadre cadre_, other_cadre_;
  std::atomic<int> counter_{0};

  const common::Principal admin_ = MakePrincipal("admin-1", {ROLE_ADMIN}, {"*"});
  const common::Principal official_ =
      MakePrincipal("official-1", {ROLE_COUNTY_OFFICIAL}, {"520221"});
  const common::Principal inspector_ = MakePrincipal("inspector-1", {ROLE_INSPECTOR}, {"5202"});
  const common::Principal outsider_ =
      MakePrincipal("official-9", {ROLE_COUNTY_OFFICIAL}, {"520203"});
  common::Principal Cadre(const pv1::Cadre& c) {
    return MakePrincipal(c.id(), {ROLE_CADRE}, {kVillageA});
  }
};

}  // namespace tuopin::tasks
