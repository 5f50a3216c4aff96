#pragma once
// The gateway's gRPC face: a callback generic service that admits each call and forwards
// its request bytes, unparsed, to the backend channel of the method's service.

#include "grpcpp/generic/async_generic_service.h"
#include "services/gateway/gateway.h"

namespace tuopin::gateway {

class ProxyService final : public grpc::CallbackGenericService {
 public:
  explicit ProxyService(Gateway& gateway) : gateway_(gateway) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override;

 private:
  Gateway& gateway_;
};

}  // namespace tuopin::gateway
