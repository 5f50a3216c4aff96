#pragma once
// Every mutation of the suite goes through RunMutation: in one transaction it claims the
// caller's request_id, runs the business writes, stores the response for replays and
// writes the audit event to the outbox. A retry with the same request_id and the same
// request returns the stored response; with a different request, INVALID_ARGUMENT.

#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit_event.h"
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
  // SHA-256 of the deterministic serialization of the whole request (of its DigestForm,
  // when the service has one): the idempotency record's check, kept in the service's own
  // database (and its backups).
  std::string request_sha256;
  absl::Time now;
  // Keys the digests the audit event carries (request_digest and the response's); without
  // one the event carries no digest at all rather than a guessable one.
  const DigestKey* digest_key = nullptr;
  // KeyedDigest of the same serialization, for the audit event.
  std::string request_digest;
  // The id of the mutation's audit event when the store assigns it before the body runs
  // (WithEventId), so that what the body writes can name the event (personnel's household
  // versions); empty: MakeAuditEvent draws one.
  std::string event_id;
};

// A copy of `ctx` with its event id assigned (kept when already set).
MutationContext WithEventId(const MutationContext& ctx, IdGenerator& ids);

// Rewrites a copy of a request into the form its digests are taken of. The idempotency
// record's unkeyed hash sits in backups and the audit event's digest is keyed under a key
// every service holds, so a request carrying a value of few candidates (an id-card number
// beside a birth year) would be given back by trying them: a service whose requests carry
// such values replaces each by a keyed digest only it can compute (personnel's
// MemberDigestForm). The same request must always give the same form.
using DigestForm = std::function<void(google::protobuf::Message& request)>;

// The one way to make a context other than the handler's: a logged read (the reader's
// principal and the gateway's request id) or a system actor (a timer acting as
// `principal.subject`, with a request id derived from what it acts on). Digests of the
// request (of its `digest_form` when given) are filled, keyed ones when `digest_key` is
// given.
MutationContext ContextFor(std::string service, std::string method,
                           tuopin::common::v1::Principal principal, std::string request_id,
                           absl::Time now, const google::protobuf::Message& request,
                           const DigestKey* digest_key = nullptr,
                           const DigestForm& digest_form = nullptr);

// Fills the request digests and the digest key of a context (the handler does it for
// every RPC; code that builds a context by hand calls it).
void SetRequestDigests(MutationContext& ctx, const DigestKey& key,
                       const google::protobuf::Message& request);

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

// A mutation audited by one event per part: a batch writes one event per item it creates,
// so that every event stays small whatever the batch's size and names the objects of one
// item (an auditor reading one county's trail never receives another county's ids, and a
// page of events stays a page). The body returns each event's entities (none: one event
// without entities); the events share the request id and the response digest, the first
// takes the context's event id. All of them commit with the mutation or none does.
using MutationBodyEach =
    std::function<absl::StatusOr<std::vector<EntityRefs>>(DbSession&, google::protobuf::Message&)>;
absl::Status RunMutationEach(ConnectionPool& pool, IdGenerator& ids, const MutationContext& ctx,
                             const MutationBodyEach& body, google::protobuf::Message& response,
                             bool* replayed = nullptr);

// The end of a mutation that succeeded, appended to `tail` (run with RunAndCommit): the
// call's idempotency record (its response, for replays) and its audit events, one per
// entry of `entities` (none: one event without entities). INVALID_ARGUMENT when an event
// could not be logged (CheckLoggable). Returns the record's statement index in `tail`: a
// duplicate key there means the request id was recorded by an earlier or concurrent call.
absl::StatusOr<size_t> AddRecordAndEvents(Script& tail, IdGenerator& ids,
                                          const MutationContext& ctx,
                                          std::vector<EntityRefs> entities,
                                          const google::protobuf::Message& response);

