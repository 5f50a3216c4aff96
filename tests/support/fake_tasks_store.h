#pragma once
// An in-memory TasksStore for logic unit tests: campaigns, tasks with their versions,
// the progress log (reporters are read from it, as the MySQL store reads task_progress),
// the queue of indicator updates owed to personnel, the idempotency records and the audit
// events. A change whose callback refuses writes nothing.
// Header-only, so that adding a primitive to the store changes this one file.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/tasks/tasks_store.h"
#include "tests/support/fake_mutations.h"
#include "tests/support/fake_rows.h"

namespace tuopin::testing {

class FakeTasksStore final : public tasks::TasksStore {
 public:
  struct IndicatorRow {
    std::string household_id, indicator;
    absl::Time created_at;
    bool done = false;
    int attempts = 0;
    std::string last_error;
  };

  std::map<std::string, tasks::v1::Campaign> campaigns;
  // Stored without reporters and etag; versions by task id.
  std::map<std::string, tasks::v1::Task> tasks;
  std::map<std::string, int64_t> versions;
  std::vector<std::pair<std::string, tasks::ProgressReport>> progress;  // (task id, report)
  std::map<std::string, IndicatorRow> indicator_updates;                // by task id
  FakeMutations mutations;  // RunMutation's frame and the audit events

  // Puts a task as it is (version 1 unless given), as if written earlier.
  void Put(const tasks::v1::Task& task, int64_t version = 1);

  absl::Status CreateCampaign(const tasks::MutationContext& ctx, const tasks::v1::Campaign& c,
                              tasks::v1::Campaign& out) override;
  absl::StatusOr<std::optional<tasks::v1::Campaign>> GetCampaign(const std::string& id) override;
  absl::Status CreateTask(const tasks::MutationContext& ctx, const tasks::v1::Task& t,
                          tasks::v1::Task& out) override;
  absl::StatusOr<bool> RecordedBatch(const tasks::MutationContext& ctx,
                                     tasks::v1::BatchCreateTasksResponse& out) override {
    return mutations.Recorded(ctx, out);
  }
  absl::Status CreateTasks(const tasks::MutationContext& ctx,
                           const std::vector<tasks::v1::Task>& batch,
                           const tasks::v1::BatchCreateTasksResponse& answer,
                           tasks::v1::BatchCreateTasksResponse& out) override;
  absl::StatusOr<std::optional<tasks::v1::Task>> GetTask(const std::string& id) override;
  absl::StatusOr<std::vector<tasks::v1::Task>> ListTasks(const tasks::TaskFilter& filter,
                                                         const tasks::PageRequest& page) override;
  absl::Status ChangeTask(const tasks::MutationContext& ctx, const std::string& id,
                          const std::string& etag, const TaskChange& change,
                          tasks::v1::Task& out) override;
  absl::StatusOr<std::vector<tasks::v1::Task>> ListOverdue(const std::string& region_prefix,
                                                           absl::CivilDay due_before,
                                                           const tasks::PageRequest& page) override;
  absl::StatusOr<std::vector<tasks::SectorCount>> CountBySector(const std::string& campaign_id,
                                                                int stage,
                                                                const std::string& region_prefix,
                                                                size_t child_len,
                                                                absl::CivilDay today) override;
  absl::StatusOr<std::vector<std::tuple<int, int, int>>> Unfinished(const std::string& campaign_id,
                                                                    int stage) override;
  absl::StatusOr<std::vector<tasks::IndicatorUpdate>> PendingIndicatorUpdates(int limit) override;
  absl::Status FinishIndicatorUpdate(const std::string& task_id, absl::Time now,
                                     const absl::Status& result) override;

 private:
  // The stored task with its etag and reporters.
  tasks::v1::Task Read(const tasks::v1::Task& stored) const;

