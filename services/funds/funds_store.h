#pragma once
// The funds store: accounts, append-only transfers and their resolutions, and the
// queries behind lineage and reports. Batches lock every account they touch, in id
// order, before the ledger engine (funds_logic) decides; the MySQL implementation is the
// only place with SQL.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/mutation.h"
#include "common/page_token.h"
#include "tuopin/funds/v1/funds.pb.h"

namespace tuopin::funds {

using common::MutationContext;

using AccountMap = absl::flat_hash_map<std::string, v1::Account>;
using TransferMap = absl::flat_hash_map<std::string, v1::Transfer>;

using common::PageRequest;

// What the ledger engine decided for a batch.
struct BatchOutcome {
  std::vector<v1::TransferResult> results;
  // Transfers to insert, with create_time set.
  std::vector<v1::Transfer> accepted;
  // Accounts whose balances changed (their new state is in the AccountMap).
  std::vector<std::string> touched;
  // Not OK: the whole batch is refused with this status and nothing is written (a caller
  // not entitled to issue from a source it names).
  absl::Status refused;
};

// What the sweeper decided for the pending transfers due: each one resolved (state,
// resolve_time and resolved_by set) with `reason`, the audit event of each, and the
// accounts whose balances changed (their new state is in the AccountMap).
struct ExpiryOutcome {
  std::vector<v1::Transfer> expired;
  std::string reason;
  std::vector<tuopin::common::v1::AuditEvent> events;
  std::vector<std::string> touched;
};

// Money that reached `to` from `from` through posted appropriations and allocations.
struct FundingEdge {
  std::string from;
  std::string to;
  int64_t amount = 0;
  std::vector<std::string> transfer_ids;
};

class FundsStore {
 public:
  virtual ~FundsStore() = default;

  // ALREADY_EXISTS when the code is taken.
  virtual absl::Status CreateAccount(const MutationContext& ctx, const v1::Account& account,
                                     v1::Account& out) = 0;
  virtual absl::StatusOr<std::optional<v1::Account>> GetAccount(const std::string& id) = 0;
  // The accounts of those ids that exist, in one read (an absent id is left out).
  virtual absl::StatusOr<std::vector<v1::Account>> GetAccounts(
      const std::vector<std::string>& ids) {
    std::vector<v1::Account> out;
    for (const auto& id : ids) {
      TUOPIN_ASSIGN_OR_RETURN(auto a, GetAccount(id));
      if (a.has_value()) out.push_back(std::move(*a));
    }
    return out;
  }
  // Sorted by (region_code, id); kind 0 means any.
  virtual absl::StatusOr<std::vector<v1::Account>> ListAccounts(const std::string& region_prefix,
                                                                int kind,
                                                                const PageRequest& page) = 0;

  // Locks the accounts of the batch in id order, loads transfers whose ids already exist,
  // lets `decide` apply the batch to the locked accounts, then writes the accepted
  // transfers and the new balances, all in one transaction with the idempotency record
  // and the audit event.
  using BatchDecider =
      std::function<BatchOutcome(AccountMap& accounts, const TransferMap& existing)>;
  virtual absl::Status CreateTransfers(const MutationContext& ctx,
                                       const std::vector<v1::Transfer>& transfers,
                                       const BatchDecider& decide,
                                       v1::CreateTransfersResponse& out) = 0;

  // Locks the pending transfer and its accounts; `decide` checks and applies the
  // balance change to the accounts; then the resolution is recorded, resolved by the
  // caller's subject. Transfers carry created_by (written by CreateTransfers) and, once
  // resolved, resolved_by.
  using ResolveDecider =
      std::function<absl::Status(const v1::Transfer& transfer, AccountMap& accounts)>;
  virtual absl::Status ResolvePending(const MutationContext& ctx, const std::string& transfer_id,
                                      v1::TransferState state, const std::string& reason,
                                      const ResolveDecider& decide, v1::Transfer& out) = 0;
  // Locks up to `limit` pending transfers whose timeout passed before `now` (rows another
  // sweeper holds are skipped) and their accounts; `decide` applies their expiry to the
  // accounts and names the audit events; then the resolutions, the new balances and the
  // events are written in one transaction. Returns how many expired.
  using ExpiryDecider = std::function<absl::StatusOr<ExpiryOutcome>(
      const std::vector<v1::Transfer>& due, AccountMap& accounts)>;
  virtual absl::StatusOr<int> ExpirePending(absl::Time now, int limit,
                                            const ExpiryDecider& decide) = 0;

  // Transfers debiting or crediting the account, by (create_time, id).
  virtual absl::StatusOr<std::vector<v1::Transfer>> ListTransfers(const std::string& account_id,
                                                                  absl::Time start, absl::Time end,
                                                                  const PageRequest& page) = 0;

  // Posted appropriations and allocations credited to any of `to_accounts`, summed per
  // (from, to) pair.
  virtual absl::StatusOr<std::vector<FundingEdge>> IncomingFunding(
      const std::vector<std::string>& to_accounts) = 0;
  // Appropriated, allocated and disbursed in the region (of one sector, or all); with
  // by_sector also per sector; with idle_before set, the idle money of projects whose last
  // credit and debit are older (as IdleFunds counts it). Rates are the logic's.
  virtual absl::StatusOr<v1::Utilization> Utilization(const std::string& region_prefix, int sector,
                                                      bool by_sector,
                                                      std::optional<absl::Time> idle_before) = 0;
  // Projects in the region holding money whose last credit is older than `credited_before`.
  virtual absl::StatusOr<std::vector<v1::IdleFund>> IdleFunds(const std::string& region_prefix,
                                                              absl::Time credited_before,
                                                              const PageRequest& page) = 0;
  // Project accounts of a village, by id, with first credit and last debit times.
  virtual absl::StatusOr<std::vector<v1::Account>> VillageProjects(const std::string& village_code,
                                                                   const PageRequest& page) = 0;
  virtual absl::StatusOr<std::pair<absl::Time, absl::Time>> ProjectDates(
      const std::string& account_id) = 0;
};

}  // namespace tuopin::funds
