// The gateway end to end: real gRPC and HTTP clients, the real gateway, and behind it a
// backend that records what reaches it (principal, deadline, request id, trace context)
// or the real personnel service on a real MariaDB.

#include "services/gateway/gateway.h"

#include <httplib.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>
#include <barrier>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/crypto.h"
#include "common/handler.h"
#include "common/jwt.h"
#include "common/migrate.h"
#include "common/server.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
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
namespace {

namespace pv1 = tuopin::personnel::v1;
using common::JwtClaims;
using testing::kTestInternalKey;

constexpr char kSecret[] = "hs256-development-secret-0123456789abcdef";

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

KeyPair MakeKey(const char* type, const std::string& kid) {
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

JwtClaims Claims(const std::string& sub, std::vector<std::string> roles,
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

  static KeyPair* ed_;
  static KeyPair* rsa_;
  RecordingBackend backend_;
  std::unique_ptr<testing::TestServer> backend_server_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<ProxyService> proxy_;
  std::unique_ptr<testing::TestServer> gateway_server_;
  std::unique_ptr<pv1::PersonnelService::Stub> stub_;
  std::unique_ptr<HttpFront> http_;
  int http_port_ = 0;
};
KeyPair* GatewayTest::ed_ = nullptr;
KeyPair* GatewayTest::rsa_ = nullptr;

// Calls the gateway timed for `backend` (tuopin_gateway_call_seconds' count).
uint64_t TimedCalls(const std::string& backend) {
  for (const auto& family : tuopin::common::MetricsRegistry().Collect()) {
    if (family.name != "tuopin_gateway_call_seconds") continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "backend" && label.value == backend) {
          return metric.histogram.sample_count;
        }
      }
    }
  }
  return 0;
}

