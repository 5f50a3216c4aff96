#pragma once
// The gateway's gRPC face: an asynchronous generic service that admits each call and
// forwards its request bytes, unparsed, to the backend channel of the method's service.
//
// It runs on gRPC's completion-queue API: by default one thread polls one queue, and each
// event of a call (request, read, backend answer, write) is handled by the thread that
// polled it, the backend call included (it completes on the same queue). gRPC 1.51's
// callback API instead hands every event from the polling thread to one of its own
// threads ("nexting_thread"), a thread switch per event; and two threads polling one
// queue take turns at epoll and wake each other (futex and eventfd, ~6 system calls per
// call more); see docs/BENCHMARKS.md.

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "common/server.h"
#include "grpcpp/generic/async_generic_service.h"
#include "services/gateway/gateway.h"

namespace tuopin::gateway {

class ProxyService final : public common::AsyncService {
 public:
  // threads: how many threads poll the queue (0: one per core).
  explicit ProxyService(Gateway& gateway, int threads = 1);
  ~ProxyService() override;

  void Register(grpc::ServerBuilder& builder) override;
  void Start() override;
  void Stop() override;
  grpc::ServerCompletionQueue* queue() override { return cq_.get(); }

  Gateway& gateway() { return gateway_; }
  grpc::AsyncGenericService& service() { return service_; }
  // Calls alive: waiting for a request or in progress.
  std::atomic<int>& live() { return live_; }

 private:
  Gateway& gateway_;
  int threads_wanted_;
  grpc::AsyncGenericService service_;
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::vector<std::thread> threads_;
  std::atomic<int> live_{0};
  bool started_ = false;
};

}  // namespace tuopin::gateway
