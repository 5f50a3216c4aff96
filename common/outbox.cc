#include "common/outbox.h"

#include <cppconn/resultset.h>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/server.h"
#include "common/status.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"

namespace tuopin::common {
namespace {

struct RelayMetrics {
  prometheus::Gauge& backlog;
  prometheus::Gauge& oldest_age;
  prometheus::Gauge& dead_letters;
  prometheus::Counter& shipped;
  prometheus::Counter& refused;

  static RelayMetrics& Get() {
    static RelayMetrics* m = [] {
      auto& r = MetricsRegistry();
      return new RelayMetrics{
          prometheus::BuildGauge()
              .Name("tuopin_outbox_backlog")
              .Help("Audit events in this service's outbox not yet in the log (dead letters not "
                    "counted).")
              .Register(r)
              .Add({}),
          prometheus::BuildGauge()
              .Name("tuopin_outbox_oldest_unshipped_seconds")
              .Help("Age of the oldest audit event not yet in the log (0 when none waits).")
              .Register(r)
              .Add({}),
          prometheus::BuildGauge()
              .Name("tuopin_outbox_dead_letters")
              .Help("Audit events the log refused, set aside in the outbox (alert when > 0).")
              .Register(r)
              .Add({}),
          prometheus::BuildCounter()
              .Name("tuopin_outbox_shipped_total")
              .Help("Audit events shipped to the log by this process.")
              .Register(r)
              .Add({}),
          prometheus::BuildCounter()
              .Name("tuopin_outbox_refused_total")
              .Help("Audit events the log refused, set aside as dead letters by this process.")
              .Register(r)
              .Add({})};
    }();
    return *m;
  }
};

// Sets an event aside, with the log's reason; it is kept, never deleted.
void MarkDeadLetter(DbSession& s, int64_t seq, absl::string_view reason) {
  Query(s,
        "UPDATE outbox SET dead_letter_at = UTC_TIMESTAMP(6), dead_letter_reason = ?"
        " WHERE seq = ?")
      .Arg(reason.substr(0, 1024))
      .Arg(seq)
      .Exec();
}

}  // namespace

bool IsRefusal(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return true;
    default:
      return false;
  }
}

OutboxRelay::OutboxRelay(ConnectionPool& pool, OutboxSink& sink, RelayOptions options)
    : pool_(pool), sink_(sink), options_(options) {
  RelayMetrics::Get();  // the series exist from the start, at 0
}

absl::Status OutboxRelay::ShipIsolating(DbSession& s, const std::vector<Row>& rows, size_t begin,
                                        size_t end, std::vector<int64_t>& shipped) {
  std::vector<tuopin::common::v1::AuditEvent> events;
  events.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) events.push_back(rows[i].event);
  absl::Status st = sink_.Ship(events);
  if (st.ok()) {
    for (size_t i = begin; i < end; ++i) shipped.push_back(rows[i].seq);
    return st;
  }
  if (!IsRefusal(st)) return st;
  if (end - begin == 1) {
    LogError("the audit log refused an event: kept in the outbox as a dead letter",
             {{"seq", std::to_string(rows[begin].seq)},
              {"event_id", rows[begin].event.event_id()},
              {"error", st.ToString()}});
    MarkDeadLetter(s, rows[begin].seq, st.ToString());
    RelayMetrics::Get().refused.Increment();
    return absl::OkStatus();
  }
  size_t mid = begin + (end - begin) / 2;
  TUOPIN_RETURN_IF_ERROR(ShipIsolating(s, rows, begin, mid, shipped));
  return ShipIsolating(s, rows, mid, end, shipped);
}

