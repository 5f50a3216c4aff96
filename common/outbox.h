#pragma once
// The outbox relay: ships audit events committed in a service's outbox table to a sink
// (the accountability log) at least once, oldest first. Replicas share the work through
// SELECT ... FOR UPDATE SKIP LOCKED; the log deduplicates by event id.

#include <atomic>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/db.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::common {

class OutboxSink {
 public:
  virtual ~OutboxSink() = default;
  // OK means every event is durably stored by the receiver.
  virtual absl::Status Ship(const std::vector<tuopin::common::v1::AuditEvent>& events) = 0;
};

struct RelayOptions {
  int batch_size = 500;
  absl::Duration idle_poll = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
};

class OutboxRelay {
 public:
  OutboxRelay(ConnectionPool& pool, OutboxSink& sink, RelayOptions options = {})
      : pool_(pool), sink_(sink), options_(options) {}
  ~OutboxRelay() { Stop(); }

  // Ships one batch; returns how many events were shipped.
  absl::StatusOr<int> RunOnce();
  // Events not yet shipped.
  absl::StatusOr<int64_t> Backlog();

  void Start();
  void Stop();

 private:
  void Loop();

  ConnectionPool& pool_;
  OutboxSink& sink_;
  RelayOptions options_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tuopin::common
