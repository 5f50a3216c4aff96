#include "common/auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"

namespace tuopin::common {

using google::protobuf::util::TimeUtil;

std::string PrincipalSignature(absl::string_view bytes, absl::string_view full_method,
                               absl::string_view key) {
  // The method first, then a separator no method name contains: unambiguous.
  return HmacSha256(key, absl::StrCat("tuopin principal\n", full_method, "\n", bytes));
}

SignedPrincipal SignPrincipal(const Principal& principal, absl::string_view full_method,
                              absl::string_view key) {
  SignedPrincipal out;
  principal.SerializeToString(&out.bytes);
  out.signature = PrincipalSignature(out.bytes, full_method, key);
  return out;
}

absl::StatusOr<Principal> VerifySignedPrincipal(absl::string_view bytes,
                                                absl::string_view signature,
                                                absl::string_view full_method,
                                                absl::string_view key, const Clock& clock) {
  if (bytes.empty() || signature.empty()) {
    return WithReason(absl::UnauthenticatedError("the call carries no principal from the gateway"),
                      ErrorReason::NO_PRINCIPAL);
  }
  if (!ConstantTimeEquals(PrincipalSignature(bytes, full_method, key), signature)) {
    return WithReason(absl::UnauthenticatedError(
                          "the principal's signature is not valid for this method (a principal "
                          "is signed for one service and method)"),
                      ErrorReason::BAD_PRINCIPAL_SIGNATURE);
  }
  Principal p;
  if (!p.ParseFromString(std::string(bytes))) {
    return WithReason(absl::UnauthenticatedError("the principal does not parse"),
                      ErrorReason::BAD_PRINCIPAL);
  }
  absl::Time expires = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(p.expires_at()));
  if (clock.Now() > expires) {
    return WithReason(absl::UnauthenticatedError("the principal has expired"),
                      ErrorReason::PRINCIPAL_EXPIRED);
  }
  if (!IsValidSubject(p.subject())) {
    return WithReason(absl::UnauthenticatedError("the principal's subject is not valid"),
                      ErrorReason::BAD_PRINCIPAL);
  }
  return p;
}

std::string RoleName(Role role) {
  std::string name = tuopin::common::v1::Role_Name(role);
  if (absl::StartsWith(name, "ROLE_")) name = name.substr(5);
  return absl::AsciiStrToLower(name);
}

Role RoleFromName(absl::string_view name) {
  Role role;
  if (tuopin::common::v1::Role_Parse(absl::StrCat("ROLE_", absl::AsciiStrToUpper(name)), &role)) {
    return role;
  }
  return tuopin::common::v1::ROLE_UNSPECIFIED;
}

bool RegionCovers(absl::string_view scope, absl::string_view region_code) {
  if (scope == "*") return true;
  return !scope.empty() && absl::StartsWith(region_code, scope);
}

bool PrincipalCoversRegion(const Principal& p, absl::string_view region_code) {
  for (const auto& scope : p.region_scopes()) {
    if (RegionCovers(scope, region_code)) return true;
  }
  return false;
}

bool HasRole(const Principal& p, Role role) {
  for (int r : p.roles()) {
    if (r == role) return true;
  }
  return false;
}

absl::Status RequireRegionCode(const Principal& p, absl::string_view region_code) {
  return RequireRegion(p, region_code, absl::StrCat("regions/", region_code));
}

absl::Status RequireRegion(const Principal& p, absl::string_view region_code,
                           absl::string_view resource) {
  if (PrincipalCoversRegion(p, region_code)) return absl::OkStatus();
  return WithReason(absl::PermissionDeniedError(absl::StrCat(
                        "Permission denied on resource '", resource,
                        "' (or it might not exist): outside the caller's region scope")),
                    ErrorReason::OUT_OF_REGION);
}

absl::Status RequireAnyRole(const Principal& p, std::initializer_list<Role> roles,
                            absl::string_view action) {
  for (Role r : roles) {
    if (HasRole(p, r)) return absl::OkStatus();
  }
  std::vector<std::string> names;
  for (Role r : roles) names.push_back(RoleName(r));
  return WithReason(
      absl::PermissionDeniedError(absl::StrCat(
          "Permission denied: ", action, " needs one of the roles ", absl::StrJoin(names, ", "))),
      ErrorReason::ROLE_NOT_ALLOWED);
}

