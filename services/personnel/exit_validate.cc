#include "services/personnel/exit_validate.h"

#include <vector>

#include "absl/strings/str_split.h"
#include "common/status.h"
#include "common/validate.h"

namespace tuopin::personnel {

bool IsExitReversalReference(absl::string_view reference) {
  std::vector<absl::string_view> parts = absl::StrSplit(reference, '/');
  if (parts.size() == 2 && parts[0] == "findings") return common::IsValidId(parts[1]);
  return parts.size() == 4 && parts[0] == "assessments" && common::IsValidId(parts[1]) &&
         parts[2] == "visits" && common::IsValidId(parts[3]);
}

absl::Status Validate(const v1::ProposeExitRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ReviewExitRequest& r) {
  if (!r.approve() && r.note().empty()) {
    return common::InvalidField("note", "is required to reject an application");
  }
  return absl::OkStatus();
}
absl::Status Validate(const v1::ObjectToExitRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ResolveObjectionRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ConfirmExitRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ReverseExitRequest& r) {
  if (!IsExitReversalReference(r.reference())) {
    return common::InvalidField(
        "reference",
        "must be findings/<id> or assessments/<id>/visits/<id>, each id 1-64 "
        "characters of [A-Za-z0-9._:-]");
  }
  return absl::OkStatus();
}
absl::Status Validate(const v1::GetExitApplicationRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListExitApplicationsRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::SetPovertyStandardRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetPovertyStandardRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::SetVillageProfileRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetExitStatusRequest&) { return absl::OkStatus(); }

}  // namespace tuopin::personnel
