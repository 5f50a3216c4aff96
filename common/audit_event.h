#pragma once
// The audit event's contract, written once and enforced at both ends of the path: the
// outbox writer (RunMutation, logged reads) refuses to commit an event the log would
// refuse, and the log refuses the same events. So no in-contract request can produce an
// event that jams a relay. Also the keyed digests of requests and responses, and the
// binding of a service principal to the service name its events carry.

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/status.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::common {

// At most this many entity references in one event (the largest mutation, CreateTransfers
// of 1000 transfers between 2000 distinct accounts, names 3000).
inline constexpr int kMaxEventEntities = 4096;
// At most this many bytes in one serialized event (a quarter of the gateway's 4 MiB
// message limit, so a relay batch of at least one event always fits under it).
inline constexpr size_t kMaxEventBytes = 1 << 20;
// An event may claim to have occurred at most this long after the log received it.
inline constexpr absl::Duration kMaxEventClockSkew = absl::Minutes(5);

// Entities the event of one call of a mutating method may name: its contract's
// policy.max_event_entities, or kDefaultEventEntities (also for a name that is no method).
inline constexpr int kDefaultEventEntities = 8;
int MaxEventEntitiesOf(absl::string_view full_method);

// The closed set of entity types an event may name, in sorted order.
const std::vector<std::string>& EntityTypes();
bool IsEntityType(absl::string_view type);
void ValidateEntityType(absl::string_view field, absl::string_view type, FieldViolations& v);

// The services that write audit events.
bool IsAuditedService(absl::string_view service);

// A JWT subject as the suite accepts it: 1-128 bytes of UTF-8 without control characters
// and without leading or trailing white space.
bool IsValidSubject(absl::string_view subject);

// The service a service principal speaks for: "funds" for subject "service:funds" with
// ROLE_SERVICE; nullopt for any other principal.
std::optional<std::string> ServiceOfPrincipal(const tuopin::common::v1::Principal& p);
std::string ServicePrincipalSubject(absl::string_view service);

// Every rule of the contract on an event as a service submits it (logged_at unset);
// violations are named "<prefix>.<field>".
void ValidateAuditEvent(absl::string_view prefix, const tuopin::common::v1::AuditEvent& e,
                        FieldViolations& v);

// The deployment's key for the digests in audit events.
struct DigestKey {
  std::string id;  // 16 hex digits, see AuditEvent.digest_key_id
  std::string secret;
};
DigestKey DigestKeyFromSecret(std::string secret);
// The default when no digest key is configured: derived from the gateway-service key,
// which every service holds.
DigestKey DeriveDigestKey(absl::string_view internal_key);
// HMAC-SHA256(key, bytes).
std::string KeyedDigest(const DigestKey& key, absl::string_view bytes);

}  // namespace tuopin::common
