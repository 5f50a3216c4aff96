#include "common/health.h"

#include "absl/time/time.h"

namespace tuopin::common {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

void HealthService::SetServingStatus(const std::string& service, bool serving) {
  absl::MutexLock lock(&mu_);
  if (shutdown_) serving = false;
  serving_[service] = serving;
  ++generation_;
}

void HealthService::SetServingStatus(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shutdown_) serving = false;
  serving_[""] = serving;
  for (auto& [_, s] : serving_) s = serving;
  ++generation_;
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutdown_ = true;
  for (auto& [_, s] : serving_) s = false;
  ++generation_;
}

HealthService::Status HealthService::Get(const std::string& service) const {
  auto it = serving_.find(service);
  if (it == serving_.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  return it->second ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

grpc::Status HealthService::Check(grpc::ServerContext*, const HealthCheckRequest* req,
                                  HealthCheckResponse* resp) {
  absl::ReaderMutexLock lock(&mu_);
  Status s = Get(req->service());
  if (s == HealthCheckResponse::SERVICE_UNKNOWN) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
  }
  resp->set_status(s);
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(grpc::ServerContext* ctx, const HealthCheckRequest* req,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  uint64_t seen = 0;
  Status last = HealthCheckResponse::UNKNOWN;
  bool first = true;
  while (true) {
    Status now;
    bool stop;
    {
      absl::MutexLock lock(&mu_);
      // Wakes on a change, and at least every second to notice a cancelled call.
      auto changed = [this, &seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return generation_ != seen || shutdown_;
      };
      if (!first) mu_.AwaitWithTimeout(absl::Condition(&changed), absl::Seconds(1));
      seen = generation_;
      now = Get(req->service());
      stop = shutdown_;
    }
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    if (first || now != last) {
      HealthCheckResponse resp;
      resp.set_status(now);
      if (!writer->Write(resp)) return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
      last = now;
      first = false;
    }
    if (stop) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is stopping");
  }
}

}  // namespace tuopin::common
