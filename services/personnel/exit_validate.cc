#include "services/personnel/exit_validate.h"

#include "common/status.h"

namespace tuopin::personnel {

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
absl::Status Validate(const v1::ReverseExitRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetExitApplicationRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListExitApplicationsRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::SetPovertyStandardRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetPovertyStandardRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::SetVillageProfileRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetExitStatusRequest&) { return absl::OkStatus(); }

}  // namespace tuopin::personnel
