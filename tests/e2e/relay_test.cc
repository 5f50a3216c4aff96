// Outbox to audit log, end to end: personnel's audit events are shipped by its outbox
// relay through the gateway (service token) into the real audit log, exactly once, also
// when a batch is shipped again after a crash between shipping and marking; and the
// largest CreateTransfers the contract allows reaches the log instead of jamming the
// funds trail, and so does the largest BatchCreateTasks.

#include <cppconn/resultset.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "common/audit_sink.h"
#include "common/handler.h"
#include "common/jwt.h"
#include "common/migrate.h"
#include "gtest/gtest.h"
#include "services/auditlog/auditlog_service.h"
#include "services/auditlog/mysql_auditlog_store.h"
#include "services/funds/funds_service.h"
#include "services/funds/mysql_funds_store.h"
#include "services/gateway/gateway.h"
#include "services/gateway/proxy.h"
#include "services/personnel/mysql_personnel_store.h"
#include "services/personnel/personnel_service.h"
#include "services/tasks/mysql_tasks_store.h"
#include "services/tasks/tasks_logic.h"
#include "tests/support/fake_directories.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& PersonnelMigrations();
const std::vector<tuopin::common::Migration>& AuditLogMigrations();
const std::vector<tuopin::common::Migration>& FundsMigrations();
const std::vector<tuopin::common::Migration>& TasksMigrations();
}  // namespace tuopin::generated

namespace tuopin {
namespace {

namespace pv1 = tuopin::personnel::v1;
constexpr char kSecret[] = "relay-test-hs256-secret-0123456789abcdef";

// Ships, then fails as a crash before marking would: the relay ships the batch again.
class CrashAfterShip final : public common::OutboxSink {
 public:
  explicit CrashAfterShip(common::OutboxSink& inner) : inner_(inner) {}
  absl::Status Ship(const std::vector<tuopin::common::v1::AuditEvent>& events) override {
    TUOPIN_RETURN_IF_ERROR(inner_.Ship(events));
    return absl::UnavailableError("crashed before marking the outbox");
  }

 private:
  common::OutboxSink& inner_;
};

// The real audit log behind a real gateway, and a client of the gateway with the token of
// a service principal "service:<name>".
struct LogBehindGateway {
  LogBehindGateway()
      : pool(db.NewPool(8)),
        signer(std::move(
            *auditlog::NoteSigner::FromPem("tuopin.test", testing::Ed25519PrivateKeyPem()))),
        store(*pool),
        logic(store, *signer, "tuopin.test/audit-log", *common::SystemClock::Get(), tokens),
        auth(testing::kTestInternalKey,
             common::FindService(auditlog::v1::AuditLog::service_full_name())),
        handler("auditlog", auth, *common::SystemClock::Get()),
        service(auditlog::NewAuditLogService(logic, handler)),
        server({service.get()}) {
    EXPECT_TRUE(common::ApplyMigrations(*pool, generated::AuditLogMigrations()).ok());
  }

  // Starts the gateway, routing the log and `more` (service -> address).
  void StartGateway(const std::vector<std::pair<std::string, std::string>>& more = {}) {
    common::JwtConfig jwt;
    jwt.issuer = "tuopin-test";
    jwt.audience = "tuopin";
    jwt.algorithms = {"HS256"};
    jwt.hs256_secret = kSecret;
    gateway::GatewayConfig config;
    config.routes = {{"tuopin.auditlog.v1.AuditLog", "auditlog"}};
    config.targets = {{"auditlog", absl::StrCat("127.0.0.1:", server.port())}};
    for (const auto& [service_name, address] : more) {
      std::string backend = absl::StrCat("backend-", config.targets.size());
      config.routes[service_name] = backend;
      config.targets[backend] = address;
    }
    config.internal_key = testing::kTestInternalKey;
    gw = std::move(*gateway::Gateway::Create(config, std::move(*common::JwtVerifier::Create(jwt)),
                                             common::SystemClock::Get()));
    gw->set_access_log(false);
    proxy = std::make_unique<gateway::ProxyService>(*gw);
    gateway_server =
        std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{}, proxy.get());
  }

