#pragma once
// The JSON front's transport: httplib's server with TLS when configured, a bounded worker
// pool, and a connection loop of its own that bounds whole requests, not single reads.
// The front (http_front.h) adds the routes.

#include <httplib.h>
#include <openssl/ssl.h>

#include <atomic>
#include <cstddef>
#include <functional>

#include "absl/status/status.h"
#include "services/gateway/http_front.h"

namespace tuopin::gateway {

// The largest request body the front takes.
inline constexpr size_t kMaxBodyBytes = 4 << 20;

// httplib's loop (Server::process_and_close_socket) bounds each read but not a whole
// request, so a client sending a byte every few seconds kept a worker for ever, and it
// waits for a keep-alive connection's next request even when other connections wait for
// the worker; it does TLS only as httplib::SSLServer, with the same loop.
class BoundedHttpServer final : public httplib::Server {
 public:
  // What a connection's waits look at: whether connections wait for a worker, and
  // whether the server is stopping.
  struct State {
    const std::atomic<bool>& busy;
    std::function<bool()> stopping;
  };

  explicit BoundedHttpServer(const HttpFrontOptions& options);
  ~BoundedHttpServer() override;

  // cpp-httplib listens with a backlog of 5: a burst of new connections overflowed it and
  // waited a second each for the kernel's SYN retransmit. Connections are accepted at once
  // and refused by the pool when there is no room, so a longer backlog queues nothing for
  // long.
  void RaiseBacklog();

  // Builds the TLS context when a certificate is configured.
  absl::Status Init();

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool Refuse(int sock);
  bool Serve(int sock);

  const HttpFrontOptions options_;
  std::atomic<bool> busy_{false};
  State state_;
  SSL_CTX* ctx_ = nullptr;
};

}  // namespace tuopin::gateway
