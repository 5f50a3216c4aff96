#pragma once
// FundsStore over MySQL/MariaDB: accounts and transfers in mysql_funds_store.cc, the
// reports in mysql_funds_reports.cc, the rows in mysql_funds_rows.cc.

#include "common/clock.h"
#include "common/db.h"
#include "services/funds/funds_store.h"

namespace tuopin::funds {

class MysqlFundsStore final : public FundsStore {
 public:
  MysqlFundsStore(common::ConnectionPool& pool, common::IdGenerator& ids)
      : pool_(pool), ids_(ids) {}

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
  common::ConnectionPool& pool_;
  common::IdGenerator& ids_;
};

}  // namespace tuopin::funds
