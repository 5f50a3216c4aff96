#include "services/tasks/mysql_tasks_store.h"

#include <cppconn/resultset.h>

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/db_rows.h"
#include "common/status.h"
#include "common/validate.h"

// Campaigns, tasks, their progress log and the indicator updates owed to personnel.
// Storage only: the state machine and who may change what are the logic's (TaskChange).

namespace tuopin::tasks {
namespace {

using common::Column;
using common::DbSession;
using common::Entity;
using common::EntityRefs;
using common::Query;
using common::RowDate;
using common::RowString;
using common::RowTime;
using common::ToSqlTime;
using RS = sql::ResultSet;

std::string SqlDate(const tuopin::common::v1::Date& d) {
  return common::ToSqlDate(common::FromDate(d));
}
std::string SqlTime(const google::protobuf::Timestamp& t) {
  return ToSqlTime(common::FromTimestamp(t));
}
// The row version an etag ("v<n>", common::EtagOf) names.
int64_t VersionOf(const std::string& etag) {
  int64_t v = 0;
  if (etag.size() < 2 || !absl::SimpleAtoi(absl::string_view(etag).substr(1), &v)) return 0;
  return v;
}

using C = v1::Campaign;
constexpr Column<C> kCampaign[] = {
    {"id", [](RS& rs, uint32_t i, C& c) { c.set_id(RowString(rs, i)); },
     [](Query& q, const C& c) { q.Arg(c.id()); }},
    {"region_code", [](RS& rs, uint32_t i, C& c) { c.set_region_code(RowString(rs, i)); },
     [](Query& q, const C& c) { q.Arg(c.region_code()); }},
    {"name", [](RS& rs, uint32_t i, C& c) { c.set_name(RowString(rs, i)); },
     [](Query& q, const C& c) { q.Arg(c.name()); }},
    {"start_date", [](RS& rs, uint32_t i, C& c) { *c.mutable_start_date() = RowDate(rs, i); },
     [](Query& q, const C& c) { q.Arg(SqlDate(c.start_date())); }},
    // The three stages' lengths, in order.
    {"stage1_days", [](RS& rs, uint32_t i, C& c) { c.add_stage_days(rs.getInt(i)); },
     [](Query& q, const C& c) { q.Arg(c.stage_days(0)); }},
    {"stage2_days", [](RS& rs, uint32_t i, C& c) { c.add_stage_days(rs.getInt(i)); },
     [](Query& q, const C& c) { q.Arg(c.stage_days(1)); }},
    {"stage3_days", [](RS& rs, uint32_t i, C& c) { c.add_stage_days(rs.getInt(i)); },
     [](Query& q, const C& c) { q.Arg(c.stage_days(2)); }},
};

using T = v1::Task;
constexpr Column<T> kTask[] = {
    {"id", [](RS& rs, uint32_t i, T& t) { t.set_id(RowString(rs, i)); },
     [](Query& q, const T& t) { q.Arg(t.id()); }},
    {"campaign_id", [](RS& rs, uint32_t i, T& t) { t.set_campaign_id(RowString(rs, i)); },
     [](Query& q, const T& t) { q.Arg(t.campaign_id()); }},
    {"stage", [](RS& rs, uint32_t i, T& t) { t.set_stage(static_cast<v1::Stage>(rs.getInt(i))); },
     [](Query& q, const T& t) { q.Arg(static_cast<int32_t>(t.stage())); }},
    {"sector",
     [](RS& rs, uint32_t i, T& t) {
       t.set_sector(static_cast<tuopin::common::v1::Sector>(rs.getInt(i)));
     },
     [](Query& q, const T& t) { q.Arg(static_cast<int32_t>(t.sector())); }},
    {"village_code", [](RS& rs, uint32_t i, T& t) { t.set_village_code(RowString(rs, i)); },
     [](Query& q, const T& t) { q.Arg(t.village_code()); }},
    {"household_id", [](RS& rs, uint32_t i, T& t) { t.set_household_id(RowString(rs, i)); },
     [](Query& q, const T& t) { q.Arg(t.household_id()); }},
    {"title", [](RS& rs, uint32_t i, T& t) { t.set_title(RowString(rs, i)); },
     [](Query& q, const T& t) { q.Arg(t.title()); }},
    {"description", [](RS& rs, uint32_t i, T& t) { t.set_description(RowString(rs, i)); },
     [](Query& q, const T& t) { q.Arg(t.description()); }},
    // The assignee is a cadre or a department (a oneof): two columns, the other one empty.
    {"assignee_cadre_id",
     [](RS& rs, uint32_t i, T& t) {
       if (std::string v = RowString(rs, i); !v.empty()) t.set_assignee_cadre_id(v);
     },
     [](Query& q, const T& t) { q.Arg(t.assignee_cadre_id()); }},
    {"assignee_department",
     [](RS& rs, uint32_t i, T& t) {
       if (std::string v = RowString(rs, i); !v.empty()) t.set_assignee_department(v);
     },
     [](Query& q, const T& t) { q.Arg(t.assignee_department()); }},
    {"deadline", [](RS& rs, uint32_t i, T& t) { *t.mutable_deadline() = RowDate(rs, i); },
     [](Query& q, const T& t) { q.Arg(SqlDate(t.deadline())); }},
    {"priority",
     [](RS& rs, uint32_t i, T& t) { t.set_priority(static_cast<v1::Priority>(rs.getInt(i))); },
     [](Query& q, const T& t) { q.Arg(static_cast<int32_t>(t.priority())); }},
    {"rectification_order_id",
     [](RS& rs, uint32_t i, T& t) { t.set_rectification_order_id(RowString(rs, i)); },
     [](Query& q, const T& t) { q.Arg(t.rectification_order_id()); }},
    {"status",
     [](RS& rs, uint32_t i, T& t) { t.set_status(static_cast<v1::TaskStatus>(rs.getInt(i))); },
     [](Query& q, const T& t) { q.Arg(static_cast<int32_t>(t.status())); }},
    {"percent", [](RS& rs, uint32_t i, T& t) { t.set_percent(rs.getInt(i)); },
     [](Query& q, const T& t) { q.Arg(t.percent()); }},
    {"verified_by", [](RS& rs, uint32_t i, T& t) { t.set_verified_by(RowString(rs, i)); },
     [](Query& q, const T& t) { q.Arg(t.verified_by()); }},
    {"reopen_count", [](RS& rs, uint32_t i, T& t) { t.set_reopen_count(rs.getInt(i)); },
     [](Query& q, const T& t) { q.Arg(t.reopen_count()); }},
    {"version", [](RS& rs, uint32_t i, T& t) { t.set_etag(common::EtagOf(rs.getInt64(i))); },
     [](Query& q, const T& t) { q.Arg(VersionOf(t.etag())); }},
    {"created_at", [](RS& rs, uint32_t i, T& t) { *t.mutable_create_time() = RowTime(rs, i); },
     [](Query& q, const T& t) { q.Arg(SqlTime(t.create_time())); }},
    {"updated_at", [](RS& rs, uint32_t i, T& t) { *t.mutable_update_time() = RowTime(rs, i); },
     [](Query& q, const T& t) { q.Arg(SqlTime(t.update_time())); }},
};

// The statements. Enum values are bound, never written as numbers: "status IN (?, ?, ?)"
// takes BindUnfinished.
const std::string& InsertCampaign() {
  static const std::string* sql =
      new std::string(common::InsertOf("campaigns", kCampaign, "created_at"));
  return *sql;
}
constexpr char kCampaignById[] = "FROM campaigns WHERE id = ?";
// A new task also says who completed it: no one yet.
const std::string& InsertTask() {
  static const std::string* sql = new std::string(common::InsertOf("tasks", kTask, "completed_by"));
  return *sql;
}
constexpr char kTaskById[] = "FROM tasks WHERE id = ?";
constexpr char kTaskByIdForUpdate[] = "FROM tasks WHERE id = ? FOR UPDATE";
// Optional filters are written as (? = '' OR col = ?) so one statement text serves every
// combination.
constexpr char kTasksInRegion[] =
    "FROM tasks WHERE village_code >= ? AND village_code < ? AND (village_code > ? OR id > ?)"
    " AND (? = '' OR campaign_id = ?) AND (? = '' OR assignee_cadre_id = ?)"
    " AND (? = 0 OR sector = ?) AND (? = 0 OR stage = ?) AND (? = 0 OR status = ?)"
    " AND (? = 0 OR (status IN (?, ?, ?) AND deadline < ?)) ORDER BY village_code, id LIMIT ?";
constexpr char kOverdueTasks[] =
    "FROM tasks WHERE status IN (?, ?, ?) AND deadline < ?"
    " AND village_code >= ? AND village_code < ? AND id > ? ORDER BY id LIMIT ?";
constexpr char kUpdateTask[] =
    "UPDATE tasks SET title = ?, description = ?, assignee_cadre_id = ?, assignee_department = ?,"
    " deadline = ?, priority = ?, status = ?, percent = ?, verified_by = ?, reopen_count = ?,"
    " version = ?, updated_at = ? WHERE id = ?";
// Who reported on a task or completed it (the two progress kinds bound).
constexpr char kReporters[] =
    "SELECT DISTINCT reported_by FROM task_progress WHERE task_id = ? AND kind IN (?, ?)"
    " ORDER BY reported_by";
constexpr char kInsertProgress[] =
    "INSERT INTO task_progress (id, task_id, kind, percent, note, reported_by, evidence_json,"
    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
// Owed to personnel, recorded with the verification: delivered after commit and retried
// until personnel has it.
constexpr char kOweIndicator[] =
    "INSERT INTO indicator_updates (task_id, household_id, indicator, created_at)"
    " VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE done_at = NULL, created_at = VALUES(created_at)";
// Per (sector, village) or per sector; bound: the cancelled, verified and in-progress
// statuses, the unfinished ones, then the day.
constexpr char kCountsHead[] =
    " SUM(status <> ?), SUM(status = ?), SUM(status = ?),"
    " SUM(status IN (?, ?, ?) AND deadline < ?) FROM tasks"
    " WHERE campaign_id = ? AND stage = ? AND village_code >= ? AND village_code < ?";
constexpr char kUnfinishedCounts[] =
    "SELECT stage, sector, COUNT(*) FROM tasks WHERE campaign_id = ? AND stage <= ?"
    " AND status IN (?, ?, ?) GROUP BY stage, sector ORDER BY stage, sector";
constexpr char kPendingIndicators[] =
    "SELECT task_id, household_id, indicator FROM indicator_updates WHERE done_at IS NULL"
    " ORDER BY created_at LIMIT ?";
constexpr char kFinishIndicator[] =
    "UPDATE indicator_updates SET attempts = attempts + 1, done_at = IF(?, ?, NULL),"
    " last_error = ? WHERE task_id = ?";

// What a new task's audit event names: the task, its household, cadre and order.
void AddTaskEntities(const v1::Task& t, EntityRefs& refs) {
  refs.push_back(Entity("task", t.id(), t.village_code()));
  if (!t.household_id().empty())
    refs.push_back(Entity("household", t.household_id(), t.village_code()));
  if (!t.assignee_cadre_id().empty()) refs.push_back(Entity("cadre", t.assignee_cadre_id(), ""));
  if (!t.rectification_order_id().empty())
    refs.push_back(Entity("rectification_order", t.rectification_order_id(), t.village_code()));
}

// The row of a new task: version 1, not verified, never reopened, created now.
v1::Task NewTaskRow(const v1::Task& t, absl::Time now) {
  v1::Task row = t;
  row.set_etag(common::EtagOf(1));
  row.clear_verified_by();
  row.set_reopen_count(0);
  *row.mutable_create_time() = common::ToTimestamp(now);
  *row.mutable_update_time() = common::ToTimestamp(now);
  return row;
}

// A new task with id `id`: its row, CreateTask's answer for it (`answer`) and the
// entities of its audit event.
v1::Task NewTask(const v1::Task& t, std::string id, absl::Time now, v1::Task& answer,
                 EntityRefs& refs) {
  v1::Task with_id = t;
  with_id.set_id(std::move(id));
  v1::Task row = NewTaskRow(with_id, now);
  answer = t;
  answer.set_id(row.id());
  answer.set_etag(row.etag());
  *answer.mutable_create_time() = row.create_time();
  *answer.mutable_update_time() = row.update_time();
  AddTaskEntities(row, refs);
  return row;
}

// Rows of new tasks in multi-row INSERTs (common::InsertRows) of InsertTask's row.
void InsertTaskRows(DbSession& s, const std::vector<v1::Task>& rows) {
  const std::string& one = InsertTask();
  const size_t values = one.rfind(" (") + 1;
  common::InsertRows(s, one.substr(0, values), absl::string_view(one).substr(values), rows,
                     [&](Query& q, const v1::Task& row) { common::BindRow(kTask, row, q).Arg(""); });
}

// Binds the statuses of a task neither verified nor cancelled.
Query& BindUnfinished(Query& q) {
  return q.Arg(static_cast<int32_t>(v1::TASK_STATUS_OPEN))
      .Arg(static_cast<int32_t>(v1::TASK_STATUS_IN_PROGRESS))
      .Arg(static_cast<int32_t>(v1::TASK_STATUS_COMPLETED));
}

void LoadReporters(DbSession& s, v1::Task& t) {
  auto rs = Query(s, kReporters)
                .Arg(t.id())
                .Arg(static_cast<int32_t>(ProgressReport::kReport))
                .Arg(static_cast<int32_t>(ProgressReport::kCompletion))
                .Rows();
  t.clear_reporters();
  while (rs->next()) t.add_reporters(rs->getString(1).asStdString());
}

}  // namespace

absl::Status MysqlTasksStore::CreateCampaign(const MutationContext& ctx, const v1::Campaign& c,
                                             v1::Campaign& out) {
  return common::RunMutation<v1::Campaign>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::Campaign& m) -> absl::StatusOr<EntityRefs> {
        auto& resp = m;
        resp = c;
        resp.set_id(ids_.NewId());
        Query q(s, InsertCampaign());
        common::BindRow(kCampaign, resp, q).Arg(ToSqlTime(ctx.now)).Exec();
        return EntityRefs{Entity("campaign", resp.id(), c.region_code())};
      },
      out);
}

