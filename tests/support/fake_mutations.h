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

}  // namespace tuopin::testing