absl::Status CheckPolicy(const Principal& p, const tuopin::common::v1::MethodPolicy& policy,
                         absl::string_view full_method) {
  bool service_allowed = false;
  for (int allowed : policy.roles()) {
    if (allowed == tuopin::common::v1::ROLE_SERVICE) {
      service_allowed = true;
      continue;
    }
    if (HasRole(p, static_cast<Role>(allowed))) return absl::OkStatus();
  }
  if (service_allowed && HasRole(p, tuopin::common::v1::ROLE_SERVICE)) {
    std::optional<std::string> service = ServiceOfPrincipal(p);
    for (const auto& name : policy.services()) {
      if (service.has_value() && *service == name) return absl::OkStatus();
    }
    return WithReason(absl::PermissionDeniedError(absl::StrCat(
                          "Permission denied on method '", full_method, "': the service principal ",
                          p.subject(), " is not one the contract lets call it")),
                      ErrorReason::SERVICE_NOT_ALLOWED);
  }
  return WithReason(
      absl::PermissionDeniedError(absl::StrCat("Permission denied on method '", full_method,
                                               "': the caller's roles may not call it")),
      ErrorReason::ROLE_NOT_ALLOWED);
}

const google::protobuf::ServiceDescriptor* FindService(absl::string_view full_name) {
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(std::string(full_name));
  if (service == nullptr) {
    LogError("service descriptor not linked into this binary",
             {{"service", std::string(full_name)}});
    std::abort();
  }
  return service;
}

void MethodPolicies::AddService(const google::protobuf::ServiceDescriptor* service) {
  for (int i = 0; i < service->method_count(); ++i) {
    const auto* m = service->method(i);
    if (!m->options().HasExtension(tuopin::common::v1::policy)) continue;
    std::string key = absl::StrCat("/", service->full_name(), "/", m->name());
    policies_[key] = m->options().GetExtension(tuopin::common::v1::policy);
    inputs_[key] = m->input_type();
  }
}

const google::protobuf::Descriptor* MethodPolicies::InputType(absl::string_view full_method) const {
  auto it = inputs_.find(full_method);
  return it == inputs_.end() ? nullptr : it->second;
}

const tuopin::common::v1::MethodPolicy* MethodPolicies::Find(absl::string_view full_method) const {
  auto it = policies_.find(full_method);
  return it == policies_.end() ? nullptr : &it->second;
}

Authorizer::Authorizer(std::string key, const google::protobuf::ServiceDescriptor* service,
                       const Clock* clock, std::optional<DigestKey> digest_key)
    : key_(std::move(key)),
      digest_key_(digest_key.has_value() ? std::move(*digest_key) : DeriveDigestKey(key_)),
      service_name_(service->full_name()),
      clock_(clock) {
  policies_.AddService(service);
}

std::string Authorizer::FullMethod(absl::string_view method_name) const {
  return absl::StrCat("/", service_name_, "/", method_name);
}

absl::StatusOr<Principal> Authorizer::Authorize(const grpc::ServerContext& ctx,
                                                absl::string_view method_name) const {
  const auto& md = ctx.client_metadata();
  auto find = [&](const char* key) -> absl::string_view {
    auto it = md.find(key);
    if (it == md.end()) return {};
    return absl::string_view(it->second.data(), it->second.size());
  };
  std::string full = FullMethod(method_name);
  auto principal =
      VerifySignedPrincipal(find(kPrincipalHeader), find(kPrincipalSigHeader), full, key_, *clock_);
  if (!principal.ok()) return principal.status();
  const auto* policy = policies_.Find(full);
  if (policy == nullptr) {
    return WithReason(absl::PermissionDeniedError(absl::StrCat("Permission denied: method ", full,
                                                               " has no access policy")),
                      ErrorReason::NO_POLICY);
  }
  TUOPIN_RETURN_IF_ERROR(CheckPolicy(*principal, *policy, full));
  return principal;
}

}  // namespace tuopin::common
