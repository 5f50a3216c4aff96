#pragma once
// RunMutation's contract (common/mutation.h) in memory, for the fakes of the stores: a
// request id already used answers the recorded response (or REQUEST_ID_REUSED for another
// request); a body that fails must have written nothing; a body that succeeds leaves its
// audit event in `events`.

#include <functional>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/mutation.h"
#include "common/status.h"

namespace tuopin::testing {

class FakeMutations {
 public:
  // The audit events of every committed mutation, in order.
  std::vector<tuopin::common::v1::AuditEvent> events;

  template <typename Response>
  absl::Status Run(
      const common::MutationContext& ctx,
      const std::type_identity_t<std::function<absl::StatusOr<common::EntityRefs>(Response&)>>&
          body,
      Response& out) {
    return RunMessage(
        ctx, [&](google::protobuf::Message& m) { return body(static_cast<Response&>(m)); }, out);
  }

 private:
  absl::Status RunMessage(
      const common::MutationContext& ctx,
      const std::function<absl::StatusOr<common::EntityRefs>(google::protobuf::Message&)>& body,
      google::protobuf::Message& out);

  struct Call {
    std::string method, request_sha256, response;
  };
  std::map<std::pair<std::string, std::string>, Call> calls_;  // (subject, request_id)
  common::SequentialIdGenerator ids_{"fake-event-"};
};

inline absl::Status FakeMutations::RunMessage(
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
