#pragma once
// Funds business rules: the ledger engine (which transfer kinds may move money between
// which kinds of account, the overdraft guard, linked chains that commit all or nothing,
// idempotent transfer ids, overflow), the resolution of pending transfers (four eyes: the
// creator never posts) and the lineage, utilisation and notice reports. Depends only on
// the store interface, a clock and the page-token codec.

#include <vector>

#include "absl/status/status.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/page_token.h"
#include "common/region_rollup.h"
#include "common/task_client.h"
#include "services/funds/funds_store.h"
#include "services/funds/utilization_rollup_store.h"

namespace tuopin::funds {

using common::Principal;

// The actor the pending-transfer sweeper records as having resolved (expired) a transfer.
inline constexpr char kExpiryActor[] = "system:pending-sweeper";

// source -> pool (appropriation); pool -> pool or project (allocation); project -> payee
// (disbursement); project -> pool, pool -> pool or source (reclaim).
bool KindAllowed(v1::TransferKind kind, v1::AccountKind debit, v1::AccountKind credit);

// Who may issue money: create a SOURCE account of `level`, or move money out of one
// (appropriate from it, or post a pending appropriation). An admin, any level; a finance
// officer only the county's own budget (SOURCE_LEVEL_COUNTY), in its region scope. Central,
// provincial, municipal and counterpart-aid money is issued by admins alone, as the centre
// or the province would; county officials and everyone else never issue money.
bool MayIssue(const Principal& p, v1::SourceLevel level);

// PERMISSION_DENIED (reason SOURCE_LEVEL_NOT_ALLOWED) when a transfer of the batch debits a
// SOURCE account in the caller's scope that the caller may not issue from (MayIssue).
// Missing accounts and accounts out of scope are left to the ledger's answers (NOT_FOUND,
// OUT_OF_SCOPE), so the refusal tells nothing about another region's accounts.
absl::Status CheckIssuance(const std::vector<v1::Transfer>& transfers, const AccountMap& accounts,
                           const Principal& p,
                           const std::function<bool(const v1::Account&)>& in_scope);

// Same client id, same content.
bool SameTransfer(const v1::Transfer& a, const v1::Transfer& b);

// Applies a batch, in order, to the locked accounts. `in_scope` tells whether the caller
// may move money out of / into an account. Scope comes before existence (AIP-211): a
// missing account is DEBIT/CREDIT_ACCOUNT_NOT_FOUND only when `in_scope` admits an account
// of no region (a caller who sees every region), OUT_OF_SCOPE otherwise, as for another
// county's account; an id already used is EXISTS (or EXISTS_WITH_DIFFERENT_FIELDS) only
// when the caller sees both accounts of the transfer holding it (the store loads them),
// OUT_OF_SCOPE otherwise.
BatchOutcome ApplyTransfers(const std::vector<v1::Transfer>& transfers, AccountMap& accounts,
                            const TransferMap& existing,
                            const std::function<bool(const v1::Account&)>& in_scope,
                            absl::Time now);

// The decider of ResolvePending: resolves the pending transfer `t` as `state` (posted or
// voided) on its locked accounts, as principal `p` at `now`. The caller must cover both
// accounts' regions and the transfer must still be pending. A post must come before the
// timeout and from someone other than the transfer's creator (four eyes: PERMISSION_DENIED,
// reason FOUR_EYES, admins included) entitled to issue from the debit account when it is a
// source (MayIssue; reason SOURCE_LEVEL_NOT_ALLOWED); anyone in scope, the creator too, may
// void.
absl::Status ApplyResolution(const v1::Transfer& t, v1::TransferState state, AccountMap& accounts,
                             const Principal& p, absl::Time now);

// The decider of ExpirePending: the pending transfers `due` (their timeout passed) expire,
// resolved by kExpiryActor at `now`; their reservations leave their accounts. Each is
// audited as done by the sweeper (ExpiryContext); INVALID_ARGUMENT when an event could not
// be logged, DATA_LOSS when an account of a transfer is missing.
absl::StatusOr<ExpiryOutcome> ApplyExpiry(const std::vector<v1::Transfer>& due,
                                          AccountMap& accounts, absl::Time now,
                                          common::IdGenerator& ids);
// The context the sweeper's expiry of transfer `t` is audited under.
MutationContext ExpiryContext(const v1::Transfer& t, absl::Time now);

// Attributes the money an account received to the levels of its sources, proportionally
// at each level: if a pool got 60% of its money from the centre, 60% of what it passes
// on counts as central.
std::vector<v1::SourceShare> AttributeSources(
    const std::string& account_id, const std::vector<FundingEdge>& edges,
    const absl::flat_hash_map<std::string, v1::Account>& accounts);

class FundsLogic {
 public:
  // `tasks` checks the task a project account names (CreateAccount.account.task_id);
  // without it such an account is refused UNAVAILABLE, never created unchecked.
  FundsLogic(FundsStore& store, const common::Clock& clock, const common::PageTokenCodec& tokens,
             common::TaskLookup* tasks = nullptr)
      : store_(store), clock_(clock), tokens_(tokens), tasks_(tasks) {}

