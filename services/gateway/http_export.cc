#include "services/gateway/http_export.h"

#include <httplib.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/audit_event.h"
#include "common/clock.h"
#include "common/export.h"
#include "common/log.h"
#include "common/mutation.h"
#include "common/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "tuopin/auditlog/v1/auditlog.pb.h"

namespace tuopin::gateway {
namespace {

using google::protobuf::Message;

// What an export holds from its admission until its last chunk is written: the provider
// runs after the handler returned.
struct ExportState {
  Gateway* gateway = nullptr;
  Admission admission;
  std::string authorization, request_id, traceparent, method, subject, format;
  std::chrono::system_clock::duration budget;  // each page's deadline, as one call's
  absl::Time start;
  std::unique_ptr<common::ExportRun> run;
  int code = 0;
  bool released = false;

  CallMetadata Metadata() const {
    CallMetadata md;
    md.authorization = authorization;
    md.request_id = request_id;
    md.traceparent = traceparent;
    return md;
  }
  absl::Status Page(const Message& request, Message* response) {
    Admission page = admission;
    page.deadline = std::chrono::system_clock::now() + budget;
    grpc::ByteBuffer out;
    grpc::Status st =
        CallBackend(*gateway, page, Metadata(), method, request.SerializeAsString(), &out);
    if (!st.ok()) return common::FromGrpcStatus(st);
    grpc::Slice slice;
    if (!out.DumpToSingleSlice(&slice).ok() ||
        !response->ParseFromArray(slice.begin(), static_cast<int>(slice.size()))) {
      return absl::InternalError("the backend's response does not parse");
    }
    return absl::OkStatus();
  }
  // Releases the in-flight slot and writes the export's log line, once.
  void Finish(int grpc_code) {
    if (released) return;
    released = true;
    code = grpc_code;
    gateway->Release(admission);
    gateway->AccessLog(admission.backend, method, subject, code, absl::Now() - start,
                       admission.request_id);
    common::LogAsync(common::LogLevel::kInfo, "export",
                     {{"method", method},
                      {"subject", subject},
                      {"format", format},
                      {"rows", std::to_string(run != nullptr ? run->rows() : 0)},
                      {"code", std::to_string(code)},
                      {"request_id", admission.request_id}});
  }
};

// A blocking call on a queue of this thread's own (as a synchronous stub makes it):
// gRPC's callback API would start threads that take part in polling for the proxy's
// calls too, adding thread hand-offs to every one of them.
grpc::Status BlockingCall(Backend& backend, grpc::ClientContext& ctx, const std::string& method,
                          const std::string& request_bytes, grpc::ByteBuffer* response) {
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::CompletionQueue cq;
  grpc::Status st;
  auto call = backend.stub->PrepareUnaryCall(&ctx, method, request, &cq);
  call->StartCall();
  call->Finish(response, &st, &cq);
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return st;
}

// The export as a logged read: an event of service "gateway" in the audit log, naming the
// exported method, the caller and the request (the region it asked for as an entity),
// appended before any row is sent. Fail closed, as audit-query's looks: an export that
// cannot be recorded is not made.
absl::Status RecordExport(Gateway& gateway, const Admission& a, const Message& request) {
  static constexpr char kAppend[] = "/tuopin.auditlog.v1.AuditLog/AppendEvents";
  Backend* log = gateway.BackendOf("tuopin.auditlog.v1.AuditLog");
  common::Principal caller;
  if (log == nullptr || !caller.ParseFromString(*a.principal_bytes)) {
    return absl::FailedPreconditionError("this gateway has no audit log to record exports in");
  }
  common::EntityRefs entities;
  const auto* region = request.GetDescriptor()->FindFieldByName("region_code");
  if (region != nullptr &&
      region->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
      !region->is_repeated()) {
    std::string code = request.GetReflection()->GetString(request, region);
    if (!code.empty()) {
      auto& ref = entities.emplace_back();
      ref.set_type("region");
      ref.set_id(code);
      ref.set_region_code(code);
    }
  }
  static common::RandomIdGenerator ids;
  auto ctx = common::ContextFor("gateway", a.method, caller, a.request_id, absl::Now(), request);
  tuopin::auditlog::v1::AppendEventsRequest append;
  *append.add_events() = common::MakeAuditEvent(ids, ctx, entities, "");
  append.set_request_id(append.events(0).event_id());
  grpc::ClientContext call;
  gateway.PrepareOwnContext(kAppend, call);
  grpc::ByteBuffer out;
  grpc::Status st = BlockingCall(*log, call, kAppend, append.SerializeAsString(), &out);
  if (!st.ok()) {
    return common::WithReason(
        absl::UnavailableError(
            absl::StrCat("the export could not be recorded in the audit log, so nothing is sent: ",
                         st.error_message())),
        common::ErrorReason::ACCESS_NOT_RECORDED);
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status CallBackend(Gateway& gateway, const Admission& a, const CallMetadata& md,
                         const std::string& method, const std::string& request_bytes,
                         grpc::ByteBuffer* response) {
  grpc::ClientContext ctx;
  gateway.PrepareBackendContext(a, md, ctx);
  return BlockingCall(*a.backend, ctx, method, request_bytes, response);
}

void AddExportRoute(Gateway& gateway, httplib::Server& server) {
  server.Get(R"(/v1/export/([A-Za-z0-9_.]+)/([A-Za-z0-9_]+))", [&gateway](
                                                                   const httplib::Request& req,
                                                                   httplib::Response& res) {
    auto state = std::make_shared<ExportState>();
    state->gateway = &gateway;
    state->start = absl::Now();
    std::string service = req.matches[1], method_name = req.matches[2];
    state->method = absl::StrCat("/", service, "/", method_name);
    state->authorization = req.get_header_value("Authorization");
    state->request_id = req.get_header_value("X-Request-Id");
    state->traceparent = req.get_header_value("traceparent");
    auto admitted = gateway.Admit(state->method, state->Metadata(), &state->subject);
    if (!admitted.ok()) {
      grpc::Status st = common::ToGrpcStatus(admitted.status());
      gateway.AccessLog(nullptr, state->method, state->subject, st.error_code(),
                        absl::Now() - state->start, state->request_id);
      ReplyJsonError(res, st);
      return;
    }
    state->admission = std::move(*admitted);
    state->budget = state->admission.deadline - std::chrono::system_clock::now();
    res.set_header("X-Request-Id", state->admission.request_id);
    auto refuse = [&](const absl::Status& s) {
      grpc::Status st = common::ToGrpcStatus(s);
      state->Finish(st.error_code());
      ReplyJsonError(res, st);
    };
    // Admission found a policy, so the method exists in the compiled contracts.
    const auto* desc = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
        absl::StrCat(service, ".", method_name));
    state->format = req.has_param("format") ? req.get_param_value("format") : "csv";
    auto format = common::ParseExportFormat(state->format);
    if (!format.ok()) return refuse(format.status());
    auto shape = common::ExportShapeOf(desc, req.get_param_value("rows"));
    if (!shape.ok()) return refuse(shape.status());
    std::unique_ptr<Message> request(google::protobuf::MessageFactory::generated_factory()
                                         ->GetPrototype(desc->input_type())
                                         ->New());
    for (const auto& [name, value] : req.params) {
      if (name == "format" || name == "rows") continue;
      const auto* f = desc->input_type()->FindFieldByName(name);
      if (f == nullptr || f == shape->page_token) {
        return refuse(common::InvalidField(
            name, absl::StrCat("is not a field of ", desc->input_type()->full_name())));
      }
      std::string error;
      if (!common::SetFieldFromText(*request, f, value, &error))
        return refuse(common::InvalidField(name, error));
    }
    std::unique_ptr<Message> request_copy(request->New());
    request_copy->CopyFrom(*request);
    state->run = std::make_unique<common::ExportRun>(desc, *shape, std::move(request), *format);
    // The first page before any byte is sent, so a refusal (scope, validation) is an HTTP
    // error rather than a truncated file.
    auto more = state->run->Step([&](const Message& q, Message* r) { return state->Page(q, r); });
    if (!more.ok()) return refuse(more.status());
    if (absl::Status s = RecordExport(gateway, state->admission, *request_copy); !s.ok())
      return refuse(s);
    auto pending = std::make_shared<std::string>(state->run->TakeOutput());
    auto has_more = std::make_shared<bool>(*more);
    res.status = 200;
    res.set_header("Content-Disposition", absl::StrCat("attachment; filename=\"", method_name, ".",
                                                       common::ExportExtension(*format), "\""));
    res.set_chunked_content_provider(
        common::ExportContentType(*format),
        [state, pending, has_more](size_t, httplib::DataSink& sink) {
          if (!pending->empty()) {
            if (!sink.write(pending->data(), pending->size())) {
              state->Finish(static_cast<int>(grpc::StatusCode::CANCELLED));
              return false;
            }
            pending->clear();
            return true;
          }
          if (!*has_more) {
            state->Finish(0);
            sink.done();
            return true;
          }
          auto next =
              state->run->Step([&](const Message& q, Message* r) { return state->Page(q, r); });
          if (!next.ok()) {
            // Mid-stream: the status line has gone, so the download is cut short (the
            // client sees an incomplete chunked body) and the log says why.
            state->Finish(static_cast<int>(common::ToGrpcStatus(next.status()).error_code()));
            return false;
          }
          *has_more = *next;
          *pending = state->run->TakeOutput();
          return true;
        },
        [state](bool) { state->Finish(static_cast<int>(grpc::StatusCode::CANCELLED)); });
  });
}

}  // namespace tuopin::gateway
