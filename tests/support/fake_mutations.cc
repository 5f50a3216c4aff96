#include "tests/support/fake_mutations.h"

#include "common/status.h"

namespace tuopin::testing {

absl::Status FakeMutations::RunMessage(
    const common::MutationContext& ctx,
    const std::function<absl::StatusOr<common::EntityRefs>(google::protobuf::Message&)>& body,
    google::protobuf::Message& out) {
  out.Clear();
  auto key = std::make_pair(ctx.principal.subject(), ctx.request_id);
  if (auto call = calls_.find(key); call != calls_.end()) {
    if (call->second.method != ctx.method || call->second.request_sha256 != ctx.request_sha256) {
      return common::WithReason(
          common::InvalidField("request_id", "was already used for a different request"),
          common::ErrorReason::REQUEST_ID_REUSED);
    }
    out.ParseFromString(call->second.response);
    return absl::OkStatus();
  }
  TUOPIN_ASSIGN_OR_RETURN(common::EntityRefs entities, body(out));
  std::string response = common::DeterministicBytes(out);
  auto event = common::MakeAuditEvent(ids_, ctx, entities, response);
  TUOPIN_RETURN_IF_ERROR(common::CheckLoggable(event));
  events.push_back(std::move(event));
  calls_[key] = Call{ctx.method, ctx.request_sha256, std::move(response)};
  return absl::OkStatus();
}

}  // namespace tuopin::testing
