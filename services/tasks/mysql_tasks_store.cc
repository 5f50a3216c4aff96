#include "services/tasks/mysql_tasks_store.h"

#include <cppconn/resultset.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status.h"
#include "common/validate.h"

namespace tuopin::tasks {
namespace {

using common::DbSession;
using common::Entity;
using common::EntityRefs;
using common::Query;
using common::ToSqlTime;


constexpr char kCampaignCols[] =
    "id, region_code, name, start_date, stage1_days, stage2_days, stage3_days";

v1::Campaign CampaignFromRow(sql::ResultSet& rs) {
  v1::Campaign c;
  c.set_id(rs.getString(1).asStdString());
  c.set_region_code(rs.getString(2).asStdString());
  c.set_name(rs.getString(3).asStdString());
  *c.mutable_start_date() = common::ToDate(common::FromSqlDate(rs.getString(4).asStdString()));
  for (int i = 5; i <= 7; ++i) c.add_stage_days(rs.getInt(i));
  return c;
}

constexpr char kTaskCols[] =
    "id, campaign_id, stage, sector, village_code, household_id, title, description, "
    "assignee_cadre_id,"
    " assignee_department, deadline, priority, rectification_order_id, status, percent, "
    "verified_by,"
    " reopen_count, version, created_at, updated_at";

v1::Task TaskFromRow(sql::ResultSet& rs) {
  v1::Task t;
  t.set_id(rs.getString(1).asStdString());
  t.set_campaign_id(rs.getString(2).asStdString());
  t.set_stage(static_cast<v1::Stage>(rs.getInt(3)));
  t.set_sector(static_cast<tuopin::common::v1::Sector>(rs.getInt(4)));
  t.set_village_code(rs.getString(5).asStdString());
  t.set_household_id(rs.getString(6).asStdString());
  t.set_title(rs.getString(7).asStdString());
  t.set_description(rs.getString(8).asStdString());
  std::string cadre = rs.getString(9).asStdString(), department = rs.getString(10).asStdString();
  if (!cadre.empty()) t.set_assignee_cadre_id(cadre);
  if (!department.empty()) t.set_assignee_department(department);
  *t.mutable_deadline() = common::ToDate(common::FromSqlDate(rs.getString(11).asStdString()));
  t.set_priority(static_cast<v1::Priority>(rs.getInt(12)));
  t.set_rectification_order_id(rs.getString(13).asStdString());
  t.set_status(static_cast<v1::TaskStatus>(rs.getInt(14)));
  t.set_percent(rs.getInt(15));
  t.set_verified_by(rs.getString(16).asStdString());
  t.set_reopen_count(rs.getInt(17));
  t.set_etag(common::EtagOf(rs.getInt64(18)));
  *t.mutable_create_time() =
      common::ToTimestamp(common::FromSqlTime(rs.getString(19).asStdString()));
  *t.mutable_update_time() =
      common::ToTimestamp(common::FromSqlTime(rs.getString(20).asStdString()));
  return t;
}

void LoadReporters(DbSession& s, v1::Task& t) {
  auto rs =
      Query(s,
            "SELECT DISTINCT reported_by FROM task_progress WHERE task_id = ? AND kind IN (1, 2)"
            " ORDER BY reported_by")
          .Arg(t.id())
          .Rows();
  t.clear_reporters();
  while (rs->next()) t.add_reporters(rs->getString(1).asStdString());
}

}  // namespace

absl::Status MysqlTasksStore::CreateCampaign(const MutationContext& ctx, const v1::Campaign& c,
                                             v1::Campaign& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        std::string id = ids_.NewId();
        Query(s, absl::StrCat("INSERT INTO campaigns (", kCampaignCols,
                              ", created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"))
            .Arg(id)
            .Arg(c.region_code())
            .Arg(c.name())
            .Arg(common::ToSqlDate(common::FromDate(c.start_date())))
            .Arg(c.stage_days(0))
            .Arg(c.stage_days(1))
            .Arg(c.stage_days(2))
            .Arg(ToSqlTime(ctx.now))
            .Exec();
        auto& resp = static_cast<v1::Campaign&>(m);
        resp = c;
        resp.set_id(id);
        return EntityRefs{Entity("campaign", id, c.region_code())};
      },
      out);
}

