#pragma once
// An in-memory FundsStore for logic unit tests. It keeps what the MySQL store keeps
// (accounts with their per-kind totals and dates, transfers, resolutions, deadlines, the
// idempotency records and the audit events) and runs the logic's deciders on copies of
// the accounts it hands them, so the ledger engine's rules hold here as they do on
// MariaDB; a decider's refusal leaves everything as it was.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "services/funds/funds_store.h"
#include "tests/support/fake_mutations.h"

namespace tuopin::testing {

class FakeFundsStore final : public funds::FundsStore {
 public:
  // What the MySQL store keeps per account beside the balances.
  struct Totals {
    int64_t appropriated_in = 0, allocated_in = 0, disbursed_out = 0;
    absl::Time first_credit = absl::InfinitePast(), last_credit = absl::InfinitePast(),
               last_debit = absl::InfinitePast();
  };

  std::map<std::string, funds::v1::Account> accounts;
  std::map<std::string, Totals> totals;
  // By id; state, resolve_time and resolved_by follow the resolution.
  std::map<std::string, funds::v1::Transfer> transfers;
  std::map<std::string, std::string> resolution_reasons;  // transfer id -> reason
  // RunMutation's frame; its events are those of every committed mutation and expiry.
  FakeMutations mutations;
  // How many times IncomingFunding was asked (one read a lineage level).
  int incoming_funding_reads = 0;

  // Puts an account as it is (balances included), as if written earlier.
  void Put(const funds::v1::Account& account);

  absl::Status CreateAccount(const funds::MutationContext& ctx, const funds::v1::Account& account,
                             funds::v1::Account& out) override;
  absl::StatusOr<std::optional<funds::v1::Account>> GetAccount(const std::string& id) override;
  absl::StatusOr<std::vector<funds::v1::Account>> ListAccounts(
      const std::string& region_prefix, int kind, const funds::PageRequest& page) override;
  absl::Status CreateTransfers(const funds::MutationContext& ctx,
                               const std::vector<funds::v1::Transfer>& transfers,
                               const BatchDecider& decide,
                               funds::v1::CreateTransfersResponse& out) override;
  absl::Status ResolvePending(const funds::MutationContext& ctx, const std::string& transfer_id,
                              funds::v1::TransferState state, const std::string& reason,
                              const ResolveDecider& decide, funds::v1::Transfer& out) override;
  absl::StatusOr<int> ExpirePending(absl::Time now, int limit,
                                    const ExpiryDecider& decide) override;
  absl::StatusOr<std::vector<funds::v1::Transfer>> ListTransfers(
      const std::string& account_id, absl::Time start, absl::Time end,
      const funds::PageRequest& page) override;
  absl::StatusOr<std::vector<funds::FundingEdge>> IncomingFunding(
      const std::vector<std::string>& to_accounts) override;
  absl::StatusOr<funds::v1::Utilization> Utilization(
      const std::string& region_prefix, int sector, bool by_sector,
      std::optional<absl::Time> idle_before) override;
  absl::StatusOr<std::vector<funds::v1::IdleFund>> IdleFunds(
      const std::string& region_prefix, absl::Time credited_before,
      const funds::PageRequest& page) override;
  absl::StatusOr<std::vector<funds::v1::Account>> VillageProjects(
      const std::string& village_code, const funds::PageRequest& page) override;
  absl::StatusOr<std::pair<absl::Time, absl::Time>> ProjectDates(
      const std::string& account_id) override;

 private:
  // The accounts of `ids` that exist, copied for a decider.
  funds::AccountMap Lock(const std::vector<std::string>& ids) const;
  // Writes back the touched accounts, and the per-kind totals and dates of the posted
  // transfers among `moved`, at `now`.
  void Write(const funds::AccountMap& locked, const std::vector<std::string>& touched,
             const std::vector<funds::v1::Transfer>& posted, absl::Time now);

  std::map<std::string, absl::Time> deadlines_;  // pending transfer id -> timeout
  common::SequentialIdGenerator ids_{"fake-"};
};

}  // namespace tuopin::testing
