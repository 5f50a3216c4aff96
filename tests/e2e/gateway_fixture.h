#pragma once
// The gateway end to end: real gRPC and HTTP clients, the real gateway, and behind it a
// backend that records what reaches it (principal, deadline, request id, trace context).
// The fixture the gateway e2e tests share.

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/crypto.h"
#include "common/handler.h"
#include "common/jwt.h"
#include "common/migrate.h"
#include "common/server.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "services/gateway/gateway.h"
#include "services/gateway/http_front.h"
#include "services/gateway/proxy.h"
#include "services/personnel/mysql_personnel_store.h"
#include "services/personnel/personnel_service.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"
#include "tuopin/personnel/v1/personnel.grpc.pb.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& PersonnelMigrations();
}

namespace tuopin::gateway {

namespace pv1 = tuopin::personnel::v1;
using common::JwtClaims;
using testing::kTestInternalKey;

inline constexpr char kSecret[] = "hs256-development-secret-0123456789abcdef";

// A backend that verifies the forwarded principal as every service does, and records it.
class RecordingBackend final : public pv1::PersonnelService::Service {
 public:
  RecordingBackend()
      : authorizer_(kTestInternalKey,
                    common::FindService(pv1::PersonnelService::service_full_name())) {}

  grpc::Status GetRegion(grpc::ServerContext* ctx, const pv1::GetRegionRequest* req,
                         pv1::Region* resp) override {
    calls++;
    auto p = authorizer_.Authorize(*ctx, "GetRegion");
    if (!p.ok()) return common::ToGrpcStatus(p.status());
    absl::MutexLock lock(&mu_);
    last_principal = *p;
    last_deadline_left = ctx->deadline() - std::chrono::system_clock::now();
    auto md = ctx->client_metadata();
    auto get = [&](const char* k) {
      auto it = md.find(k);
      return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
    };
    last_request_id = get("x-request-id");
    last_traceparent = get("traceparent");
    last_principal_bytes = get(common::kPrincipalHeader);
    last_principal_sig = get(common::kPrincipalSigHeader);
    if (req->code() == "bad") return common::ToGrpcStatus(common::InvalidField("code", "is bad"));
    resp->set_code(req->code());
    resp->set_name(p->subject());
    return grpc::Status::OK;
  }

  // Waits (at most 10 s) for its caller to cancel, and says whether it saw that.
  grpc::Status ListCadres(grpc::ServerContext* ctx, const pv1::ListCadresRequest*,
                          pv1::ListCadresResponse*) override {
    listing++;
    for (int i = 0; i < 2000 && !ctx->IsCancelled(); ++i) absl::SleepFor(absl::Milliseconds(5));
    if (ctx->IsCancelled()) cancel_seen.Notify();
    return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
  }

  // Authorizes as every service does, for the replay test.
  grpc::Status ListRegions(grpc::ServerContext* ctx, const pv1::ListRegionsRequest*,
                           pv1::ListRegionsResponse*) override {
    return common::ToGrpcStatus(authorizer_.Authorize(*ctx, "ListRegions").status());
  }

  // Holds calls until released, to fill the in-flight bound.
  grpc::Status GetCadre(grpc::ServerContext*, const pv1::GetCadreRequest*,
                        pv1::Cadre* resp) override {
    entered++;
    release.WaitForNotification();
    resp->set_id("slow");
    return grpc::Status::OK;
  }

  std::atomic<int> calls{0}, entered{0};
  absl::Notification release;
  std::atomic<int> listing{0};
  absl::Notification cancel_seen;
  absl::Mutex mu_;
  common::Principal last_principal;
  std::chrono::system_clock::duration last_deadline_left{};
  std::string last_request_id, last_traceparent, last_principal_bytes, last_principal_sig;

 private:
  common::Authorizer authorizer_;
};

struct KeyPair {
  std::string private_pem;
  std::string jwk;  // the public key as a JWK
};

inline KeyPair MakeKey(const char* type, const std::string& kid) {
  EVP_PKEY* key = std::string(type) == "RSA"
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data;
  long len = BIO_get_mem_data(bio, &data);
  KeyPair kp{std::string(data, len), ""};
  BIO_free(bio);
  if (std::string(type) == "RSA") {
    BIGNUM *n = nullptr, *e = nullptr;
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
    std::string nb(BN_num_bytes(n), '\0'), eb(BN_num_bytes(e), '\0');
    BN_bn2bin(n, reinterpret_cast<unsigned char*>(nb.data()));
    BN_bn2bin(e, reinterpret_cast<unsigned char*>(eb.data()));
    kp.jwk = absl::StrCat(R"({"kty":"RSA","kid":")", kid, R"(","n":")", common::Base64UrlEncode(nb),
                          R"(","e":")", common::Base64UrlEncode(eb), "\"}");
    BN_free(n);
    BN_free(e);
  } else {
    std::string raw(32, '\0');
    size_t raw_len = raw.size();
    EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &raw_len);
    kp.jwk = absl::StrCat(R"({"kty":"OKP","crv":"Ed25519","kid":")", kid, R"(","x":")",
                          common::Base64UrlEncode(raw), "\"}");
  }
  EVP_PKEY_free(key);
  return kp;
}