absl::StatusOr<std::optional<v1::Campaign>> MysqlTasksStore::GetCampaign(const std::string& id) {
  std::optional<v1::Campaign> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, absl::StrCat("SELECT ", kCampaignCols, " FROM campaigns WHERE id = ?"))
                  .Arg(id)
                  .Rows();
    if (rs->next()) out = CampaignFromRow(*rs);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlTasksStore::CreateTask(const MutationContext& ctx, const v1::Task& t,
                                         v1::Task& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        std::string id = ids_.NewId();
        Query(s, absl::StrCat("INSERT INTO tasks (", kTaskCols,
                              ", completed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                              "?, '', 0, 1, ?, ?, '')"))
            .Arg(id)
            .Arg(t.campaign_id())
            .Arg(static_cast<int32_t>(t.stage()))
            .Arg(static_cast<int32_t>(t.sector()))
            .Arg(t.village_code())
            .Arg(t.household_id())
            .Arg(t.title())
            .Arg(t.description())
            .Arg(t.assignee_cadre_id())
            .Arg(t.assignee_department())
            .Arg(common::ToSqlDate(common::FromDate(t.deadline())))
            .Arg(static_cast<int32_t>(t.priority()))
            .Arg(t.rectification_order_id())
            .Arg(static_cast<int32_t>(t.status()))
            .Arg(t.percent())
            .Arg(ToSqlTime(ctx.now))
            .Arg(ToSqlTime(ctx.now))
            .Exec();
        auto& resp = static_cast<v1::Task&>(m);
        resp = t;
        resp.set_id(id);
        resp.set_etag(common::EtagOf(1));
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        *resp.mutable_update_time() = common::ToTimestamp(ctx.now);
        EntityRefs refs{Entity("task", id, t.village_code())};
        if (!t.household_id().empty())
          refs.push_back(Entity("household", t.household_id(), t.village_code()));
        if (!t.assignee_cadre_id().empty())
          refs.push_back(Entity("cadre", t.assignee_cadre_id(), ""));
        if (!t.rectification_order_id().empty()) {
          refs.push_back(
              Entity("rectification_order", t.rectification_order_id(), t.village_code()));
        }
        return refs;
      },
      out);
}

