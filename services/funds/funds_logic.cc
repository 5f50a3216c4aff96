#include "services/funds/funds_logic.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"
#include "google/protobuf/util/time_util.h"

namespace tuopin::funds {
namespace {

using common::RequireRegion;
using common::RequireRegionCode;
using google::protobuf::util::TimeUtil;

bool AddOverflows(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r);
}

// The overdraft guard: what a guarded account has paid out or reserved never exceeds
// what it has received for good.
bool WouldExceedCredits(const v1::Account& a, int64_t amount) {
  if (!a.debits_must_not_exceed_credits()) return false;
  int64_t debits = a.debits_pending_fen() + a.debits_posted_fen();
  return AddOverflows(debits, amount) || debits + amount > a.credits_posted_fen();
}

using common::NotFound;

absl::Status IssueDenied(v1::SourceLevel level, absl::string_view act) {
  return common::WithReason(
      absl::PermissionDeniedError(absl::StrCat(
          "Permission denied: the caller may not ", act, " a ", v1::SourceLevel_Name(level),
          " source; admins issue central, provincial, municipal and counterpart-aid money, a "
          "finance officer only its county's own budget (SOURCE_LEVEL_COUNTY)")),
      common::ErrorReason::SOURCE_LEVEL_NOT_ALLOWED);
}

// The debit and credit accounts of `t` among the locked ones.
absl::StatusOr<std::pair<v1::Account*, v1::Account*>> AccountsOf(const v1::Transfer& t,
                                                                 AccountMap& accounts) {
  auto debit = accounts.find(t.debit_account_id());
  auto credit = accounts.find(t.credit_account_id());
  if (debit == accounts.end() || credit == accounts.end()) {
    return absl::DataLossError(absl::StrCat("an account of transfer ", t.id(), " is missing"));
  }
  return std::make_pair(&debit->second, &credit->second);
}

// A pending transfer resolved as `state`: its reservation leaves both accounts, and when
// posted the money moves for good.
void ReleasePending(const v1::Transfer& t, v1::TransferState state, v1::Account& debit,
                    v1::Account& credit) {
  int64_t a = t.amount_fen();
  debit.set_debits_pending_fen(debit.debits_pending_fen() - a);
  credit.set_credits_pending_fen(credit.credits_pending_fen() - a);
  if (state == v1::TRANSFER_STATE_POSTED) {
    debit.set_debits_posted_fen(debit.debits_posted_fen() + a);
    credit.set_credits_posted_fen(credit.credits_posted_fen() + a);
  }
}

}  // namespace

bool KindAllowed(v1::TransferKind kind, v1::AccountKind debit, v1::AccountKind credit) {
  using K = v1::AccountKind;
  switch (kind) {
    case v1::TRANSFER_KIND_APPROPRIATION:
      return debit == K::ACCOUNT_KIND_SOURCE && credit == K::ACCOUNT_KIND_POOL;
    case v1::TRANSFER_KIND_ALLOCATION:
      return debit == K::ACCOUNT_KIND_POOL &&
             (credit == K::ACCOUNT_KIND_POOL || credit == K::ACCOUNT_KIND_PROJECT);
    case v1::TRANSFER_KIND_DISBURSEMENT:
      return debit == K::ACCOUNT_KIND_PROJECT && credit == K::ACCOUNT_KIND_PAYEE;
    case v1::TRANSFER_KIND_RECLAIM:
      return (debit == K::ACCOUNT_KIND_PROJECT && credit == K::ACCOUNT_KIND_POOL) ||
             (debit == K::ACCOUNT_KIND_POOL &&
              (credit == K::ACCOUNT_KIND_POOL || credit == K::ACCOUNT_KIND_SOURCE));
    default:
      return false;
  }
}

bool MayIssue(const Principal& p, v1::SourceLevel level) {
  if (common::HasRole(p, tuopin::common::v1::ROLE_ADMIN)) return true;
  return level == v1::SOURCE_LEVEL_COUNTY &&
         common::HasRole(p, tuopin::common::v1::ROLE_FINANCE_OFFICER);
}

absl::Status CheckIssuance(const std::vector<v1::Transfer>& transfers, const AccountMap& accounts,
                           const Principal& p,
                           const std::function<bool(const v1::Account&)>& in_scope) {
  for (const auto& t : transfers) {
    auto debit = accounts.find(t.debit_account_id());
    if (debit == accounts.end() || debit->second.kind() != v1::ACCOUNT_KIND_SOURCE ||
        !in_scope(debit->second)) {
      continue;
    }
    if (!MayIssue(p, debit->second.source_level())) {
      return IssueDenied(debit->second.source_level(), "move money out of");
    }
  }
  return absl::OkStatus();
}

