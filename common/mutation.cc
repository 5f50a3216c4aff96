#include "common/mutation.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"

namespace tuopin::common {

using tuopin::common::v1::AuditEvent;
using tuopin::common::v1::EntityRef;

EntityRef Entity(std::string type, std::string id, std::string region) {
  EntityRef ref;
  ref.set_type(std::move(type));
  ref.set_id(std::move(id));
  ref.set_region_code(std::move(region));
  return ref;
}

std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&out);
  }
  return bytes;
}

std::string MessageSha256(const google::protobuf::Message& message) {
  return Sha256(DeterministicBytes(message));
}

MutationContext ContextFor(std::string service, std::string method,
                           tuopin::common::v1::Principal principal, std::string request_id,
                           absl::Time now, const google::protobuf::Message& request,
                           const DigestKey* digest_key, const DigestForm& digest_form) {
  if (digest_form) {
    std::unique_ptr<google::protobuf::Message> form(request.New());
    form->CopyFrom(request);
    digest_form(*form);
    return ContextFor(std::move(service), std::move(method), std::move(principal),
                      std::move(request_id), now, *form, digest_key);
  }
  MutationContext ctx;
  ctx.service = std::move(service);
  ctx.method = std::move(method);
  ctx.principal = std::move(principal);
  ctx.request_id = std::move(request_id);
  ctx.now = now;
  if (digest_key != nullptr) {
    SetRequestDigests(ctx, *digest_key, request);
  } else {
    ctx.request_sha256 = MessageSha256(request);
  }
  return ctx;
}

void SetRequestDigests(MutationContext& ctx, const DigestKey& key,
                       const google::protobuf::Message& request) {
  std::string bytes = DeterministicBytes(request);
  ctx.request_sha256 = Sha256(bytes);
  ctx.request_digest = KeyedDigest(key, bytes);
  ctx.digest_key = &key;
}

absl::Status CheckLoggable(const AuditEvent& event) {
  // More entities than the method's contract declares is a defect of the service, not of
  // the request: refused loudly, so the declared bounds stay true.
  if (int declared = MaxEventEntitiesOf(event.method()); event.entities_size() > declared) {
    return WithReason(absl::InternalError(absl::StrCat(
                          event.method(), " produced an audit event naming ", event.entities_size(),
                          " entities; its contract declares at most ", declared)),
                      ErrorReason::EVENT_OVER_DECLARED_BOUND);
  }
  FieldViolations v;
  ValidateAuditEvent("event", event, v);
  if (v.empty()) return absl::OkStatus();
  std::string what;
  for (const auto& [field, description] : v.violations())
    absl::StrAppend(&what, what.empty() ? "" : "; ", field, " ", description);
  return WithReason(
      InvalidField("request", absl::StrCat("its audit event would be refused by the log (", what,
                                           "): split the request into smaller ones")),
      ErrorReason::EVENT_NOT_LOGGABLE);
}

AuditEvent MakeAuditEvent(IdGenerator& ids, const MutationContext& ctx, const EntityRefs& entities,
                          absl::string_view response_bytes) {
  AuditEvent event;
  event.set_event_id(ctx.event_id.empty() ? ids.NewId() : ctx.event_id);
  event.set_service(ctx.service);
  event.set_method(ctx.method);
  event.set_actor_subject(ctx.principal.subject());
  for (int r : ctx.principal.roles())
    event.add_actor_roles(static_cast<tuopin::common::v1::Role>(r));
  *event.mutable_occurred_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(ctx.now));
  for (const auto& e : entities) *event.add_entities() = e;
  event.set_request_id(ctx.request_id);
  if (ctx.digest_key != nullptr) {
    event.set_request_sha256(ctx.request_digest);
    event.set_response_sha256(KeyedDigest(*ctx.digest_key, response_bytes));
    event.set_digest_key_id(ctx.digest_key->id);
  }
  return event;
}

MutationContext WithEventId(const MutationContext& ctx, IdGenerator& ids) {
  MutationContext out = ctx;
  if (out.event_id.empty()) out.event_id = ids.NewId();
  return out;
}

std::string OutboxInsert(const std::vector<AuditEvent>& events, size_t begin, size_t end) {
  std::string sql = "INSERT INTO outbox (event_id, event, created_at) VALUES ";
  for (size_t i = begin; i < end; ++i) {
    const AuditEvent& event = events[i];
    sql += i == begin ? "(" : ", (";
    AppendSqlHex(&sql, event.event_id());
    sql += ", ";
    AppendSqlHex(&sql, DeterministicBytes(event));
    absl::StrAppend(
        &sql, ", ",
        SqlTime(absl::FromUnixMicros(
            google::protobuf::util::TimeUtil::TimestampToMicroseconds(event.occurred_at()))),
        ")");
  }
  return sql;
}

void AddOutboxInserts(Script& script, const std::vector<AuditEvent>& events) {
  for (size_t i = 0; i < events.size(); i += kOutboxRowsPerInsert) {
    script.Add(OutboxInsert(events, i, std::min(events.size(), i + kOutboxRowsPerInsert)));
  }
}

namespace {

// The recorded call of ctx's caller and request id, in session s (see RecordedResponse).
absl::StatusOr<bool> ReadRecorded(DbSession& s, const MutationContext& ctx,
                                  google::protobuf::Message& response) {
  auto rs = Query(s,
                  "SELECT method, request_sha256, response FROM idempotency"
                  " WHERE subject = ? AND request_id = ?")
                .Arg(ctx.principal.subject())
                .Arg(ctx.request_id)
                .Rows();
  if (!rs->next()) return false;
  if (rs->getString(1).asStdString() != ctx.method ||
      rs->getString(2).asStdString() != ctx.request_sha256) {
    return WithReason(InvalidField("request_id",
                                   "was already used for a different request; use a new "
                                   "request_id for a new request"),
                      ErrorReason::REQUEST_ID_REUSED);
  }
  if (!response.ParseFromString(rs->getString(3).asStdString())) {
    return absl::InternalError("stored response does not parse");
  }
  return true;
}

}  // namespace