absl::StatusOr<std::optional<v1::Campaign>> MysqlTasksStore::GetCampaign(const std::string& id) {
  std::optional<v1::Campaign> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, common::SelectOf(kCampaign, kCampaignById)).Arg(id).Rows();
    if (rs->next()) out = common::ReadRow(kCampaign, *rs);
    return absl::OkStatus();
  }));
  return out;
}

MysqlTasksStore::MysqlTasksStore(common::ConnectionPool& pool, common::IdGenerator& ids,
                                 common::GroupCommitOptions group_commit)
    : pool_(pool), ids_(ids) {
  create_task_group_ = std::make_unique<common::GroupCommit<v1::Task>>(
      "CreateTask", pool_, ids_, group_commit,
      [this](DbSession& s, std::vector<common::GroupedCall*>& calls) {
        return CreateTaskGroup(s, calls);
      },
      [this](const MutationContext& ctx, const v1::Task& t, google::protobuf::Message& out) {
        return CreateTaskAlone(ctx, t, out);
      });
}

MysqlTasksStore::~MysqlTasksStore() = default;

absl::Status MysqlTasksStore::CreateTask(const MutationContext& ctx, const v1::Task& t,
                                         v1::Task& out) {
  return create_task_group_->Run(ctx, t, out);
}

absl::Status MysqlTasksStore::CreateTaskAlone(const MutationContext& ctx, const v1::Task& t,
                                              google::protobuf::Message& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        EntityRefs refs;
        v1::Task row = NewTask(t, ids_.NewId(), ctx.now, static_cast<v1::Task&>(m), refs);
        Query q(s, InsertTask());
        common::BindRow(kTask, row, q).Arg("").Exec();
        return refs;
      },
      out);
}

