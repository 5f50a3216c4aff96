#include "services/accountability/audit_log_logic.h"

#include "absl/strings/str_cat.h"
#include "common/mutation.h"
#include "common/status.h"
#include "common/validate.h"

namespace tuopin::accountability {

absl::Status Validate(const v1::AppendEventsRequest& r) {
  common::FieldViolations v;
  if (r.events().empty() || r.events_size() > 1000) v.Add("events", "must hold 1-1000 events");
  for (int i = 0; i < r.events_size() && i < 1000; ++i) {
    const auto& e = r.events(i);
    std::string f = absl::StrCat("events[", i, "]");
    common::ValidateId(f + ".event_id", e.event_id(), v);
    common::ValidateText(f + ".service", e.service(), 1, 32, v);
    common::ValidateText(f + ".method", e.method(), 1, 160, v);
    common::ValidateText(f + ".actor_subject", e.actor_subject(), 1, 128, v);
    if (e.entities_size() > 1100) v.Add(f + ".entities", "must hold at most 1100 references");
  }
  return v.ToStatus();
}
absl::Status Validate(const v1::GetCheckpointRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetPublicKeyRequest&) { return absl::OkStatus(); }
absl::Status Validate(const v1::GetLeavesByRangeRequest& r) {
  common::FieldViolations v;
  common::ValidateRange("start", r.start(), 0, std::numeric_limits<int64_t>::max() / 2, v);
  common::ValidateRange("count", r.count(), 1, 1000, v);
  return v.ToStatus();
}
absl::Status Validate(const v1::GetInclusionProofRequest& r) {
  common::FieldViolations v;
  common::ValidateRange("leaf_index", r.leaf_index(), 0, std::numeric_limits<int64_t>::max() / 2,
                        v);
  common::ValidateRange("tree_size", r.tree_size(), 0, std::numeric_limits<int64_t>::max() / 2, v);
  return v.ToStatus();
}
absl::Status Validate(const v1::GetInclusionProofByEventIdRequest& r) {
  common::FieldViolations v;
  common::ValidateId("event_id", r.event_id(), v);
  common::ValidateRange("tree_size", r.tree_size(), 0, std::numeric_limits<int64_t>::max() / 2, v);
  return v.ToStatus();
}
absl::Status Validate(const v1::GetConsistencyProofRequest& r) {
  common::FieldViolations v;
  common::ValidateRange("first_size", r.first_size(), 1, std::numeric_limits<int64_t>::max() / 2,
                        v);
  common::ValidateRange("second_size", r.second_size(), 1, std::numeric_limits<int64_t>::max() / 2,
                        v);
  if (r.first_size() > r.second_size()) v.Add("first_size", "must not exceed second_size");
  return v.ToStatus();
}

absl::Status AuditLogLogic::AppendEvents(const Principal&, const v1::AppendEventsRequest& req,
                                         v1::AppendEventsResponse& out) {
  std::vector<std::pair<std::string, std::string>> leaves;
  for (const auto& e : req.events())
    leaves.emplace_back(e.event_id(), common::DeterministicBytes(e));
  TUOPIN_ASSIGN_OR_RETURN(auto indexes, store_.Append(leaves, clock_.Now()));
  for (int64_t i : indexes) out.add_leaf_indexes(i);
  return absl::OkStatus();
}

absl::Status AuditLogLogic::PublishCheckpoint() {
  TUOPIN_ASSIGN_OR_RETURN(int64_t size, store_.TreeSize());
  TUOPIN_ASSIGN_OR_RETURN(auto latest, store_.LatestCheckpoint());
  if (latest.has_value() && latest->tree_size == size) return absl::OkStatus();
  TUOPIN_ASSIGN_OR_RETURN(auto nodes, store_.ReadNodes(NodesForRoot(size)));
  std::string root = RangeHash(0, size, [&](const NodeId& id) { return nodes.at(id); });
  StoredCheckpoint c{size, root, signer_.SignNote(CheckpointBody(origin_, size, root)),
                     clock_.Now()};
  return store_.SaveCheckpoint(c);
}

absl::Status AuditLogLogic::GetCheckpoint(const Principal&, const v1::GetCheckpointRequest&,
                                          v1::Checkpoint& out) {
  TUOPIN_ASSIGN_OR_RETURN(auto latest, store_.LatestCheckpoint());
  if (!latest.has_value()) return absl::UnavailableError("no checkpoint has been published yet");
  out.set_origin(origin_);
  out.set_tree_size(latest->tree_size);
  out.set_root_hash(latest->root_hash);
  out.set_signed_note(latest->signed_note);
  *out.mutable_create_time() = common::ToTimestamp(latest->created);
  return absl::OkStatus();
}

absl::Status AuditLogLogic::GetPublicKey(const Principal&, const v1::GetPublicKeyRequest&,
                                         v1::PublicKey& out) {
  out.set_verifier_key(signer_.VerifierKey());
  return absl::OkStatus();
}

absl::StatusOr<int64_t> AuditLogLogic::PublishedSize(int64_t requested, const char* field) {
  TUOPIN_ASSIGN_OR_RETURN(auto latest, store_.LatestCheckpoint());
  int64_t published = latest.has_value() ? latest->tree_size : 0;
  if (requested == 0) return published;
  if (requested > published) {
    return common::WithReason(
        common::InvalidField(field,
                             absl::StrCat("exceeds the latest checkpoint's size ", published)),
        "BEYOND_CHECKPOINT");
  }
  return requested;
}

absl::Status AuditLogLogic::GetLeavesByRange(const Principal&,
                                             const v1::GetLeavesByRangeRequest& req,
                                             v1::GetLeavesByRangeResponse& out) {
  TUOPIN_ASSIGN_OR_RETURN(auto leaves, store_.Leaves(req.start(), req.count()));
  for (auto& [index, value] : leaves) {
    auto* leaf = out.add_leaves();
    leaf->set_index(index);
    leaf->set_leaf_value(value);
    if (!leaf->mutable_event()->ParseFromString(value))
      return absl::DataLossError("a stored leaf does not parse");
  }
  return absl::OkStatus();
}

absl::Status AuditLogLogic::GetInclusionProof(const Principal&,
                                              const v1::GetInclusionProofRequest& req,
                                              v1::InclusionProof& out) {
  TUOPIN_ASSIGN_OR_RETURN(int64_t size, PublishedSize(req.tree_size(), "tree_size"));
  if (req.leaf_index() >= size) {
    return common::InvalidField("leaf_index", absl::StrCat("is not below the tree size ", size));
  }
  std::set<NodeId> ids = NodesForInclusion(req.leaf_index(), size);
  ids.insert({0, req.leaf_index()});
  TUOPIN_ASSIGN_OR_RETURN(auto nodes, store_.ReadNodes(ids));
  out.set_leaf_index(req.leaf_index());
  out.set_tree_size(size);
  out.set_leaf_hash(nodes.at({0, req.leaf_index()}));
  for (auto& h :
       InclusionProof(req.leaf_index(), size, [&](const NodeId& id) { return nodes.at(id); })) {
    out.add_hashes(h);
  }
  return absl::OkStatus();
}

absl::Status AuditLogLogic::GetInclusionProofByEventId(
    const Principal& p, const v1::GetInclusionProofByEventIdRequest& req, v1::InclusionProof& out) {
  TUOPIN_ASSIGN_OR_RETURN(auto index, store_.LeafIndex(req.event_id()));
  if (!index.has_value()) {
    return common::WithReason(
        absl::NotFoundError(absl::StrCat("event ", req.event_id(), " is not in the log")),
        "NOT_FOUND");
  }
  v1::GetInclusionProofRequest by_index;
  by_index.set_leaf_index(*index);
  by_index.set_tree_size(req.tree_size());
  return GetInclusionProof(p, by_index, out);
}

absl::Status AuditLogLogic::GetConsistencyProof(const Principal&,
                                                const v1::GetConsistencyProofRequest& req,
                                                v1::ConsistencyProof& out) {
  TUOPIN_ASSIGN_OR_RETURN(int64_t second, PublishedSize(req.second_size(), "second_size"));
  TUOPIN_ASSIGN_OR_RETURN(auto nodes,
                          store_.ReadNodes(NodesForConsistency(req.first_size(), second)));
  out.set_first_size(req.first_size());
  out.set_second_size(second);
  for (auto& h :
       ConsistencyProof(req.first_size(), second, [&](const NodeId& id) { return nodes.at(id); })) {
    out.add_hashes(h);
  }
  return absl::OkStatus();
}

}  // namespace tuopin::accountability
