#include "tests/support/fake_tasks_store.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/db.h"
#include "common/status.h"
#include "common/validate.h"

namespace tuopin::testing {
namespace {

namespace v1 = tasks::v1;
using common::Entity;
using common::EntityRefs;

// Open, in progress or completed: not yet verified nor cancelled.
bool IsUnfinished(v1::TaskStatus s) {
  return s == v1::TASK_STATUS_OPEN || s == v1::TASK_STATUS_IN_PROGRESS ||
         s == v1::TASK_STATUS_COMPLETED;
}

bool Overdue(const v1::Task& t, absl::CivilDay before) {
  return IsUnfinished(t.status()) && common::FromDate(t.deadline()) < before;
}

bool InRegion(const std::string& code, const std::string& prefix) {
  return code >= prefix && code < common::RegionRangeEnd(prefix);
}

}  // namespace

void FakeTasksStore::Put(const v1::Task& task, int64_t version) {
  tasks[task.id()] = task;
  versions[task.id()] = version;
}

v1::Task FakeTasksStore::Read(const v1::Task& stored) const {
  v1::Task t = stored;
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

absl::Status FakeTasksStore::CreateCampaign(const tasks::MutationContext& ctx,
                                            const v1::Campaign& c, v1::Campaign& out) {
  return mutations.Run<v1::Campaign>(
      ctx,
      [&](v1::Campaign& created) -> absl::StatusOr<EntityRefs> {
        created = c;
        created.set_id(ids_.NewId());
        campaigns[created.id()] = created;
        return EntityRefs{Entity("campaign", created.id(), c.region_code())};
      },
      out);
}

absl::StatusOr<std::optional<v1::Campaign>> FakeTasksStore::GetCampaign(const std::string& id) {
  auto c = campaigns.find(id);
  if (c == campaigns.end()) return std::optional<v1::Campaign>();
  return std::optional<v1::Campaign>(c->second);
}

absl::Status FakeTasksStore::CreateTask(const tasks::MutationContext& ctx, const v1::Task& t,
                                        v1::Task& out) {
  return mutations.Run<v1::Task>(
      ctx,
      [&](v1::Task& created) -> absl::StatusOr<EntityRefs> {
        v1::Task stored = t;
        stored.set_id(ids_.NewId());
        *stored.mutable_create_time() = common::ToTimestamp(ctx.now);
        *stored.mutable_update_time() = common::ToTimestamp(ctx.now);
        Put(stored);
        created = Read(stored);
        EntityRefs refs{Entity("task", stored.id(), t.village_code())};
        if (!t.household_id().empty()) {
          refs.push_back(Entity("household", t.household_id(), t.village_code()));
        }
        return refs;
      },
      out);
}

absl::StatusOr<std::optional<v1::Task>> FakeTasksStore::GetTask(const std::string& id) {
  auto t = tasks.find(id);
  if (t == tasks.end()) return std::optional<v1::Task>();
  return std::optional<v1::Task>(Read(t->second));
}

absl::StatusOr<std::vector<v1::Task>> FakeTasksStore::ListTasks(const tasks::TaskFilter& f,
                                                                const tasks::PageRequest& page) {
  std::vector<std::pair<std::pair<std::string, std::string>, v1::Task>> rows;
  for (const auto& [id, t] : tasks) {
    if (!InRegion(t.village_code(), f.region_prefix) ||
        (!f.campaign_id.empty() && t.campaign_id() != f.campaign_id) ||
        (!f.assignee_cadre_id.empty() && t.assignee_cadre_id() != f.assignee_cadre_id) ||
        (f.sector != 0 && t.sector() != f.sector) || (f.stage != 0 && t.stage() != f.stage) ||
        (f.status != 0 && t.status() != f.status) || (f.overdue_only && !Overdue(t, f.today))) {
      continue;
    }
    rows.push_back({{t.village_code(), id}, Read(t)});
  }
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<v1::Task> out;
  for (auto& [key, t] : rows) {
    if (page.after.size() == 2 && key <= std::make_pair(page.after[0], page.after[1])) continue;
    if (static_cast<int>(out.size()) == page.limit) break;
    out.push_back(std::move(t));
  }
  return out;
}

absl::Status FakeTasksStore::ChangeTask(const tasks::MutationContext& ctx, const std::string& id,
                                        const std::string& etag, const TaskChange& change,
                                        v1::Task& out) {
  return mutations.Run<v1::Task>(
      ctx,
      [&](v1::Task& changed) -> absl::StatusOr<EntityRefs> {
        auto stored = tasks.find(id);
        if (stored == tasks.end()) {
          return common::NotFound("task", id);
        }
        v1::Task t = Read(stored->second);
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
        EntityRefs refs{Entity("task", id, t.village_code())};
        if (!t.household_id().empty()) {
          refs.push_back(Entity("household", t.household_id(), t.village_code()));
        }
        return refs;
      },
      out);
}

absl::StatusOr<std::vector<v1::Task>> FakeTasksStore::ListOverdue(const std::string& region_prefix,
                                                                  absl::CivilDay due_before,
                                                                  const tasks::PageRequest& page) {
  std::vector<v1::Task> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  for (const auto& [id, t] : tasks) {  // by id
    if (id <= after || !InRegion(t.village_code(), region_prefix) || !Overdue(t, due_before)) {
      continue;
    }
    if (static_cast<int>(out.size()) == page.limit) break;
    out.push_back(Read(t));
  }
  return out;
}

absl::StatusOr<std::vector<tasks::SectorCount>> FakeTasksStore::CountBySector(
    const std::string& campaign_id, int stage, const std::string& region_prefix, size_t child_len,
    absl::CivilDay today) {
  std::map<std::pair<int, std::string>, tasks::SectorCount> folded;
  for (const auto& [id, t] : tasks) {
    if (t.campaign_id() != campaign_id || t.stage() != stage ||
        !InRegion(t.village_code(), region_prefix)) {
      continue;
    }
    std::string child = t.village_code().substr(0, child_len);
    tasks::SectorCount& c = folded[{t.sector(), child}];
    c.sector = t.sector();
    c.region_code = child;
    c.total += t.status() != v1::TASK_STATUS_CANCELLED;
    c.verified += t.status() == v1::TASK_STATUS_VERIFIED;
    c.in_progress += t.status() == v1::TASK_STATUS_IN_PROGRESS;
    c.overdue += Overdue(t, today);
  }
  std::vector<tasks::SectorCount> out;
  for (auto& [key, c] : folded) out.push_back(std::move(c));
  return out;
}

absl::StatusOr<std::vector<std::tuple<int, int, int>>> FakeTasksStore::Unfinished(
    const std::string& campaign_id, int stage) {
  std::map<std::pair<int, int>, int> counts;
  for (const auto& [id, t] : tasks) {
    if (t.campaign_id() == campaign_id && t.stage() <= stage && IsUnfinished(t.status())) {
      ++counts[{t.stage(), t.sector()}];
    }
  }
  std::vector<std::tuple<int, int, int>> out;
  for (const auto& [key, n] : counts) out.emplace_back(key.first, key.second, n);
  return out;
}

absl::StatusOr<std::vector<tasks::IndicatorUpdate>> FakeTasksStore::PendingIndicatorUpdates(
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

absl::Status FakeTasksStore::FinishIndicatorUpdate(const std::string& task_id, absl::Time,
                                                   const absl::Status& result) {
  auto row = indicator_updates.find(task_id);
  if (row == indicator_updates.end()) return absl::OkStatus();  // an UPDATE of no row
  ++row->second.attempts;
  row->second.done = result.ok();
  row->second.last_error = std::string(result.message()).substr(0, 500);
  return absl::OkStatus();
}

}  // namespace tuopin::testing
