// The authorization matrix at the gateway: every RPC of every service, called by every
// role, against the policy the contract declares. A role outside a method's policy is
// refused with PERMISSION_DENIED before anything is routed; a role inside passes the
// gateway (the backends here are a closed port, so such a call ends UNAVAILABLE). No
// method that changes state is open to auditors. Region scope is checked on objects by
// the services and tested there.

#include <future>

#include "absl/strings/str_cat.h"
#include "common/auth.h"
#include "common/jwt.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "services/gateway/gateway.h"
#include "services/gateway/proxy.h"
#include "tests/support/grpc_harness.h"

namespace tuopin::gateway {
namespace {

constexpr char kSecret[] = "authorization-matrix-secret-0123456789ab";

TEST(AuthorizationMatrixTest, EveryRpcEveryRole) {
  common::JwtConfig jwt;
  jwt.issuer = "tuopin-local";
  jwt.audience = "tuopin";
  jwt.algorithms = {"HS256"};
  jwt.hs256_secret = kSecret;
  GatewayConfig config;
  config.routes = DefaultRoutes();
  for (const auto& [service, backend] : config.routes)
    config.targets[backend] = "127.0.0.1:1";  // nothing listens
  config.internal_key = testing::kTestInternalKey;
  config.default_deadline = absl::Seconds(2);
  auto gw = std::move(*Gateway::Create(config, std::move(*common::JwtVerifier::Create(jwt)),
                                       common::SystemClock::Get()));
  gw->set_access_log(false);
  ProxyService proxy(*gw);
  testing::TestServer server({}, &proxy);
  grpc::GenericStub stub(server.channel());

  const std::vector<common::Role> roles = {
      tuopin::common::v1::ROLE_ADMIN,           tuopin::common::v1::ROLE_COUNTY_OFFICIAL,
      tuopin::common::v1::ROLE_FINANCE_OFFICER, tuopin::common::v1::ROLE_CADRE,
      tuopin::common::v1::ROLE_INSPECTOR,       tuopin::common::v1::ROLE_AUDITOR,
      tuopin::common::v1::ROLE_SERVICE};
  std::map<common::Role, std::string> tokens;
  for (auto role : roles) {
    common::JwtClaims c;
    c.subject = absl::StrCat("matrix-", common::RoleName(role));
    c.roles = {common::RoleName(role)};
    c.regions = {"*"};
    c.issuer = "tuopin-local";
    c.audience = "tuopin";
    c.issued_at = absl::Now();
    c.expires = absl::Now() + absl::Hours(1);
    tokens[role] = common::SignJwtHs256(c, kSecret);
  }

  // Least privilege for services: one token per service of the suite.
  const std::vector<std::string> service_names = {"personnel", "funds", "tasks", "accountability",
                                                  "auditquery"};
  std::map<std::string, std::string> service_tokens;
  for (const auto& name : service_names) {
    common::JwtClaims c;
    c.subject = common::ServicePrincipalSubject(name);
    c.roles = {"service"};
    c.regions = {"*"};
    c.issuer = "tuopin-local";
    c.audience = "tuopin";
    c.issued_at = absl::Now();
    c.expires = absl::Now() + absl::Hours(1);
    service_tokens[name] = common::SignJwtHs256(c, kSecret);
  }
  auto call = [&](const std::string& token, const std::string& method) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::Slice empty("");
    grpc::ByteBuffer in(&empty, 1), out;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, method, grpc::StubOptions(), &in, &out,
                   [&](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  };

  // The exit workflow's services (issue 20) are in the matrix, not only in the routes.
  for (const char* s :
       {"tuopin.personnel.v1.ExitService", "tuopin.personnel.v1.ExitCriteriaService",
        "tuopin.accountability.v1.AssessmentService"}) {
    EXPECT_TRUE(config.routes.count(s)) << s << " is not routed";
  }
  int methods = 0, calls = 0, mutating = 0, service_calls = 0;
  for (const auto& [service_name, backend] : config.routes) {
    const auto* service = common::FindService(service_name);
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* m = service->method(i);
      ++methods;
      ASSERT_TRUE(m->options().HasExtension(tuopin::common::v1::policy))
          << m->full_name() << " has no policy";
      const auto& policy = m->options().GetExtension(tuopin::common::v1::policy);
      std::set<int> allowed(policy.roles().begin(), policy.roles().end());
      if (policy.mutating()) {
        ++mutating;
        EXPECT_FALSE(allowed.count(tuopin::common::v1::ROLE_AUDITOR))
            << "auditors may change state via " << m->full_name();
        EXPECT_NE(m->input_type()->FindFieldByName("request_id"), nullptr)
            << m->full_name() << " has no request_id";
      }
      std::string full = absl::StrCat("/", service_name, "/", m->name());
      // The contract names the calling services exactly when services may call at all.
      std::set<std::string> callers(policy.services().begin(), policy.services().end());
      EXPECT_EQ(allowed.count(tuopin::common::v1::ROLE_SERVICE) > 0, !callers.empty())
          << full << ": ROLE_SERVICE and the services list go together";
      for (const auto& name : callers) {
        EXPECT_TRUE(common::IsAuditedService(name)) << full << " names unknown service " << name;
      }
      for (const auto& name : service_names) {
        grpc::Status st = call(service_tokens[name], full);
        ++service_calls;
        if (callers.count(name)) {
          EXPECT_NE(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
              << "service:" << name << " should pass the gateway for " << full;
        } else {
          EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
              << "unexpected allow: service:" << name << " on " << full;
        }
      }
      for (auto role : roles) {
        grpc::Status st = call(tokens[role], full);
        ++calls;
        if (role == tuopin::common::v1::ROLE_SERVICE) {
          // "matrix-service" names no service: least privilege refuses it everywhere.
          EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << full;
        } else if (allowed.count(role)) {
          EXPECT_NE(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
              << common::RoleName(role) << " should pass the gateway for " << m->full_name();
        } else {
          EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
              << "unexpected allow: " << common::RoleName(role) << " on " << m->full_name();
          EXPECT_EQ(common::ReasonOf(st), "ROLE_NOT_ALLOWED");
        }
      }
    }
  }
  EXPECT_GE(methods, 96) << "the matrix must cover the whole suite";
  EXPECT_EQ(calls, methods * static_cast<int>(roles.size()));
  EXPECT_GE(mutating, 44);
  EXPECT_EQ(service_calls, methods * static_cast<int>(service_names.size()));
  std::printf(
      "authorization matrix: %d methods x %zu roles = %d calls, x %zu services = %d calls, %d "
      "mutating methods\n",
      methods, roles.size(), calls, service_names.size(), service_calls, mutating);
}

}  // namespace
}  // namespace tuopin::gateway
