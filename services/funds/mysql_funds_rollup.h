#pragma once
// UtilizationRollupStore over MySQL/MariaDB: the utilization_rollup table (schema/004).

#include "common/db.h"
#include "services/funds/utilization_rollup_store.h"

namespace tuopin::funds {

class MysqlUtilizationRollupStore final : public UtilizationRollupStore {
 public:
  explicit MysqlUtilizationRollupStore(common::ConnectionPool& pool) : pool_(pool) {}
  absl::Status Refresh(absl::Time now, absl::Duration idle_after, absl::Duration overlap,
                       bool everything) override;
  absl::StatusOr<std::optional<absl::Time>> Read(const std::string& region_code, int sector,
                                                 bool by_sector, v1::Utilization& out) override;

 private:
  common::ConnectionPool& pool_;
};

}  // namespace tuopin::funds
