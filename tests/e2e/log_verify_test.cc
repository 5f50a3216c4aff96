// `tuopinctl log verify`, the real binary, against the real gateway and audit log: it
// passes on an honest log, and exits 1 when a stored subtree hash was rewritten, when
// the checkpoint is not signed by the trusted key, when an event is missing, or when the
// server names a leaf's event other than its bytes say. Auditors verify checkpoints and
// consistency, but do not read leaves around audit-query.

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/handler.h"
#include "common/jwt.h"
#include "common/migrate.h"
#include "gtest/gtest.h"
#include "services/auditlog/auditlog_service.h"
#include "services/auditlog/mysql_auditlog_store.h"
#include "services/gateway/gateway.h"
#include "services/gateway/proxy.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& AuditLogMigrations();
}

namespace tuopin::auditlog {
namespace {

constexpr char kSecret[] = "log-verify-test-secret-0123456789abcdef";

// A log server that lies about one event: asked for "evt-fake", it proves leaf 3 and
// labels leaf 3's (genuine) bytes as event "evt-fake".
class LyingLog final : public v1::AuditLog::Service {
 public:
  explicit LyingLog(v1::AuditLog::Service& real) : real_(real) {}
  grpc::Status GetCheckpoint(grpc::ServerContext* ctx, const v1::GetCheckpointRequest* req,
                             v1::Checkpoint* resp) override {
    return real_.GetCheckpoint(ctx, req, resp);
  }
  grpc::Status GetInclusionProofByEventId(grpc::ServerContext* ctx,
                                          const v1::GetInclusionProofByEventIdRequest* req,
                                          v1::InclusionProof* resp) override {
    v1::GetInclusionProofByEventIdRequest asked = *req;
    if (asked.event_id() == "evt-fake") asked.set_event_id("evt-3");
    return real_.GetInclusionProofByEventId(ctx, &asked, resp);
  }
  grpc::Status GetLeavesByRange(grpc::ServerContext* ctx, const v1::GetLeavesByRangeRequest* req,
                                v1::GetLeavesByRangeResponse* resp) override {
    grpc::Status st = real_.GetLeavesByRange(ctx, req, resp);
    for (auto& leaf : *resp->mutable_leaves()) {
      if (leaf.index() == 3) leaf.mutable_event()->set_event_id("evt-fake");
    }
    return st;
  }

