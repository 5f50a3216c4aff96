// The gateway end to end, who gets through: tokens (HS256, EdDSA, RS256), forwarded and
// forged principals, method policies, the JSON front, and the real personnel service on a
// real MariaDB behind it.

#include <httplib.h>

#include <future>
#include <thread>

#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "tests/e2e/gateway_fixture.h"

namespace tuopin::gateway {
namespace {

// Calls of `service`'s `method` the gateway timed (grpc_server_handling_seconds' count).
uint64_t TimedCalls(const std::string& service, const std::string& method) {
  for (const auto& family : tuopin::common::MetricsRegistry().Collect()) {
    if (family.name != "grpc_server_handling_seconds") continue;
    for (const auto& metric : family.metric) {
      int matched = 0;
      for (const auto& label : metric.label) {
        if ((label.name == "grpc_service" && label.value == service) ||
            (label.name == "grpc_method" && label.value == method)) {
          ++matched;
        }
      }
      if (matched == 2) return metric.histogram.sample_count;
    }
  }
  return 0;
}

TEST_F(GatewayTest, AllowedCallReachesTheBackendWithThePrincipal) {
  StartGateway();
  auto timed_calls = [] { return TimedCalls("tuopin.personnel.v1.PersonnelService", "GetRegion"); };
  uint64_t timed = timed_calls();
  pv1::Region r;
  grpc::Status st = GetRegion(Official(), &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  // The gateway's server has no metrics interceptor; it times the call itself, just
  // after the answer is on its way (so the client may see the answer first).
  for (int i = 0; i < 200 && timed_calls() == timed; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(timed_calls(), timed + 1);
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
  auto service = personnel::NewPersonnelService(logic, handler);
  StartGateway(1000, 1000, 64, {service.get()});

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
