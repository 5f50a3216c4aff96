#pragma once
// An in-memory AuditLogStore (services/auditlog/auditlog_store.h) for unit tests of the
// log's logic: the same deduplication, subtree hashes and entity index as the MariaDB
// store, held in public members a test may read or tamper with. Not thread-safe: the
// tests call the logic from one thread.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "services/auditlog/auditlog_store.h"

namespace tuopin::testing {

class FakeAuditLogStore final : public auditlog::AuditLogStore {
 public:
  struct StoredLeaf {
    std::string event_id;
    std::string content_sha256;
    std::string leaf_value;
    absl::Time appended_at;
  };
  struct IndexRow {
    auditlog::EntityKey key;
    int64_t leaf_index;
    absl::Time occurred_at;
  };

  // When not OK, every call fails with it (the database is down).
  absl::Status error;
  std::vector<StoredLeaf> leaves;  // by leaf index
  std::map<auditlog::NodeId, std::string> nodes;
  std::vector<IndexRow> index;
  int64_t indexed_size = 0;
  std::vector<auditlog::StoredCheckpoint> checkpoints;  // in save order
  int checkpoint_saves = 0;  // SaveCheckpoint calls, a duplicate size included

  // As a log written before the entity index existed: no index rows, nothing indexed.
  void DropIndex() {
    index.clear();
    indexed_size = 0;
  }

  absl::StatusOr<auditlog::AppendResult> Append(const std::vector<auditlog::NewLeaf>& leaves,
                                                absl::Time now) override;
  absl::StatusOr<int64_t> TreeSize() override;
  absl::StatusOr<std::map<auditlog::NodeId, std::string>> ReadNodes(
      const std::set<auditlog::NodeId>& ids) override;
  absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> Leaves(int64_t start,
                                                                      int count) override;
  absl::StatusOr<std::optional<int64_t>> LeafIndex(const std::string& event_id) override;
  absl::Status SaveCheckpoint(const auditlog::StoredCheckpoint& c) override;
  absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> EntityLeaves(const std::string& type,
                                                                            const std::string& id,
                                                                            int64_t after,
                                                                            int64_t below,
                                                                            int limit) override;
  absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> RegionLeaves(
      const std::string& region_prefix, absl::Time from, absl::Time to, int64_t after,
      int64_t below, int limit) override;
  absl::StatusOr<int> IndexBacklog(int max_leaves) override;
  absl::StatusOr<std::optional<auditlog::StoredCheckpoint>> LatestCheckpoint() override;

 private:
  absl::Status IndexLeaf(int64_t index);
  // Leaves whose index rows pass `match`, with index in (after, below), in index order.
  template <typename Match>
  std::vector<std::pair<int64_t, std::string>> Matching(Match match, int64_t after, int64_t below,
                                                        int limit) const;
};

}  // namespace tuopin::testing