 private:
  v1::AuditLog::Service& real_;
};

class LogVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = db_.NewPool(4);
    ASSERT_TRUE(common::ApplyMigrations(*pool_, generated::AuditLogMigrations()).ok());
    signer_ = std::move(*NoteSigner::FromPem("tuopin.test", testing::Ed25519PrivateKeyPem()));
    store_ = std::make_unique<MysqlAuditLogStore>(*pool_);
    logic_ = std::make_unique<AuditLogLogic>(*store_, *signer_, "tuopin.test/log",
                                             *common::SystemClock::Get(), tokens_);
    auth_ = std::make_unique<common::Authorizer>(
        testing::kTestInternalKey, common::FindService(v1::AuditLog::service_full_name()));
    handler_ = std::make_unique<common::Handler>("auditlog", *auth_, *common::SystemClock::Get());
    service_ = NewAuditLogService(*logic_, *handler_);
    log_server_ =
        std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{service_.get()});
    common::JwtConfig jwt;
    jwt.issuer = "tuopin-local";
    jwt.audience = "tuopin";
    jwt.algorithms = {"HS256"};
    jwt.hs256_secret = kSecret;
    lying_ = std::make_unique<LyingLog>(*service_);
    lying_server_ =
        std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{lying_.get()});
    gateway::GatewayConfig config;
    config.routes = {{"tuopin.auditlog.v1.AuditLog", "auditlog"}};
    config.targets = {{"auditlog", absl::StrCat("127.0.0.1:", log_server_->port())}};
    config.internal_key = testing::kTestInternalKey;
    gateway_ = std::move(*gateway::Gateway::Create(
        config, std::move(*common::JwtVerifier::Create(jwt)), common::SystemClock::Get()));
    gateway_->set_access_log(false);
    proxy_ = std::make_unique<gateway::ProxyService>(*gateway_);
    gateway_server_ =
        std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{}, proxy_.get());
    common::JwtClaims c;
    c.subject = "admin-1";
    c.roles = {"admin"};
    c.regions = {"*"};
    c.issuer = "tuopin-local";
    c.audience = "tuopin";
    c.issued_at = absl::Now();
    c.expires = absl::Now() + absl::Hours(1);
    token_ = common::SignJwtHs256(c, kSecret);
    c.subject = "auditor-1";
    c.roles = {"auditor"};
    c.regions = {"52"};
    auditor_token_ = common::SignJwtHs256(c, kSecret);
    // Each test its own folder: CTest runs the tests of this file at once.
    dir_ = absl::StrCat(::testing::TempDir(), "log-verify-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }

  void Append(int from, int to) {
    std::vector<NewLeaf> leaves;
    for (int i = from; i < to; ++i) {
      tuopin::common::v1::AuditEvent e;
      e.set_event_id(absl::StrCat("evt-", i));
      e.set_service("personnel");
      e.set_method("/tuopin.personnel.v1.PersonnelService/CreateHousehold");
      e.set_actor_subject("official-1");
      leaves.push_back(
          {e.event_id(), common::Sha256(e.SerializeAsString()), e.SerializeAsString()});
    }
    ASSERT_TRUE(store_->Append(leaves, absl::Now()).ok());
    ASSERT_TRUE(logic_->PublishCheckpoint().ok());
  }

  // Runs the real tuopinctl; returns its exit status.
  int Verify(const std::string& extra, const std::string& key = "", const std::string& token = "",
             int port = 0) {
    std::string cmd = absl::StrCat(
        TUOPINCTL, " log verify --gateway 127.0.0.1:", port != 0 ? port : gateway_server_->port(),
        " --token ", token.empty() ? token_ : token, " --verifier_key '",
        key.empty() ? signer_->VerifierKey() : key, "' ", extra, " > ", dir_, "/verify.out 2>&1");
    int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  testing::TestDatabase db_;
  std::unique_ptr<common::ConnectionPool> pool_;
  std::unique_ptr<NoteSigner> signer_;
  std::unique_ptr<MysqlAuditLogStore> store_;
  common::PageTokenCodec tokens_{"log-verify-test-page-key"};
  std::unique_ptr<AuditLogLogic> logic_;
  std::unique_ptr<common::Authorizer> auth_;
  std::unique_ptr<common::Handler> handler_;
  std::unique_ptr<v1::AuditLog::Service> service_;
  // Before the servers: a gateway server stops its proxy when it is destroyed.
  std::unique_ptr<gateway::ProxyService> proxy_;
  std::unique_ptr<LyingLog> lying_;
  std::unique_ptr<testing::TestServer> log_server_, lying_server_, gateway_server_;
  std::unique_ptr<gateway::Gateway> gateway_;
  std::string token_, auditor_token_, dir_;
};

TEST_F(LogVerifyTest, PassesOnAnHonestLogAndFailsOnTampering) {
  Append(0, 20);
  std::string saved = absl::StrCat(dir_, "/checkpoint-20.note");
  EXPECT_EQ(Verify(absl::StrCat("--event evt-3 --event evt-17 --save ", saved)), 0);
  Append(20, 45);
  EXPECT_EQ(Verify(absl::StrCat("--event evt-40 --since ", saved)), 0);
  EXPECT_EQ(Verify("--event evt-999"), 1) << "an event that is not in the log";
  auto other = std::move(*NoteSigner::FromPem("tuopin.test", testing::Ed25519PrivateKeyPem()));
  EXPECT_EQ(Verify("--event evt-3", other->VerifierKey()), 1)
      << "a checkpoint signed by another key";
  // Someone rewrites the stored hash of leaves 16-19 in the database. It is leaf 21's
  // sibling at level 2 and part of the 20 -> 45 consistency proof, so both must fail.
  ASSERT_TRUE(
      common::WithConnection(*pool_, [](common::DbSession& s) {
        s.ExecuteRaw(
            "UPDATE nodes SET hash = UNHEX(SHA2('forged', 256)) WHERE level = 2 AND idx = 4");
        return absl::OkStatus();
      }).ok());
  EXPECT_EQ(Verify("--event evt-21"), 1);
  EXPECT_EQ(Verify(absl::StrCat("--since ", saved)), 1);
  EXPECT_EQ(Verify("--event evt-3 --event evt-40"), 0)
      << "proofs that do not use the forged hash still verify";
  EXPECT_EQ(Verify("--bogus 1"), 2);
}

TEST_F(LogVerifyTest, AuditorsVerifyCheckpointsButReadNoLeavesAroundAuditQuery) {
  Append(0, 10);
  std::string saved = absl::StrCat(dir_, "/checkpoint-10.note");
  EXPECT_EQ(Verify(absl::StrCat("--save ", saved), "", auditor_token_), 0);
  Append(10, 20);
  EXPECT_EQ(Verify(absl::StrCat("--since ", saved), "", auditor_token_), 0);
  EXPECT_EQ(Verify("--event evt-3", "", auditor_token_), 1);
  std::ifstream out(absl::StrCat(dir_, "/verify.out"));
  std::string text((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("may not read leaves directly"), std::string::npos) << text;
}

// Attack: a log (or a man in the middle) labels genuine leaf bytes with another event id.
// The id must come from the bytes that were hashed.
TEST_F(LogVerifyTest, TheEventIdIsReadFromTheHashedLeafBytes) {
  Append(0, 10);
  // The lying server is reached through its own gateway-less port: the verifier talks to it
  // directly, as it would to a compromised gateway.
  gateway::GatewayConfig config;
  config.routes = {{"tuopin.auditlog.v1.AuditLog", "auditlog"}};
  config.targets = {{"auditlog", absl::StrCat("127.0.0.1:", lying_server_->port())}};
  config.internal_key = testing::kTestInternalKey;
  common::JwtConfig jwt;
  jwt.issuer = "tuopin-local";
  jwt.audience = "tuopin";
  jwt.algorithms = {"HS256"};
  jwt.hs256_secret = kSecret;
  auto lying_gateway = std::move(*gateway::Gateway::Create(
      config, std::move(*common::JwtVerifier::Create(jwt)), common::SystemClock::Get()));
  lying_gateway->set_access_log(false);
  auto proxy = std::make_unique<gateway::ProxyService>(*lying_gateway);
  auto server = std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{}, proxy.get());
  EXPECT_EQ(Verify("--event evt-3", "", "", server->port()), 0) << "the honest answers pass";
  EXPECT_EQ(Verify("--event evt-fake", "", "", server->port()), 1)
      << "genuine leaf bytes relabelled as another event";
  server.reset();
}

}  // namespace
}  // namespace tuopin::auditlog
