#pragma once
// Errors are absl::Status inside the suite. This is the one place where they become
// grpc::Status, carrying google.rpc details: BadRequest field violations for invalid
// input and ErrorInfo (reason, domain "tuopin") for every error.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"
#include "tuopin/common/v1/errors.pb.h"

namespace tuopin::common {

inline constexpr absl::string_view kErrorDomain = "tuopin";

// Collects field violations; `ToStatus()` is OK when there are none.
class FieldViolations {
 public:
  void Add(std::string field, std::string description) {
    violations_.emplace_back(std::move(field), std::move(description));
  }
  bool empty() const { return violations_.empty(); }
  const std::vector<std::pair<std::string, std::string>>& violations() const { return violations_; }
  absl::Status ToStatus() const;

 private:
  std::vector<std::pair<std::string, std::string>> violations_;
};

// INVALID_ARGUMENT naming one field.
absl::Status InvalidField(absl::string_view field, absl::string_view description);

// NOT_FOUND for `what` ("household", "rectification order") with this id, reason
// NOT_FOUND. Outside the caller's scope the services answer the same (common/scope.h).
absl::Status NotFound(absl::string_view what, absl::string_view id);

// The reasons of the suite's errors, declared in proto/tuopin/common/v1/errors.proto.
using ErrorReason = tuopin::common::v1::ErrorReason;

// Attaches an ErrorInfo reason (the value's name) to a status, for machine handling. A
// status without one carries the name of its code (NOT_FOUND, UNAVAILABLE, ...).
absl::Status WithReason(absl::Status status, ErrorReason reason);

// FAILED_PRECONDITION with its reason: the state of an object refuses the call.
absl::Status Precondition(absl::string_view message, ErrorReason reason);

// Returns early with the status if it is not OK.
#define TUOPIN_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status _tuopin_status = (expr);          \
    if (!_tuopin_status.ok()) return _tuopin_status; \
  } while (0)

#define TUOPIN_CONCAT_INNER(a, b) a##b
#define TUOPIN_CONCAT(a, b) TUOPIN_CONCAT_INNER(a, b)
#define TUOPIN_ASSIGN_OR_RETURN(lhs, expr) \
  TUOPIN_ASSIGN_OR_RETURN_IMPL(TUOPIN_CONCAT(_tuopin_or_, __LINE__), lhs, expr)
#define TUOPIN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

grpc::Status ToGrpcStatus(const absl::Status& status);
// The google.rpc.Status a call would carry (code, message, details with an ErrorInfo), for
// an error answered inside a response (a batch's per-item results).
google::rpc::Status ToRpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Reading details back (clients and tests).
std::vector<std::pair<std::string, std::string>> FieldViolationsOf(const grpc::Status& status);
std::string ReasonOf(const grpc::Status& status);

}  // namespace tuopin::common