  std::string Token(const std::string& subject, const std::string& role) const {
    common::JwtClaims claims;
    claims.subject = subject;
    claims.roles = {role};
    claims.regions = {"*"};
    claims.issuer = "tuopin-test";
    claims.audience = "tuopin";
    claims.issued_at = absl::Now();
    claims.expires = absl::Now() + absl::Hours(1);
    return common::SignJwtHs256(claims, kSecret);
  }

  testing::TestDatabase db;
  std::unique_ptr<common::ConnectionPool> pool;
  std::unique_ptr<auditlog::NoteSigner> signer;
  auditlog::MysqlAuditLogStore store;
  common::PageTokenCodec tokens{"relay-test-page-key"};
  auditlog::AuditLogLogic logic;
  common::Authorizer auth;
  common::Handler handler;
  std::unique_ptr<auditlog::v1::AuditLog::Service> service;
  testing::TestServer server;
  std::unique_ptr<gateway::Gateway> gw;
  // Before the gateway's server: a gateway server stops its proxy when destroyed.
  std::unique_ptr<gateway::ProxyService> proxy;
  std::unique_ptr<testing::TestServer> gateway_server;
};

TEST(RelayTest, EveryAcknowledgedMutationReachesTheLogExactlyOnce) {
  testing::TestDatabase personnel_db;
  auto personnel_pool = personnel_db.NewPool(8);
  ASSERT_TRUE(common::ApplyMigrations(*personnel_pool, generated::PersonnelMigrations()).ok());

  common::RandomIdGenerator ids;
  common::PageTokenCodec tokens("relay-test-page-token-key-0123456789");
  personnel::MysqlPersonnelStore pstore(*personnel_pool, ids);
  personnel::PersonnelLogic plogic(pstore, *common::SystemClock::Get(), tokens);
  common::Authorizer pauth(testing::kTestInternalKey,
                           common::FindService(pv1::PersonnelService::service_full_name()));
  common::Handler phandler("personnel", pauth, *common::SystemClock::Get());
  auto pservice = personnel::NewPersonnelService(plogic, phandler);
  testing::TestServer personnel_server({pservice.get()});

  LogBehindGateway log;
  log.StartGateway({{"tuopin.personnel.v1.PersonnelService",
                     absl::StrCat("127.0.0.1:", personnel_server.port())}});
  auto& log_store = log.store;
  auto& gateway_server = *log.gateway_server;

  // Some acknowledged mutations in personnel.
  auto people = pv1::PersonnelService::NewStub(personnel_server.channel());
  auto admin = testing::MakePrincipal("admin-1", {tuopin::common::v1::ROLE_ADMIN}, {"*"});
  pv1::ImportRegionsRequest import;
  import.set_request_id("regions");
  for (auto [code, name] :
       std::vector<std::pair<const char*, const char*>>{{"52", "Guizhou"},
                                                        {"5202", "Liupanshui"},
                                                        {"520221", "Shuicheng"},
                                                        {"520221104", "Mugang"},
                                                        {"520221104001", "Gaofeng"}}) {
    auto* r = import.add_regions();
    r->set_code(code);
    r->set_name(name);
  }
  pv1::ImportRegionsResponse ir;
  ASSERT_TRUE(people->ImportRegions(testing::ContextAs(admin).get(), import, &ir).ok());
  for (int i = 0; i < 5; ++i) {
    pv1::CreateHouseholdRequest h;
    h.set_request_id(absl::StrCat("h-", i));
    h.mutable_household()->set_village_code("520221104001");
    h.mutable_household()->set_head_name(absl::StrCat("Head ", i));
    h.mutable_household()->set_member_count(3);
    h.mutable_household()->set_status(pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);
    pv1::Household out;
    ASSERT_TRUE(people->CreateHousehold(testing::ContextAs(admin).get(), h, &out).ok());
  }
  const int64_t outbox = testing::QueryInt(*personnel_pool, "SELECT COUNT(*) FROM outbox");
  ASSERT_EQ(outbox, 6);

  common::GatewayClient client(gateway_server.channel(), log.Token("service:personnel", "service"));
  common::GatewayAuditSink sink(client);

  // First a crash after shipping: nothing is marked, the log already has the events.
  CrashAfterShip crashing(sink);
  common::OutboxRelay crashed(*personnel_pool, crashing);
  EXPECT_FALSE(crashed.RunOnce().ok());
  EXPECT_EQ(*crashed.Backlog(), outbox);
  EXPECT_EQ(*log_store.TreeSize(), outbox);
  // Then the relay runs again: it ships the same events, the log keeps one copy each.
  common::OutboxRelay relay(*personnel_pool, sink);
  auto shipped = relay.RunOnce();
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  EXPECT_EQ(*shipped, outbox);
  EXPECT_EQ(*relay.Backlog(), 0);
  EXPECT_EQ(*log_store.TreeSize(), outbox);

  // Every outbox event is in the log, byte for byte (the leaf adds the log's receipt time).
  std::vector<std::string> outbox_events;
  ASSERT_TRUE(common::WithConnection(*personnel_pool, [&](common::DbSession& s) {
                auto rs = common::Query(s, "SELECT event FROM outbox ORDER BY seq").Rows();
                while (rs->next()) outbox_events.push_back(rs->getString(1).asStdString());
                return absl::OkStatus();
              }).ok());
  auto leaves = log_store.Leaves(0, 100);
  ASSERT_TRUE(leaves.ok());
  std::set<std::string> logged;
  for (auto& [index, value] : *leaves) {
    tuopin::common::v1::AuditEvent leaf;
    ASSERT_TRUE(leaf.ParseFromString(value));
    EXPECT_TRUE(leaf.has_logged_at());
    leaf.clear_logged_at();
    logged.insert(common::DeterministicBytes(leaf));
  }
  for (const auto& e : outbox_events)
    EXPECT_TRUE(logged.count(e)) << "an outbox event is missing from the log";

  // Only the service role may append, also through the gateway.
  common::GatewayClient auditor_client(gateway_server.channel(), log.Token("auditor-1", "auditor"));
  common::GatewayAuditSink auditor_sink(auditor_client);
  tuopin::common::v1::AuditEvent forged;
  forged.set_event_id("forged-1");
  EXPECT_EQ(auditor_sink.Ship({forged}).code(), absl::StatusCode::kPermissionDenied);
}

// Attack: one in-contract CreateTransfers of many allocations from one pool to distinct
// project accounts named more entities than the log took (1,201 > 1,100), and its refused
// event held back every later funds event. Now the largest valid request's event is one
// the log accepts, shipped through the gateway with funds' own token.
TEST(RelayTest, TheLargestTransferBatchReachesTheLog) {
  namespace fv1 = tuopin::funds::v1;
  testing::TestDatabase funds_db;
  auto funds_pool = funds_db.NewPool(8);
  ASSERT_TRUE(common::ApplyMigrations(*funds_pool, generated::FundsMigrations()).ok());
  common::RandomIdGenerator ids;
  common::PageTokenCodec tokens("relay-test-page-token-key-0123456789");
  funds::MysqlFundsStore fstore(*funds_pool, ids);
  funds::FundsLogic flogic(fstore, *common::SystemClock::Get(), tokens);
  common::Authorizer fauth(testing::kTestInternalKey,
                           common::FindService(fv1::FundsService::service_full_name()));
  common::Handler fhandler("funds", fauth, *common::SystemClock::Get());
  auto fservice = funds::NewFundsService(flogic, fhandler);
  testing::TestServer funds_server({fservice.get()});

  LogBehindGateway log;
  log.StartGateway();
  auto& log_store = log.store;

  auto funds = fv1::FundsService::NewStub(funds_server.channel());
  auto admin = testing::MakePrincipal("admin-1", {tuopin::common::v1::ROLE_ADMIN}, {"*"});
  int next = 0;
  auto account = [&](const std::string& code, fv1::AccountKind kind, const std::string& region,
                     fv1::SourceLevel level, tuopin::common::v1::Sector sector) {
    fv1::CreateAccountRequest req;
    req.set_request_id(absl::StrCat("acct-", ++next));
    auto* a = req.mutable_account();
    a->set_code(code);
    a->set_kind(kind);
    a->set_name(code);
    a->set_region_code(region);
    a->set_source_level(level);
    a->set_sector(sector);
    fv1::Account out;
    grpc::Status st = funds->CreateAccount(testing::ContextAs(admin).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.id();
  };
  std::string source =
      account("SRC", fv1::ACCOUNT_KIND_SOURCE, "520221", fv1::SOURCE_LEVEL_PROVINCIAL,
              tuopin::common::v1::SECTOR_UNSPECIFIED);
  std::string pool = account("POOL", fv1::ACCOUNT_KIND_POOL, "520221",
                             fv1::SOURCE_LEVEL_UNSPECIFIED, tuopin::common::v1::SECTOR_UNSPECIFIED);
  constexpr int kTransfers = 1000;  // the contract's most
  std::vector<std::string> projects;
  for (int i = 0; i < kTransfers; ++i) {
    projects.push_back(account(absl::StrCat("PRJ-", i), fv1::ACCOUNT_KIND_PROJECT,
                               absl::StrCat("520221104", 100 + i % 900),
                               fv1::SOURCE_LEVEL_UNSPECIFIED,
                               tuopin::common::v1::SECTOR_HOUSING_SAFETY));
  }
  auto transfer = [](const std::string& id, const std::string& debit, const std::string& credit,
                     int64_t amount, fv1::TransferKind kind) {
    fv1::Transfer t;
    t.set_id(id);
    t.set_debit_account_id(debit);
    t.set_credit_account_id(credit);
    t.set_amount_fen(amount);
    t.set_kind(kind);
    return t;
  };
  fv1::CreateTransfersRequest fund;
  fund.set_request_id("appropriate");
  *fund.add_transfers() =
      transfer("t-approp", source, pool, 100 * kTransfers, fv1::TRANSFER_KIND_APPROPRIATION);
  fv1::CreateTransfersResponse out;
  ASSERT_TRUE(funds->CreateTransfers(testing::ContextAs(admin).get(), fund, &out).ok());
  fv1::CreateTransfersRequest big;
  big.set_request_id("allocate-all");
  for (int i = 0; i < kTransfers; ++i) {
    *big.add_transfers() = transfer(absl::StrCat("t-alloc-", i), pool, projects[i], 100,
                                    fv1::TRANSFER_KIND_ALLOCATION);
  }
  grpc::Status st = funds->CreateTransfers(testing::ContextAs(admin).get(), big, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(out.results_size(), kTransfers);
  for (int r : out.results()) ASSERT_EQ(r, fv1::TRANSFER_RESULT_OK);

  common::GatewayClient client(log.gateway_server->channel(),
                               log.Token("service:funds", "service"));
  common::GatewayAuditSink sink(client);
  common::OutboxRelay relay(*funds_pool, sink);
  int shipped = 0;
  for (int i = 0; i < 20 && shipped < kTransfers + 3; ++i) {
    auto n = relay.RunOnce();
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n == 0) break;
    shipped += *n;
  }
  auto stats = relay.Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->backlog, 0);
  EXPECT_EQ(stats->dead_letters, 0) << "the log refused an event of an in-contract request";
  EXPECT_EQ(*log_store.TreeSize(), testing::QueryInt(*funds_pool, "SELECT COUNT(*) FROM outbox"));
  // The allocation batch is one leaf naming every transfer and account.
  auto leaves = log_store.Leaves(0, 2000);
  ASSERT_TRUE(leaves.ok());
  int largest = 0;
  for (auto& [index, value] : *leaves) {
    tuopin::common::v1::AuditEvent e;
    ASSERT_TRUE(e.ParseFromString(value));
    EXPECT_EQ(e.service(), "funds");
    largest = std::max(largest, e.entities_size());
  }
  EXPECT_EQ(largest, 1 + 2 * kTransfers);  // the pool, 1000 projects, 1000 transfers
}

// Issue 23: the largest BatchCreateTasks (800 tasks, each naming its household, cadre and
// rectification order) is 800 events of four entities, one per task, all shipped through
// the gateway with tasks' own token; nothing is left as a dead letter.
TEST(RelayTest, TheLargestTaskBatchReachesTheLog) {
  namespace tv1 = tuopin::tasks::v1;
  testing::TestDatabase tasks_db;
  auto tasks_pool = tasks_db.NewPool(8);
  ASSERT_TRUE(common::ApplyMigrations(*tasks_pool, generated::TasksMigrations()).ok());
  common::RandomIdGenerator ids;
  common::PageTokenCodec tokens("relay-test-page-token-key-0123456789");
  tasks::MysqlTasksStore store(*tasks_pool, ids);
  testing::FakePersonnelDirectory personnel;
  tasks::TasksLogic logic(store, personnel, *common::SystemClock::Get(), tokens);
  auto context = [](const common::Principal& p, const google::protobuf::Message& req,
                    const std::string& method, const std::string& request_id) {
    return common::ContextFor("tasks", absl::StrCat("/tuopin.tasks.v1.TaskService/", method), p,
                              request_id, absl::Now(), req);
  };
  auto admin = testing::MakePrincipal("admin-1", {tuopin::common::v1::ROLE_ADMIN}, {"*"});
  tv1::CreateCampaignRequest campaign;
  campaign.set_request_id("campaign");
  campaign.mutable_campaign()->set_region_code("520221");
  campaign.mutable_campaign()->set_name("Shuicheng");
  *campaign.mutable_campaign()->mutable_start_date() = common::ToDate(absl::CivilDay(2018, 4, 1));
  tv1::Campaign created;
  ASSERT_TRUE(
      logic
          .CreateCampaign(context(admin, campaign, "CreateCampaign", "campaign"), campaign, created)
          .ok());
  constexpr int kTasks = 800;  // the contract's most
  tv1::BatchCreateTasksRequest batch;
  batch.set_request_id("rectify-all");
  for (int i = 0; i < kTasks; ++i) {
    std::string household = absl::StrCat("household-", i), cadre = absl::StrCat("cadre-", i);
    personnel.household_villages[household] = absl::StrCat("520221104", 100 + i % 900);
    personnel.cadre_regions[cadre] = "520221";
    tv1::Task& t = *batch.add_tasks();
    t.set_campaign_id(created.id());
    t.set_stage(tv1::STAGE_FIX_SHORTCOMINGS);
    t.set_sector(tuopin::common::v1::SECTOR_HOUSING_SAFETY);
    t.set_household_id(household);
    t.set_title("Rectify: slow progress");
    t.set_assignee_cadre_id(cadre);
    *t.mutable_deadline() = common::ToDate(absl::CivilDay(2030, 1, 31));
    t.set_priority(tv1::PRIORITY_HIGH);
    t.set_rectification_order_id(absl::StrCat("order-", i));
  }
  auto accountability = testing::MakePrincipal(tasks::kAccountabilityServiceSubject,
                                               {tuopin::common::v1::ROLE_SERVICE}, {"*"});
  tv1::BatchCreateTasksResponse out;
  absl::Status st = logic.BatchCreateTasks(
      context(accountability, batch, "BatchCreateTasks", batch.request_id()), batch, out);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(out.created_count(), kTasks);

  LogBehindGateway log;
  log.StartGateway();
  common::GatewayClient client(log.gateway_server->channel(),
                               log.Token("service:tasks", "service"));
  common::GatewayAuditSink sink(client);
  common::OutboxRelay relay(*tasks_pool, sink);
  for (int i = 0; i < 20; ++i) {
    auto n = relay.RunOnce();
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n == 0) break;
  }
  auto stats = relay.Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->backlog, 0);
  EXPECT_EQ(stats->dead_letters, 0) << "the log refused an event of an in-contract request";
  EXPECT_EQ(*log.store.TreeSize(), 1 + kTasks);  // the campaign, then one event per task
  auto leaves = log.store.Leaves(0, 1 + kTasks);
  ASSERT_TRUE(leaves.ok());
  std::set<std::string> tasks_named;
  for (auto& [index, value] : *leaves) {
    tuopin::common::v1::AuditEvent e;
    ASSERT_TRUE(e.ParseFromString(value));
    EXPECT_EQ(e.service(), "tasks");
    if (index == 0) continue;
    EXPECT_EQ(e.request_id(), "rectify-all");
    EXPECT_EQ(e.entities_size(), 4);  // the task, its household, cadre and order
    for (const auto& entity : e.entities())
      if (entity.type() == "task") tasks_named.insert(entity.id());
  }
  EXPECT_EQ(tasks_named.size(), static_cast<size_t>(kTasks)) << "each task in its own event";
}

}  // namespace
}  // namespace tuopin
