#pragma once
// The limits of the contract, enforced from the descriptors: every field of a request that
// carries (tuopin.common.v1.limits) is checked against them, at any depth, with violations
// named by path ("transfers[3].amount_fen"). The frame of every RPC (common/handler.h) runs
// it before the method's own rules, which keep only what one field cannot say (one field
// required when another is empty, a period's order, a kind-dependent field).
//
// Update requests (AIP-134): in a message beside an `update_mask`, only the fields the mask
// names are checked (not the immutable ones: the method refuses such a path), and its
// output-only fields that carry limits (the id, the etag) are checked too, since an update
// names its object by them.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace tuopin::common {

// Appends a violation for every field of `request` outside its declared limits.
void CheckLimits(const google::protobuf::Message& request, FieldViolations& v);
absl::Status ValidateLimits(const google::protobuf::Message& request);

// Appends the field violations of `rules` (a method's own validator) to `v`, leaving out
// fields `v` already names: one reason per field is enough, and a rule about a field the
// limits refused has nothing sound to compare. A non-OK status without field violations
// is returned as it is; otherwise OK.
absl::Status MergeRuleViolations(const absl::Status& rules, FieldViolations& v);

// The limits declared on `type` (and on the suite's messages in it) that the walk would not
// enforce: a limit on a kind of field it does not check (bool, uint64, floating point, a
// map's entries, a well-known message other than Timestamp, a repeated message's
// elements) or an attribute its field's kind ignores (min/max on text, lengths on ids and
// region codes, `defined` off enums, `unique` off repeated strings, digits off region
// codes). Each as "<message>.<field>: <what>". The limits test requires none in the
// contracts, so no limit is written that nothing enforces.
std::vector<std::string> UnenforcedLimits(const google::protobuf::Descriptor* type);

// Every service of the suite's contracts linked into this binary (files under tuopin/), in
// name order: the generated tables (fuzzing, the limits test) walk these instead of a list.
std::vector<const google::protobuf::ServiceDescriptor*> ContractServices();

namespace limits_internal {
// What the walk of a message type checks, built once per type and kept for ever.
struct MessagePlan;
const MessagePlan& PlanOf(const google::protobuf::Descriptor* type);
// CheckLimits for a generated message of the plan's type.
void CheckLimits(const google::protobuf::Message& request, const MessagePlan& plan,
                 FieldViolations& v);
}  // namespace limits_internal

// The validation of every RPC: the contract's limits, then the method's own rules.
template <typename Req>
absl::Status ValidateRequest(const Req& request, absl::Status (*rules)(const Req&)) {
  // Req is a generated message (they are final): its plan is looked up once.
  static const limits_internal::MessagePlan& plan = limits_internal::PlanOf(Req::descriptor());
  FieldViolations v;
  limits_internal::CheckLimits(request, plan, v);
  if (rules != nullptr) {
    if (absl::Status other = MergeRuleViolations(rules(request), v); !other.ok()) return other;
  }
  return v.ToStatus();
}

}  // namespace tuopin::common