bool SameTransfer(const v1::Transfer& a, const v1::Transfer& b) {
  return a.id() == b.id() && a.debit_account_id() == b.debit_account_id() &&
         a.credit_account_id() == b.credit_account_id() && a.amount_fen() == b.amount_fen() &&
         a.kind() == b.kind() && a.pending() == b.pending() &&
         a.timeout().seconds() == b.timeout().seconds() && a.memo() == b.memo();
}

BatchOutcome ApplyTransfers(const std::vector<v1::Transfer>& transfers, AccountMap& accounts,
                            const TransferMap& existing,
                            const std::function<bool(const v1::Account&)>& in_scope,
                            absl::Time now) {
  BatchOutcome out;
  out.results.assign(transfers.size(), v1::TRANSFER_RESULT_UNSPECIFIED);
  // A missing account lies in no region: only a caller whose scope covers an account of
  // no region (every region) is told it is missing; to anyone else it is OUT_OF_SCOPE, the
  // same answer as another county's account.
  const bool missing_visible = in_scope(v1::Account());
  auto sees = [&](const std::string& id) {
    auto it = accounts.find(id);
    return it != accounts.end() && in_scope(it->second);
  };
  std::set<std::string> touched;
  // Accepted ids of earlier chains -> index in out.accepted.
  absl::flat_hash_map<std::string, size_t> accepted_ids;
  size_t i = 0;
  while (i < transfers.size()) {
    // A chain: this transfer and every following one while `linked` is set.
    size_t end = i;
    while (end < transfers.size() && transfers[end].linked()) ++end;
    bool open = end == transfers.size();  // the last transfer of the batch says "linked"
    if (open) --end;
    // Apply the chain to a copy of the balances it touches; keep it only if all succeed.
    AccountMap before;
    std::vector<v1::Transfer> chain_accepted;
    bool failed = open;
    for (size_t k = i; k <= end; ++k) {
      const v1::Transfer& t = transfers[k];
      v1::TransferResult& r = out.results[k];
      if (open) {
        r = v1::TRANSFER_RESULT_LINKED_EVENT_CHAIN_OPEN;
        continue;
      }
      if (failed) continue;
      auto prior = existing.find(t.id());
      auto in_batch = accepted_ids.find(t.id());
      const v1::Transfer* same_id = nullptr;
      if (prior != existing.end()) {
        same_id = &prior->second;
      } else if (in_batch != accepted_ids.end()) {
        same_id = &out.accepted[in_batch->second];
      }
      for (const auto& c : chain_accepted) {
        if (same_id == nullptr && c.id() == t.id()) same_id = &c;
      }
      // Scope before existence (AIP-211): the named accounts first, then the id.
      bool debit_known = accounts.contains(t.debit_account_id());
      bool credit_known = accounts.contains(t.credit_account_id());
      if (t.debit_account_id() == t.credit_account_id()) {
        r = v1::TRANSFER_RESULT_ACCOUNTS_MUST_BE_DIFFERENT;
      } else if (!debit_known && missing_visible) {
        r = v1::TRANSFER_RESULT_DEBIT_ACCOUNT_NOT_FOUND;
      } else if (!credit_known && missing_visible) {
        r = v1::TRANSFER_RESULT_CREDIT_ACCOUNT_NOT_FOUND;
      } else if (!sees(t.debit_account_id()) || !sees(t.credit_account_id())) {
        r = v1::TRANSFER_RESULT_OUT_OF_SCOPE;
      } else if (same_id != nullptr) {
        // An id already used answers EXISTS only to a caller who sees the transfer that
        // holds it; to anyone else it is refused like a transfer outside the scope.
        bool visible = prior == existing.end() || (sees(prior->second.debit_account_id()) &&
                                                   sees(prior->second.credit_account_id()));
        r = !visible                    ? v1::TRANSFER_RESULT_OUT_OF_SCOPE
            : SameTransfer(*same_id, t) ? v1::TRANSFER_RESULT_EXISTS
                                        : v1::TRANSFER_RESULT_EXISTS_WITH_DIFFERENT_FIELDS;
      } else {
        v1::Account& debit = accounts[t.debit_account_id()];
        v1::Account& credit = accounts[t.credit_account_id()];
        if (!KindAllowed(t.kind(), debit.kind(), credit.kind())) {
          r = v1::TRANSFER_RESULT_KIND_NOT_ALLOWED_FOR_ACCOUNTS;
        } else if (AddOverflows(debit.debits_pending_fen(), debit.debits_posted_fen()) ||
                   AddOverflows(credit.credits_pending_fen(), credit.credits_posted_fen()) ||
                   AddOverflows(debit.debits_pending_fen() + debit.debits_posted_fen(),
                                t.amount_fen()) ||
                   AddOverflows(credit.credits_pending_fen() + credit.credits_posted_fen(),
                                t.amount_fen())) {
          r = v1::TRANSFER_RESULT_OVERFLOWS;
        } else if (WouldExceedCredits(debit, t.amount_fen())) {
          r = v1::TRANSFER_RESULT_EXCEEDS_CREDITS;
        } else {
          // Only a chain of several transfers can need undoing.
          if (i != end) {
            for (const std::string* id : {&t.debit_account_id(), &t.credit_account_id()}) {
              if (!before.contains(*id)) before[*id] = accounts[*id];
            }
          }
          if (t.pending()) {
            debit.set_debits_pending_fen(debit.debits_pending_fen() + t.amount_fen());
            credit.set_credits_pending_fen(credit.credits_pending_fen() + t.amount_fen());
          } else {
            debit.set_debits_posted_fen(debit.debits_posted_fen() + t.amount_fen());
            credit.set_credits_posted_fen(credit.credits_posted_fen() + t.amount_fen());
          }
          v1::Transfer& accepted = chain_accepted.emplace_back(t);
          accepted.set_state(t.pending() ? v1::TRANSFER_STATE_PENDING : v1::TRANSFER_STATE_POSTED);
          *accepted.mutable_create_time() = common::ToTimestamp(now);
          r = v1::TRANSFER_RESULT_OK;
        }
      }
      bool ok = r == v1::TRANSFER_RESULT_OK || r == v1::TRANSFER_RESULT_EXISTS;
      if (!ok && i != end) failed = true;  // a member of a chain failed
    }
    if (failed && !open) {
      for (auto& [id, account] : before) accounts[id] = account;  // undo the chain
      for (size_t k = i; k <= end; ++k) {
        auto& r = out.results[k];
        if (r == v1::TRANSFER_RESULT_OK || r == v1::TRANSFER_RESULT_EXISTS ||
            r == v1::TRANSFER_RESULT_UNSPECIFIED) {
          r = v1::TRANSFER_RESULT_LINKED_EVENT_FAILED;
        }
      }
    } else if (!open) {
      for (auto& t : chain_accepted) {
        touched.insert(t.debit_account_id());
        touched.insert(t.credit_account_id());
        accepted_ids[t.id()] = out.accepted.size();
        out.accepted.push_back(std::move(t));
      }
    }
    i = end + 1;
  }
  out.touched.assign(touched.begin(), touched.end());
  return out;
}

