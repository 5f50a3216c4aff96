#pragma once
// Storage of the audit log: leaves, complete-subtree hashes, the entity index and
// checkpoints. One store is one log (one origin); mysql_auditlog_store.cc is the only SQL,
// tests/support/fake_auditlog_store.h the in-memory fake the logic's tests run on.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/auditlog/merkle.h"

namespace tuopin::auditlog {

// One entity an event names, as the index holds it.
struct EntityKey {
  std::string type;
  std::string id;
  std::string region_code;
};

// The index keys of a leaf (a serialized AuditEvent): its entities with ids, types and
// regions short enough for the index (longer ones are not indexed), and its time.
struct LeafKeys {
  std::vector<EntityKey> entities;
  absl::Time occurred_at;
};
absl::StatusOr<LeafKeys> KeysOfLeaf(const std::string& leaf_value);

struct StoredCheckpoint {
  int64_t tree_size = 0;
  std::string root_hash;
  std::string signed_note;
  absl::Time created;
};

// A leaf to append: the event's id, the SHA-256 of the event as its service sent it (what
// "the same event" means for a retry), and the leaf itself (the event as logged).
struct NewLeaf {
  std::string event_id;
  std::string content_sha256;
  std::string leaf_value;
};

struct AppendResult {
  // Every event's leaf index (the earlier one for an id logged before with the same content).
  std::vector<int64_t> indexes;
  // The first event whose id was logged before with other content; nothing was appended.
  std::optional<size_t> conflict;
};

class AuditLogStore {
 public:
  virtual ~AuditLogStore() = default;

  // Appends the leaves whose event ids are new, in order, with their subtree hashes and
  // index keys, atomically; a known id with other content appends nothing (AppendResult).
  virtual absl::StatusOr<AppendResult> Append(const std::vector<NewLeaf>& leaves,
                                              absl::Time now) = 0;
  virtual absl::StatusOr<int64_t> TreeSize() = 0;
  // Every id asked for, or DATA_LOSS.
  virtual absl::StatusOr<std::map<NodeId, std::string>> ReadNodes(const std::set<NodeId>& ids) = 0;
  virtual absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> Leaves(int64_t start,
                                                                              int count) = 0;
  virtual absl::StatusOr<std::optional<int64_t>> LeafIndex(const std::string& event_id) = 0;
  // Keeps the first checkpoint of a size (a second one of the same size is ignored).
  virtual absl::Status SaveCheckpoint(const StoredCheckpoint& c) = 0;
  // Leaves naming an entity, with index in (after, below), in index order, at most limit.
  virtual absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> EntityLeaves(
      const std::string& type, const std::string& id, int64_t after, int64_t below, int limit) = 0;
  // Leaves naming an entity of the region's subtree, occurred in [from, to), with index in
  // (after, below), in index order, at most limit.
  virtual absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> RegionLeaves(
      const std::string& region_prefix, absl::Time from, absl::Time to, int64_t after,
      int64_t below, int limit) = 0;
  // Indexes leaves appended before the index existed, up to `max_leaves` of them per call;
  // returns how many it indexed (0 when the index is complete).
  virtual absl::StatusOr<int> IndexBacklog(int max_leaves) = 0;
  virtual absl::StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint() = 0;
};

}  // namespace tuopin::auditlog
