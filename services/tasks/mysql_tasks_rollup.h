#pragma once
// SectorRollupStore over MySQL/MariaDB: the task_rollup table (schema/002).

#include "common/db.h"
#include "services/tasks/tasks_rollup_store.h"

namespace tuopin::tasks {

class MysqlSectorRollupStore final : public SectorRollupStore {
 public:
  explicit MysqlSectorRollupStore(common::ConnectionPool& pool) : pool_(pool) {}
  absl::Status Refresh(absl::Time now, absl::CivilDay today, absl::Duration overlap,
                       bool everything) override;
  absl::StatusOr<std::optional<absl::Time>> Read(const std::string& campaign_id, int stage,
                                                 const std::string& region_prefix, size_t child_len,
                                                 std::vector<SectorCount>& out) override;

 private:
  common::ConnectionPool& pool_;
};

}  // namespace tuopin::tasks
