#include "common/audit_event.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto.h"
#include "common/mutation.h"
#include "common/validate.h"
#include "google/protobuf/descriptor.h"

namespace tuopin::common {

using tuopin::common::v1::AuditEvent;

int MaxEventEntitiesOf(absl::string_view full_method) {
  std::string dotted(full_method.substr(full_method.empty() || full_method[0] != '/' ? 0 : 1));
  std::replace(dotted.begin(), dotted.end(), '/', '.');
  const auto* m = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted);
  if (m == nullptr || !m->options().HasExtension(tuopin::common::v1::policy))
    return kDefaultEventEntities;
  int declared = m->options().GetExtension(tuopin::common::v1::policy).max_event_entities();
  return declared > 0 ? declared : kDefaultEventEntities;
}

const std::vector<std::string>& EntityTypes() {
  static const auto* types = new std::vector<std::string>{
      "account",    "action",  "assessment",       "assessment_visit", "cadre",
      "campaign",   "checkin", "exit_application", "finding",          "household",
      "inspection", "pairing", "posting",          "poverty_standard", "rectification_order",
      "region",     "task",    "transfer",         "village_profile",  "visit"};
  return *types;
}

bool IsEntityType(absl::string_view type) {
  const auto& types = EntityTypes();
  return std::binary_search(types.begin(), types.end(), type);
}

void ValidateEntityType(absl::string_view field, absl::string_view type, FieldViolations& v) {
  if (type.empty()) {
    v.Add(std::string(field), "is required");
  } else if (!IsEntityType(type)) {
    v.Add(std::string(field),
          absl::StrCat("must be one of the entity types: ", absl::StrJoin(EntityTypes(), ", ")));
  }
}

bool IsAuditedService(absl::string_view service) {
  // The gateway records the exports it streams (services/gateway/http_export.h).
  return service == "personnel" || service == "funds" || service == "tasks" ||
         service == "accountability" || service == "auditquery" || service == "gateway";
}

bool IsValidSubject(absl::string_view subject) {
  if (subject.empty() || subject.size() > 128 || !IsValidUtf8(subject)) return false;
  for (unsigned char c : subject) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return subject.front() != ' ' && subject.back() != ' ';
}

std::string ServicePrincipalSubject(absl::string_view service) {
  return absl::StrCat("service:", service);
}

std::optional<std::string> ServiceOfPrincipal(const tuopin::common::v1::Principal& p) {
  bool service_role = false;
  for (int r : p.roles()) service_role |= r == tuopin::common::v1::ROLE_SERVICE;
  if (!service_role || !absl::StartsWith(p.subject(), "service:")) return std::nullopt;
  std::string name = p.subject().substr(8);
  if (!IsAuditedService(name) && name != "gateway") return std::nullopt;
  return name;
}

void ValidateAuditEvent(absl::string_view prefix, const AuditEvent& e, FieldViolations& v) {
  auto f = [&](absl::string_view field) { return absl::StrCat(prefix, ".", field); };
  ValidateId(f("event_id"), e.event_id(), v);
  if (!IsAuditedService(e.service()))
    v.Add(f("service"), "must be personnel, funds, tasks, accountability, auditquery or gateway");
  ValidateText(f("method"), e.method(), 1, 160, v);
  if (!e.method().empty() && e.method().front() != '/')
    v.Add(f("method"), "must be a full gRPC method name (/package.Service/Method)");
  if (!IsValidSubject(e.actor_subject())) {
    v.Add(f("actor_subject"),
          "must be 1-128 bytes of UTF-8 without control characters or surrounding spaces");
  }
  for (int i = 0; i < e.actor_roles_size(); ++i) {
    ValidateEnum(absl::StrCat(prefix, ".actor_roles[", i, "]"), e.actor_roles(i),
                 tuopin::common::v1::Role_descriptor(), v);
  }
  ValidateTimestamp(f("occurred_at"), e.occurred_at(), v);
  if (e.entities_size() > kMaxEventEntities) {
    v.Add(f("entities"), absl::StrCat("must hold at most ", kMaxEventEntities, " references"));
  }
  for (int i = 0; i < e.entities_size() && i < kMaxEventEntities; ++i) {
    const auto& ref = e.entities(i);
    std::string at = absl::StrCat(prefix, ".entities[", i, "]");
    ValidateEntityType(at + ".type", ref.type(), v);
    ValidateId(at + ".id", ref.id(), v);
    if (!ref.region_code().empty() && !IsRegionCode(ref.region_code()))
      v.Add(at + ".region_code", "must be empty or an administrative code");
  }
  for (const auto& [field, digest] : {std::pair{"request_sha256", &e.request_sha256()},
                                      std::pair{"response_sha256", &e.response_sha256()}}) {
    if (!digest->empty() && digest->size() != 32) v.Add(f(field), "must be empty or 32 bytes");
  }
  ValidateId(f("request_id"), e.request_id(), v, /*required=*/false);
  if (e.has_logged_at()) v.Add(f("logged_at"), "is set by the log, not by the sender");
  if (!e.digest_key_id().empty() &&
      (e.digest_key_id().size() != 16 || !HexDecode(e.digest_key_id()).has_value())) {
    v.Add(f("digest_key_id"), "must be empty or 16 hex digits");
  }
  if (e.ByteSizeLong() > kMaxEventBytes) {
    v.Add(std::string(prefix),
          absl::StrCat("must serialize to at most ", kMaxEventBytes, " bytes"));
  }
}

DigestKey DigestKeyFromSecret(std::string secret) {
  DigestKey key;
  key.id = HexEncode(Sha256(absl::StrCat("tuopin digest key id", secret)).substr(0, 8));
  key.secret = std::move(secret);
  return key;
}

DigestKey DeriveDigestKey(absl::string_view internal_key) {
  return DigestKeyFromSecret(HmacSha256(internal_key, "tuopin audit digests"));
}

std::string KeyedDigest(const DigestKey& key, absl::string_view bytes) {
  return HmacSha256(key.secret, bytes);
}

}  // namespace tuopin::common
