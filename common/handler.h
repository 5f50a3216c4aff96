#pragma once
// The frame of every gRPC handler of the suite: authorize (signed principal + the
// method's roles from the contract), validate the request (field violations), run the
// logic, map the status. Mutations also get their MutationContext (request id, digest,
// time) here, so no handler builds one by hand.

#include <string>
#include <utility>

#include "common/auth.h"
#include "common/clock.h"
#include "common/mutation.h"
#include "common/status.h"
#include "grpcpp/server_context.h"

namespace tuopin::common {

class Handler {
 public:
  Handler(std::string service, const Authorizer& authorizer, const Clock& clock)
      : service_(std::move(service)), authorizer_(authorizer), clock_(clock) {}

  template <typename Req, typename Fn>
  grpc::Status Read(grpc::ServerContext* ctx, absl::string_view method, const Req& req,
                    absl::Status (*validate)(const Req&), Fn&& fn) const {
    auto principal = authorizer_.Authorize(*ctx, method);
    if (!principal.ok()) return ToGrpcStatus(principal.status());
    if (absl::Status v = validate(req); !v.ok()) return ToGrpcStatus(v);
    return ToGrpcStatus(fn(*principal));
  }

  template <typename Req, typename Fn>
  grpc::Status Mutate(grpc::ServerContext* ctx, absl::string_view method, const Req& req,
                      absl::Status (*validate)(const Req&), Fn&& fn) const {
    auto principal = authorizer_.Authorize(*ctx, method);
    if (!principal.ok()) return ToGrpcStatus(principal.status());
    if (absl::Status v = validate(req); !v.ok()) return ToGrpcStatus(v);
    MutationContext m;
    m.service = service_;
    m.method = authorizer_.FullMethod(method);
    m.principal = std::move(*principal);
    m.request_id = req.request_id();
    SetRequestDigests(m, authorizer_.digest_key(), req);
    m.now = clock_.Now();
    return ToGrpcStatus(fn(m));
  }

  const Clock& clock() const { return clock_; }
  const DigestKey& digest_key() const { return authorizer_.digest_key(); }

 private:
  std::string service_;
  const Authorizer& authorizer_;
  const Clock& clock_;
};

}  // namespace tuopin::common