absl::Status MysqlTasksStore::CreateTaskGroup(DbSession& s,
                                              std::vector<common::GroupedCall*>& calls) {
  std::vector<v1::Task> rows;
  for (common::GroupedCall* c : calls) {
    const v1::Task& t = common::GroupCommit<v1::Task>::InputOf(*c);
    rows.push_back(NewTask(t, ids_.NewId(), c->ctx->now, static_cast<v1::Task&>(*c->response),
                           c->entities.emplace_back()));
  }
  InsertTaskRows(s, rows);
  return absl::OkStatus();
}

absl::StatusOr<bool> MysqlTasksStore::RecordedBatch(const MutationContext& ctx,
                                                    v1::BatchCreateTasksResponse& out) {
  return common::RecordedResponse(pool_, ctx, out);
}

absl::Status MysqlTasksStore::CreateTasks(const MutationContext& ctx,
                                          const std::vector<v1::Task>& tasks,
                                          const v1::BatchCreateTasksResponse& answer,
                                          v1::BatchCreateTasksResponse& out) {
  // One audit event per task created (common::RunMutationEach).
  return common::RunMutationEach(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<std::vector<EntityRefs>> {
        std::vector<EntityRefs> refs;
        std::vector<v1::Task> rows;
        for (const v1::Task& t : tasks) {
          rows.push_back(NewTaskRow(t, ctx.now));
          AddTaskEntities(rows.back(), refs.emplace_back());
        }
        InsertTaskRows(s, rows);
        m.CopyFrom(answer);
        return refs;
      },
      out);
}

