// Outbox to audit log, end to end: personnel's audit events are shipped by its outbox
// relay through the gateway (service token) into the real audit log, exactly once, also
// when a batch is shipped again after a crash between shipping and marking.

#include <cppconn/resultset.h>

#include "absl/strings/str_cat.h"
#include "common/audit_sink.h"
#include "common/handler.h"
#include "common/jwt.h"
#include "common/migrate.h"
#include "gtest/gtest.h"
#include "services/accountability/audit_log_service.h"
#include "services/gateway/gateway.h"
#include "services/gateway/proxy.h"
#include "services/personnel/mysql_personnel_store.h"
#include "services/personnel/personnel_service.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& PersonnelMigrations();
const std::vector<tuopin::common::Migration>& AccountabilityMigrations();
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

TEST(RelayTest, EveryAcknowledgedMutationReachesTheLogExactlyOnce) {
  testing::TestDatabase personnel_db, log_db;
  auto personnel_pool = personnel_db.NewPool(8);
  auto log_pool = log_db.NewPool(8);
  ASSERT_TRUE(common::ApplyMigrations(*personnel_pool, generated::PersonnelMigrations()).ok());
  ASSERT_TRUE(common::ApplyMigrations(*log_pool, generated::AccountabilityMigrations()).ok());

  common::RandomIdGenerator ids;
  common::PageTokenCodec tokens("relay-test-page-token-key-0123456789");
  personnel::MysqlPersonnelStore pstore(*personnel_pool, ids);
  personnel::PersonnelLogic plogic(pstore, *common::SystemClock::Get(), tokens);
  common::Authorizer pauth(testing::kTestInternalKey,
                           common::FindService(pv1::PersonnelService::service_full_name()));
  common::Handler phandler("personnel", pauth, *common::SystemClock::Get());
  personnel::PersonnelServiceImpl pservice(plogic, phandler);
  testing::TestServer personnel_server({&pservice});

  auto signer = std::move(
      *accountability::NoteSigner::FromPem("tuopin.test", testing::Ed25519PrivateKeyPem()));
  accountability::AuditLogStore log_store(*log_pool);
  common::PageTokenCodec log_tokens("relay-test-page-key");
  accountability::AuditLogLogic log_logic(log_store, *signer, "tuopin.test/audit-log",
                                          *common::SystemClock::Get(), log_tokens);
  common::Authorizer lauth(testing::kTestInternalKey,
                           common::FindService(accountability::v1::AuditLog::service_full_name()));
  common::Handler lhandler("accountability", lauth, *common::SystemClock::Get());
  accountability::AuditLogServiceImpl log_service(log_logic, lhandler);
  testing::TestServer log_server({&log_service});

  common::JwtConfig jwt;
  jwt.issuer = "tuopin-test";
  jwt.audience = "tuopin";
  jwt.algorithms = {"HS256"};
  jwt.hs256_secret = kSecret;
  gateway::GatewayConfig config;
  config.routes = {{"tuopin.personnel.v1.PersonnelService", "personnel"},
                   {"tuopin.accountability.v1.AuditLog", "accountability"}};
  config.targets = {{"personnel", absl::StrCat("127.0.0.1:", personnel_server.port())},
                    {"accountability", absl::StrCat("127.0.0.1:", log_server.port())}};
  config.internal_key = testing::kTestInternalKey;
  auto gw = std::move(*gateway::Gateway::Create(
      config, std::move(*common::JwtVerifier::Create(jwt)), common::SystemClock::Get()));
  gw->set_access_log(false);
  gateway::ProxyService proxy(*gw);
  testing::TestServer gateway_server({}, &proxy);

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

  common::JwtClaims claims;
  claims.subject = "service:personnel";
  claims.roles = {"service"};
  claims.regions = {"*"};
  claims.issuer = "tuopin-test";
  claims.audience = "tuopin";
  claims.issued_at = absl::Now();
  claims.expires = absl::Now() + absl::Hours(1);
  common::GatewayClient client(gateway_server.channel(), common::SignJwtHs256(claims, kSecret));
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

  // Every outbox event is in the log, byte for byte.
  std::vector<std::string> outbox_events;
  ASSERT_TRUE(common::WithConnection(*personnel_pool, [&](common::DbSession& s) {
                auto rs = common::Query(s, "SELECT event FROM outbox ORDER BY seq").Rows();
                while (rs->next()) outbox_events.push_back(rs->getString(1).asStdString());
                return absl::OkStatus();
              }).ok());
  auto leaves = log_store.Leaves(0, 100);
  ASSERT_TRUE(leaves.ok());
  std::set<std::string> logged;
  for (auto& [index, value] : *leaves) logged.insert(value);
  for (const auto& e : outbox_events)
    EXPECT_TRUE(logged.count(e)) << "an outbox event is missing from the log";

  // Only the service role may append, also through the gateway.
  common::JwtClaims auditor = claims;
  auditor.subject = "auditor-1";
  auditor.roles = {"auditor"};
  common::GatewayClient auditor_client(gateway_server.channel(),
                                       common::SignJwtHs256(auditor, kSecret));
  common::GatewayAuditSink auditor_sink(auditor_client);
  tuopin::common::v1::AuditEvent forged;
  forged.set_event_id("forged-1");
  EXPECT_EQ(auditor_sink.Ship({forged}).code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace tuopin
