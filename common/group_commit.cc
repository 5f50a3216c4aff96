#include "common/group_commit.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/server.h"
#include "common/status.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"

namespace tuopin::common {

namespace {

// tuopin_group_commit_*{method}: how many calls were written in groups and alone, in how
// many groups, and how many groups failed as a whole (their calls then ran alone).
struct GroupMetrics {
  prometheus::Family<prometheus::Counter>& calls;
  prometheus::Family<prometheus::Counter>& groups;
  prometheus::Family<prometheus::Counter>& failed;
  static GroupMetrics& Get() {
    static GroupMetrics* m = [] {
      auto& r = MetricsRegistry();
      return new GroupMetrics{
          prometheus::BuildCounter()
              .Name("tuopin_group_commit_calls_total")
              .Help("Calls of a group-committed method, by path: grouped (committed in a group) "
                    "or alone (a group of one, a refusal, a replay, or a failed group's).")
              .Register(r),
          prometheus::BuildCounter()
              .Name("tuopin_group_commit_groups_total")
              .Help("Transactions that committed calls of a group.")
              .Register(r),
          prometheus::BuildCounter()
              .Name("tuopin_group_commit_failed_groups_total")
              .Help("Group transactions that failed as a whole; their calls ran alone.")
              .Register(r)};
    }();
    return *m;
  }
};

}  // namespace

GroupCommitEngine::GroupCommitEngine(std::string name, ConnectionPool& pool, IdGenerator& ids,
                                     GroupCommitOptions options, Body body, Alone alone)
    : name_(std::move(name)),
      pool_(pool),
      ids_(ids),
      options_{std::max(0, options.workers), std::max(absl::ZeroDuration(), options.window),
               std::max(2, options.max_calls)},
      body_(std::move(body)),
      alone_(std::move(alone)) {
  GroupMetrics& m = GroupMetrics::Get();
  grouped_counter_ = &m.calls.Add({{"method", name_}, {"path", "grouped"}});
  alone_counter_ = &m.calls.Add({{"method", name_}, {"path", "alone"}});
  groups_counter_ = &m.groups.Add({{"method", name_}});
  failed_counter_ = &m.failed.Add({{"method", name_}});
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { Work(); });
}

GroupCommitEngine::~GroupCommitEngine() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& w : workers_) w.join();
}

GroupCommitStats GroupCommitEngine::stats() const {
  absl::MutexLock lock(&mu_);
  GroupCommitStats out = stats_;
  out.waiting = static_cast<int64_t>(queue_.size());
  return out;
}

absl::Status GroupCommitEngine::Run(const MutationContext& ctx, const void* input,
                                    google::protobuf::Message& response) {
  if (options_.workers <= 0) {
    alone_counter_->Increment();
    return alone_(ctx, input, response);
  }
  Waiting w;
  w.call.ctx = &ctx;
  w.call.input = input;
  w.call.response = &response;
  w.enqueued = absl::Now();
  bool queued = false;
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(&w);
      queued = true;
    }
  }
  // The worker owns `w` until it notifies: nothing of it is read before.
  if (queued) w.done.WaitForNotification();
  if (!queued || w.alone) return alone_(ctx, input, response);
  return absl::OkStatus();
}

bool GroupCommitEngine::Ready() const {
  return stopping_ || static_cast<int>(queue_.size()) >= options_.max_calls;
}

bool GroupCommitEngine::CanGather() const { return stopping_ || (!queue_.empty() && !gathering_); }

void GroupCommitEngine::Work() {
  for (;;) {
    std::vector<Waiting*> group;
    {
      absl::MutexLock lock(&mu_);
      // One worker gathers at a time, so that a window fills one group, not several.
      mu_.Await(absl::Condition(this, &GroupCommitEngine::CanGather));
      if (queue_.empty()) return;  // stopping, nothing left to write
      gathering_ = true;
      if (options_.window > absl::ZeroDuration()) {
        mu_.AwaitWithDeadline(absl::Condition(this, &GroupCommitEngine::Ready),
                              queue_.front()->enqueued + options_.window);
      }
      while (!queue_.empty() && static_cast<int>(group.size()) < options_.max_calls) {
        group.push_back(queue_.front());
        queue_.pop_front();
      }
      gathering_ = false;
    }
    // Another worker may have taken them while this one waited (when stopping).
    if (group.empty()) continue;
    try {
      Write(group);
    } catch (...) {
      // A body that throws (a defect, not an SQL error) fails its group, not the
      // process: every call runs alone, where the exception meets its caller.
      for (Waiting* w : group) w->alone = true;
    }
    {
      absl::MutexLock lock(&mu_);
      int64_t grouped = 0;
      for (const Waiting* w : group) grouped += w->alone ? 0 : 1;
      stats_.alone_calls += static_cast<int64_t>(group.size()) - grouped;
      alone_counter_->Increment(static_cast<double>(group.size()) - grouped);
      grouped_counter_->Increment(static_cast<double>(grouped));
      if (grouped > 0) {
        groups_counter_->Increment();
        stats_.groups += 1;
        stats_.grouped_calls += grouped;
        stats_.largest_group = std::max(stats_.largest_group, grouped);
      }
    }
    for (Waiting* w : group) w->done.Notify();  // `w` may be gone once notified
  }
}

