#pragma once
// Every mutation of the suite goes through RunMutation: in one transaction it claims the
// caller's request_id, runs the business writes, stores the response for replays and
// writes the audit event to the outbox. A retry with the same request_id and the same
// request returns the stored response; with a different request, INVALID_ARGUMENT.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/db.h"
#include "google/protobuf/message.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::common {

using EntityRefs = std::vector<tuopin::common::v1::EntityRef>;

tuopin::common::v1::EntityRef Entity(std::string type, std::string id, std::string region = "");

struct MutationContext {
  // "personnel", "funds", ...
  std::string service;
  // Full gRPC method name.
  std::string method;
  tuopin::common::v1::Principal principal;
  std::string request_id;
  // SHA-256 of the deterministic serialization of the whole request.
  std::string request_sha256;
  absl::Time now;
};

// The deterministic protobuf serialization (map entries sorted): stable for hashing.
std::string DeterministicBytes(const google::protobuf::Message& message);
// SHA-256 of the deterministic serialization of a message.
std::string MessageSha256(const google::protobuf::Message& message);

// The business part of a mutation: writes inside the transaction, fills `response` and
// returns the entities the audit event refers to. It may run more than once (retried
// deadlocks), so it has no effects outside the transaction.
using MutationBody =
    std::function<absl::StatusOr<EntityRefs>(DbSession&, google::protobuf::Message&)>;

// `replayed` (optional) tells whether the response came from an earlier call.
absl::Status RunMutation(ConnectionPool& pool, IdGenerator& ids, const MutationContext& ctx,
                         const MutationBody& body, google::protobuf::Message& response,
                         bool* replayed = nullptr);

// Builds the audit event of a mutation or a logged read.
tuopin::common::v1::AuditEvent MakeAuditEvent(IdGenerator& ids, const MutationContext& ctx,
                                              const EntityRefs& entities,
                                              absl::string_view response_sha256);

// The statement that writes one audit event into the outbox (text, for a Script).
std::string OutboxInsert(const tuopin::common::v1::AuditEvent& event);

// Optimistic concurrency (AIP-154) of the stores' versioned rows: the etag of version n
// is "v<n>".
std::string EtagOf(int64_t version);
// The version an update of a row at `current_etag` writes: current + 1, when the caller's
// `given_etag` is empty (no precondition) or equals it; otherwise ABORTED with reason
// ETAG_MISMATCH, naming `what` ("task", "household", ...).
absl::StatusOr<int64_t> NextVersion(absl::string_view given_etag, absl::string_view current_etag,
                                    absl::string_view what);

}  // namespace tuopin::common
