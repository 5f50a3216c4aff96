#include "services/tasks/mysql_tasks_rollup.h"

#include <cppconn/resultset.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "common/region_code.h"
#include "common/region_rollup.h"
#include "common/status.h"
#include "tuopin/tasks/v1/tasks.pb.h"

namespace tuopin::tasks {
namespace {

using common::DbSession;
using common::Query;

constexpr char kMark[] = "sector_progress";
const common::RollupTable& Table() {
  static const auto* t = new common::RollupTable{
      "task_rollup", "campaign_id, stage, sector", {"total", "verified", "in_progress", "overdue"}};
  return *t;
}

// Villages of tasks written since a time (idx_tasks_updated), and of unfinished tasks due
// in [from, to) (idx_tasks_due): the unfinished states bound first.
constexpr char kUpdatedVillages[] = "SELECT DISTINCT village_code FROM tasks WHERE updated_at >= ?";
constexpr char kNewlyOverdueVillages[] =
    "SELECT DISTINCT village_code FROM tasks WHERE status IN (?, ?, ?) AND deadline >= ?"
    " AND deadline < ?";
// CountBySector's counts per village (bound: cancelled, verified, in progress, the three
// unfinished states, today), optionally for an IN list of villages, then the group.
constexpr char kVillageCounts[] =
    "SELECT village_code, campaign_id, stage, sector, SUM(status <> ?), SUM(status = ?),"
    " SUM(status = ?), SUM(status IN (?, ?, ?) AND deadline < ?) FROM tasks";
constexpr char kVillageCountsGroup[] = " GROUP BY village_code, campaign_id, stage, sector";
constexpr char kInsertHead[] =
    "INSERT INTO task_rollup (level, region_code, campaign_id, stage, sector, total, verified,"
    " in_progress, overdue) VALUES ";
constexpr char kInsertRow[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kRead[] =
    "SELECT sector, region_code, total, verified, in_progress, overdue FROM task_rollup"
    " WHERE level = ? AND region_code >= ? AND region_code < ? AND campaign_id = ?"
    " AND stage = ? ORDER BY sector, region_code";

Query& BindUnfinished(Query& q) {
  return q.Arg(static_cast<int32_t>(v1::TASK_STATUS_OPEN))
      .Arg(static_cast<int32_t>(v1::TASK_STATUS_IN_PROGRESS))
      .Arg(static_cast<int32_t>(v1::TASK_STATUS_COMPLETED));
}

struct VillageRow {
  std::string village, campaign_id;
  int64_t stage, sector, total, verified, in_progress, overdue;
};

// The counts of the villages (all of them when `villages` is null).
std::vector<VillageRow> CountVillages(DbSession& s, const std::vector<std::string>* villages,
                                      absl::CivilDay today) {
  std::string sql = kVillageCounts;
  if (villages) {
    absl::StrAppend(&sql, " WHERE village_code IN (",
                    common::Placeholders(common::InListSize(villages->size())), ")");
  }
  sql += kVillageCountsGroup;
  Query q(s, sql);
  q.Arg(static_cast<int32_t>(v1::TASK_STATUS_CANCELLED))
      .Arg(static_cast<int32_t>(v1::TASK_STATUS_VERIFIED))
      .Arg(static_cast<int32_t>(v1::TASK_STATUS_IN_PROGRESS));
  BindUnfinished(q).Arg(common::ToSqlDate(today));
  if (villages) q.InList(*villages);
  std::vector<VillageRow> out;
  for (auto rs = q.Rows(); rs->next();) {
    out.push_back({rs->getString(1).asStdString(), rs->getString(2).asStdString(), rs->getInt(3),
                   rs->getInt(4), rs->getInt64(5), rs->getInt64(6), rs->getInt64(7),
                   rs->getInt64(8)});
  }
  return out;
}

void WriteVillages(DbSession& s, const std::vector<VillageRow>& rows) {
  common::InsertRows(s, kInsertHead, kInsertRow, rows, [](Query& q, const VillageRow& r) {
    q.Arg(int32_t{0})  // the village's own rows
        .Arg(r.village)
        .Arg(r.campaign_id)
        .Arg(r.stage)
        .Arg(r.sector)
        .Arg(r.total)
        .Arg(r.verified)
        .Arg(r.in_progress)
        .Arg(r.overdue);
  });
}

}  // namespace

absl::Status MysqlSectorRollupStore::Refresh(absl::Time now, absl::CivilDay today,
                                             absl::Duration overlap, bool everything) {
  auto changed = [&](DbSession& s, const common::RollupMark& last) {
    std::set<std::string> villages;
    auto rs =
        Query(s, kUpdatedVillages).Arg(common::ToSqlTime(*last.refreshed_at - overlap)).Rows();
    while (rs->next()) villages.insert(rs->getString(1).asStdString());
    if (today > last.as_of_day) {
      Query q(s, kNewlyOverdueVillages);
      rs = BindUnfinished(q)
               .Arg(common::ToSqlDate(last.as_of_day))
               .Arg(common::ToSqlDate(today))
               .Rows();
      while (rs->next()) villages.insert(rs->getString(1).asStdString());
    }
    return villages;
  };
  auto write_own = [&](DbSession& s, const std::vector<std::string>* villages) {
    std::vector<VillageRow> rows = CountVillages(s, villages, today);
    WriteVillages(s, rows);
    std::set<std::string> written;
    for (const VillageRow& r : rows) written.insert(r.village);
    return written;
  };
  return common::RefreshRollup(pool_, Table(), kMark, {now, today}, everything, changed, write_own);
}

absl::StatusOr<std::optional<absl::Time>> MysqlSectorRollupStore::Read(
    const std::string& campaign_id, int stage, const std::string& region_prefix, size_t child_len,
    std::vector<SectorCount>& out) {
  std::optional<absl::Time> as_of;
  int level = 0;
  for (int l = common::kProvinceLevel; l <= common::kVillageLevel; ++l) {
    if (common::RegionCodeLength(l) == child_len) level = l;
  }
  if (level == 0) return absl::InvalidArgumentError("no region level has codes of that length");
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    // The mark first: the rows read after it are of that pass or a later one.
    as_of = common::ReadRollupMark(s, kMark).refreshed_at;
    out.clear();
    auto rs = Query(s, kRead)
                  .Arg(level)
                  .Arg(region_prefix)
                  .Arg(common::RegionRangeEnd(region_prefix))
                  .Arg(campaign_id)
                  .Arg(stage)
                  .Rows();
    while (rs->next()) {
      SectorCount& c = out.emplace_back();
      c.sector = rs->getInt(1);
      c.region_code = rs->getString(2).asStdString();
      c.total = rs->getInt(3);
      c.verified = rs->getInt(4);
      c.in_progress = rs->getInt(5);
      c.overdue = rs->getInt(6);
    }
    return absl::OkStatus();
  }));
  return as_of;
}

}  // namespace tuopin::tasks
