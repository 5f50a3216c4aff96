#pragma once
// The rules of FundsService's requests that no single field's limits can say. The limits
// are declared in funds.proto and checked first by the frame (common/field_limits.h);
// common::ValidateRequest(r, Validate) runs both.

#include "absl/status/status.h"
#include "tuopin/funds/v1/funds.pb.h"

namespace tuopin::funds {

absl::Status Validate(const v1::CreateAccountRequest& r);
absl::Status Validate(const v1::GetAccountRequest& r);
absl::Status Validate(const v1::ListAccountsRequest& r);
absl::Status Validate(const v1::CreateTransfersRequest& r);
absl::Status Validate(const v1::PostPendingTransferRequest& r);
absl::Status Validate(const v1::VoidPendingTransferRequest& r);
absl::Status Validate(const v1::ListTransfersRequest& r);
absl::Status Validate(const v1::TraceFundsRequest& r);
absl::Status Validate(const v1::GetUtilizationRequest& r);
absl::Status Validate(const v1::ListIdleFundsRequest& r);
absl::Status Validate(const v1::ListPublicNoticesRequest& r);

}  // namespace tuopin::funds
