#include "services/funds/funds_validate.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"

// Single-field limits are declared on the fields of funds.proto and checked from the
// descriptors (common/field_limits.h) before these rules: here is only what one field
// cannot say (fields that depend on the account's kind or the transfer's pending flag).
namespace tuopin::funds {
namespace {

using common::FieldViolations;

constexpr int64_t kMaxTimeoutSeconds = 30 * 24 * 3600;
constexpr char kUnspecified[] = "is required (the UNSPECIFIED value is not accepted)";

}  // namespace

absl::Status Validate(const v1::CreateAccountRequest& r) {
  FieldViolations v;
  const auto& a = r.account();
  if (a.kind() == v1::ACCOUNT_KIND_SOURCE) {
    if (a.source_level() == 0) v.Add("account.source_level", kUnspecified);
  } else if (a.source_level() != 0) {
    v.Add("account.source_level", "is for sources only");
  }
  if (a.kind() == v1::ACCOUNT_KIND_PROJECT) {
    if (a.sector() == 0) v.Add("account.sector", kUnspecified);
    // A project is a village's: its region is a village code.
    common::ValidateRegionCode("account.region_code", a.region_code(), v, 12, 12);
  } else {
    if (a.sector() != 0) v.Add("account.sector", "is for project accounts only");
    if (!a.task_id().empty()) v.Add("account.task_id", "is for project accounts only");
  }
  if (r.allow_overdraft() && a.kind() != v1::ACCOUNT_KIND_PAYEE) {
    v.Add("allow_overdraft", "only payee accounts may be created without the overdraft guard");
  }
  return v.ToStatus();
}

absl::Status Validate(const v1::GetAccountRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::ListAccountsRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::CreateTransfersRequest& r) {
  FieldViolations v;
  for (int i = 0; i < r.transfers_size() && i < 1000; ++i) {
    const auto& t = r.transfers(i);
    std::string f = absl::StrCat("transfers[", i, "]");
    if (t.pending()) {
      if (t.timeout().seconds() < 1 || t.timeout().seconds() > kMaxTimeoutSeconds ||
          t.timeout().nanos() != 0) {
        v.Add(f + ".timeout",
              "a pending transfer needs a timeout of whole seconds, 1 s to 30 days");
      }
    } else if (t.has_timeout()) {
      v.Add(f + ".timeout", "is for pending transfers only");
    }
    if (t.state() != 0 || t.has_create_time() || t.has_resolve_time()) {
      v.Add(f + ".state", "state and times are output only");
    }
    // The server records who created and resolved a transfer; a client never names them.
    if (!t.created_by().empty()) v.Add(f + ".created_by", "is output only");
    if (!t.resolved_by().empty()) v.Add(f + ".resolved_by", "is output only");
  }
  return v.ToStatus();
}

absl::Status Validate(const v1::PostPendingTransferRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::VoidPendingTransferRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::ListTransfersRequest& r) {
  FieldViolations ignored;  // the limits report a bad time
  std::optional<absl::Time> start, end;
  if (r.has_start_time()) start = common::ValidateTimestamp("start_time", r.start_time(), ignored);
  if (r.has_end_time()) end = common::ValidateTimestamp("end_time", r.end_time(), ignored);
  if (start && end && *end <= *start)
    return common::InvalidField("end_time", "must be after start_time");
  return absl::OkStatus();
}

absl::Status Validate(const v1::TraceFundsRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::GetUtilizationRequest& r) {
  if (r.by_sector() && r.sector() != 0)
    return common::InvalidField("sector", "must be unspecified with by_sector");
  return absl::OkStatus();
}

absl::Status Validate(const v1::ListIdleFundsRequest&) { return absl::OkStatus(); }

absl::Status Validate(const v1::ListPublicNoticesRequest& r) {
  // Each notice traces a lineage: the page is the bound of the read's work.
  if (r.page_size() > 100)
    return common::InvalidField("page_size", "must be 0-100 for public notices");
  return absl::OkStatus();
}

}  // namespace tuopin::funds
