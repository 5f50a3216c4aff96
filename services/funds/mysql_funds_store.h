#pragma once
// FundsStore over MySQL/MariaDB: accounts and transfers in mysql_funds_store.cc, the
// reports in mysql_funds_reports.cc, the rows in mysql_funds_rows.cc.

#include "common/clock.h"
#include "common/db.h"
#include "common/group_commit.h"
#include "services/funds/funds_store.h"

namespace tuopin::funds {

class MysqlFundsStore final : public FundsStore {
 public:
  // With group_commit.workers > 0, concurrent CreateTransfers calls of one transfer are
  // written in groups (common::GroupCommit); 0 writes each alone.
  MysqlFundsStore(common::ConnectionPool& pool, common::IdGenerator& ids,
                  common::GroupCommitOptions group_commit = common::GroupCommitOptions{0});
  ~MysqlFundsStore() override;
  // What group commit did so far (tests, benchmarks).
  common::GroupCommitStats stats() const { return create_transfers_group_->stats(); }

  absl::Status CreateAccount(const MutationContext& ctx, const v1::Account& account,
                             v1::Account& out) override;
  absl::StatusOr<std::optional<v1::Account>> GetAccount(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Account>> GetAccounts(
      const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<v1::Account>> ListAccounts(const std::string& region_prefix, int kind,
                                                        const PageRequest& page) override;
  absl::Status CreateTransfers(const MutationContext& ctx,
                               const std::vector<v1::Transfer>& transfers,
                               const BatchDecider& decide,
                               v1::CreateTransfersResponse& out) override;
  absl::Status ResolvePending(const MutationContext& ctx, const std::string& transfer_id,
                              v1::TransferState state, const std::string& reason,
                              const ResolveDecider& decide, v1::Transfer& out) override;
  absl::StatusOr<int> ExpirePending(absl::Time now, int limit,
                                    const ExpiryDecider& decide) override;
  absl::StatusOr<std::vector<v1::Transfer>> ListTransfers(const std::string& account_id,
                                                          absl::Time start, absl::Time end,
                                                          const PageRequest& page) override;
  absl::StatusOr<std::vector<FundingEdge>> IncomingFunding(
      const std::vector<std::string>& to_accounts) override;
  absl::StatusOr<v1::Utilization> Utilization(const std::string& region_prefix, int sector,
                                              bool by_sector,
                                              std::optional<absl::Time> idle_before) override;
  absl::StatusOr<std::vector<v1::IdleFund>> IdleFunds(const std::string& region_prefix,
                                                      absl::Time credited_before,
                                                      const PageRequest& page) override;
  absl::StatusOr<std::vector<v1::Account>> VillageProjects(const std::string& village_code,
                                                           const PageRequest& page) override;
  absl::StatusOr<std::pair<absl::Time, absl::Time>> ProjectDates(
      const std::string& account_id) override;

 private:
  // One CreateTransfers call as its group sees it.
  struct TransferCall {
    const std::vector<v1::Transfer>& transfers;
    const BatchDecider& decide;
  };
  absl::Status CreateTransfersAlone(const MutationContext& ctx,
                                    const std::vector<v1::Transfer>& transfers,
                                    const BatchDecider& decide, v1::CreateTransfersResponse& out);
  absl::Status CreateTransfersGroup(common::DbSession& s, std::vector<common::GroupedCall*>& calls);

  common::ConnectionPool& pool_;
  common::IdGenerator& ids_;
  std::unique_ptr<common::GroupCommit<TransferCall>> create_transfers_group_;
};

}  // namespace tuopin::funds