  absl::Status CreateAccount(const MutationContext& ctx, const v1::CreateAccountRequest& req,
                             v1::Account& out);
  absl::Status GetAccount(const Principal& p, const v1::GetAccountRequest& req, v1::Account& out);
  absl::Status ListAccounts(const Principal& p, const v1::ListAccountsRequest& req,
                            v1::ListAccountsResponse& out);
  absl::Status CreateTransfers(const MutationContext& ctx, const v1::CreateTransfersRequest& req,
                               v1::CreateTransfersResponse& out);
  absl::Status PostPendingTransfer(const MutationContext& ctx,
                                   const v1::PostPendingTransferRequest& req, v1::Transfer& out);
  absl::Status VoidPendingTransfer(const MutationContext& ctx,
                                   const v1::VoidPendingTransferRequest& req, v1::Transfer& out);
  absl::Status ListTransfers(const Principal& p, const v1::ListTransfersRequest& req,
                             v1::ListTransfersResponse& out);
  absl::Status TraceFunds(const Principal& p, const v1::TraceFundsRequest& req, v1::FundTrace& out);
  absl::Status GetUtilization(const Principal& p, const v1::GetUtilizationRequest& req,
                              v1::Utilization& out);
  absl::Status ListIdleFunds(const Principal& p, const v1::ListIdleFundsRequest& req,
                             v1::ListIdleFundsResponse& out);
  absl::Status ListPublicNotices(const Principal& p, const v1::ListPublicNoticesRequest& req,
                                 v1::ListPublicNoticesResponse& out);

  // One pass of the sweeper that voids expired pending transfers.
  absl::StatusOr<int> SweepExpired(common::IdGenerator& ids, int limit = 500);

  // The roll-up behind from_summary answers, keeping idle money of `idle_days`; without
  // one they are summed at the call.
  void SetUtilizationRollup(UtilizationRollupStore* rollup, common::RollupOptions options,
                            int idle_days);
  // One pass of the roll-up's refresher (a full one when due).
  absl::Status RefreshUtilizationRollup();

 private:
  absl::StatusOr<v1::Account> LoadAccount(const Principal& p, const std::string& id);
  // Lineage of one account: edges by level and the accounts seen, at most kMaxTraceEdges
  // edges (true when the lineage had more). One read of edges and one of accounts a level.
  absl::StatusOr<bool> Trace(const std::string& account_id, std::vector<FundingEdge>& edges,
                             std::vector<int>& levels,
                             absl::flat_hash_map<std::string, v1::Account>& accounts);
  absl::Status Resolve(const MutationContext& ctx, const std::string& transfer_id,
                       v1::TransferState state, const std::string& reason, v1::Transfer& out);

  FundsStore& store_;
  const common::Clock& clock_;
  const common::PageTokenCodec& tokens_;
  common::TaskLookup* tasks_;
  UtilizationRollupStore* rollup_ = nullptr;
  int rollup_idle_days_ = 0;
  std::optional<common::RollupRefresher> refresher_;
};

}  // namespace tuopin::funds
