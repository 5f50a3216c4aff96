#pragma once
// grpc.health.v1.Health on gRPC's synchronous API: Check, and Watch (a stream of status
// changes). It replaces gRPC's default health service, which in 1.51 runs on the callback
// API: that starts threads taking part in polling for every call of the process, each
// call then paying extra thread hand-offs (measured on the gateway, docs/BENCHMARKS.md).

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace tuopin::common {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  // "" is the server as a whole.
  void SetServingStatus(const std::string& service, bool serving);
  // Every service known so far (and "").
  void SetServingStatus(bool serving);
  // Ends every Watch stream (the server is stopping).
  void Shutdown();

  grpc::Status Check(grpc::ServerContext* ctx, const grpc::health::v1::HealthCheckRequest* req,
                     grpc::health::v1::HealthCheckResponse* resp) override;
  grpc::Status Watch(grpc::ServerContext* ctx, const grpc::health::v1::HealthCheckRequest* req,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  using Status = grpc::health::v1::HealthCheckResponse::ServingStatus;
  Status Get(const std::string& service) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tuopin::common
