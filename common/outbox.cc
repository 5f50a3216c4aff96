#include "common/outbox.h"

#include <cppconn/resultset.h>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status.h"

namespace tuopin::common {

absl::StatusOr<int> OutboxRelay::RunOnce() {
  int shipped = 0;
  absl::Status st = RunInTransaction(pool_, [&](DbSession& s) -> absl::Status {
    shipped = 0;
    std::vector<int64_t> seqs;
    std::vector<tuopin::common::v1::AuditEvent> events;
    auto rs = Query(s,
                    "SELECT seq, event FROM outbox WHERE shipped_at IS NULL ORDER BY seq"
                    " LIMIT ? FOR UPDATE SKIP LOCKED")
                  .Arg(options_.batch_size)
                  .Rows();
    while (rs->next()) {
      seqs.push_back(rs->getInt64(1));
      if (!events.emplace_back().ParseFromString(rs->getString(2).asStdString())) {
        return absl::DataLossError(absl::StrCat("outbox row ", seqs.back(), " does not parse"));
      }
    }
    if (events.empty()) return absl::OkStatus();
    TUOPIN_RETURN_IF_ERROR(sink_.Ship(events));
    for (int64_t seq : seqs) {
      Query(s, "UPDATE outbox SET shipped_at = UTC_TIMESTAMP(6) WHERE seq = ?").Arg(seq).Exec();
    }
    shipped = static_cast<int>(events.size());
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return shipped;
}

absl::StatusOr<int64_t> OutboxRelay::Backlog() {
  int64_t n = 0;
  TUOPIN_RETURN_IF_ERROR(WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, "SELECT COUNT(*) FROM outbox WHERE shipped_at IS NULL").Rows();
    if (rs->next()) n = rs->getInt64(1);
    return absl::OkStatus();
  }));
  return n;
}

void OutboxRelay::Start() {
  absl::MutexLock lock(&mu_);
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void OutboxRelay::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void OutboxRelay::Loop() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (true) {
    absl::Duration wait = absl::ZeroDuration();
    auto shipped = RunOnce();
    if (!shipped.ok()) {
      LogWarning("outbox relay could not ship", {{"error", shipped.status().ToString()}});
      wait = backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else {
      backoff = absl::Milliseconds(100);
      if (*shipped < options_.batch_size) wait = options_.idle_poll;
    }
    absl::MutexLock lock(&mu_);
    if (wait > absl::ZeroDuration()) {
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
    }
    if (stopping_) return;
  }
}

}  // namespace tuopin::common
