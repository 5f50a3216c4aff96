#pragma once
// RunMutation's contract (common/mutation.h) in memory, for the fakes of the stores: a
// request id already used answers the recorded response (or REQUEST_ID_REUSED for another
// request); a body that fails must have written nothing; a body that succeeds leaves its
// audit event in `events` (RunEach: one per part, as common::RunMutationEach).

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
        ctx,
        [&](google::protobuf::Message& m) -> absl::StatusOr<std::vector<common::EntityRefs>> {
          TUOPIN_ASSIGN_OR_RETURN(common::EntityRefs refs, body(static_cast<Response&>(m)));
          return std::vector<common::EntityRefs>{std::move(refs)};
        },
        out);
  }

  // RecordedResponse's contract: true and `out` filled for a recorded request id,
  // REQUEST_ID_REUSED for another request under it, false for a new one.
  absl::StatusOr<bool> Recorded(const common::MutationContext& ctx,
                                google::protobuf::Message& out) {
    out.Clear();
    auto call = calls_.find(std::make_pair(ctx.principal.subject(), ctx.request_id));
    if (call == calls_.end()) return false;
    if (call->second.method != ctx.method || call->second.request_sha256 != ctx.request_sha256) {
      return common::WithReason(
          common::InvalidField("request_id", "was already used for a different request"),
          common::ErrorReason::REQUEST_ID_REUSED);
    }
    out.ParseFromString(call->second.response);
    return true;
  }

  template <typename Response>
  absl::Status RunEach(
      const common::MutationContext& ctx,
      const std::type_identity_t<
          std::function<absl::StatusOr<std::vector<common::EntityRefs>>(Response&)>>& body,
      Response& out) {
    return RunMessage(
        ctx, [&](google::protobuf::Message& m) { return body(static_cast<Response&>(m)); }, out);
  }

 private:
  absl::Status RunMessage(const common::MutationContext& ctx,
                          const std::function<absl::StatusOr<std::vector<common::EntityRefs>>(
                              google::protobuf::Message&)>& body,
                          google::protobuf::Message& out);

  struct Call {
    std::string method, request_sha256, response;
  };
  std::map<std::pair<std::string, std::string>, Call> calls_;  // (subject, request_id)
  common::SequentialIdGenerator ids_{"fake-event-"};
};

inline absl::Status FakeMutations::RunMessage(
    const common::MutationContext& ctx,
    const std::function<
        absl::StatusOr<std::vector<common::EntityRefs>>(google::protobuf::Message&)>& body,
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
  TUOPIN_ASSIGN_OR_RETURN(std::vector<common::EntityRefs> parts, body(out));
  if (parts.empty()) parts.emplace_back();
  std::string response = common::DeterministicBytes(out);
  std::vector<tuopin::common::v1::AuditEvent> made;
  for (size_t i = 0; i < parts.size(); ++i) {
    common::MutationContext part = ctx;
    if (i > 0) part.event_id.clear();
    made.push_back(common::MakeAuditEvent(ids_, part, parts[i], response));
    TUOPIN_RETURN_IF_ERROR(common::CheckLoggable(made.back()));
  }
  for (auto& event : made) events.push_back(std::move(event));
  calls_[key] = Call{ctx.method, ctx.request_sha256, std::move(response)};
  return absl::OkStatus();
}

}  // namespace tuopin::testing
