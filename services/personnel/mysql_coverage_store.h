#pragma once
// CoverageStore over MySQL/MariaDB: grouped passes over the personnel tables and the
// coverage_summary table.

#include "common/db.h"
#include "services/personnel/coverage_store.h"

namespace tuopin::personnel {

class MysqlCoverageStore final : public CoverageStore {
 public:
  explicit MysqlCoverageStore(common::ConnectionPool& pool) : pool_(pool) {}

  absl::StatusOr<v1::Coverage> GetCoverage(const CoverageQuery& query) override;
  absl::StatusOr<v1::Coverage> GetCoverageCounts(const CoverageQuery& query) override;
  absl::Status RefreshCoverageSummary(absl::Time stale_before, int pairing_limit,
                                      absl::Time now) override;
  absl::StatusOr<bool> WrittenSince(absl::Time since) override;

 private:
  common::ConnectionPool& pool_;
};

}  // namespace tuopin::personnel
