#pragma once
// An in-memory AuditLogStore (services/auditlog/auditlog_store.h) for unit tests of the
// log's logic: the same deduplication, subtree hashes and entity index as the MariaDB
// store, held in public members a test may read or tamper with. Not thread-safe: the
// tests call the logic from one thread.
// Header-only, so that adding a primitive to the store changes this one file.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/validate.h"
#include "services/auditlog/auditlog_store.h"
#include "services/auditlog/merkle.h"

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

inline absl::Status FakeAuditLogStore::IndexLeaf(int64_t i) {
  TUOPIN_ASSIGN_OR_RETURN(auditlog::LeafKeys keys, auditlog::KeysOfLeaf(leaves[i].leaf_value));
  for (auto& key : keys.entities) {
    bool known = false;  // the primary key (type, id, leaf) keeps one row
    for (const auto& row : index) {
      known |= row.leaf_index == i && row.key.type == key.type && row.key.id == key.id;
    }
    if (!known) index.push_back({std::move(key), i, keys.occurred_at});
  }
  return absl::OkStatus();
}

inline absl::StatusOr<auditlog::AppendResult> FakeAuditLogStore::Append(
    const std::vector<auditlog::NewLeaf>& batch, absl::Time now) {
  TUOPIN_RETURN_IF_ERROR(error);
  auditlog::AppendResult result;
  std::map<std::string, std::pair<int64_t, std::string>> known;  // id -> (index, digest)
  for (size_t i = 0; i < leaves.size(); ++i) {
    known[leaves[i].event_id] = {static_cast<int64_t>(i), leaves[i].content_sha256};
  }
  // Decide every leaf before changing anything: a conflict appends nothing.
  std::vector<const auditlog::NewLeaf*> fresh;
  int64_t size = static_cast<int64_t>(leaves.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto it = known.find(batch[i].event_id);
    if (it != known.end()) {
      if (it->second.second != batch[i].content_sha256) {
        result.indexes.clear();
        result.conflict = i;
        return result;
      }
      result.indexes.push_back(it->second.first);
      continue;
    }
    known[batch[i].event_id] = {size, batch[i].content_sha256};
    result.indexes.push_back(size++);
    fresh.push_back(&batch[i]);
  }
  bool index_complete = indexed_size == static_cast<int64_t>(leaves.size());
  for (const auditlog::NewLeaf* leaf : fresh) {
    int64_t index = static_cast<int64_t>(leaves.size());
    leaves.push_back({leaf->event_id, leaf->content_sha256, leaf->leaf_value, now});
    for (const auditlog::NodeId& id : auditlog::NodesCompletedBy(index)) {
      nodes[id] = id.level == 0 ? auditlog::LeafHash(leaf->leaf_value)
                                : auditlog::NodeHash(nodes.at({id.level - 1, 2 * id.index}),
                                                     nodes.at({id.level - 1, 2 * id.index + 1}));
    }
    // New leaves are always indexed; indexed_size moves only past a complete index.
    TUOPIN_RETURN_IF_ERROR(IndexLeaf(index));
  }
  if (index_complete) indexed_size = static_cast<int64_t>(leaves.size());
  return result;
}

inline absl::StatusOr<int64_t> FakeAuditLogStore::TreeSize() {
  TUOPIN_RETURN_IF_ERROR(error);
  return static_cast<int64_t>(leaves.size());
}

inline absl::StatusOr<std::map<auditlog::NodeId, std::string>> FakeAuditLogStore::ReadNodes(
    const std::set<auditlog::NodeId>& ids) {
  TUOPIN_RETURN_IF_ERROR(error);
  std::map<auditlog::NodeId, std::string> out;
  for (const auditlog::NodeId& id : ids) {
    auto it = nodes.find(id);
    if (it == nodes.end()) return absl::DataLossError("stored subtree hashes are missing");
    out[id] = it->second;
  }
  return out;
}

inline absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> FakeAuditLogStore::Leaves(
    int64_t start, int count) {
  TUOPIN_RETURN_IF_ERROR(error);
  std::vector<std::pair<int64_t, std::string>> out;
  for (int64_t i = start; i < start + count && i < static_cast<int64_t>(leaves.size()); ++i) {
    out.emplace_back(i, leaves[i].leaf_value);
  }
  return out;
}

inline absl::StatusOr<std::optional<int64_t>> FakeAuditLogStore::LeafIndex(
    const std::string& event_id) {
  TUOPIN_RETURN_IF_ERROR(error);
  for (size_t i = 0; i < leaves.size(); ++i) {
    if (leaves[i].event_id == event_id) return static_cast<int64_t>(i);
  }
  return std::nullopt;
}

inline absl::Status FakeAuditLogStore::SaveCheckpoint(const auditlog::StoredCheckpoint& c) {
  TUOPIN_RETURN_IF_ERROR(error);
  ++checkpoint_saves;
  for (const auto& old : checkpoints) {
    if (old.tree_size == c.tree_size) return absl::OkStatus();
  }
  checkpoints.push_back(c);
  return absl::OkStatus();
}

template <typename Match>
std::vector<std::pair<int64_t, std::string>> FakeAuditLogStore::Matching(Match match, int64_t after,
                                                                         int64_t below,
                                                                         int limit) const {
  std::set<int64_t> hits;
  for (const auto& row : index) {
    if (row.leaf_index > after && row.leaf_index < below && match(row)) hits.insert(row.leaf_index);
  }
  std::vector<std::pair<int64_t, std::string>> out;
  for (int64_t i : hits) {
    if (static_cast<int>(out.size()) == limit) break;
    out.emplace_back(i, leaves[i].leaf_value);
  }
  return out;
}

inline absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> FakeAuditLogStore::EntityLeaves(
    const std::string& type, const std::string& id, int64_t after, int64_t below, int limit) {
  TUOPIN_RETURN_IF_ERROR(error);
  return Matching([&](const IndexRow& r) { return r.key.type == type && r.key.id == id; }, after,
                  below, limit);
}

inline absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> FakeAuditLogStore::RegionLeaves(
    const std::string& region_prefix, absl::Time from, absl::Time to, int64_t after, int64_t below,
    int limit) {
  TUOPIN_RETURN_IF_ERROR(error);
  return Matching(
      [&](const IndexRow& r) {
        return r.key.region_code.compare(0, region_prefix.size(), region_prefix) == 0 &&
               r.occurred_at >= from && r.occurred_at < to;
      },
      after, below, limit);
}

inline absl::StatusOr<int> FakeAuditLogStore::IndexBacklog(int max_leaves) {
  TUOPIN_RETURN_IF_ERROR(error);
  int64_t end = std::min<int64_t>(static_cast<int64_t>(leaves.size()), indexed_size + max_leaves);
  int done = static_cast<int>(end - indexed_size);
  for (int64_t i = indexed_size; i < end; ++i) TUOPIN_RETURN_IF_ERROR(IndexLeaf(i));
  indexed_size = end;
  return done;
}

inline absl::StatusOr<std::optional<auditlog::StoredCheckpoint>>
FakeAuditLogStore::LatestCheckpoint() {
  TUOPIN_RETURN_IF_ERROR(error);
  std::optional<auditlog::StoredCheckpoint> latest;
  for (const auto& c : checkpoints) {
    if (!latest.has_value() || c.tree_size > latest->tree_size) latest = c;
  }
  return latest;
}

}  // namespace tuopin::testing
