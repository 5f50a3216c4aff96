#pragma once
// JSON over HTTP for web applications and curl: POST /v1/<package.Service>/<Method> with
// the protobuf JSON mapping in and out, the same authentication, policy and limits as the
// gRPC face, gRPC codes mapped to HTTP statuses and errors in Google's JSON error shape.

#include <memory>
#include <string>
#include <thread>

#include "services/gateway/gateway.h"

namespace httplib {
class Server;
}

namespace tuopin::gateway {

// google.rpc.Code -> HTTP status, as Google's HTTP/JSON transcoding maps them.
int HttpStatusForCode(int grpc_code);

class HttpFront {
 public:
  explicit HttpFront(Gateway& gateway);
  ~HttpFront();
  // Binds (port 0 picks a free port) and serves on a thread; returns the bound port or -1.
  int Start(const std::string& host, int port);
  void Stop();

 private:
  Gateway& gateway_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace tuopin::gateway