absl::StatusOr<std::optional<v1::Task>> MysqlTasksStore::GetTask(const std::string& id) {
  std::optional<v1::Task> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, common::SelectOf(kTask, kTaskById)).Arg(id).Rows();
    if (rs->next()) {
      out = common::ReadRow(kTask, *rs);
      LoadReporters(s, *out);
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::Task>> MysqlTasksStore::ListTasks(const TaskFilter& f,
                                                                 const PageRequest& page) {
  std::vector<v1::Task> out;
  std::string after_village = page.after.size() == 2 ? page.after[0] : "";
  std::string after_id = page.after.size() == 2 ? page.after[1] : "";
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s, common::SelectOf(kTask, kTasksInRegion));
    q.Arg(std::max(f.region_prefix, after_village))
        .Arg(common::RegionRangeEnd(f.region_prefix))
        .Arg(after_village)
        .Arg(after_id)
        .Arg(f.campaign_id)
        .Arg(f.campaign_id)
        .Arg(f.assignee_cadre_id)
        .Arg(f.assignee_cadre_id)
        .Arg(f.sector)
        .Arg(f.sector)
        .Arg(f.stage)
        .Arg(f.stage)
        .Arg(f.status)
        .Arg(f.status)
        .Arg(f.overdue_only);
    auto rs = BindUnfinished(q).Arg(common::ToSqlDate(f.today)).Arg(page.limit).Rows();
    while (rs->next()) out.push_back(common::ReadRow(kTask, *rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlTasksStore::ChangeTask(const MutationContext& ctx, const std::string& id,
                                         const std::string& etag, const TaskChange& change,
                                         v1::Task& out) {
  return common::RunMutation<v1::Task>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::Task& m) -> absl::StatusOr<EntityRefs> {
        auto rs = Query(s, common::SelectOf(kTask, kTaskByIdForUpdate)).Arg(id).Rows();
        if (!rs->next()) {
          return common::WithReason(absl::NotFoundError(absl::StrCat("task ", id, " not found")),
                                    common::ErrorReason::NOT_FOUND);
        }
        v1::Task t = common::ReadRow(kTask, *rs);
        LoadReporters(s, t);
        TUOPIN_ASSIGN_OR_RETURN(int64_t version, common::NextVersion(etag, t.etag(), "task"));
        TaskEffects effects;
        TUOPIN_RETURN_IF_ERROR(change(t, effects));
        Query(s, kUpdateTask)
            .Arg(t.title())
            .Arg(t.description())
            .Arg(t.assignee_cadre_id())
            .Arg(t.assignee_department())
            .Arg(common::ToSqlDate(common::FromDate(t.deadline())))
            .Arg(static_cast<int32_t>(t.priority()))
            .Arg(static_cast<int32_t>(t.status()))
            .Arg(t.percent())
            .Arg(t.verified_by())
            .Arg(t.reopen_count())
            .Arg(version)
            .Arg(ToSqlTime(ctx.now))
            .Arg(id)
            .Exec();
        if (effects.progress) {
          Query(s, kInsertProgress)
              .Arg(ids_.NewId())
              .Arg(id)
              .Arg(static_cast<int32_t>(effects.progress->kind))
              .Arg(effects.progress->percent)
              .Arg(effects.progress->note)
              .Arg(effects.progress->reported_by)
              .Arg(effects.progress->evidence_json)
              .Arg(ToSqlTime(ctx.now))
              .Exec();
        }
        if (effects.indicator) {
          Query(s, kOweIndicator)
              .Arg(id)
              .Arg(effects.indicator->first)
              .Arg(effects.indicator->second)
              .Arg(ToSqlTime(ctx.now))
              .Exec();
        }
        t.set_etag(common::EtagOf(version));
        *t.mutable_update_time() = common::ToTimestamp(ctx.now);
        m = t;
        EntityRefs refs{Entity("task", id, t.village_code())};
        if (!t.household_id().empty())
          refs.push_back(Entity("household", t.household_id(), t.village_code()));
        return refs;
      },
      out);
}

absl::StatusOr<std::vector<v1::Task>> MysqlTasksStore::ListOverdue(const std::string& region_prefix,
                                                                   absl::CivilDay due_before,
                                                                   const PageRequest& page) {
  std::vector<v1::Task> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s, common::SelectOf(kTask, kOverdueTasks));
    auto rs = BindUnfinished(q)
                  .Arg(common::ToSqlDate(due_before))
                  .Arg(region_prefix)
                  .Arg(common::RegionRangeEnd(region_prefix))
                  .Arg(after)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(common::ReadRow(kTask, *rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<SectorCount>> MysqlTasksStore::CountBySector(
    const std::string& campaign_id, int stage, const std::string& region_prefix, size_t child_len,
    absl::CivilDay today) {
  // Grouped by (sector, village) in the order of the covering index, so MariaDB needs
  // neither a temporary table nor a sort; villages are folded into child regions here.
  // The region's own totals (child_len is its length) need one row per sector only.
  bool per_village = child_len != region_prefix.size();
  std::map<std::pair<int, std::string>, SectorCount> folded;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s, absl::StrCat("SELECT sector, ", per_village ? "village_code," : "'',", kCountsHead,
                            per_village ? " GROUP BY sector, village_code" : " GROUP BY sector"));
    q.Arg(static_cast<int32_t>(v1::TASK_STATUS_CANCELLED))
        .Arg(static_cast<int32_t>(v1::TASK_STATUS_VERIFIED))
        .Arg(static_cast<int32_t>(v1::TASK_STATUS_IN_PROGRESS));
    auto rs = BindUnfinished(q)
                  .Arg(common::ToSqlDate(today))
                  .Arg(campaign_id)
                  .Arg(stage)
                  .Arg(region_prefix)
                  .Arg(common::RegionRangeEnd(region_prefix))
                  .Rows();
    while (rs->next()) {
      int sector = rs->getInt(1);
      std::string child =
          per_village ? rs->getString(2).asStdString().substr(0, child_len) : region_prefix;
      SectorCount& c = folded[{sector, child}];
      c.sector = sector;
      c.region_code = child;
      c.total += rs->getInt(3);
      c.verified += rs->getInt(4);
      c.in_progress += rs->getInt(5);
      c.overdue += rs->getInt(6);
    }
    return absl::OkStatus();
  }));
  std::vector<SectorCount> out;
  for (auto& [key, c] : folded) out.push_back(std::move(c));
  return out;
}

