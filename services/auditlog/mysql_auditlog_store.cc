#include "services/auditlog/mysql_auditlog_store.h"

#include <cppconn/resultset.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::auditlog {
namespace {

using common::DbSession;
using common::Query;

using common::InsertRows;

std::map<NodeId, std::string> FetchNodes(DbSession& s, const std::vector<NodeId>& ids) {
  std::map<NodeId, std::string> out;
  for (size_t start = 0; start < ids.size(); start += 256) {
    size_t real = std::min<size_t>(256, ids.size() - start);
    size_t n = common::InListSize(real);
    std::string sql = "SELECT level, idx, hash FROM nodes WHERE (level, idx) IN (";
    for (size_t k = 0; k < n; ++k) absl::StrAppend(&sql, k == 0 ? "" : ", ", "(?, ?)");
    Query q(s, sql + ")");
    for (size_t k = 0; k < n; ++k) {
      const NodeId& id = ids[start + std::min(k, real - 1)];
      q.Arg(static_cast<int64_t>(id.level)).Arg(id.index);
    }
    auto rs = q.Rows();
    while (rs->next()) out[{rs->getInt(1), rs->getInt64(2)}] = rs->getString(3).asStdString();
  }
  return out;
}

struct IndexRow {
  const EntityKey* key;
  int64_t leaf_index;
  std::string occurred_at;
};

void InsertIndexRows(DbSession& s, const std::vector<IndexRow>& rows) {
  InsertRows(s,
             "INSERT IGNORE INTO leaf_entities (entity_type, entity_id, leaf_index, region_code,"
             " occurred_at) VALUES ",
             "(?, ?, ?, ?, ?)", rows, [](Query& q, const IndexRow& r) {
               q.Arg(r.key->type)
                   .Arg(r.key->id)
                   .Arg(r.leaf_index)
                   .Arg(r.key->region_code)
                   .Arg(r.occurred_at);
             });
}

std::vector<std::pair<int64_t, std::string>> ReadLeafRows(Query& q) {
  std::vector<std::pair<int64_t, std::string>> out;
  auto rs = q.Rows();
  while (rs->next()) out.emplace_back(rs->getInt64(1), rs->getString(2).asStdString());
  return out;
}

}  // namespace

