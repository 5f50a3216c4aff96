#include "services/gateway/proxy.h"

#include <algorithm>
#include <atomic>
#include <optional>

#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status.h"
#include "common/validate.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/server_builder.h"

namespace tuopin::gateway {
namespace {

// Calls kept requested ahead of the clients, so a burst of new calls does not wait for
// a request to be posted.
constexpr int kRequestsAhead = 128;

absl::string_view Header(const std::multimap<grpc::string_ref, grpc::string_ref>& md,
                         const char* key) {
  auto it = md.find(key);
  return it == md.end() ? absl::string_view()
                        : absl::string_view(it->second.data(), it->second.size());
}

// One unary call, from the request being matched to its status being sent. Its steps
// (request, read, backend answer, status sent) follow one another; only the "done"
// notification, which gRPC delivers when the call ends and which says whether the
// client cancelled, may arrive on another polling thread at the same time as a step.
//
// Lifetime: a call that never matched (the server shut down) is deleted at once. A
// matched call is deleted after two events: its last step and the done notification.
class ProxyCall {
 public:
  ProxyCall(ProxyService& proxy, grpc::ServerCompletionQueue* cq)
      : proxy_(proxy), gateway_(proxy.gateway()), cq_(cq), stream_(&ctx_) {
    proxy_.live().fetch_add(1, std::memory_order_relaxed);
    ctx_.AsyncNotifyWhenDone(&done_tag_);
    proxy_.service().RequestCall(&ctx_, &stream_, cq_, cq_, &request_tag_);
  }
  ~ProxyCall() { proxy_.live().fetch_sub(1, std::memory_order_relaxed); }

  // A tag names the call and the step that finished.
  struct Tag final : common::CompletionStep {
    Tag(ProxyCall* c, void (ProxyCall::*s)(bool ok)) : call(c), step(s) {}
    void Done(bool ok) override { (call->*step)(ok); }
    ProxyCall* call;
    void (ProxyCall::*step)(bool ok);
  };

 private:
  void OnRequested(bool ok) {
    if (!ok) {  // the server is shutting down; no done notification follows
      delete this;
      return;
    }
    new ProxyCall(proxy_, cq_);  // the next call
    start_ = absl::Now();
    const auto& md = ctx_.client_metadata();
    md_.authorization = Header(md, "authorization");
    md_.request_id = Header(md, "x-request-id");
    md_.traceparent = Header(md, "traceparent");
    md_.tracestate = Header(md, "tracestate");
    md_.deadline = ctx_.deadline();
    auto admitted = gateway_.Admit(ctx_.method(), md_, &subject_);
    if (!admitted.ok()) {
      Complete(common::ToGrpcStatus(admitted.status()));
      return;
    }
    admission_ = std::move(*admitted);
    ctx_.AddInitialMetadata("x-request-id", admission_->request_id);
    stream_.Read(&request_, &read_tag_);
  }