absl::StatusOr<int> OutboxRelay::RunOnce() {
  int done = 0;
  int shipped_count = 0;
  absl::Status st = RunInTransaction(pool_, [&](DbSession& s) -> absl::Status {
    done = 0;
    shipped_count = 0;
    // Lock the next rows, then read as many of them as fit the byte budget.
    std::vector<std::string> seqs;
    {
      auto rs = Query(s,
                      "SELECT seq, LENGTH(event) FROM outbox WHERE shipped_at IS NULL"
                      " AND dead_letter_at IS NULL ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED")
                    .Arg(options_.batch_size)
                    .Rows();
      size_t bytes = 0;
      while (rs->next()) {
        size_t size = static_cast<size_t>(rs->getInt64(2));
        if (!seqs.empty() && bytes + size > options_.batch_bytes) break;
        bytes += size;
        seqs.push_back(std::to_string(rs->getInt64(1)));
      }
    }
    if (seqs.empty()) return absl::OkStatus();
    std::vector<Row> rows;
    rows.reserve(seqs.size());
    {
      auto rs = Query(s, absl::StrCat("SELECT seq, event FROM outbox WHERE seq IN (",
                                      Placeholders(InListSize(seqs.size())), ") ORDER BY seq"))
                    .InList(seqs)
                    .Rows();
      while (rs->next()) {
        Row row{rs->getInt64(1), {}};
        if (!row.event.ParseFromString(rs->getString(2).asStdString())) {
          // Cannot be shipped as it is, ever: set aside, not retried forever.
          LogError("an outbox event does not parse: kept as a dead letter",
                   {{"seq", std::to_string(row.seq)}});
          MarkDeadLetter(s, row.seq, "the stored event does not parse");
          RelayMetrics::Get().refused.Increment();
          ++done;
          continue;
        }
        rows.push_back(std::move(row));
      }
    }
    std::vector<int64_t> shipped;
    if (!rows.empty()) TUOPIN_RETURN_IF_ERROR(ShipIsolating(s, rows, 0, rows.size(), shipped));
    if (!shipped.empty()) {
      std::vector<std::string> ids;
      for (int64_t seq : shipped) ids.push_back(std::to_string(seq));
      Query(s, absl::StrCat("UPDATE outbox SET shipped_at = UTC_TIMESTAMP(6) WHERE seq IN (",
                            Placeholders(InListSize(ids.size())), ")"))
          .InList(ids)
          .Exec();
    }
    shipped_count = static_cast<int>(shipped.size());
    done += static_cast<int>(rows.size());
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  RelayMetrics::Get().shipped.Increment(shipped_count);
  return done;
}

absl::StatusOr<int64_t> OutboxRelay::Backlog() {
  TUOPIN_ASSIGN_OR_RETURN(OutboxStats stats, Stats());
  return stats.backlog;
}

absl::StatusOr<OutboxStats> OutboxRelay::Stats() {
  OutboxStats out;
  TUOPIN_RETURN_IF_ERROR(WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s,
                    "SELECT COUNT(*), COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(created_at),"
                    " UTC_TIMESTAMP(6)), 0) FROM outbox WHERE shipped_at IS NULL"
                    " AND dead_letter_at IS NULL")
                  .Rows();
    if (rs->next()) {
      out.backlog = rs->getInt64(1);
      out.oldest_age = absl::Microseconds(std::max<int64_t>(0, rs->getInt64(2)));
    }
    auto dead = Query(s, "SELECT COUNT(*) FROM outbox WHERE dead_letter_at IS NOT NULL").Rows();
    if (dead->next()) out.dead_letters = dead->getInt64(1);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status OutboxRelay::UpdateMetrics() {
  TUOPIN_ASSIGN_OR_RETURN(OutboxStats stats, Stats());
  auto& m = RelayMetrics::Get();
  m.backlog.Set(static_cast<double>(stats.backlog));
  m.oldest_age.Set(absl::ToDoubleSeconds(stats.oldest_age));
  m.dead_letters.Set(static_cast<double>(stats.dead_letters));
  return absl::OkStatus();
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
  absl::Time metrics_due = absl::InfinitePast();
  while (true) {
    absl::Duration wait = absl::ZeroDuration();
    auto shipped = RunOnce();
    if (!shipped.ok()) {
      LogWarning("outbox relay could not ship", {{"error", shipped.status().ToString()}});
      wait = backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else {
      backoff = absl::Milliseconds(100);
      if (*shipped == 0) wait = options_.idle_poll;
    }
    if (absl::Now() >= metrics_due) {
      if (absl::Status st = UpdateMetrics(); !st.ok()) {
        LogWarning("outbox metrics could not be read", {{"error", st.ToString()}});
      }
      metrics_due = absl::Now() + absl::Seconds(1);
    }
    absl::MutexLock lock(&mu_);
    if (wait > absl::ZeroDuration()) {
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
    }
    if (stopping_) return;
  }
}

}  // namespace tuopin::common