inline JwtClaims Claims(const std::string& sub, std::vector<std::string> roles,
                        std::vector<std::string> regions) {
  JwtClaims c;
  c.subject = sub;
  c.roles = std::move(roles);
  c.regions = std::move(regions);
  c.issuer = "tuopin-test";
  c.audience = "tuopin";
  c.issued_at = absl::Now();
  c.expires = absl::Now() + absl::Hours(1);
  return c;
}

class GatewayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ed_ = new KeyPair(MakeKey("ED25519", "ed-1"));
    rsa_ = new KeyPair(MakeKey("RSA", "rsa-1"));
  }

  void StartGateway(double rate = 1000, double burst = 1000, int in_flight = 64,
                    std::vector<grpc::Service*> backend_services = {},
                    double service_burst = 10000) {
    if (backend_services.empty()) backend_services = {&backend_};
    // A second start replaces the first: the old server stops (and with it its proxy)
    // before the proxy and the gateway it uses go.
    if (http_) http_->Stop();
    gateway_server_.reset();
    proxy_.reset();
    backend_server_ = std::make_unique<testing::TestServer>(backend_services);
    common::JwtConfig jwt;
    jwt.issuer = "tuopin-test";
    jwt.audience = "tuopin";
    jwt.algorithms = {"HS256", "EdDSA", "RS256"};
    jwt.hs256_secret = kSecret;
    jwt.jwks_json = absl::StrCat(R"({"keys":[)", ed_->jwk, ",", rsa_->jwk, "]}");
    auto verifier = common::JwtVerifier::Create(jwt);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    GatewayConfig config;
    config.routes = {{"tuopin.personnel.v1.PersonnelService", "personnel"}};
    config.targets = {{"personnel", absl::StrCat("dns:///127.0.0.1:", backend_server_->port())}};
    config.internal_key = kTestInternalKey;
    config.rate_per_second = rate;
    config.burst = burst;
    config.service_rate_per_second = rate;
    config.service_burst = service_burst;
    config.max_in_flight_per_backend = in_flight;
    auto gw = Gateway::Create(config, std::move(*verifier), common::SystemClock::Get());
    ASSERT_TRUE(gw.ok()) << gw.status();
    gateway_ = std::move(*gw);
    gateway_->set_access_log(false);
    proxy_ = std::make_unique<ProxyService>(*gateway_);
    gateway_server_ =
        std::make_unique<testing::TestServer>(std::vector<grpc::Service*>{}, proxy_.get());
    stub_ = pv1::PersonnelService::NewStub(gateway_server_->channel());
    http_ = std::make_unique<HttpFront>(*gateway_);
    http_port_ = http_->Start("127.0.0.1", 0);
    ASSERT_GT(http_port_, 0);
  }

  void TearDown() override {
    if (!backend_.release.HasBeenNotified()) backend_.release.Notify();
    if (http_) http_->Stop();
  }

  // With a 30 s deadline, so a stalled call fails the test instead of hanging it (only
  // the default-deadline test sends calls without one).
  std::unique_ptr<grpc::ClientContext> WithToken(const std::string& token, bool deadline = true) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    if (deadline) ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }

  grpc::Status GetRegion(const std::string& token, pv1::Region* out,
                         const std::string& code = "520221") {
    pv1::GetRegionRequest req;
    req.set_code(code);
    return stub_->GetRegion(WithToken(token).get(), req, out);
  }

  std::string Official() {
    return common::SignJwtHs256(Claims("official-1", {"county_official"}, {"520221"}), kSecret);
  }

  static inline KeyPair* ed_ = nullptr;
  static inline KeyPair* rsa_ = nullptr;
  RecordingBackend backend_;
  std::unique_ptr<testing::TestServer> backend_server_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<ProxyService> proxy_;
  std::unique_ptr<testing::TestServer> gateway_server_;
  std::unique_ptr<pv1::PersonnelService::Stub> stub_;
  std::unique_ptr<HttpFront> http_;
  int http_port_ = 0;
};

}  // namespace tuopin::gateway
