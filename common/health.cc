#include "common/health.h"

#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/log.h"

namespace tuopin::common {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

namespace {

// Calls of each method kept requested ahead of the clients.
constexpr int kRequestsAhead = 4;

template <typename Call>
class Step final : public CompletionStep {
 public:
  Step(Call* call, void (Call::*fn)(bool)) : call_(call), fn_(fn) {}
  void Done(bool ok) override { (call_->*fn_)(ok); }

 private:
  Call* call_;
  void (Call::*fn_)(bool);
};

}  // namespace

// One Check: requested, answered, deleted.
class HealthService::CheckCall {
 public:
  explicit CheckCall(HealthService& health) : health_(health), responder_(&ctx_) {
    health_.live_.fetch_add(1, std::memory_order_relaxed);
    health_.service_.RequestCheck(&ctx_, &request_, &responder_, health_.cq_, health_.cq_,
                                  &requested_);
  }
  ~CheckCall() { health_.live_.fetch_sub(1, std::memory_order_relaxed); }

 private:
  void OnRequested(bool ok) {
    if (!ok) {  // the server is shutting down
      delete this;
      return;
    }
    new CheckCall(health_);
    Status status;
    {
      absl::ReaderMutexLock lock(&health_.mu_);
      status = health_.Get(request_.service());
    }
    if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
      responder_.FinishWithError(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"),
                                 &finished_);
      return;
    }
    response_.set_status(status);
    responder_.Finish(response_, grpc::Status::OK, &finished_);
  }

  void OnFinished(bool /*ok*/) { delete this; }

  HealthService& health_;
  grpc::ServerContext ctx_;
  HealthCheckRequest request_;
  HealthCheckResponse response_;
  grpc::ServerAsyncResponseWriter<HealthCheckResponse> responder_;
  Step<CheckCall> requested_{this, &CheckCall::OnRequested};
  Step<CheckCall> finished_{this, &CheckCall::OnFinished};
};

// One Watch stream: the current status at once, then each change, until the client goes
// or the server stops. Writes start on the queue's thread (a write completed) or on the
// thread that changed a status; the health service's mutex orders them, and at most one
// write or the final status is in flight at a time.
//
// Lifetime: a call that never matched is deleted at once; a matched call after three
// events, its request, its status sent and gRPC's notification that the call is done. It
// leaves watches_ (under the mutex) before its status is sent, so no other thread reaches
// it after that.
class HealthService::WatchCall {
 public:
  explicit WatchCall(HealthService& health) : health_(health), writer_(&ctx_) {
    health_.live_.fetch_add(1, std::memory_order_relaxed);
    ctx_.AsyncNotifyWhenDone(&done_);
    health_.service_.RequestWatch(&ctx_, &request_, &writer_, health_.cq_, health_.cq_,
                                  &requested_);
  }
  ~WatchCall() { health_.live_.fetch_sub(1, std::memory_order_relaxed); }

