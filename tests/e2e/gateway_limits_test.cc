// The gateway end to end, what it bounds and forwards: deadlines, request ids and trace
// context, rate limits, in-flight bounds and cancellation.

#include <thread>

#include "tests/e2e/gateway_fixture.h"

namespace tuopin::gateway {
namespace {

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

}  // namespace
}  // namespace tuopin::gateway