  void OnRead(bool ok) {
    if (!ok) {
      Complete(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the call carried no request message"));
      return;
    }
    // Protobuf refuses a string that is not UTF-8 while parsing, which the backend could
    // only answer as INTERNAL; name the field here instead.
    if (auto bad = InvalidUtf8Field(); bad.has_value()) {
      common::FieldViolations v;
      v.Add(*bad, "must be valid UTF-8");
      Complete(common::ToGrpcStatus(v.ToStatus()));
      return;
    }
    gateway_.PrepareBackendContext(*admission_, md_, backend_ctx_);
    backend_call_ =
        admission_->backend->stub->PrepareUnaryCall(&backend_ctx_, ctx_.method(), request_, cq_);
    backend_call_->StartCall();
    backend_call_->Finish(&response_, &backend_status_, &backend_tag_);
  }

  void OnBackend(bool /*ok: always true for a client's Finish*/) {
    if (backend_status_.ok()) {
      AccessRecord record = Record(backend_status_);
      stream_.WriteAndFinish(response_, grpc::WriteOptions(), backend_status_, &finish_tag_);
      record.Write();
    } else {
      Complete(backend_status_);
    }
  }

  void OnFinished(bool /*ok: false when the client was gone*/) { Unref(); }

  void OnDone(bool /*ok*/) {
    // Thread-safe at any point: a backend call not yet made is cancelled as it starts,
    // one already answered is not affected.
    if (ctx_.IsCancelled()) backend_ctx_.TryCancel();
    Unref();
  }

  void Unref() {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  std::optional<std::string> InvalidUtf8Field() {
    if (admission_->input == nullptr) return std::nullopt;
    std::vector<grpc::Slice> slices;
    if (!request_.Dump(&slices).ok()) return std::nullopt;
    if (slices.size() == 1) {
      return common::FindInvalidUtf8(
          admission_->input,
          absl::string_view(reinterpret_cast<const char*>(slices[0].begin()), slices[0].size()));
    }
    std::string wire;
    for (const auto& s : slices) wire.append(reinterpret_cast<const char*>(s.begin()), s.size());
    return common::FindInvalidUtf8(admission_->input, wire);
  }

  void Complete(const grpc::Status& status) {
    AccessRecord record = Record(status);
    stream_.Finish(status, &finish_tag_);
    record.Write();
  }

  // What the access log says of a call, taken before its answer is sent and written
  // after: the line is not in the answer's path, and from the moment the answer is on
  // its way another polling thread may end the call (and delete it).
  struct AccessRecord {
    const Gateway* gateway;
    const Backend* backend;
    std::string method, subject, request_id;
    int code;
    absl::Duration latency;
    void Write() const { gateway->AccessLog(backend, method, subject, code, latency, request_id); }
  };

  AccessRecord Record(const grpc::Status& status) {
    if (admission_) gateway_.Release(*admission_);
    return AccessRecord{&gateway_,
                        admission_ ? admission_->backend : nullptr,
                        ctx_.method(),
                        subject_,
                        admission_ ? admission_->request_id : std::string(md_.request_id),
                        status.error_code(),
                        absl::Now() - start_};
  }

  ProxyService& proxy_;
  Gateway& gateway_;
  grpc::ServerCompletionQueue* cq_;
  grpc::GenericServerContext ctx_;
  grpc::GenericServerAsyncReaderWriter stream_;
  Tag request_tag_{this, &ProxyCall::OnRequested};
  Tag read_tag_{this, &ProxyCall::OnRead};
  Tag backend_tag_{this, &ProxyCall::OnBackend};
  Tag finish_tag_{this, &ProxyCall::OnFinished};
  Tag done_tag_{this, &ProxyCall::OnDone};
  // This call's last step and the done notification; set before the call is requested,
  // since the done notification of a matched call may be polled before its request.
  std::atomic<int> pending_{2};
  absl::Time start_;
  CallMetadata md_;
  std::string subject_;
  std::optional<Admission> admission_;
  grpc::ClientContext backend_ctx_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> backend_call_;
  grpc::ByteBuffer request_, response_;
  grpc::Status backend_status_;
};

void Poll(grpc::ServerCompletionQueue* cq) {
  void* tag = nullptr;
  bool ok = false;
  // The server's health service posts its calls here too.
  while (cq->Next(&tag, &ok)) static_cast<common::CompletionStep*>(tag)->Done(ok);
}

}  // namespace

ProxyService::ProxyService(Gateway& gateway, int threads)
    : gateway_(gateway),
      threads_wanted_(threads > 0
                          ? threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))) {}

ProxyService::~ProxyService() { Stop(); }

void ProxyService::Register(grpc::ServerBuilder& builder) {
  builder.RegisterAsyncGenericService(&service_);
  cq_ = builder.AddCompletionQueue();
}

void ProxyService::Start() {
  started_ = true;
  for (int i = 0; i < kRequestsAhead; ++i) new ProxyCall(*this, cq_.get());
  for (int i = 0; i < threads_wanted_; ++i) threads_.emplace_back(Poll, cq_.get());
}

void ProxyService::Stop() {
  if (!started_) return;
  started_ = false;
  // The server has shut down: its calls ended (a call still waiting on its backend was
  // cancelled, which cancels the backend call) and its requests came back unmatched.
  // The queues may close only when no call is left to post work on them.
  absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (live_.load() > 0 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(2));
  if (live_.load() > 0) {
    common::LogError("gateway: calls still alive after the drain; closing the queue anyway",
                     {{"calls", std::to_string(live_.load())}});
  }
  cq_->Shutdown();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace tuopin::gateway