absl::Status ApplyResolution(const v1::Transfer& t, v1::TransferState state, AccountMap& accounts,
                             const Principal& p, absl::Time now) {
  TUOPIN_ASSIGN_OR_RETURN(auto sides, AccountsOf(t, accounts));
  v1::Account& debit = *sides.first;
  v1::Account& credit = *sides.second;
  TUOPIN_RETURN_IF_ERROR(RequireRegion(p, debit.region_code(), absl::StrCat("transfers/", t.id())));
  TUOPIN_RETURN_IF_ERROR(
      RequireRegion(p, credit.region_code(), absl::StrCat("transfers/", t.id())));
  if (t.state() != v1::TRANSFER_STATE_PENDING) {
    return common::WithReason(
        absl::FailedPreconditionError(absl::StrCat("transfer ", t.id(), " is not pending (",
                                                   v1::TransferState_Name(t.state()), ")")),
        common::ErrorReason::NOT_PENDING);
  }
  // Four eyes on money: whoever reserved it cannot release it alone. A transfer whose
  // creator was not recorded (before migration 003) cannot prove a second person, so it
  // is refused too: void it and create it again.
  if (state == v1::TRANSFER_STATE_POSTED &&
      (t.created_by().empty() || t.created_by() == p.subject())) {
    return common::WithReason(
        absl::PermissionDeniedError(absl::StrCat(
            "Permission denied: pending transfer ", t.id(),
            t.created_by().empty() ? " has no recorded creator" : " was created by the caller",
            "; a second person must post it (four eyes)")),
        common::ErrorReason::FOUR_EYES);
  }
  // Posting a reservation out of a source issues the money: the same entitlement as
  // creating the transfer posted at once.
  if (state == v1::TRANSFER_STATE_POSTED && debit.kind() == v1::ACCOUNT_KIND_SOURCE &&
      !MayIssue(p, debit.source_level())) {
    return IssueDenied(debit.source_level(), "post an appropriation out of");
  }
  absl::Time timeout_at = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t.create_time())) +
                          absl::Seconds(t.timeout().seconds());
  if (state == v1::TRANSFER_STATE_POSTED && now >= timeout_at) {
    return common::WithReason(
        absl::FailedPreconditionError("the pending transfer has expired and will be voided"),
        common::ErrorReason::PENDING_EXPIRED);
  }
  ReleasePending(t, state, debit, credit);
  return absl::OkStatus();
}

