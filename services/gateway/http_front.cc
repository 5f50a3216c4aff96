#include "services/gateway/http_front.h"

#include <cctype>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/status.pb.h"
#include "services/gateway/bounded_http_server.h"
#include "services/gateway/http_export.h"

namespace tuopin::gateway {
namespace {

std::string ErrorJson(const grpc::Status& status) {
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(status.error_details())) {
    rpc.set_code(status.error_code());
    rpc.set_message(status.error_message());
  }
  std::string details = "[]";
  if (rpc.details_size() > 0) {
    google::rpc::Status only_details;
    *only_details.mutable_details() = rpc.details();
    std::string json;
    if (google::protobuf::util::MessageToJsonString(only_details, &json).ok()) {
      // {"details":[...]} -> [...]
      size_t open = json.find('['), close = json.rfind(']');
      if (open != std::string::npos && close != std::string::npos)
        details = json.substr(open, close - open + 1);
    }
  }
  std::string status_name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  for (char& c : status_name) c = c == ' ' ? '_' : static_cast<char>(std::toupper(c));
  return absl::StrCat("{\"error\":{\"code\":", HttpStatusForCode(status.error_code()),
                      ",\"status\":\"", status_name,
                      "\",\"message\":", common::JsonQuote(status.error_message()),
                      ",\"details\":", details, "}}\n");
}

void Reply(httplib::Response& res, const grpc::Status& status, const std::string& body_ok) {
  if (status.ok()) {
    res.status = 200;
    res.set_content(body_ok, "application/json");
  } else {
    ReplyJsonError(res, status);
  }
}

}  // namespace

void ReplyJsonError(httplib::Response& res, const grpc::Status& status) {
  res.status = HttpStatusForCode(status.error_code());
  res.set_content(ErrorJson(status), "application/json");
}

int HttpStatusForCode(int code) {
  switch (static_cast<grpc::StatusCode>(code)) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    default:
      return 500;
  }
}

HttpFront::HttpFront(Gateway& gateway, HttpFrontOptions options)
    : gateway_(gateway), server_(std::make_unique<BoundedHttpServer>(options)) {
  server_->set_payload_max_length(kMaxBodyBytes);
  server_->Post(R"(/v1/([A-Za-z0-9_.]+)/([A-Za-z0-9_]+))", [this](const httplib::Request& req,
                                                                  httplib::Response& res) {
    absl::Time start = absl::Now();
    std::string service = req.matches[1], method_name = req.matches[2];
    std::string method = absl::StrCat("/", service, "/", method_name);
    CallMetadata md;
    std::string authorization = req.get_header_value("Authorization");
    std::string request_id = req.get_header_value("X-Request-Id");
    std::string traceparent = req.get_header_value("traceparent");
    md.authorization = authorization;
    md.request_id = request_id;
    md.traceparent = traceparent;
    std::string subject;
    auto admitted = gateway_.Admit(method, md, &subject);
    if (!admitted.ok()) {
      grpc::Status st = common::ToGrpcStatus(admitted.status());
      gateway_.AccessLog(nullptr, method, subject, st.error_code(), absl::Now() - start,
                         request_id);
      Reply(res, st, "");
      return;
    }
    Admission a = std::move(*admitted);
    res.set_header("X-Request-Id", a.request_id);
    auto finish = [&](const grpc::Status& st, const std::string& body) {
      gateway_.Release(a);
      gateway_.AccessLog(a.backend, method, subject, st.error_code(), absl::Now() - start,
                         a.request_id);
      Reply(res, st, body);
    };
    // Admission found a policy, so the method exists in the compiled contracts.
    const auto* desc = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
        absl::StrCat(service, ".", method_name));
    auto* factory = google::protobuf::MessageFactory::generated_factory();
    std::unique_ptr<google::protobuf::Message> in(factory->GetPrototype(desc->input_type())->New());
    std::unique_ptr<google::protobuf::Message> out(
        factory->GetPrototype(desc->output_type())->New());
    auto parsed =
        google::protobuf::util::JsonStringToMessage(req.body.empty() ? "{}" : req.body, in.get());
    if (!parsed.ok()) {
      finish(common::ToGrpcStatus(common::InvalidField(
                 "body", absl::StrCat("is not a JSON ", desc->input_type()->full_name(), ": ",
                                      parsed.message().as_string()))),
             "");
      return;
    }
    grpc::ByteBuffer response;
    grpc::Status st = CallBackend(gateway_, a, md, method, in->SerializeAsString(), &response);
    std::string json;
    if (st.ok()) {
      grpc::Slice out_slice;
      if (!response.DumpToSingleSlice(&out_slice).ok() ||
          !out->ParseFromArray(out_slice.begin(), static_cast<int>(out_slice.size()))) {
        st = grpc::Status(grpc::StatusCode::INTERNAL, "the backend's response does not parse");
      } else {
        google::protobuf::util::JsonPrintOptions options;
        options.preserve_proto_field_names = false;
        (void)google::protobuf::util::MessageToJsonString(*out, &json, options);
        json += "\n";
      }
    }
    finish(st, json);
  });
  AddExportRoute(gateway_, *server_);
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) {
      res.set_content(
          R"({"error":{"code":404,"status":"NOT_FOUND","message":"use POST /v1/<package.Service>/<Method>"}})"
          "\n",
          "application/json");
    }
  });
}

HttpFront::~HttpFront() { Stop(); }

int HttpFront::Start(const std::string& host, int port, std::string* error) {
  if (absl::Status s = server_->Init(); !s.ok()) {
    if (error != nullptr) *error = std::string(s.message());
    return -1;
  }
  int bound =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    if (error != nullptr) *error = absl::StrCat("cannot listen on ", host, ":", port);
    return -1;
  }
  server_->RaiseBacklog();
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    loop_ended_ = true;
  });
  // httplib's stop() does nothing until the loop has marked itself running, so a Stop
  // soon after Start (a quick test, a signal during start-up) left the loop listening and
  // the join waiting for ever. The loop marks itself first thing.
  while (!server_->is_running() && !loop_ended_) absl::SleepFor(absl::Microseconds(200));
  return bound;
}

void HttpFront::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace tuopin::gateway