absl::StatusOr<size_t> AddRecordAndEvents(Script& tail, IdGenerator& ids,
                                          const MutationContext& ctx,
                                          std::vector<EntityRefs> entities,
                                          const google::protobuf::Message& response) {
  std::string response_bytes = DeterministicBytes(response);
  if (entities.empty()) entities.emplace_back();
  std::vector<AuditEvent> events;
  for (size_t i = 0; i < entities.size(); ++i) {
    MutationContext part = ctx;
    if (i > 0) part.event_id.clear();  // each event its own id
    events.push_back(MakeAuditEvent(ids, part, entities[i], response_bytes));
    TUOPIN_RETURN_IF_ERROR(CheckLoggable(events.back()));
  }
  std::string record =
      "INSERT INTO idempotency (subject, request_id, method, request_sha256, response,"
      " created_at) VALUES (";
  for (absl::string_view v :
       {absl::string_view(ctx.principal.subject()), absl::string_view(ctx.request_id),
        absl::string_view(ctx.method), absl::string_view(ctx.request_sha256),
        absl::string_view(response_bytes)}) {
    AppendSqlHex(&record, v);
    record += ", ";
  }
  absl::StrAppend(&record, SqlTime(ctx.now), ")");
  size_t record_at = tail.Add(std::move(record));
  AddOutboxInserts(tail, events);
  return record_at;
}

absl::StatusOr<bool> RecordedResponse(ConnectionPool& pool, const MutationContext& ctx,
                                      google::protobuf::Message& response) {
  bool recorded = false;
  TUOPIN_RETURN_IF_ERROR(WithConnection(pool, [&](DbSession& s) -> absl::Status {
    response.Clear();
    TUOPIN_ASSIGN_OR_RETURN(recorded, ReadRecorded(s, ctx, response));
    return absl::OkStatus();
  }));
  return recorded;
}

absl::Status RunMutation(ConnectionPool& pool, IdGenerator& ids, const MutationContext& ctx,
                         const MutationBody& body, google::protobuf::Message& response,
                         bool* replayed) {
  return RunMutationEach(
      pool, ids, ctx,
      [&body](DbSession& s,
              google::protobuf::Message& out) -> absl::StatusOr<std::vector<EntityRefs>> {
        absl::StatusOr<EntityRefs> refs = body(s, out);
        if (!refs.ok()) return refs.status();
        return std::vector<EntityRefs>{std::move(*refs)};
      },
      response, replayed);
}

absl::Status RunMutationEach(ConnectionPool& pool, IdGenerator& ids, const MutationContext& ctx,
                             const MutationBodyEach& body, google::protobuf::Message& response,
                             bool* replayed) {
  // Request ids are new almost always: the first attempt runs the mutation straight away
  // and records the id at the end. If the id was already recorded, that insert fails on
  // the key, the attempt rolls back, and the next one reads the recorded call first.
  bool seen = false;
  return RunInTransaction(pool, [&](DbSession& s) -> absl::Status {
    response.Clear();
    if (replayed != nullptr) *replayed = false;
    if (seen) {
      TUOPIN_ASSIGN_OR_RETURN(bool recorded, ReadRecorded(s, ctx, response));
      if (recorded) {
        if (replayed != nullptr) *replayed = true;
        return absl::OkStatus();
      }
    }
    absl::StatusOr<std::vector<EntityRefs>> entities;
    try {
      entities = body(s, response);
    } catch (const sql::SQLException& e) {
      // A duplicate key may be this very request's earlier write: checked below.
      if (seen || e.getErrorCode() != kErDupEntry) throw;
      entities = SqlErrorToStatus(e);
    }
    if (!entities.ok()) {
      // A failed mutation under a recorded id is still a replay of the recorded call.
      if (!seen && entities.status().code() != absl::StatusCode::kAborted) {
        auto rs = Query(s, "SELECT 1 FROM idempotency WHERE subject = ? AND request_id = ?")
                      .Arg(ctx.principal.subject())
                      .Arg(ctx.request_id)
                      .Rows();
        if (rs->next()) {
          seen = true;
          return RetryTransaction("the request id was recorded before");
        }
      }
      return entities.status();
    }
    Script tail(s);
    TUOPIN_ASSIGN_OR_RETURN(size_t record_at,
                            AddRecordAndEvents(tail, ids, ctx, std::move(*entities), response));
    try {
      tail.RunAndCommit();
    } catch (const sql::SQLException& e) {
      if (e.getErrorCode() != kErDupEntry || tail.failed() != static_cast<int>(record_at)) throw;
      seen = true;
      return RetryTransaction("the request id was recorded by an earlier or concurrent call");
    }
    return absl::OkStatus();
  });
}

std::string EtagOf(int64_t version) { return absl::StrCat("v", version); }

absl::StatusOr<int64_t> NextVersion(absl::string_view given_etag, absl::string_view current_etag,
                                    absl::string_view what) {
  if (!given_etag.empty() && given_etag != current_etag) {
    return WithReason(absl::AbortedError(
                          absl::StrCat("the ", what, " changed since it was read (etag mismatch)")),
                      ErrorReason::ETAG_MISMATCH);
  }
  int64_t version = 0;
  if (current_etag.size() < 2 || current_etag[0] != 'v' ||
      !absl::SimpleAtoi(current_etag.substr(1), &version)) {
    return absl::DataLossError(absl::StrCat("a stored ", what, " has no valid version"));
  }
  return version + 1;
}

}  // namespace tuopin::common
