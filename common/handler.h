#pragma once
// The frame of every gRPC handler of the suite: authorize (signed principal + the
// method's roles from the contract), validate the request (field violations), run the
// logic, map the status. Validation is the contract's field limits (common/field_limits.h)
// and then the method's own rules, so no method can skip the limits. Mutations also get
// their MutationContext (request id, digest, time) here, so no handler builds one by hand.

#include <string>
#include <utility>

#include "common/auth.h"
#include "common/clock.h"
#include "common/field_limits.h"
#include "common/mutation.h"
#include "common/status.h"
#include "grpcpp/server_context.h"

namespace tuopin::common {

class Handler {
 public:
  // `digest_form` (optional): the form of the requests the mutations' digests are taken of
  // (common/mutation.h DigestForm), for a service whose requests carry personal data.
  Handler(std::string service, const Authorizer& authorizer, const Clock& clock,
          DigestForm digest_form = nullptr)
      : service_(std::move(service)),
        authorizer_(authorizer),
        clock_(clock),
        digest_form_(std::move(digest_form)) {}

  template <typename Req, typename Fn>
  grpc::Status Read(grpc::ServerContext* ctx, absl::string_view method, const Req& req,
                    absl::Status (*validate)(const Req&), Fn&& fn) const {
    auto principal = authorizer_.Authorize(*ctx, method);
    if (!principal.ok()) return ToGrpcStatus(principal.status());
    if (absl::Status v = ValidateRequest(req, validate); !v.ok()) return ToGrpcStatus(v);
    return ToGrpcStatus(fn(*principal));
  }

  template <typename Req, typename Fn>
  grpc::Status Mutate(grpc::ServerContext* ctx, absl::string_view method, const Req& req,
                      absl::Status (*validate)(const Req&), Fn&& fn) const {
    auto principal = authorizer_.Authorize(*ctx, method);
    if (!principal.ok()) return ToGrpcStatus(principal.status());
    if (absl::Status v = ValidateRequest(req, validate); !v.ok()) return ToGrpcStatus(v);
    MutationContext m =
        ContextFor(service_, authorizer_.FullMethod(method), std::move(*principal),
                   req.request_id(), clock_.Now(), req, &authorizer_.digest_key(), digest_form_);
    return ToGrpcStatus(fn(m));
  }

  const Clock& clock() const { return clock_; }
  const DigestKey& digest_key() const { return authorizer_.digest_key(); }

 private:
  std::string service_;
  const Authorizer& authorizer_;
  const Clock& clock_;
  DigestForm digest_form_;
};

}  // namespace tuopin::common
