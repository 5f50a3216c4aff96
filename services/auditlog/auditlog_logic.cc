#include "services/auditlog/auditlog_logic.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/audit_event.h"
#include "common/crypto.h"
#include "common/mutation.h"
#include "common/server.h"
#include "common/status.h"
#include "common/validate.h"
#include "prometheus/gauge.h"

namespace tuopin::auditlog {

namespace {

// The sequencer's progress, for the checkpoint-age alert (deploy/prometheus/alerts.yml):
// the age is time() - tuopin_auditlog_checkpoint_current_timestamp_seconds, computed by
// Prometheus. A quiet log signs nothing new, yet stays current: "current" is when the
// sequencer last found the whole tree under a signed checkpoint. The gauges appear after
// the first such tick, so a log just started is not reported as years behind.
void RecordCheckpoint(absl::Time current_at, const StoredCheckpoint& latest) {
  struct Gauges {
    prometheus::Gauge& current;
    prometheus::Gauge& signed_at;
    prometheus::Gauge& tree_size;
  };
  static Gauges* g = [] {
    auto& registry = common::MetricsRegistry();
    return new Gauges{
        prometheus::BuildGauge()
            .Name("tuopin_auditlog_checkpoint_current_timestamp_seconds")
            .Help("When the sequencer last found every leaf of the log under a signed "
                  "checkpoint (Unix seconds); its age is the checkpoint lag.")
            .Register(registry)
            .Add({}),
        prometheus::BuildGauge()
            .Name("tuopin_auditlog_checkpoint_timestamp_seconds")
            .Help("When the latest checkpoint was signed (Unix seconds).")
            .Register(registry)
            .Add({}),
        prometheus::BuildGauge()
            .Name("tuopin_auditlog_checkpoint_tree_size")
            .Help("Leaves under the latest signed checkpoint.")
            .Register(registry)
            .Add({})};
  }();
  g->current.Set(absl::ToDoubleSeconds(current_at - absl::UnixEpoch()));
  g->signed_at.Set(absl::ToDoubleSeconds(latest.created - absl::UnixEpoch()));
  g->tree_size.Set(static_cast<double>(latest.tree_size));
}

// Fills a page of leaves (the store returned one more row than the page holds when
// another page follows).
absl::Status FillLeaves(std::vector<std::pair<int64_t, std::string>>& rows,
                        const common::PageRequest& page, const common::PageTokenCodec& tokens,
                        const google::protobuf::Message& req, v1::ListEventsResponse& out) {
  std::vector<v1::Leaf> leaves;
  leaves.reserve(rows.size());
  for (auto& [index, value] : rows) {
    v1::Leaf leaf;
    leaf.set_index(index);
    if (!leaf.mutable_event()->ParseFromString(value))
      return absl::DataLossError("a stored leaf does not parse");
    leaf.set_leaf_value(std::move(value));
    leaves.push_back(std::move(leaf));
  }
  common::FinishPage(
      leaves, page, tokens, req,
      [](const v1::Leaf& l) { return std::vector<std::string>{absl::StrCat(l.index())}; },
      out.mutable_leaves(), out.mutable_next_page_token());
  return absl::OkStatus();
}

absl::StatusOr<int64_t> AfterIndex(const common::PageRequest& page) {
  int64_t after = -1;
  if (!page.after.empty() && !absl::SimpleAtoi(page.after[0], &after))
    return common::InvalidField("page_token", "is not a token of this list");
  return after;
}

}  // namespace

absl::Status AuditLogLogic::ListEntityEvents(const Principal&,
                                             const v1::ListEntityEventsRequest& req,
                                             v1::ListEventsResponse& out) {
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  TUOPIN_ASSIGN_OR_RETURN(int64_t after, AfterIndex(page));
  TUOPIN_ASSIGN_OR_RETURN(int64_t published, PublishedSize(0, "tree_size"));
  TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.EntityLeaves(req.entity_type(), req.entity_id(), after,
                                                         published, page.limit));
  return FillLeaves(rows, page, tokens_, req, out);
}

absl::Status AuditLogLogic::ListRegionEvents(const Principal& p,
                                             const v1::ListRegionEventsRequest& req,
                                             v1::ListEventsResponse& out) {
  TUOPIN_RETURN_IF_ERROR(common::RequireRegionCode(p, req.region_code()));
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  TUOPIN_ASSIGN_OR_RETURN(int64_t after, AfterIndex(page));
  TUOPIN_ASSIGN_OR_RETURN(int64_t published, PublishedSize(0, "tree_size"));
  TUOPIN_ASSIGN_OR_RETURN(
      auto rows,
      store_.RegionLeaves(req.region_code(), common::FromTimestamp(req.from_time()),
                          common::FromTimestamp(req.to_time()), after, published, page.limit));
  return FillLeaves(rows, page, tokens_, req, out);
}