MutationContext ExpiryContext(const v1::Transfer& t, absl::Time now) {
  Principal actor;
  actor.set_subject(kExpiryActor);
  // A transfer id may take all 64 characters a request id may: derive a bounded one.
  return common::ContextFor(
      "funds", "/tuopin.funds.v1.FundsService/ExpirePendingTransfer", std::move(actor),
      absl::StrCat("expire-", common::HexEncode(common::Sha256(t.id()).substr(0, 16))), now, t);
}

absl::StatusOr<ExpiryOutcome> ApplyExpiry(const std::vector<v1::Transfer>& due,
                                          AccountMap& accounts, absl::Time now,
                                          common::IdGenerator& ids) {
  ExpiryOutcome out;
  out.reason = "timeout";
  std::set<std::string> touched;
  for (const auto& t : due) {
    TUOPIN_ASSIGN_OR_RETURN(auto sides, AccountsOf(t, accounts));
    ReleasePending(t, v1::TRANSFER_STATE_EXPIRED, *sides.first, *sides.second);
    touched.insert(t.debit_account_id());
    touched.insert(t.credit_account_id());
    auto event = common::MakeAuditEvent(
        ids, ExpiryContext(t, now),
        {common::Entity("transfer", t.id(), sides.second->region_code())}, "");
    TUOPIN_RETURN_IF_ERROR(common::CheckLoggable(event));
    out.events.push_back(std::move(event));
    v1::Transfer& expired = out.expired.emplace_back(t);
    expired.set_state(v1::TRANSFER_STATE_EXPIRED);
    *expired.mutable_resolve_time() = common::ToTimestamp(now);
    expired.set_resolved_by(kExpiryActor);
  }
  out.touched.assign(touched.begin(), touched.end());
  return out;
}

absl::StatusOr<v1::Account> FundsLogic::LoadAccount(const Principal& p, const std::string& id) {
  std::string resource = absl::StrCat("accounts/", id);
  TUOPIN_ASSIGN_OR_RETURN(auto a, store_.GetAccount(id));
  if (!a.has_value()) return common::MissingObject(p, resource, NotFound("account", id));
  TUOPIN_RETURN_IF_ERROR(RequireRegion(p, a->region_code(), resource));
  return *a;
}

absl::Status FundsLogic::CreateAccount(const MutationContext& ctx,
                                       const v1::CreateAccountRequest& req, v1::Account& out) {
  const v1::Account& a = req.account();
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(ctx.principal, a.region_code()));
  if (a.kind() == v1::ACCOUNT_KIND_SOURCE && !MayIssue(ctx.principal, a.source_level())) {
    return IssueDenied(a.source_level(), "create");
  }
  if (!a.task_id().empty()) {
    // The task a project account funds is a named object too: in the caller's scope (a
    // missing one looks the same), and in the account's village.
    if (tasks_ == nullptr) {
      return absl::UnavailableError(
          "this funds service cannot reach task tracking to check "
          "account.task_id (it runs without a service token)");
    }
    auto village = tasks_->TaskVillage(a.task_id());
    TUOPIN_RETURN_IF_ERROR(
        common::RequireNamedObject(ctx.principal, village, absl::StrCat("tasks/", a.task_id()),
                                   common::InvalidField("account.task_id", "is not a known task")));
    if (!common::RegionCovers(a.region_code(), *village)) {
      return common::InvalidField("account.task_id", "is a task of another village");
    }
  }
  v1::Account account;
  account.set_code(a.code());
  account.set_kind(a.kind());
  account.set_name(a.name());
  account.set_region_code(a.region_code());
  account.set_source_level(a.source_level());
  account.set_sector(a.sector());
  account.set_task_id(a.task_id());
  // Sources issue money into the ledger; every other account is guarded unless the
  // caller explicitly allows overdraft (payees only).
  account.set_debits_must_not_exceed_credits(a.kind() != v1::ACCOUNT_KIND_SOURCE &&
                                             !req.allow_overdraft());
  return store_.CreateAccount(ctx, account, out);
}