absl::StatusOr<AppendResult> MysqlAuditLogStore::Append(const std::vector<NewLeaf>& leaves,
                                                        absl::Time now) {
  AppendResult result;
  std::vector<int64_t>& indexes = result.indexes;
  // Said by the transaction when an id is known with other content: roll back, no retry.
  const absl::Status conflict = absl::FailedPreconditionError("event id conflict");
  absl::Status st = common::RunInTransaction(pool_, [&](DbSession& s) -> absl::Status {
    indexes.assign(leaves.size(), -1);
    result.conflict.reset();
    // One appender at a time: the size row is the sequencer's lock.
    auto state = Query(s, "SELECT tree_size FROM log_state WHERE id = 1 FOR UPDATE").Rows();
    if (!state->next()) return absl::DataLossError("log_state is missing");
    int64_t size = state->getInt64(1);
    // event id -> (leaf index, content digest)
    absl::flat_hash_map<std::string, std::pair<int64_t, std::string>> known;
    std::vector<std::string> ids;
    for (const auto& leaf : leaves) ids.push_back(leaf.event_id);
    for (size_t start = 0; start < ids.size(); start += 1024) {
      std::vector<std::string> chunk(ids.begin() + start,
                                     ids.begin() + std::min(ids.size(), start + 1024));
      auto rs = Query(s, absl::StrCat("SELECT event_id, leaf_index, content_sha256 FROM leaves"
                                      " WHERE event_id IN (",
                                      common::Placeholders(common::InListSize(chunk.size())), ")"))
                    .InList(chunk)
                    .Rows();
      while (rs->next()) {
        known[rs->getString(1).asStdString()] = {rs->getInt64(2), rs->getString(3).asStdString()};
      }
    }
    struct LeafRow {
      int64_t index;
      const NewLeaf* leaf;
    };
    std::vector<LeafRow> new_leaves;
    std::vector<LeafKeys> new_keys;
    std::vector<std::pair<NodeId, std::string>> new_nodes;
    std::map<NodeId, std::string> cache;
    auto node = [&](const NodeId& id) -> std::string {
      auto it = cache.find(id);
      if (it != cache.end()) return it->second;
      auto fetched = FetchNodes(s, {id});  // a left sibling stored by an earlier batch
      return cache[id] = fetched.count(id) ? fetched[id] : std::string();
    };
    for (size_t i = 0; i < leaves.size(); ++i) {
      auto it = known.find(leaves[i].event_id);
      if (it != known.end()) {
        if (it->second.second != leaves[i].content_sha256) {
          result.conflict = i;
          return conflict;
        }
        indexes[i] = it->second.first;
        continue;
      }
      int64_t index = size++;
      known[leaves[i].event_id] = {index, leaves[i].content_sha256};
      indexes[i] = index;
      new_leaves.push_back({index, &leaves[i]});
      TUOPIN_ASSIGN_OR_RETURN(LeafKeys keys, KeysOfLeaf(leaves[i].leaf_value));
      new_keys.push_back(std::move(keys));
      for (const NodeId& id : NodesCompletedBy(index)) {
        std::string hash = id.level == 0 ? LeafHash(leaves[i].leaf_value)
                                         : NodeHash(node({id.level - 1, 2 * id.index}),
                                                    node({id.level - 1, 2 * id.index + 1}));
        if (hash.size() != 32) return absl::DataLossError("a stored subtree hash is missing");
        cache[id] = hash;
        new_nodes.emplace_back(id, hash);
      }
    }
    if (new_leaves.empty()) return absl::OkStatus();
    std::string when = common::ToSqlTime(now);
    InsertRows(s,
               "INSERT INTO leaves (leaf_index, event_id, leaf_value, appended_at, content_sha256)"
               " VALUES ",
               "(?, ?, ?, ?, ?)", new_leaves, [&](Query& q, const LeafRow& r) {
                 q.Arg(r.index)
                     .Arg(r.leaf->event_id)
                     .Arg(r.leaf->leaf_value)
                     .Arg(when)
                     .Arg(r.leaf->content_sha256);
               });
    InsertRows(s, "INSERT INTO nodes (level, idx, hash) VALUES ", "(?, ?, ?)", new_nodes,
               [](Query& q, const std::pair<NodeId, std::string>& n) {
                 q.Arg(static_cast<int64_t>(n.first.level)).Arg(n.first.index).Arg(n.second);
               });
    std::vector<IndexRow> index_rows;
    for (size_t k = 0; k < new_leaves.size(); ++k) {
      std::string at = common::ToSqlTime(new_keys[k].occurred_at);
      for (const auto& key : new_keys[k].entities)
        index_rows.push_back({&key, new_leaves[k].index, at});
    }
    InsertIndexRows(s, index_rows);
    // The index reaches the new size only if it reached the old one (otherwise a backlog
    // from before the index is still to be indexed).
    Query(s,
          "UPDATE log_state SET indexed_size = IF(indexed_size = tree_size, ?, indexed_size),"
          " tree_size = ? WHERE id = 1")
        .Arg(size)
        .Arg(size)
        .Exec();
    return absl::OkStatus();
  });
  if (result.conflict.has_value()) return result;
  TUOPIN_RETURN_IF_ERROR(st);
  return result;
}

absl::StatusOr<int64_t> MysqlAuditLogStore::TreeSize() {
  int64_t size = 0;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, "SELECT tree_size FROM log_state WHERE id = 1").Rows();
    if (rs->next()) size = rs->getInt64(1);
    return absl::OkStatus();
  }));
  return size;
}

absl::StatusOr<std::map<NodeId, std::string>> MysqlAuditLogStore::ReadNodes(
    const std::set<NodeId>& ids) {
  std::map<NodeId, std::string> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    out = FetchNodes(s, std::vector<NodeId>(ids.begin(), ids.end()));
    return absl::OkStatus();
  }));
  if (out.size() != ids.size()) return absl::DataLossError("stored subtree hashes are missing");
  return out;
}

absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> MysqlAuditLogStore::Leaves(
    int64_t start, int count) {
  std::vector<std::pair<int64_t, std::string>> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs =
        Query(s,
              "SELECT leaf_index, leaf_value FROM leaves WHERE leaf_index >= ? AND leaf_index < ?"
              " ORDER BY leaf_index")
            .Arg(start)
            .Arg(start + count)
            .Rows();
    while (rs->next()) out.emplace_back(rs->getInt64(1), rs->getString(2).asStdString());
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::optional<int64_t>> MysqlAuditLogStore::LeafIndex(const std::string& event_id) {
  std::optional<int64_t> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, "SELECT leaf_index FROM leaves WHERE event_id = ?").Arg(event_id).Rows();
    if (rs->next()) out = rs->getInt64(1);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> MysqlAuditLogStore::EntityLeaves(
    const std::string& type, const std::string& id, int64_t after, int64_t below, int limit) {
  std::vector<std::pair<int64_t, std::string>> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s,
            "SELECT l.leaf_index, l.leaf_value FROM leaf_entities e"
            " JOIN leaves l ON l.leaf_index = e.leaf_index"
            " WHERE e.entity_type = ? AND e.entity_id = ? AND e.leaf_index > ? AND e.leaf_index < ?"
            " ORDER BY e.leaf_index LIMIT ?");
    q.Arg(type).Arg(id).Arg(after).Arg(below).Arg(static_cast<int64_t>(limit));
    out = ReadLeafRows(q);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> MysqlAuditLogStore::RegionLeaves(
    const std::string& region_prefix, absl::Time from, absl::Time to, int64_t after, int64_t below,
    int limit) {
  std::vector<std::pair<int64_t, std::string>> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s,
            "SELECT l.leaf_index, l.leaf_value FROM leaves l WHERE l.leaf_index IN ("
            "SELECT e.leaf_index FROM leaf_entities e WHERE e.region_code >= ?"
            " AND e.region_code < ? AND e.occurred_at >= ? AND e.occurred_at < ?"
            " AND e.leaf_index > ? AND e.leaf_index < ?) ORDER BY l.leaf_index LIMIT ?");
    q.Arg(region_prefix)
        .Arg(common::RegionRangeEnd(region_prefix))
        .Arg(common::ToSqlTime(from))
        .Arg(common::ToSqlTime(to))
        .Arg(after)
        .Arg(below)
        .Arg(static_cast<int64_t>(limit));
    out = ReadLeafRows(q);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int> MysqlAuditLogStore::IndexBacklog(int max_leaves) {
  int indexed = 0;
  TUOPIN_RETURN_IF_ERROR(common::RunInTransaction(pool_, [&](DbSession& s) -> absl::Status {
    indexed = 0;
    auto state =
        Query(s, "SELECT tree_size, indexed_size FROM log_state WHERE id = 1 FOR UPDATE").Rows();
    if (!state->next()) return absl::DataLossError("log_state is missing");
    int64_t size = state->getInt64(1), done = state->getInt64(2);
    if (done >= size) return absl::OkStatus();
    int64_t end = std::min(size, done + max_leaves);
    Query q(s,
            "SELECT leaf_index, leaf_value FROM leaves WHERE leaf_index >= ? AND leaf_index < ?"
            " ORDER BY leaf_index");
    q.Arg(done).Arg(end);
    auto rows = ReadLeafRows(q);
    std::vector<LeafKeys> keys;
    std::vector<IndexRow> index_rows;
    keys.reserve(rows.size());
    for (const auto& [index, value] : rows) {
      TUOPIN_ASSIGN_OR_RETURN(LeafKeys k, KeysOfLeaf(value));
      keys.push_back(std::move(k));
    }
    for (size_t k = 0; k < rows.size(); ++k) {
      std::string at = common::ToSqlTime(keys[k].occurred_at);
      for (const auto& key : keys[k].entities) index_rows.push_back({&key, rows[k].first, at});
    }
    InsertIndexRows(s, index_rows);
    Query(s, "UPDATE log_state SET indexed_size = ? WHERE id = 1").Arg(end).Exec();
    indexed = static_cast<int>(end - done);
    return absl::OkStatus();
  }));
  return indexed;
}

absl::Status MysqlAuditLogStore::SaveCheckpoint(const StoredCheckpoint& c) {
  return common::WithConnection(pool_, [&](DbSession& s) {
    Query(s,
          "INSERT IGNORE INTO checkpoints (tree_size, root_hash, signed_note, created_at) VALUES "
          "(?, ?, ?, ?)")
        .Arg(c.tree_size)
        .Arg(c.root_hash)
        .Arg(c.signed_note)
        .Arg(common::ToSqlTime(c.created))
        .Exec();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<StoredCheckpoint>> MysqlAuditLogStore::LatestCheckpoint() {
  std::optional<StoredCheckpoint> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s,
                    "SELECT tree_size, root_hash, signed_note, created_at FROM checkpoints"
                    " ORDER BY tree_size DESC LIMIT 1")
                  .Rows();
    if (rs->next()) {
      out = StoredCheckpoint{rs->getInt64(1), rs->getString(2).asStdString(),
                             rs->getString(3).asStdString(),
                             common::FromSqlTime(rs->getString(4).asStdString())};
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace tuopin::auditlog