absl::StatusOr<std::vector<std::tuple<int, int, int>>> MysqlTasksStore::Unfinished(
    const std::string& campaign_id, int stage) {
  std::vector<std::tuple<int, int, int>> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s, kUnfinishedCounts);
    auto rs = BindUnfinished(q.Arg(campaign_id).Arg(stage)).Rows();
    while (rs->next()) out.emplace_back(rs->getInt(1), rs->getInt(2), rs->getInt(3));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<IndicatorUpdate>> MysqlTasksStore::PendingIndicatorUpdates(int limit) {
  std::vector<IndicatorUpdate> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, kPendingIndicators).Arg(limit).Rows();
    while (rs->next()) {
      out.push_back({rs->getString(1).asStdString(), rs->getString(2).asStdString(),
                     rs->getString(3).asStdString()});
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlTasksStore::FinishIndicatorUpdate(const std::string& task_id, absl::Time now,
                                                    const absl::Status& result) {
  return common::WithConnection(pool_, [&](DbSession& s) {
    Query(s, kFinishIndicator)
        .Arg(result.ok())
        .Arg(ToSqlTime(now))
        .Arg(std::string(result.message()).substr(0, 500))
        .Arg(task_id)
        .Exec();
    return absl::OkStatus();
  });
}

}  // namespace tuopin::tasks
