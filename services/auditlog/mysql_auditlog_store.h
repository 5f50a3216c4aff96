#pragma once
// The audit log's store on MariaDB: the tables of services/auditlog/schema, in the
// database the instance's --db_* flags name (one database per log).

#include "common/db.h"
#include "services/auditlog/auditlog_store.h"

namespace tuopin::auditlog {

class MysqlAuditLogStore final : public AuditLogStore {
 public:
  explicit MysqlAuditLogStore(common::ConnectionPool& pool) : pool_(pool) {}

  absl::StatusOr<AppendResult> Append(const std::vector<NewLeaf>& leaves, absl::Time now) override;
  absl::StatusOr<int64_t> TreeSize() override;
  absl::StatusOr<std::map<NodeId, std::string>> ReadNodes(const std::set<NodeId>& ids) override;
  absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> Leaves(int64_t start,
                                                                      int count) override;
  absl::StatusOr<std::optional<int64_t>> LeafIndex(const std::string& event_id) override;
  absl::Status SaveCheckpoint(const StoredCheckpoint& c) override;
  absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> EntityLeaves(const std::string& type,
                                                                            const std::string& id,
                                                                            int64_t after,
                                                                            int64_t below,
                                                                            int limit) override;
  absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> RegionLeaves(
      const std::string& region_prefix, absl::Time from, absl::Time to, int64_t after,
      int64_t below, int limit) override;
  absl::StatusOr<int> IndexBacklog(int max_leaves) override;
  absl::StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint() override;

 private:
  common::ConnectionPool& pool_;
};

}  // namespace tuopin::auditlog
