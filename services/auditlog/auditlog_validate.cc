#include "services/auditlog/auditlog_validate.h"

#include "absl/strings/str_cat.h"
#include "common/audit_event.h"
#include "common/status.h"
#include "common/validate.h"

// Single-field limits are declared on the fields of auditlog.proto and checked from the
// descriptors (common/field_limits.h) before these rules: here is only what one field
// cannot say (an event's service and actor, a proof's or a period's order).
namespace tuopin::auditlog {

absl::Status Validate(const v1::AppendEventsRequest& r) {
  // Like the limits, events past the count the contract allows are not looked at: the
  // request is refused for its count.
  static const int kMaxEvents = static_cast<int>(v1::AppendEventsRequest::descriptor()
                                                     ->FindFieldByName("events")
                                                     ->options()
                                                     .GetExtension(tuopin::common::v1::limits)
                                                     .max_items());
  common::FieldViolations v;
  for (int i = 0; i < r.events_size() && i < kMaxEvents; ++i) {
    common::ValidateAuditEvent(absl::StrCat("events[", i, "]"), r.events(i), v);
  }
  return v.ToStatus();
}
absl::Status Validate(const v1::GetCheckpointRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetPublicKeyRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetLeavesByRangeRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetInclusionProofRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetInclusionProofByEventIdRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetConsistencyProofRequest& r) {
  if (r.first_size() > r.second_size())
    return common::InvalidField("first_size", "must not exceed second_size");
  return absl::OkStatus();
}
absl::Status Validate(const v1::ListEntityEventsRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListRegionEventsRequest& r) {
  common::FieldViolations ignored;  // the limits report a bad time
  auto from = common::ValidateTimestamp("from_time", r.from_time(), ignored);
  auto to = common::ValidateTimestamp("to_time", r.to_time(), ignored);
  if (from.has_value() && to.has_value() && *to <= *from)
    return common::InvalidField("to_time", "must be after from_time");
  return absl::OkStatus();
}
absl::Status Validate(const v1::GetInclusionProofsRequest&) { return absl::OkStatus(); }

}  // namespace tuopin::auditlog