absl::Status AuditLogLogic::AppendEvents(const Principal& p, const v1::AppendEventsRequest& req,
                                         v1::AppendEventsResponse& out) {
  // A service speaks only for itself: its token cannot put words in another's mouth.
  std::optional<std::string> caller = common::ServiceOfPrincipal(p);
  absl::Time now = clock_.Now();
  std::vector<NewLeaf> leaves;
  leaves.reserve(req.events_size());
  for (int i = 0; i < req.events_size(); ++i) {
    const auto& e = req.events(i);
    std::string field = absl::StrCat("events[", i, "]");
    if (!caller.has_value() || e.service() != *caller) {
      return common::WithReason(
          absl::PermissionDeniedError(absl::StrCat("Permission denied: ", field, ".service is \"",
                                                   e.service(), "\" but the caller (", p.subject(),
                                                   ") may append only its own service's events")),
          common::ErrorReason::WRONG_SERVICE);
    }
    if (common::FromTimestamp(e.occurred_at()) > now + common::kMaxEventClockSkew) {
      // The sender's clock (or the log's) is wrong, not the event: UNAVAILABLE, so relays
      // keep the events and retry instead of setting them aside as dead letters.
      return common::WithReason(
          absl::UnavailableError(absl::StrCat(
              field,
              ".occurred_at is more than 5 minutes after the log's clock: the sender's "
              "clock or the log's is wrong; retry once they agree")),
          common::ErrorReason::CLOCK_SKEW);
    }
    std::string content = common::DeterministicBytes(e);
    tuopin::common::v1::AuditEvent logged = e;
    *logged.mutable_logged_at() = common::ToTimestamp(now);
    leaves.push_back({e.event_id(), common::Sha256(content), common::DeterministicBytes(logged)});
  }
  TUOPIN_ASSIGN_OR_RETURN(AppendResult result, store_.Append(leaves, now));
  if (result.conflict.has_value()) {
    size_t i = *result.conflict;
    return common::WithReason(
        absl::AlreadyExistsError(absl::StrCat(
            "events[", i, "].event_id ", leaves[i].event_id,
            " is already in the log with other content; an event id names one event forever")),
        common::ErrorReason::EVENT_ID_CONFLICT);
  }
  for (int64_t i : result.indexes) out.add_leaf_indexes(i);
  return absl::OkStatus();
}

absl::Status AuditLogLogic::PublishCheckpoint() {
  // A log older than the entity index is indexed a bounded slice per tick.
  TUOPIN_RETURN_IF_ERROR(store_.IndexBacklog(10000).status());
  absl::Time now = clock_.Now();
  TUOPIN_ASSIGN_OR_RETURN(int64_t size, store_.TreeSize());
  TUOPIN_ASSIGN_OR_RETURN(auto latest, store_.LatestCheckpoint());
  if (latest.has_value() && latest->tree_size == size) {
    RecordCheckpoint(now, *latest);
    return absl::OkStatus();
  }
  TUOPIN_ASSIGN_OR_RETURN(auto nodes, store_.ReadNodes(NodesForRoot(size)));
  std::string root = RangeHash(0, size, [&](const NodeId& id) { return nodes.at(id); });
  StoredCheckpoint c{size, root, signer_.SignNote(CheckpointBody(origin_, size, root)), now};
  TUOPIN_RETURN_IF_ERROR(store_.SaveCheckpoint(c));
  RecordCheckpoint(now, c);
  return absl::OkStatus();
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
        common::ErrorReason::BEYOND_CHECKPOINT);
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

absl::Status AuditLogLogic::GetInclusionProofs(const Principal&,
                                               const v1::GetInclusionProofsRequest& req,
                                               v1::GetInclusionProofsResponse& out) {
  TUOPIN_ASSIGN_OR_RETURN(int64_t size, PublishedSize(req.tree_size(), "tree_size"));
  std::set<NodeId> ids;
  for (int i = 0; i < req.leaf_indexes_size(); ++i) {
    int64_t index = req.leaf_indexes(i);
    if (index >= size) {
      return common::InvalidField(absl::StrCat("leaf_indexes[", i, "]"),
                                  absl::StrCat("is not below the tree size ", size));
    }
    ids.merge(NodesForInclusion(index, size));
    ids.insert({0, index});
  }
  // One read of every node the proofs need.
  TUOPIN_ASSIGN_OR_RETURN(auto nodes, store_.ReadNodes(ids));
  auto node = [&](const NodeId& id) { return nodes.at(id); };
  for (int64_t index : req.leaf_indexes()) {
    auto* proof = out.add_proofs();
    proof->set_leaf_index(index);
    proof->set_tree_size(size);
    proof->set_leaf_hash(nodes.at({0, index}));
    for (auto& h : InclusionProof(index, size, node)) proof->add_hashes(h);
  }
  return absl::OkStatus();
}

absl::Status AuditLogLogic::GetInclusionProofByEventId(
    const Principal& p, const v1::GetInclusionProofByEventIdRequest& req, v1::InclusionProof& out) {
  TUOPIN_ASSIGN_OR_RETURN(auto index, store_.LeafIndex(req.event_id()));
  if (!index.has_value()) {
    return common::WithReason(
        absl::NotFoundError(absl::StrCat("event ", req.event_id(), " is not in the log")),
        common::ErrorReason::NOT_FOUND);
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

}  // namespace tuopin::auditlog
