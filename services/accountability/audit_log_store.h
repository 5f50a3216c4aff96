#pragma once
// Storage of the audit log: leaves, complete-subtree hashes and checkpoints.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db.h"
#include "services/accountability/merkle.h"

namespace tuopin::accountability {

struct StoredCheckpoint {
  int64_t tree_size = 0;
  std::string root_hash;
  std::string signed_note;
  absl::Time created;
};

class AuditLogStore {
 public:
  explicit AuditLogStore(common::ConnectionPool& pool) : pool_(pool) {}

  // Appends the leaves whose event ids are new, in order, with their subtree hashes, in
  // one transaction; returns every event's leaf index (the earlier one for known ids).
  absl::StatusOr<std::vector<int64_t>> Append(
      const std::vector<std::pair<std::string, std::string>>& leaves, absl::Time now);
  absl::StatusOr<int64_t> TreeSize();
  absl::StatusOr<std::map<NodeId, std::string>> ReadNodes(const std::set<NodeId>& ids);
  absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> Leaves(int64_t start, int count);
  absl::StatusOr<std::optional<int64_t>> LeafIndex(const std::string& event_id);
  absl::Status SaveCheckpoint(const StoredCheckpoint& c);
  absl::StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint();

 private:
  common::ConnectionPool& pool_;
};

}  // namespace tuopin::accountability
