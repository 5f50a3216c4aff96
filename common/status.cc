#include "common/status.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace tuopin::common {
namespace {

constexpr char kBadRequestUrl[] = "type.googleapis.com/google.rpc.BadRequest";
constexpr char kErrorInfoUrl[] = "type.googleapis.com/google.rpc.ErrorInfo";

// The first sixteen reasons are numbered as the status codes they name.
std::string DefaultReason(absl::StatusCode code) {
  int n = static_cast<int>(code);
  if (!tuopin::common::v1::ErrorReason_IsValid(n) || n > 16) return "UNKNOWN";
  return tuopin::common::v1::ErrorReason_Name(static_cast<ErrorReason>(n));
}

}  // namespace

absl::Status FieldViolations::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  google::rpc::BadRequest bad;
  std::vector<std::string> parts;
  for (const auto& [field, description] : violations_) {
    auto* v = bad.add_field_violations();
    v->set_field(field);
    v->set_description(description);
    parts.push_back(absl::StrCat(field, ": ", description));
  }
  absl::Status status = absl::InvalidArgumentError(absl::StrJoin(parts, "; "));
  status.SetPayload(kBadRequestUrl, absl::Cord(bad.SerializeAsString()));
  return status;
}

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  FieldViolations v;
  v.Add(std::string(field), std::string(description));
  return v.ToStatus();
}

absl::Status NotFound(absl::string_view what, absl::string_view id) {
  return WithReason(absl::NotFoundError(absl::StrCat(what, " ", id, " not found")),
                    ErrorReason::NOT_FOUND);
}

absl::Status WithReason(absl::Status status, ErrorReason reason) {
  google::rpc::ErrorInfo info;
  info.set_reason(tuopin::common::v1::ErrorReason_Name(reason));
  info.set_domain(std::string(kErrorDomain));
  status.SetPayload(kErrorInfoUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status Precondition(absl::string_view message, ErrorReason reason) {
  return WithReason(absl::FailedPreconditionError(message), reason);
}

google::rpc::Status ToRpcStatus(const absl::Status& status) {
  google::rpc::Status rpc;
  if (status.ok()) return rpc;
  rpc.set_code(static_cast<int>(status.code()));
  rpc.set_message(std::string(status.message()));
  bool has_info = false;
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    auto* any = rpc.add_details();
    any->set_type_url(std::string(url));
    any->set_value(std::string(payload));
    if (url == kErrorInfoUrl) has_info = true;
  });
  if (!has_info) {
    google::rpc::ErrorInfo info;
    info.set_reason(DefaultReason(status.code()));
    info.set_domain(std::string(kErrorDomain));
    rpc.add_details()->PackFrom(info);
  }
  return rpc;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      ToRpcStatus(status).SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  google::rpc::Status rpc;
  if (!status.error_details().empty() && rpc.ParseFromString(status.error_details())) {
    for (const auto& any : rpc.details()) out.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> FieldViolationsOf(const grpc::Status& status) {
  std::vector<std::pair<std::string, std::string>> out;
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(status.error_details())) return out;
  for (const auto& any : rpc.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad)) {
      for (const auto& v : bad.field_violations()) out.emplace_back(v.field(), v.description());
    }
  }
  return out;
}

std::string ReasonOf(const grpc::Status& status) {
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(status.error_details())) return "";
  for (const auto& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

}  // namespace tuopin::common
