#include "services/gateway/proxy.h"

#include <optional>

#include "absl/time/clock.h"
#include "common/status.h"
#include "common/validate.h"

namespace tuopin::gateway {
namespace {

absl::string_view Header(const std::multimap<grpc::string_ref, grpc::string_ref>& md,
                         const char* key) {
  auto it = md.find(key);
  return it == md.end() ? absl::string_view()
                        : absl::string_view(it->second.data(), it->second.size());
}

// One unary call: read the request, forward it, write the response.
class ProxyReactor final : public grpc::ServerGenericBidiReactor {
 public:
  ProxyReactor(Gateway& gateway, grpc::GenericCallbackServerContext* ctx)
      : gateway_(gateway), ctx_(ctx), start_(absl::Now()) {
    const auto& md = ctx->client_metadata();
    md_.authorization = Header(md, "authorization");
    md_.request_id = Header(md, "x-request-id");
    md_.traceparent = Header(md, "traceparent");
    md_.tracestate = Header(md, "tracestate");
    md_.deadline = ctx->deadline();
    auto admitted = gateway_.Admit(ctx->method(), md_, &subject_);
    if (!admitted.ok()) {
      Complete(common::ToGrpcStatus(admitted.status()));
      return;
    }
    admission_ = std::move(*admitted);
    ctx_->AddInitialMetadata("x-request-id", admission_->request_id);
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
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
    admission_->backend->stub->UnaryCall(&backend_ctx_, ctx_->method(), grpc::StubOptions(),
                                         &request_, &response_,
                                         [this](grpc::Status s) { OnBackendDone(std::move(s)); });
  }

  void OnCancel() override { backend_ctx_.TryCancel(); }
  void OnDone() override { delete this; }

 private:
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

  void OnBackendDone(grpc::Status status) {
    if (status.ok()) {
      Log(status);
      StartWriteAndFinish(&response_, grpc::WriteOptions(), status);
    } else {
      Complete(status);
    }
  }

  void Complete(const grpc::Status& status) {
    Log(status);
    Finish(status);
  }

  void Log(const grpc::Status& status) {
    if (admission_) gateway_.Release(*admission_);
    gateway_.AccessLog(admission_ ? &*admission_ : nullptr, ctx_->method(), subject_,
                       status.error_code(), absl::Now() - start_,
                       admission_ ? admission_->request_id : std::string(md_.request_id));
  }

  Gateway& gateway_;
  grpc::GenericCallbackServerContext* ctx_;
  absl::Time start_;
  CallMetadata md_;
  std::string subject_;
  std::optional<Admission> admission_;
  grpc::ClientContext backend_ctx_;
  grpc::ByteBuffer request_, response_;
};

}  // namespace

grpc::ServerGenericBidiReactor* ProxyService::CreateReactor(
    grpc::GenericCallbackServerContext* ctx) {
  return new ProxyReactor(gateway_, ctx);
}

}  // namespace tuopin::gateway
