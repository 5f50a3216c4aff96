#pragma once
// grpc.health.v1.Health (Check and Watch) on the completion-queue API, outside the server's
// synchronous pool: on the queue of the server's asynchronous service when it has one (the
// gateway's proxy), else on a queue of its own polled by one thread. Health calls carry no
// credentials, so no health call may hold a thread: a Watch stream waiting for a change is
// only memory, and Check (what Kubernetes' probes call) answers even when Watch streams
// are open or the synchronous pool is busy. At most max_watches Watch streams are open at
// once; more are refused with RESOURCE_EXHAUSTED.
//
// Not gRPC's default health service: in 1.51 that runs on the callback API, which starts
// threads taking part in polling for every call of the process, each call then paying
// extra thread hand-offs (measured on the gateway, docs/BENCHMARKS.md).

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "common/server.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/server_builder.h"

namespace tuopin::common {

class HealthService {
 public:
  explicit HealthService(int max_watches);
  ~HealthService();
  HealthService(const HealthService&) = delete;
  HealthService& operator=(const HealthService&) = delete;

  // Before the server is built: registers the service, on `shared` (whose every tag is a
  // CompletionStep*, polled by its owner's threads) or else on a queue of its own.
  void Register(grpc::ServerBuilder& builder, grpc::ServerCompletionQueue* shared = nullptr);
  // After the server started: posts the first requests (and starts the thread).
  void Start();

  // "" is the server as a whole.
  void SetServingStatus(const std::string& service, bool serving);
  // Every service known so far (and "").
  void SetServingStatus(bool serving);
  // Ends every Watch stream with UNAVAILABLE (the server is stopping), after it has seen
  // NOT_SERVING; later Watch calls end at once. Check keeps answering NOT_SERVING.
  void Shutdown();
  // After grpc::Server::Shutdown returned, before a shared queue closes: finishes what is
  // left (and joins the thread).
  void Stop();

 private:
  class CheckCall;
  class WatchCall;
  using Status = grpc::health::v1::HealthCheckResponse::ServingStatus;
  Status Get(const std::string& service) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void PumpAllLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int max_watches_;
  grpc::health::v1::Health::AsyncService service_;
  std::unique_ptr<grpc::ServerCompletionQueue> own_cq_;
  grpc::ServerCompletionQueue* cq_ = nullptr;
  std::thread thread_;
  bool started_ = false;
  // Calls alive (requested or in progress): the queue closes only when none is left.
  std::atomic<int> live_{0};

  mutable absl::Mutex mu_;
  std::map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  // Open Watch streams that have not begun to finish.
  std::set<WatchCall*> watches_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tuopin::common