absl::StatusOr<std::optional<v1::Task>> MysqlTasksStore::GetTask(const std::string& id) {
  std::optional<v1::Task> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs =
        Query(s, absl::StrCat("SELECT ", kTaskCols, " FROM tasks WHERE id = ?")).Arg(id).Rows();
    if (rs->next()) {
      out = TaskFromRow(*rs);
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
    // Optional filters are written as (? = '' OR col = ?) so one statement text serves
    // every combination.
    auto rs =
        Query(s, absl::StrCat(
                     "SELECT ", kTaskCols,
                     " FROM tasks WHERE village_code >= ? AND village_code < ?"
                     " AND (village_code > ? OR id > ?)"
                     " AND (? = '' OR campaign_id = ?) AND (? = '' OR assignee_cadre_id = ?)"
                     " AND (? = 0 OR sector = ?) AND (? = 0 OR stage = ?) AND (? = 0 OR status = ?)"
                     " AND (? = 0 OR (status IN (1, 2, 3) AND deadline < ?))"
                     " ORDER BY village_code, id LIMIT ?"))
            .Arg(std::max(f.region_prefix, after_village))
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
            .Arg(f.overdue_only)
            .Arg(common::ToSqlDate(f.today))
            .Arg(page.limit)
            .Rows();
    while (rs->next()) out.push_back(TaskFromRow(*rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlTasksStore::ChangeTask(const MutationContext& ctx, const std::string& id,
                                         const std::string& etag, const TaskChange& change,
                                         v1::Task& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        auto rs =
            Query(s, absl::StrCat("SELECT ", kTaskCols, " FROM tasks WHERE id = ? FOR UPDATE"))
                .Arg(id)
                .Rows();
        if (!rs->next()) {
          return common::WithReason(absl::NotFoundError(absl::StrCat("task ", id, " not found")),
                                    "NOT_FOUND");
        }
        v1::Task t = TaskFromRow(*rs);
        LoadReporters(s, t);
        TUOPIN_ASSIGN_OR_RETURN(int64_t version, common::NextVersion(etag, t.etag(), "task"));
        TaskEffects effects;
        TUOPIN_RETURN_IF_ERROR(change(t, effects));
        Query(s,
              "UPDATE tasks SET title = ?, description = ?, assignee_cadre_id = ?, "
              "assignee_department = ?,"
              " deadline = ?, priority = ?, status = ?, percent = ?, verified_by = ?, reopen_count "
              "= ?,"
              " version = ?, updated_at = ? WHERE id = ?")
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
          Query(s,
                "INSERT INTO task_progress (id, task_id, kind, percent, note, reported_by, "
                "evidence_json, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
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
          // Owed to personnel, recorded with the verification: delivered after commit and
          // retried until personnel has it.
          Query(s,
                "INSERT INTO indicator_updates (task_id, household_id, indicator, created_at) "
                "VALUES (?, ?, ?, ?)"
                " ON DUPLICATE KEY UPDATE done_at = NULL, created_at = VALUES(created_at)")
              .Arg(id)
              .Arg(effects.indicator->first)
              .Arg(effects.indicator->second)
              .Arg(ToSqlTime(ctx.now))
              .Exec();
        }
        t.set_etag(common::EtagOf(version));
        *t.mutable_update_time() = common::ToTimestamp(ctx.now);
        static_cast<v1::Task&>(m) = t;
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
    auto rs =
        Query(s, absl::StrCat(
                     "SELECT ", kTaskCols,
                     " FROM tasks WHERE status IN (1, 2, 3) AND deadline < ?"
                     " AND village_code >= ? AND village_code < ? AND id > ? ORDER BY id LIMIT ?"))
            .Arg(common::ToSqlDate(due_before))
            .Arg(region_prefix)
            .Arg(common::RegionRangeEnd(region_prefix))
            .Arg(after)
            .Arg(page.limit)
            .Rows();
    while (rs->next()) out.push_back(TaskFromRow(*rs));
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
    auto rs =
        Query(s,
              per_village
                  ? "SELECT sector, village_code, SUM(status <> 5), SUM(status = 4),"
                    " SUM(status = 2), SUM(status IN (1, 2, 3) AND deadline < ?) FROM tasks"
                    " WHERE campaign_id = ? AND stage = ? AND village_code >= ?"
                    " AND village_code < ? GROUP BY sector, village_code"
                  : "SELECT sector, '', SUM(status <> 5), SUM(status = 4),"
                    " SUM(status = 2), SUM(status IN (1, 2, 3) AND deadline < ?) FROM tasks"
                    " WHERE campaign_id = ? AND stage = ? AND village_code >= ?"
                    " AND village_code < ? GROUP BY sector")
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
    auto rs = Query(s,
                    "SELECT stage, sector, COUNT(*) FROM tasks WHERE campaign_id = ? AND stage <= ?"
                    " AND status IN (1, 2, 3) GROUP BY stage, sector ORDER BY stage, sector")
                  .Arg(campaign_id)
                  .Arg(stage)
                  .Rows();
    while (rs->next()) out.emplace_back(rs->getInt(1), rs->getInt(2), rs->getInt(3));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<IndicatorUpdate>> MysqlTasksStore::PendingIndicatorUpdates(int limit) {
  std::vector<IndicatorUpdate> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs =
        Query(s,
              "SELECT task_id, household_id, indicator FROM indicator_updates WHERE done_at IS NULL"
              " ORDER BY created_at LIMIT ?")
            .Arg(limit)
            .Rows();
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
    Query(s,
          "UPDATE indicator_updates SET attempts = attempts + 1, done_at = IF(?, ?, NULL), "
          "last_error = ?"
          " WHERE task_id = ?")
        .Arg(result.ok())
        .Arg(ToSqlTime(now))
        .Arg(std::string(result.message()).substr(0, 500))
        .Arg(task_id)
        .Exec();
    return absl::OkStatus();
  });
}

}  // namespace tuopin::tasks