TEST_F(GatewayTest, AllowedCallReachesTheBackendWithThePrincipal) {
  StartGateway();
  uint64_t timed = TimedCalls("personnel");
  pv1::Region r;
  grpc::Status st = GetRegion(Official(), &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  // The gateway's server has no metrics interceptor; it times the call itself, just
  // after the answer is on its way (so the client may see the answer first).
  for (int i = 0; i < 200 && TimedCalls("personnel") == timed; ++i)
    absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(TimedCalls("personnel"), timed + 1);
  EXPECT_EQ(r.name(), "official-1");
  absl::MutexLock lock(&backend_.mu_);
  EXPECT_EQ(backend_.last_principal.subject(), "official-1");
  ASSERT_EQ(backend_.last_principal.roles_size(), 1);
  EXPECT_EQ(backend_.last_principal.roles(0), tuopin::common::v1::ROLE_COUNTY_OFFICIAL);
  ASSERT_EQ(backend_.last_principal.region_scopes_size(), 1);
  EXPECT_EQ(backend_.last_principal.region_scopes(0), "520221");
}

TEST_F(GatewayTest, RefusesMissingExpiredMisdirectedAndForgedTokens) {
  StartGateway();
  pv1::Region r;
  pv1::GetRegionRequest req;
  req.set_code("520221");
  grpc::ClientContext none;
  grpc::Status st = stub_->GetRegion(&none, req, &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(common::ReasonOf(st), "NO_TOKEN");

  JwtClaims expired = Claims("official-1", {"county_official"}, {"520221"});
  expired.expires = absl::Now() - absl::Minutes(5);
  st = GetRegion(common::SignJwtHs256(expired, kSecret), &r);
  EXPECT_EQ(common::ReasonOf(st), "TOKEN_EXPIRED");

  JwtClaims early = Claims("official-1", {"county_official"}, {"520221"});
  early.not_before = absl::Now() + absl::Minutes(5);
  EXPECT_EQ(common::ReasonOf(GetRegion(common::SignJwtHs256(early, kSecret), &r)),
            "TOKEN_NOT_YET_VALID");

  JwtClaims wrong_aud = Claims("official-1", {"county_official"}, {"520221"});
  wrong_aud.audience = "another-system";
  EXPECT_EQ(common::ReasonOf(GetRegion(common::SignJwtHs256(wrong_aud, kSecret), &r)),
            "WRONG_AUDIENCE");

  JwtClaims wrong_iss = Claims("official-1", {"county_official"}, {"520221"});
  wrong_iss.issuer = "somebody";
  EXPECT_EQ(common::ReasonOf(GetRegion(common::SignJwtHs256(wrong_iss, kSecret), &r)),
            "WRONG_ISSUER");

  // Wrong algorithms: "none", and HS512 which is not on the allow-list.
  std::string payload =
      R"({"sub":"x","aud":"tuopin","iss":"tuopin-test","exp":9999999999,"roles":["admin"],"regions":["*"]})";
  EXPECT_EQ(common::ReasonOf(GetRegion(common::AssembleJwt(R"({"alg":"none"})", payload, ""), &r)),
            "ALGORITHM_NOT_ALLOWED");
  EXPECT_EQ(
      common::ReasonOf(GetRegion(common::AssembleJwt(R"({"alg":"HS512"})", payload, "sig"), &r)),
      "ALGORITHM_NOT_ALLOWED");
  // HS256 signed with another secret, and a payload edited after signing.
  EXPECT_EQ(common::ReasonOf(GetRegion(common::SignJwtHs256(Claims("a", {"admin"}, {"*"}),
                                                            "another secret of sufficient length!"),
                                       &r)),
            "BAD_SIGNATURE");
  std::string good = Official();
  std::string tampered = good.substr(0, good.find('.') + 1) + common::Base64UrlEncode(payload) +
                         good.substr(good.rfind('.'));
  EXPECT_EQ(common::ReasonOf(GetRegion(tampered, &r)), "BAD_SIGNATURE");
  // An EdDSA header pointing at the RSA key (algorithm confusion).
  auto confused =
      common::SignJwt(Claims("a", {"admin"}, {"*"}), "EdDSA", "rsa-1", ed_->private_pem);
  ASSERT_TRUE(confused.ok());
  EXPECT_EQ(common::ReasonOf(GetRegion(*confused, &r)), "UNKNOWN_KEY");
  EXPECT_EQ(backend_.calls.load(), 0) << "a refused call reached the backend";
}

TEST_F(GatewayTest, AcceptsEdDsaAndRs256FromJwks) {
  StartGateway();
  pv1::Region r;
  auto ed =
      common::SignJwt(Claims("ed-user", {"auditor"}, {"52"}), "EdDSA", "ed-1", ed_->private_pem);
  auto rs =
      common::SignJwt(Claims("rs-user", {"auditor"}, {"52"}), "RS256", "rsa-1", rsa_->private_pem);
  ASSERT_TRUE(ed.ok() && rs.ok());
  ASSERT_TRUE(GetRegion(*ed, &r).ok());
  EXPECT_EQ(r.name(), "ed-user");
  ASSERT_TRUE(GetRegion(*rs, &r).ok());
  EXPECT_EQ(r.name(), "rs-user");
}

// Attack: a principal captured on one hop (the gateway's call of GetRegion) replayed on
// another method of a service within its two minutes.
TEST_F(GatewayTest, AForwardedPrincipalIsBoundToItsMethod) {
  StartGateway();
  pv1::Region r;
  ASSERT_TRUE(GetRegion(Official(), &r).ok());
  std::string bytes, sig;
  {
    absl::MutexLock lock(&backend_.mu_);
    bytes = backend_.last_principal_bytes;
    sig = backend_.last_principal_sig;
  }
  ASSERT_FALSE(bytes.empty());
  auto direct = pv1::PersonnelService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", backend_server_->port()), grpc::InsecureChannelCredentials()));
  auto replay = [&](grpc::ClientContext& ctx) {
    ctx.AddMetadata(common::kPrincipalHeader, bytes);
    ctx.AddMetadata(common::kPrincipalSigHeader, sig);
  };
  grpc::ClientContext other;
  replay(other);
  pv1::ListRegionsResponse regions;
  grpc::Status st = direct->ListRegions(&other, pv1::ListRegionsRequest(), &regions);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(common::ReasonOf(st), "BAD_PRINCIPAL_SIGNATURE");
  // The same method accepts it (it is what the gateway signed), until it expires.
  grpc::ClientContext same;
  replay(same);
  pv1::GetRegionRequest req;
  req.set_code("520221");
  EXPECT_TRUE(direct->GetRegion(&same, req, &r).ok());
}

TEST_F(GatewayTest, ForgedPrincipalHeaderIsStripped) {
  StartGateway();
  // A client sends its own principal claiming admin everywhere, signed with a guess.
  common::Principal forged =
      testing::MakePrincipal("mallory", {tuopin::common::v1::ROLE_ADMIN}, {"*"});
  auto signed_forged =
      common::SignPrincipal(forged, "/tuopin.personnel.v1.PersonnelService/GetRegion",
                            "guessed key guessed key guessed!");
  auto ctx = WithToken(Official());
  ctx->AddMetadata(common::kPrincipalHeader, signed_forged.bytes);
  ctx->AddMetadata(common::kPrincipalSigHeader, signed_forged.signature);
  pv1::GetRegionRequest req;
  req.set_code("520221");
  pv1::Region r;
  ASSERT_TRUE(stub_->GetRegion(ctx.get(), req, &r).ok());
  EXPECT_EQ(r.name(), "official-1");
  // And straight to the backend, past the gateway, the forgery is refused.
  auto direct = pv1::PersonnelService::NewStub(backend_server_->channel());
  grpc::ClientContext dctx;
  dctx.AddMetadata(common::kPrincipalHeader, signed_forged.bytes);
  dctx.AddMetadata(common::kPrincipalSigHeader, signed_forged.signature);
  EXPECT_EQ(direct->GetRegion(&dctx, req, &r).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(GatewayTest, RoleOutsideTheMethodPolicyIsRefused) {
  StartGateway();
  std::string cadre = common::SignJwtHs256(Claims("cadre-1", {"cadre"}, {"520221104001"}), kSecret);
  pv1::ImportRegionsRequest req;
  req.set_request_id("r1");
  pv1::ImportRegionsResponse resp;
  grpc::Status st = stub_->ImportRegions(WithToken(cadre).get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(common::ReasonOf(st), "ROLE_NOT_ALLOWED");
  // A token whose only role is unknown holds no role at all.
  std::string nobody = common::SignJwtHs256(Claims("x", {"emperor"}, {"*"}), kSecret);
  pv1::Region r;
  EXPECT_EQ(GetRegion(nobody, &r).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // A method the contract does not know.
  grpc::GenericStub generic(gateway_server_->channel());
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", Official()));
  grpc::Slice empty("");
  grpc::ByteBuffer in(&empty, 1), out;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&ctx, "/tuopin.personnel.v1.PersonnelService/DropEverything",
                    grpc::StubOptions(), &in, &out, [&](grpc::Status s) { done.set_value(s); });
  EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(backend_.calls.load(), 0);
}

// httplib's stop() did nothing before its loop had started, so a Stop right after Start
// left the loop running and Stop's join waiting for ever (a CI run hung here).
TEST_F(GatewayTest, JsonFrontStopsRightAfterStarting) {
  StartGateway();
  auto finished = std::make_shared<std::promise<void>>();
  std::future<void> done = finished->get_future();
  Gateway* gateway = gateway_.get();
  std::thread([gateway, finished] {
    for (int i = 0; i < 200; ++i) {
      HttpFront front(*gateway);
      if (front.Start("127.0.0.1", 0) <= 0) break;
      front.Stop();
    }
    finished->set_value();
  }).detach();
  // A hang leaves the thread behind; the process ends with the failure.
  ASSERT_EQ(done.wait_for(std::chrono::seconds(60)), std::future_status::ready)
      << "HttpFront::Stop did not return";
}

TEST_F(GatewayTest, DeadlinesAreDefaultedCappedAndForwarded) {
  StartGateway();
  pv1::Region r;
  pv1::GetRegionRequest req;
  req.set_code("520221");
  auto left = [&] {
    absl::MutexLock lock(&backend_.mu_);
    return std::chrono::duration<double>(backend_.last_deadline_left).count();
  };
  auto ctx = WithToken(Official());
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  ASSERT_TRUE(stub_->GetRegion(ctx.get(), req, &r).ok());
  EXPECT_LE(left(), 5.5);
  EXPECT_GT(left(), 3.0);
  ASSERT_TRUE(stub_->GetRegion(WithToken(Official(), /*deadline=*/false).get(), req, &r).ok());
  EXPECT_LE(left(), 10.5);  // the default (the wire timeout rounds up a little)
  EXPECT_GT(left(), 8.0);
  ctx = WithToken(Official());
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::hours(2));
  ASSERT_TRUE(stub_->GetRegion(ctx.get(), req, &r).ok());
  EXPECT_LE(left(), 60.5);  // the maximum
  EXPECT_GT(left(), 58.0);
}

TEST_F(GatewayTest, RequestIdAndTraceContext) {
  StartGateway();
  pv1::Region r;
  pv1::GetRegionRequest req;
  req.set_code("520221");
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", Official()));
  ASSERT_TRUE(stub_->GetRegion(&ctx, req, &r).ok());
  auto it = ctx.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(it, ctx.GetServerInitialMetadata().end());
  std::string created(it->second.data(), it->second.size());
  EXPECT_EQ(created.size(), 32u);
  {
    absl::MutexLock lock(&backend_.mu_);
    EXPECT_EQ(backend_.last_request_id, created);
  }
  auto ctx2 = WithToken(Official());
  ctx2->AddMetadata("x-request-id", "client-chosen-42");
  ctx2->AddMetadata("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(stub_->GetRegion(ctx2.get(), req, &r).ok());
  absl::MutexLock lock(&backend_.mu_);
  EXPECT_EQ(backend_.last_request_id, "client-chosen-42");
  EXPECT_EQ(backend_.last_traceparent, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST_F(GatewayTest, RateLimitAnswersResourceExhausted) {
  StartGateway(/*rate=*/0.01, /*burst=*/3);
  pv1::Region r;
  std::string token = Official();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(GetRegion(token, &r).ok()) << i;
  grpc::Status st = GetRegion(token, &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(common::ReasonOf(st), "RATE_LIMITED");
  // Another principal has its own bucket.
  EXPECT_TRUE(
      GetRegion(
          common::SignJwtHs256(Claims("official-2", {"county_official"}, {"520221"}), kSecret), &r)
          .ok());
}

TEST_F(GatewayTest, ServicePrincipalsHaveTheirOwnLargerBucket) {
  StartGateway(/*rate=*/0.01, /*burst=*/2, 64, {}, /*service_burst=*/6);
  pv1::Region r;
  std::string service = common::SignJwtHs256(Claims("service:tasks", {"service"}, {"*"}), kSecret);
  std::string official = Official();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(GetRegion(official, &r).ok()) << i;
  EXPECT_EQ(GetRegion(official, &r).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // A service's fan-out is not held to a person's limit, but it is limited too.
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(GetRegion(service, &r).ok()) << i;
  EXPECT_EQ(GetRegion(service, &r).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(GatewayTest, InFlightBoundRefusesInsteadOfQueueing) {
  StartGateway(1000, 1000, /*in_flight=*/2);
  std::string token = Official();
  std::vector<std::thread> slow;
  std::vector<grpc::Status> results(2);
  for (int i = 0; i < 2; ++i) {
    slow.emplace_back([&, i] {
      pv1::GetCadreRequest req;
      req.set_id("c");
      pv1::Cadre c;
      results[i] = stub_->GetCadre(WithToken(token).get(), req, &c);
    });
  }
  for (int i = 0; i < 500 && backend_.entered.load() < 2; ++i)
    absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(backend_.entered.load(), 2);
  pv1::Region r;
  grpc::Status st = GetRegion(token, &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(common::ReasonOf(st), "BACKEND_BUSY");
  backend_.release.Notify();
  for (auto& t : slow) t.join();
  for (auto& s : results) EXPECT_TRUE(s.ok());
  EXPECT_TRUE(GetRegion(token, &r).ok()) << "slots were not given back";
}

// Attack: one principal's many slow reads took every backend slot from everyone. Each
// principal has its own bound; another principal's calls keep answering.
TEST_F(GatewayTest, OnePrincipalCannotTakeEveryBackendSlot) {
  StartGateway(1000, 1000, /*in_flight=*/64);
  std::string greedy = Official();
  const int limit = GatewayConfig().max_in_flight_per_principal;
  std::vector<std::thread> slow;
  std::vector<grpc::Status> results(limit);
  for (int i = 0; i < limit; ++i) {
    slow.emplace_back([&, i] {
      pv1::GetCadreRequest req;
      req.set_id("c");
      pv1::Cadre c;
      results[i] = stub_->GetCadre(WithToken(greedy).get(), req, &c);
    });
  }
  for (int i = 0; i < 1000 && backend_.entered.load() < limit; ++i)
    absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(backend_.entered.load(), limit);
  pv1::Region r;
  grpc::Status st = GetRegion(greedy, &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(common::ReasonOf(st), "PRINCIPAL_BUSY");
  std::string other =
      common::SignJwtHs256(Claims("official-2", {"county_official"}, {"520221"}), kSecret);
  EXPECT_TRUE(GetRegion(other, &r).ok()) << "another principal is not starved";
  backend_.release.Notify();
  for (auto& t : slow) t.join();
  for (auto& s : results) EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(GetRegion(greedy, &r).ok()) << "the principal's slots were not given back";
}

// A client that gives up cancels the backend call too, instead of leaving it running.
TEST_F(GatewayTest, ClientCancellationCancelsTheBackendCall) {
  StartGateway();
  auto ctx = WithToken(Official());
  grpc::Status status;
  std::thread call([&] {
    pv1::ListCadresRequest req;
    pv1::ListCadresResponse resp;
    status = stub_->ListCadres(ctx.get(), req, &resp);
  });
  for (int i = 0; i < 1000 && backend_.listing.load() == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(backend_.listing.load(), 1) << "the call never reached the backend";
  ctx->TryCancel();
  call.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(backend_.cancel_seen.WaitForNotificationWithTimeout(absl::Seconds(10)))
      << "the backend call kept running after the client cancelled";
}

TEST_F(GatewayTest, JsonRouteFollowsTheSameRules) {
  StartGateway();
  httplib::Client http("127.0.0.1", http_port_);
  http.set_read_timeout(10, 0);
  const std::string path = "/v1/tuopin.personnel.v1.PersonnelService/GetRegion";
  auto res = http.Post(path.c_str(), {{"Authorization", "Bearer " + Official()}},
                       R"({"code":"520221"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find(R"("name":"official-1")"), std::string::npos) << res->body;
  EXPECT_FALSE(res->get_header_value("X-Request-Id").empty());

  res = http.Post(path.c_str(), R"({"code":"520221"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_NE(res->body.find("UNAUTHENTICATED"), std::string::npos);

  std::string cadre = common::SignJwtHs256(Claims("cadre-1", {"cadre"}, {"520221"}), kSecret);
  res = http.Post("/v1/tuopin.personnel.v1.PersonnelService/ImportRegions",
                  {{"Authorization", "Bearer " + cadre}}, "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);

  res = http.Post(path.c_str(), {{"Authorization", "Bearer " + Official()}}, R"({"code": 5202)",
                  "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);

  // A backend's field violations come back as google.rpc details.
  res = http.Post(path.c_str(), {{"Authorization", "Bearer " + Official()}}, R"({"code":"bad"})",
                  "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("google.rpc.BadRequest"), std::string::npos) << res->body;
  EXPECT_NE(res->body.find(R"("field":"code")"), std::string::npos) << res->body;

  StartGateway(0.01, 1);
  httplib::Client limited("127.0.0.1", http_port_);
  std::string token = Official();
  EXPECT_EQ(limited
                .Post(path.c_str(), {{"Authorization", "Bearer " + token}}, R"({"code":"52"})",
                      "application/json")
                ->status,
            200);
  EXPECT_EQ(limited
                .Post(path.c_str(), {{"Authorization", "Bearer " + token}}, R"({"code":"52"})",
                      "application/json")
                ->status,
            429);
}

// The whole chain: gateway -> the real personnel service -> MariaDB.
TEST_F(GatewayTest, RealPersonnelServiceBehindTheGateway) {
  testing::TestDatabase db;
  auto pool = db.NewPool(8);
  ASSERT_TRUE(common::ApplyMigrations(*pool, generated::PersonnelMigrations()).ok());
  common::RandomIdGenerator ids;
  common::PageTokenCodec tokens("page-token-key-gateway-e2e-0123456789");
  personnel::MysqlPersonnelStore store(*pool, ids);
  personnel::PersonnelLogic logic(store, *common::SystemClock::Get(), tokens);
  common::Authorizer authorizer(kTestInternalKey,
                                common::FindService(pv1::PersonnelService::service_full_name()));
  common::Handler handler("personnel", authorizer, *common::SystemClock::Get());
  personnel::PersonnelServiceImpl service(logic, handler);
  StartGateway(1000, 1000, 64, {&service});

  std::string admin = common::SignJwtHs256(Claims("admin-1", {"admin"}, {"*"}), kSecret);
  pv1::ImportRegionsRequest import;
  import.set_request_id("import-1");
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
  pv1::ImportRegionsResponse imported;
  ASSERT_TRUE(stub_->ImportRegions(WithToken(admin).get(), import, &imported).ok());

  httplib::Client http("127.0.0.1", http_port_);
  auto res = http.Post(
      "/v1/tuopin.personnel.v1.PersonnelService/CreateHousehold",
      {{"Authorization", "Bearer " + Official()}},
      R"({"requestId":"hh-1","household":{"villageCode":"520221104001","headName":"Wang Fang",
                           "memberCount":4,"status":"HOUSEHOLD_STATUS_REGISTERED_POOR"}})",
      "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  pv1::Household created;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(res->body, &created).ok());

  pv1::GetHouseholdRequest get;
  get.set_id(created.id());
  pv1::Household read;
  ASSERT_TRUE(stub_->GetHousehold(WithToken(Official()).get(), get, &read).ok());
  EXPECT_EQ(read.head_name(), "Wang Fang");
  std::string outsider =
      common::SignJwtHs256(Claims("official-9", {"county_official"}, {"520203"}), kSecret);
  EXPECT_EQ(stub_->GetHousehold(WithToken(outsider).get(), get, &read).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Missing fields come back as field violations through both faces.
  pv1::CreateHouseholdRequest bad;
  bad.set_request_id("hh-2");
  grpc::Status st = stub_->CreateHousehold(WithToken(Official()).get(), bad, &read);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::ViolatedField(st), "household.village_code");

  // A string that is not UTF-8 (sent as raw bytes, which a generated stub cannot do) is
  // INVALID_ARGUMENT naming the field, not the parser's INTERNAL, and writes nothing.
  pv1::CreateHouseholdRequest raw;
  raw.set_request_id("hh-3");
  raw.mutable_household()->set_village_code("520221104001");
  raw.mutable_household()->set_head_name("NAME");
  raw.mutable_household()->set_member_count(3);
  raw.mutable_household()->set_status(pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  std::string wire = raw.SerializeAsString();
  wire.replace(wire.find("NAME"), 4,
               "N\xff\xfe"
               "E");  // same length
  grpc::Slice slice(wire);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::GenericStub generic(gateway_server_->channel());
  auto ctx = WithToken(Official());
  std::promise<grpc::Status> done;
  generic.UnaryCall(ctx.get(), "/tuopin.personnel.v1.PersonnelService/CreateHousehold",
                    grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) { done.set_value(std::move(s)); });
  st = done.get_future().get();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_EQ(testing::ViolatedField(st), "household.head_name");
  pv1::ListHouseholdsRequest list;
  list.set_region_code("520221");
  pv1::ListHouseholdsResponse listed;
  ASSERT_TRUE(stub_->ListHouseholds(WithToken(Official()).get(), list, &listed).ok());
  EXPECT_EQ(listed.households_size(), 1);
}

}  // namespace
}  // namespace tuopin::gateway