namespace {

// The members of `members` whose request ids are recorded, in one read.
std::set<std::pair<std::string, std::string>> RecordedIds(
    DbSession& s, const std::vector<const MutationContext*>& calls) {
  std::string sql = "SELECT subject, request_id FROM idempotency WHERE ";
  for (size_t i = 0; i < calls.size(); ++i) {
    sql += i == 0 ? "(subject = " : " OR (subject = ";
    AppendSqlHex(&sql, calls[i]->principal.subject());
    sql += " AND request_id = ";
    AppendSqlHex(&sql, calls[i]->request_id);
    sql += ")";
  }
  std::set<std::pair<std::string, std::string>> out;
  Script probe(s);
  probe.Add(std::move(sql), [&out](sql::ResultSet& rows) {
    while (rows.next())
      out.emplace(rows.getString(1).asStdString(), rows.getString(2).asStdString());
  });
  probe.Run();
  return out;
}

}  // namespace

void GroupCommitEngine::Write(std::vector<Waiting*>& group) {
  // A group of one is an ordinary call.
  if (group.size() == 1) {
    group[0]->alone = true;
    return;
  }
  std::vector<Waiting*> members;
  auto set_aside = [&members](Waiting* w) {
    w->alone = true;
    members.erase(std::find(members.begin(), members.end(), w));
  };
  // Copies of one request id in the group: the first is written in it, the others alone
  // (a retry is then answered from its record, another request refused as a reuse).
  std::set<std::pair<std::string, std::string>> ids;
  for (Waiting* w : group) {
    if (ids.emplace(w->call.ctx->principal.subject(), w->call.ctx->request_id).second) {
      members.push_back(w);
    } else {
      w->alone = true;
    }
  }
  // Calls set aside end the transaction with this status and the group is written again
  // without them, in a new round with its own attempts for deadlocks: every round has one
  // member fewer, so there are at most as many rounds as members.
  const absl::Status kSetAside = absl::AbortedError("calls of the group were set aside");
  bool check_recorded = false;
  absl::Status st;
  for (;;) {
    st = RunInTransaction(pool_, [&](DbSession& s) -> absl::Status {
      // After a retry was found in the group, every retry of it is set aside at once.
      if (check_recorded && !members.empty()) {
        std::vector<const MutationContext*> contexts;
        for (Waiting* w : members) contexts.push_back(w->call.ctx);
        auto recorded = RecordedIds(s, contexts);
        for (Waiting* w : std::vector<Waiting*>(members)) {
          if (recorded.count({w->call.ctx->principal.subject(), w->call.ctx->request_id}))
            set_aside(w);
        }
        check_recorded = false;
      }
      if (members.empty()) return absl::OkStatus();
      std::vector<GroupedCall*> calls;
      for (Waiting* w : members) {
        w->call.status = absl::OkStatus();
        w->call.entities.clear();
        w->call.response->Clear();
        calls.push_back(&w->call);
      }
      TUOPIN_RETURN_IF_ERROR(body_(s, calls));
      Script tail(s);
      std::vector<std::pair<size_t, Waiting*>> records;
      std::vector<Waiting*> unloggable;
      for (Waiting* w : members) {
        if (!w->call.status.ok()) continue;  // written without it; it runs alone
        absl::StatusOr<size_t> at =
            AddRecordAndEvents(tail, ids_, *w->call.ctx, w->call.entities, *w->call.response);
        if (at.ok()) {
          records.emplace_back(*at, w);
        } else {
          unloggable.push_back(w);
        }
      }
      // Their writes are in the transaction: the group is written again without them.
      if (!unloggable.empty()) {
        for (Waiting* w : unloggable) set_aside(w);
        return kSetAside;
      }
      if (tail.size() == 0) return absl::OkStatus();
      try {
        tail.RunAndCommit();
      } catch (const sql::SQLException& e) {
        if (e.getErrorCode() == kErDupEntry) {
          for (auto& [at, w] : records) {
            if (tail.failed() != static_cast<int>(at)) continue;
            // A retry of a recorded call: answered alone, from its record.
            set_aside(w);
            check_recorded = true;
            return kSetAside;
          }
        }
        throw;
      }
      return absl::OkStatus();
    });
    if (st.ok() || st != kSetAside) break;
  }
  if (!st.ok()) {
    for (Waiting* w : members) w->alone = true;
    absl::MutexLock lock(&mu_);
    stats_.failed_groups += 1;
    failed_counter_->Increment();
    return;
  }
  for (Waiting* w : members) {
    if (!w->call.status.ok()) w->alone = true;
  }
}

}  // namespace tuopin::common
