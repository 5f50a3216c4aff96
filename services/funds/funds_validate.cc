#include "services/funds/funds_validate.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"

namespace tuopin::funds {
namespace {

using common::FieldViolations;

constexpr int64_t kMaxTimeoutSeconds = 30 * 24 * 3600;

void ValidateCode(const std::string& field, const std::string& code, FieldViolations& v) {
  if (!common::IsValidId(code)) v.Add(field, "must be 1-64 characters of [A-Za-z0-9._:-]");
}

}  // namespace

absl::Status Validate(const v1::CreateAccountRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  const auto& a = r.account();
  ValidateCode("account.code", a.code(), v);
  common::ValidateEnum("account.kind", a.kind(), v1::AccountKind_descriptor(), v);
  common::ValidateText("account.name", a.name(), 1, 128, v);
  common::ValidateRegionCode("account.region_code", a.region_code(), v);
  if (a.kind() == v1::ACCOUNT_KIND_SOURCE) {
    common::ValidateEnum("account.source_level", a.source_level(), v1::SourceLevel_descriptor(), v);
  } else if (a.source_level() != 0) {
    v.Add("account.source_level", "is for sources only");
  }
  if (a.kind() == v1::ACCOUNT_KIND_PROJECT) {
    common::ValidateEnum("account.sector", a.sector(), tuopin::common::v1::Sector_descriptor(), v);
    common::ValidateRegionCode("account.region_code", a.region_code(), v, 12, 12);
    common::ValidateId("account.task_id", a.task_id(), v, /*required=*/false);
  } else {
    if (a.sector() != 0) v.Add("account.sector", "is for project accounts only");
    if (!a.task_id().empty()) v.Add("account.task_id", "is for project accounts only");
  }
  if (r.allow_overdraft() && a.kind() != v1::ACCOUNT_KIND_PAYEE) {
    v.Add("allow_overdraft", "only payee accounts may be created without the overdraft guard");
  }
  return v.ToStatus();
}

absl::Status Validate(const v1::GetAccountRequest& r) {
  FieldViolations v;
  common::ValidateId("id", r.id(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListAccountsRequest& r) {
  FieldViolations v;
  common::ValidateRegionCode("region_code", r.region_code(), v);
  if (r.kind() != 0) common::ValidateEnum("kind", r.kind(), v1::AccountKind_descriptor(), v);
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::CreateTransfersRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  if (r.transfers().empty() || r.transfers_size() > 1000)
    v.Add("transfers", "must hold 1-1000 transfers");
  for (int i = 0; i < r.transfers_size() && i < 1000; ++i) {
    const auto& t = r.transfers(i);
    std::string f = absl::StrCat("transfers[", i, "]");
    common::ValidateId(f + ".id", t.id(), v);
    common::ValidateId(f + ".debit_account_id", t.debit_account_id(), v);
    common::ValidateId(f + ".credit_account_id", t.credit_account_id(), v);
    common::ValidateAmountFen(f + ".amount_fen", t.amount_fen(), v);
    common::ValidateEnum(f + ".kind", t.kind(), v1::TransferKind_descriptor(), v);
    common::ValidateText(f + ".memo", t.memo(), 0, 500, v);
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

absl::Status Validate(const v1::PostPendingTransferRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  common::ValidateId("transfer_id", r.transfer_id(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::VoidPendingTransferRequest& r) {
  FieldViolations v;
  common::ValidateRequestId(r.request_id(), v);
  common::ValidateId("transfer_id", r.transfer_id(), v);
  common::ValidateText("reason", r.reason(), 1, 500, v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListTransfersRequest& r) {
  FieldViolations v;
  common::ValidateId("account_id", r.account_id(), v);
  std::optional<absl::Time> start, end;
  if (r.has_start_time()) start = common::ValidateTimestamp("start_time", r.start_time(), v);
  if (r.has_end_time()) end = common::ValidateTimestamp("end_time", r.end_time(), v);
  if (start && end && *end <= *start) v.Add("end_time", "must be after start_time");
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::TraceFundsRequest& r) {
  FieldViolations v;
  common::ValidateId("account_id", r.account_id(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::GetUtilizationRequest& r) {
  FieldViolations v;
  common::ValidateRegionCode("region_code", r.region_code(), v);
  if (r.sector() != 0)
    common::ValidateEnum("sector", r.sector(), tuopin::common::v1::Sector_descriptor(), v);
  if (r.by_sector() && r.sector() != 0) v.Add("sector", "must be unspecified with by_sector");
  if (r.idle_older_than_days() != 0)
    common::ValidateRange("idle_older_than_days", r.idle_older_than_days(), 1, 3650, v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListIdleFundsRequest& r) {
  FieldViolations v;
  common::ValidateRegionCode("region_code", r.region_code(), v);
  common::ValidateRange("older_than_days", r.older_than_days(), 1, 3650, v);
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  return v.ToStatus();
}

absl::Status Validate(const v1::ListPublicNoticesRequest& r) {
  FieldViolations v;
  common::ValidateRegionCode("village_code", r.village_code(), v, 12, 12);
  common::ValidatePageFields(r.page_size(), r.page_token(), v);
  // Each notice traces a lineage: the page is the bound of the read's work.
  if (r.page_size() > 100) v.Add("page_size", "must be 0-100 for public notices");
  return v.ToStatus();
}

}  // namespace tuopin::funds