  common::SequentialIdGenerator ids_{"fake-"};
};

namespace fake_tasks_detail {

namespace v1 = tasks::v1;

// Open, in progress or completed: not yet verified nor cancelled.
inline bool IsUnfinished(v1::TaskStatus s) {
  return s == v1::TASK_STATUS_OPEN || s == v1::TASK_STATUS_IN_PROGRESS ||
         s == v1::TASK_STATUS_COMPLETED;
}

inline bool Overdue(const v1::Task& t, absl::CivilDay before) {
  return IsUnfinished(t.status()) && common::FromDate(t.deadline()) < before;
}

inline bool InRegion(const std::string& code, const std::string& prefix) {
  return code >= prefix && code < common::RegionRangeEnd(prefix);
}

}  // namespace fake_tasks_detail

inline void FakeTasksStore::Put(const tasks::v1::Task& task, int64_t version) {
  tasks[task.id()] = task;
  versions[task.id()] = version;
}

inline tasks::v1::Task FakeTasksStore::Read(const tasks::v1::Task& stored) const {
  tasks::v1::Task t = stored;
  t.set_etag(common::EtagOf(versions.at(t.id())));
  std::set<std::string> reporters;
  for (const auto& [task_id, report] : progress) {
    if (task_id == t.id() && report.kind != tasks::ProgressReport::kNote) {
      reporters.insert(report.reported_by);
    }
  }
  t.clear_reporters();
  for (const auto& r : reporters) t.add_reporters(r);
  return t;
}

inline absl::Status FakeTasksStore::CreateCampaign(const tasks::MutationContext& ctx,
                                                   const tasks::v1::Campaign& c,
                                                   tasks::v1::Campaign& out) {
  return mutations.Run<tasks::v1::Campaign>(
      ctx,
      [&](tasks::v1::Campaign& created) -> absl::StatusOr<common::EntityRefs> {
        created = c;
        created.set_id(ids_.NewId());
        campaigns[created.id()] = created;
        return common::EntityRefs{common::Entity("campaign", created.id(), c.region_code())};
      },
      out);
}

inline absl::StatusOr<std::optional<tasks::v1::Campaign>> FakeTasksStore::GetCampaign(
    const std::string& id) {
  return FindRow(campaigns, id);
}

inline absl::Status FakeTasksStore::CreateTask(const tasks::MutationContext& ctx,
                                               const tasks::v1::Task& t, tasks::v1::Task& out) {
  return mutations.Run<tasks::v1::Task>(
      ctx,
      [&](tasks::v1::Task& created) -> absl::StatusOr<common::EntityRefs> {
        tasks::v1::Task stored = t;
        stored.set_id(ids_.NewId());
        *stored.mutable_create_time() = common::ToTimestamp(ctx.now);
        *stored.mutable_update_time() = common::ToTimestamp(ctx.now);
        Put(stored);
        created = Read(stored);
        common::EntityRefs refs{common::Entity("task", stored.id(), t.village_code())};
        if (!t.household_id().empty()) {
          refs.push_back(common::Entity("household", t.household_id(), t.village_code()));
        }
        return refs;
      },
      out);
}

inline absl::Status FakeTasksStore::CreateTasks(const tasks::MutationContext& ctx,
                                                const std::vector<tasks::v1::Task>& batch,
                                                const tasks::v1::BatchCreateTasksResponse& answer,
                                                tasks::v1::BatchCreateTasksResponse& out) {
  // One event per task, as the real store (common::RunMutationEach).
  return mutations.RunEach<tasks::v1::BatchCreateTasksResponse>(
      ctx,
      [&](tasks::v1::BatchCreateTasksResponse& created)
          -> absl::StatusOr<std::vector<common::EntityRefs>> {
        std::vector<common::EntityRefs> refs;
        for (const auto& t : batch) {
          // The table's primary key: a task id written twice fails the whole transaction.
          if (tasks.count(t.id()) != 0) return absl::AlreadyExistsError(t.id());
        }
        for (const auto& t : batch) {
          tasks::v1::Task stored = t;
          *stored.mutable_create_time() = common::ToTimestamp(ctx.now);
          *stored.mutable_update_time() = common::ToTimestamp(ctx.now);
          Put(stored);
          common::EntityRefs& mine = refs.emplace_back();
          mine.push_back(common::Entity("task", t.id(), t.village_code()));
          if (!t.household_id().empty())
            mine.push_back(common::Entity("household", t.household_id(), t.village_code()));
          if (!t.assignee_cadre_id().empty())
            mine.push_back(common::Entity("cadre", t.assignee_cadre_id(), ""));
          if (!t.rectification_order_id().empty())
            mine.push_back(common::Entity("rectification_order", t.rectification_order_id(),
                                          t.village_code()));
        }
        created = answer;
        return refs;
      },
      out);
}

inline absl::StatusOr<std::optional<tasks::v1::Task>> FakeTasksStore::GetTask(
    const std::string& id) {
  auto t = tasks.find(id);
  if (t == tasks.end()) return std::optional<tasks::v1::Task>();
  return std::optional<tasks::v1::Task>(Read(t->second));
}

inline absl::StatusOr<std::vector<tasks::v1::Task>> FakeTasksStore::ListTasks(
    const tasks::TaskFilter& f, const tasks::PageRequest& page) {
  std::vector<std::pair<std::pair<std::string, std::string>, tasks::v1::Task>> rows;
  for (const auto& [id, t] : tasks) {
    if (!fake_tasks_detail::InRegion(t.village_code(), f.region_prefix) ||
        (!f.campaign_id.empty() && t.campaign_id() != f.campaign_id) ||
        (!f.assignee_cadre_id.empty() && t.assignee_cadre_id() != f.assignee_cadre_id) ||
        (f.sector != 0 && t.sector() != f.sector) || (f.stage != 0 && t.stage() != f.stage) ||
        (f.status != 0 && t.status() != f.status) ||
        (f.overdue_only && !fake_tasks_detail::Overdue(t, f.today))) {
      continue;
    }
    rows.push_back({{t.village_code(), id}, Read(t)});
  }
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<tasks::v1::Task> out;
  for (auto& [key, t] : rows) {
    if (page.after.size() == 2 && key <= std::make_pair(page.after[0], page.after[1])) continue;
    if (static_cast<int>(out.size()) == page.limit) break;
    out.push_back(std::move(t));
  }
  return out;
}

inline absl::Status FakeTasksStore::ChangeTask(const tasks::MutationContext& ctx,
                                               const std::string& id, const std::string& etag,
                                               const TaskChange& change, tasks::v1::Task& out) {
  return mutations.Run<tasks::v1::Task>(
      ctx,
      [&](tasks::v1::Task& changed) -> absl::StatusOr<common::EntityRefs> {
        auto stored = tasks.find(id);
        if (stored == tasks.end()) {
          return common::NotFound("task", id);
        }
        tasks::v1::Task t = Read(stored->second);
        TUOPIN_ASSIGN_OR_RETURN(int64_t version, common::NextVersion(etag, t.etag(), "task"));
        tasks::TaskEffects effects;
        TUOPIN_RETURN_IF_ERROR(change(t, effects));
        *t.mutable_update_time() = common::ToTimestamp(ctx.now);
        t.clear_etag();
        t.clear_reporters();
        Put(t, version);
        if (effects.progress) progress.emplace_back(id, *effects.progress);
        if (effects.indicator) {
          indicator_updates[id] = IndicatorRow{effects.indicator->first,
                                               effects.indicator->second,
                                               ctx.now,
                                               false,
                                               indicator_updates[id].attempts,
                                               ""};
        }
        changed = Read(t);
        common::EntityRefs refs{common::Entity("task", id, t.village_code())};
        if (!t.household_id().empty()) {
          refs.push_back(common::Entity("household", t.household_id(), t.village_code()));
        }
        return refs;
      },
      out);
}

inline absl::StatusOr<std::vector<tasks::v1::Task>> FakeTasksStore::ListOverdue(
    const std::string& region_prefix, absl::CivilDay due_before, const tasks::PageRequest& page) {
  std::vector<tasks::v1::Task> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  for (const auto& [id, t] : tasks) {  // by id
    if (id <= after || !fake_tasks_detail::InRegion(t.village_code(), region_prefix) ||
        !fake_tasks_detail::Overdue(t, due_before)) {
      continue;
    }
    if (static_cast<int>(out.size()) == page.limit) break;
    out.push_back(Read(t));
  }
  return out;
}

inline absl::StatusOr<std::vector<tasks::SectorCount>> FakeTasksStore::CountBySector(
    const std::string& campaign_id, int stage, const std::string& region_prefix, size_t child_len,
    absl::CivilDay today) {
  std::map<std::pair<int, std::string>, tasks::SectorCount> folded;
  for (const auto& [id, t] : tasks) {
    if (t.campaign_id() != campaign_id || t.stage() != stage ||
        !fake_tasks_detail::InRegion(t.village_code(), region_prefix)) {
      continue;
    }
    std::string child = t.village_code().substr(0, child_len);
    tasks::SectorCount& c = folded[{t.sector(), child}];
    c.sector = t.sector();
    c.region_code = child;
    c.total += t.status() != tasks::v1::TASK_STATUS_CANCELLED;
    c.verified += t.status() == tasks::v1::TASK_STATUS_VERIFIED;
    c.in_progress += t.status() == tasks::v1::TASK_STATUS_IN_PROGRESS;
    c.overdue += fake_tasks_detail::Overdue(t, today);
  }
  std::vector<tasks::SectorCount> out;
  for (auto& [key, c] : folded) out.push_back(std::move(c));
  return out;
}

inline absl::StatusOr<std::vector<std::tuple<int, int, int>>> FakeTasksStore::Unfinished(
    const std::string& campaign_id, int stage) {
  std::map<std::pair<int, int>, int> counts;
  for (const auto& [id, t] : tasks) {
    if (t.campaign_id() == campaign_id && t.stage() <= stage &&
        fake_tasks_detail::IsUnfinished(t.status())) {
      ++counts[{t.stage(), t.sector()}];
    }
  }
  std::vector<std::tuple<int, int, int>> out;
  for (const auto& [key, n] : counts) out.emplace_back(key.first, key.second, n);
  return out;
}

inline absl::StatusOr<std::vector<tasks::IndicatorUpdate>> FakeTasksStore::PendingIndicatorUpdates(
    int limit) {
  std::vector<std::pair<absl::Time, tasks::IndicatorUpdate>> due;
  for (const auto& [task_id, row] : indicator_updates) {
    if (!row.done) due.push_back({row.created_at, {task_id, row.household_id, row.indicator}});
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<tasks::IndicatorUpdate> out;
  for (auto& [at, u] : due) {
    if (static_cast<int>(out.size()) == limit) break;
    out.push_back(std::move(u));
  }
  return out;
}

inline absl::Status FakeTasksStore::FinishIndicatorUpdate(const std::string& task_id, absl::Time,
                                                          const absl::Status& result) {
  auto row = indicator_updates.find(task_id);
  if (row == indicator_updates.end()) return absl::OkStatus();  // an UPDATE of no row
  ++row->second.attempts;
  row->second.done = result.ok();
  row->second.last_error = std::string(result.message()).substr(0, 500);
  return absl::OkStatus();
}

}  // namespace tuopin::testing
