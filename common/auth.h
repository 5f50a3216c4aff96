#pragma once
// The principal the gateway forwards, and the checks every handler makes with it.
//
// Trust model: only the gateway verifies end-user credentials. It forwards the verified
// principal as serialized bytes in `x-tuopin-principal-bin`, with an HMAC-SHA256 over
// them and the full method of the call (`x-tuopin-principal-sig-bin`) under a key shared
// by the gateway and the services, and a short expiry inside the principal. The
// signature binds the principal to one service and method: captured on one hop, it is
// refused on any other. A service
// accepts a principal only with a valid signature, so a client that reaches a service
// directly (bypassing the gateway) or sends its own principal header is refused. In
// Kubernetes, network policies also admit only the gateway to the services' ports.

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/audit_event.h"
#include "common/clock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/server_context.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::common {

inline constexpr char kPrincipalHeader[] = "x-tuopin-principal-bin";
inline constexpr char kPrincipalSigHeader[] = "x-tuopin-principal-sig-bin";

using tuopin::common::v1::Principal;
using tuopin::common::v1::Role;

struct SignedPrincipal {
  std::string bytes;
  std::string signature;
};

// The signature of principal bytes for a call of `full_method` ("/pkg.Service/Method").
std::string PrincipalSignature(absl::string_view bytes, absl::string_view full_method,
                               absl::string_view key);
SignedPrincipal SignPrincipal(const Principal& principal, absl::string_view full_method,
                              absl::string_view key);
absl::StatusOr<Principal> VerifySignedPrincipal(absl::string_view bytes,
                                                absl::string_view signature,
                                                absl::string_view full_method,
                                                absl::string_view key, const Clock& clock);

// "county_official" <-> ROLE_COUNTY_OFFICIAL.
std::string RoleName(Role role);
Role RoleFromName(absl::string_view name);

// A scope covers a code when the code starts with it; "*" covers everything.
bool RegionCovers(absl::string_view scope, absl::string_view region_code);
bool PrincipalCoversRegion(const Principal& p, absl::string_view region_code);
bool HasRole(const Principal& p, Role role);

// PERMISSION_DENIED unless the principal's scope covers the region, worded as AIP-211:
// it does not reveal whether the object exists.
absl::Status RequireRegion(const Principal& p, absl::string_view region_code,
                           absl::string_view resource);
// RequireRegion for a region itself, named "regions/<code>".
absl::Status RequireRegionCode(const Principal& p, absl::string_view region_code);
absl::Status RequireAnyRole(const Principal& p, std::initializer_list<Role> roles,
                            absl::string_view action);

// Whether the contract's policy admits the principal to `full_method`: one of its roles
// other than ROLE_SERVICE, or ROLE_SERVICE for a service the policy names. The gateway
// and every service decide with this one function.
absl::Status CheckPolicy(const Principal& p, const tuopin::common::v1::MethodPolicy& policy,
                         absl::string_view full_method);

// The descriptor of a compiled-in service, e.g. for
// FindService(PersonnelService::service_full_name()). Aborts when it is not linked in.
const google::protobuf::ServiceDescriptor* FindService(absl::string_view full_name);

// The access policies of all methods in the compiled descriptors, read once.
class MethodPolicies {
 public:
  // nullptr when the method has no policy (it is then denied).
  const tuopin::common::v1::MethodPolicy* Find(absl::string_view full_method) const;
  const absl::flat_hash_map<std::string, tuopin::common::v1::MethodPolicy>& all() const {
    return policies_;
  }
  // The request type of a method with a policy; nullptr otherwise.
  const google::protobuf::Descriptor* InputType(absl::string_view full_method) const;
  // Registers the methods of one service ("/pkg.Service/Method" keys).
  void AddService(const google::protobuf::ServiceDescriptor* service);

 private:
  absl::flat_hash_map<std::string, tuopin::common::v1::MethodPolicy> policies_;
  absl::flat_hash_map<std::string, const google::protobuf::Descriptor*> inputs_;
};

// What a service handler calls first: verifies the forwarded principal, then checks the
// method's roles from the contract. UNAUTHENTICATED or PERMISSION_DENIED otherwise.
class Authorizer {
 public:
  // `digest_key` keys the digests of this service's audit events; by default it is
  // derived from `key`.
  Authorizer(std::string key, const google::protobuf::ServiceDescriptor* service,
             const Clock* clock = SystemClock::Get(),
             std::optional<DigestKey> digest_key = std::nullopt);
  absl::StatusOr<Principal> Authorize(const grpc::ServerContext& ctx,
                                      absl::string_view method_name) const;
  // "/tuopin.personnel.v1.PersonnelService/GetCadre"
  std::string FullMethod(absl::string_view method_name) const;
  const DigestKey& digest_key() const { return digest_key_; }

 private:
  std::string key_;
  DigestKey digest_key_;
  std::string service_name_;
  MethodPolicies policies_;
  const Clock* clock_;
};

}  // namespace tuopin::common