// The recorded answer of this caller's request id, read before any work: true and
// `response` filled when the request was answered before; REQUEST_ID_REUSED when the id
// was used for another request; false when it is new. For mutations whose checks are
// costly (a batch asks personnel about every task), so that a retry repeats none of them
// and is answered even while what they ask is down. RunMutation still decides under the
// transaction.
absl::StatusOr<bool> RecordedResponse(ConnectionPool& pool, const MutationContext& ctx,
                                      google::protobuf::Message& response);

// The same, with the body given the response's own type: no cast in the stores.
template <typename Response>
using TypedMutationBody = std::function<absl::StatusOr<EntityRefs>(DbSession&, Response&)>;
template <typename Response>
absl::Status RunMutation(ConnectionPool& pool, IdGenerator& ids, const MutationContext& ctx,
                         const TypedMutationBody<Response>& body, Response& response,
                         bool* replayed = nullptr) {
  static_assert(std::is_base_of_v<google::protobuf::Message, Response>);
  return RunMutation(
      pool, ids, ctx,
      [&body](DbSession& s, google::protobuf::Message& out) {
        return body(s, static_cast<Response&>(out));
      },
      static_cast<google::protobuf::Message&>(response), replayed);
}

// The mutation frame of a store whose transactions are `Tx` (PersonnelTx, ExitTx, ...): the
// store runs a body in one transaction with common::RunMutation (the request id claimed, a
// replay answered from the stored response, the audit event written to the outbox before
// the commit; a non-OK status from the body rolls back), and Mutate gives the body the
// response's own type. A body may run more than once (retried deadlocks), so it has no
// effects outside `tx` and the response.
template <typename Tx>
class TransactionalStore {
 public:
  virtual ~TransactionalStore() = default;
  using TxBody = std::function<absl::StatusOr<EntityRefs>(Tx&, google::protobuf::Message&)>;
  virtual absl::Status RunMutation(const MutationContext& ctx, const TxBody& body,
                                   google::protobuf::Message& response) = 0;
  template <typename Response, typename Body>
  absl::Status Mutate(const MutationContext& ctx, Response& response, const Body& body) {
    static_assert(std::is_base_of_v<google::protobuf::Message, Response>);
    return RunMutation(
        ctx,
        [&body](Tx& tx, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
          return body(tx, static_cast<Response&>(m));
        },
        response);
  }
};

// Builds the audit event of a mutation or a logged read; `response_bytes` is the
// deterministic serialization of the answer (digested under the context's key).
tuopin::common::v1::AuditEvent MakeAuditEvent(IdGenerator& ids, const MutationContext& ctx,
                                              const EntityRefs& entities,
                                              absl::string_view response_bytes);
// INVALID_ARGUMENT when the log would refuse the event (ValidateAuditEvent): a mutation
// whose event cannot be logged is refused before it commits instead of jamming the relay.
absl::Status CheckLoggable(const tuopin::common::v1::AuditEvent& event);

// The statement that writes events [begin, end) of `events` into the outbox (text, for a
// Script).
std::string OutboxInsert(const std::vector<tuopin::common::v1::AuditEvent>& events, size_t begin,
                         size_t end);
// Adds the writes of `events` to `script`: multi-row INSERTs of up to kOutboxRowsPerInsert
// events each (a batch's hundreds of events are a few statements for the server to parse,
// not hundreds; 64 events stay far below max_allowed_packet).
inline constexpr size_t kOutboxRowsPerInsert = 64;
void AddOutboxInserts(Script& script, const std::vector<tuopin::common::v1::AuditEvent>& events);

// Optimistic concurrency (AIP-154) of the stores' versioned rows: the etag of version n
// is "v<n>".
std::string EtagOf(int64_t version);
// The version an update of a row at `current_etag` writes: current + 1, when the caller's
// `given_etag` is empty (no precondition) or equals it; otherwise ABORTED with reason
// ETAG_MISMATCH, naming `what` ("task", "household", ...).
absl::StatusOr<int64_t> NextVersion(absl::string_view given_etag, absl::string_view current_etag,
                                    absl::string_view what);

}  // namespace tuopin::common