  // Writes the status if it changed, or finishes the call if it should end.
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(health_.mu_) {
    if (writing_ || finishing_) return;
    if (gone_) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    Status now = health_.Get(request_.service());
    if (!sent_ || now != last_) {
      response_.set_status(now);
      last_ = now;
      sent_ = true;
      writing_ = true;
      writer_.Write(response_, &written_);
      return;
    }
    if (health_.shutdown_) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is stopping"));
    }
  }

 private:
  void OnRequested(bool ok) {
    if (!ok) {  // the server is shutting down; no done notification follows
      delete this;
      return;
    }
    new WatchCall(health_);
    {
      absl::MutexLock lock(&health_.mu_);
      if (finishing_) {
        // Already cancelled: the done notification came first (on another thread).
      } else if (health_.shutdown_) {
        FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is stopping"));
      } else if (static_cast<int>(health_.watches_.size()) >= health_.max_watches_) {
        FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                  "too many health Watch streams are open; use Check"));
      } else {
        health_.watches_.insert(this);
        PumpLocked();
      }
    }
    Unref();
  }

  void OnWritten(bool ok) {
    absl::MutexLock lock(&health_.mu_);
    writing_ = false;
    if (!ok) gone_ = true;
    PumpLocked();
  }

  void OnDone(bool /*ok*/) {
    {
      absl::MutexLock lock(&health_.mu_);
      gone_ = true;  // cancelled, or ended after its status was sent
      PumpLocked();
    }
    Unref();
  }

  void OnFinished(bool /*ok*/) { Unref(); }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(health_.mu_) {
    finishing_ = true;
    health_.watches_.erase(this);
    writer_.Finish(status, &finished_);
  }

  void Unref() {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  HealthService& health_;
  grpc::ServerContext ctx_;
  HealthCheckRequest request_;
  HealthCheckResponse response_;
  grpc::ServerAsyncWriter<HealthCheckResponse> writer_;
  Step<WatchCall> requested_{this, &WatchCall::OnRequested};
  Step<WatchCall> written_{this, &WatchCall::OnWritten};
  Step<WatchCall> finished_{this, &WatchCall::OnFinished};
  Step<WatchCall> done_{this, &WatchCall::OnDone};
  // A matched call's request, its status sent and the done notification: on a queue polled
  // by several threads (the gateway's with --proxy_threads > 1) they may be handled at once.
  std::atomic<int> pending_{3};
  bool sent_ ABSL_GUARDED_BY(health_.mu_) = false;
  Status last_ ABSL_GUARDED_BY(health_.mu_) = HealthCheckResponse::UNKNOWN;
  bool writing_ ABSL_GUARDED_BY(health_.mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(health_.mu_) = false;
  bool gone_ ABSL_GUARDED_BY(health_.mu_) = false;
};

HealthService::HealthService(int max_watches) : max_watches_(max_watches) {}

HealthService::~HealthService() {
  if (started_) {
    Stop();
  } else if (own_cq_ != nullptr) {  // registered, never started: nothing was posted
    own_cq_->Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (own_cq_->Next(&tag, &ok)) {
    }
  }
}

void HealthService::Register(grpc::ServerBuilder& builder, grpc::ServerCompletionQueue* shared) {
  builder.RegisterService(&service_);
  if (shared != nullptr) {
    cq_ = shared;
    return;
  }
  // Not "frequently polled": otherwise gRPC makes the server's synchronous queues stop
  // polling, and this one thread would poll for every call of the server.
  own_cq_ = builder.AddCompletionQueue(/*is_frequently_polled=*/false);
  cq_ = own_cq_.get();
}

void HealthService::Start() {
  started_ = true;
  for (int i = 0; i < kRequestsAhead; ++i) {
    new CheckCall(*this);
    new WatchCall(*this);
  }
  if (own_cq_ == nullptr) return;
  thread_ = std::thread([cq = cq_] {
    void* tag = nullptr;
    bool ok = false;
    while (cq->Next(&tag, &ok)) static_cast<CompletionStep*>(tag)->Done(ok);
  });
}

void HealthService::Stop() {
  if (!started_) return;
  started_ = false;
  // The server has shut down: its calls ended and its requests came back unmatched. The
  // queue may close only when no call is left to post work on it.
  absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (live_.load() > 0 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(2));
  if (live_.load() > 0) {
    LogError("health: calls still alive after the drain; closing the queue anyway",
             {{"calls", std::to_string(live_.load())}});
  }
  if (own_cq_ == nullptr) return;
  own_cq_->Shutdown();
  thread_.join();
}

void HealthService::SetServingStatus(const std::string& service, bool serving) {
  absl::MutexLock lock(&mu_);
  if (shutdown_) serving = false;
  serving_[service] = serving;
  PumpAllLocked();
}

void HealthService::SetServingStatus(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shutdown_) serving = false;
  serving_[""] = serving;
  for (auto& [_, s] : serving_) s = serving;
  PumpAllLocked();
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutdown_ = true;
  for (auto& [_, s] : serving_) s = false;
  PumpAllLocked();
}

void HealthService::PumpAllLocked() {
  // A call that finishes leaves watches_.
  std::vector<WatchCall*> watches(watches_.begin(), watches_.end());
  for (WatchCall* w : watches) w->PumpLocked();
}

HealthService::Status HealthService::Get(const std::string& service) const {
  auto it = serving_.find(service);
  if (it == serving_.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  return it->second ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

}  // namespace tuopin::common
