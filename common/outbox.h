#pragma once
// The outbox relay: ships audit events committed in a service's outbox table to a sink
// (the audit log) at least once, oldest first. Replicas share the work through
// SELECT ... FOR UPDATE SKIP LOCKED; the log deduplicates by event id.
//
// One event the log refuses never holds back the events after it: a refused batch is
// split until the refused event is alone, and that event becomes a dead letter (kept in
// the outbox with the log's reason, counted in tuopin_outbox_dead_letters, never deleted;
// docs/OPERATIONS.md says how to resolve one). Batches are sized in bytes under the
// gateway's message limit.

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
  // OK means every event is durably stored by the receiver. A refusal of the events
  // themselves (IsRefusal) is final; any other error is worth a retry.
  virtual absl::Status Ship(const std::vector<tuopin::common::v1::AuditEvent>& events) = 0;
};

// The log's answer says the events themselves are wrong (invalid, or an event id it holds
// with other content): sending them again cannot succeed.
bool IsRefusal(const absl::Status& status);

struct RelayOptions {
  int batch_size = 500;
  // The serialized events of one batch add up to at most this (the gateway takes messages
  // of up to 4 MiB; one event is at most kMaxEventBytes, 1 MiB).
  size_t batch_bytes = 3 << 20;
  absl::Duration idle_poll = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
};

// What an operator watches: events waiting, the age of the oldest, and dead letters.
struct OutboxStats {
  int64_t backlog = 0;
  absl::Duration oldest_age = absl::ZeroDuration();
  int64_t dead_letters = 0;
};

class OutboxRelay {
 public:
  OutboxRelay(ConnectionPool& pool, OutboxSink& sink, RelayOptions options = {});
  ~OutboxRelay() { Stop(); }

  // Ships one batch; returns how many events left the queue (shipped or set aside as dead
  // letters).
  absl::StatusOr<int> RunOnce();
  // Events not yet shipped (dead letters not counted).
  absl::StatusOr<int64_t> Backlog();
  absl::StatusOr<OutboxStats> Stats();
  // Publishes Stats() to the process's metrics.
  absl::Status UpdateMetrics();

  void Start();
  void Stop();

 private:
  struct Row {
    int64_t seq;
    tuopin::common::v1::AuditEvent event;
  };
  void Loop();
  // Ships rows[begin, end); refused events are isolated by halving and set aside.
  absl::Status ShipIsolating(DbSession& s, const std::vector<Row>& rows, size_t begin, size_t end,
                             std::vector<int64_t>& shipped);

  ConnectionPool& pool_;
  OutboxSink& sink_;
  RelayOptions options_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tuopin::common