absl::Status FundsLogic::GetAccount(const Principal& p, const v1::GetAccountRequest& req,
                                    v1::Account& out) {
  TUOPIN_ASSIGN_OR_RETURN(out, LoadAccount(p, req.id()));
  return absl::OkStatus();
}

absl::Status FundsLogic::ListAccounts(const Principal& p, const v1::ListAccountsRequest& req,
                                      v1::ListAccountsResponse& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.region_code()));
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 2));
  TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.ListAccounts(req.region_code(), req.kind(), page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::Account& a) {
        return std::vector<std::string>{a.region_code(), a.id()};
      },
      out.mutable_accounts(), out.mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status FundsLogic::CreateTransfers(const MutationContext& ctx,
                                         const v1::CreateTransfersRequest& req,
                                         v1::CreateTransfersResponse& out) {
  std::vector<v1::Transfer> transfers(req.transfers().begin(), req.transfers().end());
  const Principal& p = ctx.principal;
  // Who created a transfer is recorded with it: posting a pending one needs someone else.
  for (auto& t : transfers) {
    t.set_created_by(p.subject());
    t.clear_resolved_by();
  }
  return store_.CreateTransfers(
      ctx, transfers,
      [&](AccountMap& accounts, const TransferMap& existing) {
        auto in_scope = [&](const v1::Account& a) {
          return common::PrincipalCoversRegion(p, a.region_code());
        };
        BatchOutcome refused;
        refused.refused = CheckIssuance(transfers, accounts, p, in_scope);
        if (!refused.refused.ok()) return refused;
        return ApplyTransfers(transfers, accounts, existing, in_scope, ctx.now);
      },
      out);
}

absl::Status FundsLogic::Resolve(const MutationContext& ctx, const std::string& transfer_id,
                                 v1::TransferState state, const std::string& reason,
                                 v1::Transfer& out) {
  absl::Status st = store_.ResolvePending(
      ctx, transfer_id, state, reason,
      [&](const v1::Transfer& t, AccountMap& accounts) {
        return ApplyResolution(t, state, accounts, ctx.principal, ctx.now);
      },
      out);
  // A missing transfer looks like another county's (ApplyResolution's refusal).
  if (st.code() == absl::StatusCode::kNotFound) {
    return common::MissingObject(ctx.principal, absl::StrCat("transfers/", transfer_id), st);
  }
  return st;
}

absl::Status FundsLogic::PostPendingTransfer(const MutationContext& ctx,
                                             const v1::PostPendingTransferRequest& req,
                                             v1::Transfer& out) {
  return Resolve(ctx, req.transfer_id(), v1::TRANSFER_STATE_POSTED, "", out);
}

absl::Status FundsLogic::VoidPendingTransfer(const MutationContext& ctx,
                                             const v1::VoidPendingTransferRequest& req,
                                             v1::Transfer& out) {
  return Resolve(ctx, req.transfer_id(), v1::TRANSFER_STATE_VOIDED, req.reason(), out);
}

absl::StatusOr<int> FundsLogic::SweepExpired(common::IdGenerator& ids, int limit) {
  absl::Time now = clock_.Now();
  return store_.ExpirePending(now, limit,
                              [&](const std::vector<v1::Transfer>& due, AccountMap& accounts) {
                                return ApplyExpiry(due, accounts, now, ids);
                              });
}

absl::Status FundsLogic::ListTransfers(const Principal& p, const v1::ListTransfersRequest& req,
                                       v1::ListTransfersResponse& out) {
  TUOPIN_RETURN_IF_ERROR(LoadAccount(p, req.account_id()).status());
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 2));
  absl::Time start = req.has_start_time()
                         ? absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(req.start_time()))
                         : absl::InfinitePast();
  absl::Time end = req.has_end_time()
                       ? absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(req.end_time()))
                       : absl::InfiniteFuture();
  TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.ListTransfers(req.account_id(), start, end, page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::Transfer& t) {
        return std::vector<std::string>{
            std::to_string(TimeUtil::TimestampToMicroseconds(t.create_time())), t.id()};
      },
      out.mutable_transfers(), out.mutable_next_page_token());
  return absl::OkStatus();
}

}  // namespace tuopin::funds
