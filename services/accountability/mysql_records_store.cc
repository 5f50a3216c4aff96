#include <cppconn/resultset.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/db.h"
#include "common/db_rows.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/accountability/mysql_records_rows.h"
#include "services/accountability/records_events.h"
#include "services/accountability/records_store.h"

namespace tuopin::accountability {
namespace {

using common::DbSession;
using common::EntityRefs;
using common::Query;
using common::ReadRow;
using rows::kAction;
using rows::kFinding;
using rows::kInspection;
using rows::kOrder;
using rows::SqlTime;

// ---- Statements, named; built once from the rows.

// A region and everything under it: [prefix, RegionRangeEnd(prefix)).
constexpr char kInRegion[] = "region_code >= ? AND region_code < ?";

struct Statements {
  std::string insert_inspection = common::InsertOf("inspections", kInspection, "created_by");
  std::string select_inspection = common::SelectOf(kInspection, "FROM inspections WHERE id = ?");
  std::string lock_inspection =
      common::SelectOf(kInspection, "FROM inspections WHERE id = ? FOR UPDATE");
  std::string mark_revealed = "UPDATE inspections SET revealed = 1 WHERE id = ?";
  std::string select_population =
      "SELECT household_id FROM inspection_population WHERE inspection_id = ?"
      " ORDER BY household_id";
  std::string insert_sample =
      "INSERT INTO inspection_sample (inspection_id, position, household_id) VALUES (?, ?, ?)";
  std::string in_sample =
      "SELECT 1 FROM inspection_sample WHERE inspection_id = ? AND household_id = ?";
  std::string insert_visit =
      "INSERT INTO visits (id, inspection_id, household_id, unit_name, observations,"
      " visit_time, outside_sample, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
  std::string insert_finding = common::InsertOf("findings", kFinding, "created_by");
  std::string list_findings =
      common::SelectOf(kFinding, absl::StrCat("FROM findings WHERE ", kInRegion,
                                              " AND (? = '' OR inspection_id = ?)"
                                              " AND (? = '' OR subject_cadre_id = ?)"
                                              " AND id > ? ORDER BY id LIMIT ?"));
  std::string findings_by_sector = absl::StrCat("SELECT sector, COUNT(*) FROM findings WHERE ",
                                                kInRegion, " GROUP BY sector ORDER BY sector");
  // Counts by state (the states bound as arguments), reopened, and overdue as of a day.
  std::string order_counts = absl::StrCat(
      "SELECT COUNT(*), COALESCE(SUM(status = ?), 0), COALESCE(SUM(status = ?), 0),"
      " COALESCE(SUM(status = ?), 0), COALESCE(SUM(reopen_count > 0), 0),"
      " COALESCE(SUM(status <> ? AND deadline < ?), 0) FROM rectification_orders WHERE ",
      kInRegion);
  std::string insert_order = common::InsertOf("rectification_orders", kOrder);
  std::string insert_order_finding =
      "INSERT INTO order_findings (order_id, finding_id) VALUES (?, ?)";
  std::string insert_order_task = "INSERT INTO order_tasks (order_id, task_id) VALUES (?, ?)";
  std::string select_order = common::SelectOf(kOrder, "FROM rectification_orders WHERE id = ?");
  std::string lock_order =
      common::SelectOf(kOrder, "FROM rectification_orders WHERE id = ? FOR UPDATE");
  std::string update_order =
      "UPDATE rectification_orders SET status = ?, reopen_count = ?, verified_by = ?,"
      " submission_note = ? WHERE id = ?";
  // Any state when the state bound is RECTIFICATION_STATUS_UNSPECIFIED.
  std::string list_orders = common::SelectOf(
      kOrder, absl::StrCat("FROM rectification_orders WHERE ", kInRegion,
                           " AND (? = ? OR status = ?) AND id > ? ORDER BY id LIMIT ?"));
  std::string insert_action = common::InsertOf("actions", kAction);
  std::string list_actions =
      common::SelectOf(kAction, absl::StrCat("FROM actions WHERE ", kInRegion,
                                             " AND (? = '' OR subject_cadre_id = ?)"
                                             " AND id > ? ORDER BY id LIMIT ?"));
};

const Statements& Sql() {
  static const Statements* sql = new Statements();
  return *sql;
}

// ---- Helpers.

Query& InRegion(Query& q, const std::string& region_prefix) {
  return q.Arg(region_prefix).Arg(common::RegionRangeEnd(region_prefix));
}

int32_t StateArg(v1::RectificationStatus s) { return static_cast<int32_t>(s); }

// Fills the findings and tasks of a page of orders with two queries, whatever the page's
// size (a query per order made a page of 1000 orders cost 2000 round trips).
void AttachOrderLinks(DbSession& s, std::vector<v1::RectificationOrder>& orders) {
  if (orders.empty()) return;
  absl::flat_hash_map<std::string, v1::RectificationOrder*> by_id;
  std::vector<std::string> ids;
  for (auto& o : orders) {
    by_id[o.id()] = &o;
    ids.push_back(o.id());
  }
  auto load = [&](absl::string_view table, absl::string_view column,
                  void (*add)(v1::RectificationOrder&, std::string)) {
    for (size_t start = 0; start < ids.size(); start += 512) {
      std::vector<std::string> chunk(ids.begin() + start,
                                     ids.begin() + std::min(ids.size(), start + 512));
      auto rs = Query(s, absl::StrCat("SELECT order_id, ", column, " FROM ", table,
                                      " WHERE order_id IN (",
                                      common::Placeholders(common::InListSize(chunk.size())),
                                      ") ORDER BY order_id, ", column))
                    .InList(chunk)
                    .Rows();
      while (rs->next())
        add(*by_id[rs->getString(1).asStdString()], rs->getString(2).asStdString());
    }
  };
  load("order_findings", "finding_id",
       [](v1::RectificationOrder& o, std::string id) { o.add_finding_ids(std::move(id)); });
  load("order_tasks", "task_id",
       [](v1::RectificationOrder& o, std::string id) { o.add_task_ids(std::move(id)); });
}

// The order with its findings and tasks, read with `statement` (select or lock).
std::optional<v1::RectificationOrder> ReadOrder(DbSession& s, const std::string& statement,
                                                const std::string& id) {
  auto rs = Query(s, statement).Arg(id).Rows();
  if (!rs->next()) return std::nullopt;
  std::vector<v1::RectificationOrder> one = {ReadRow(kOrder, *rs)};
  AttachOrderLinks(s, one);
  return std::move(one[0]);
}

}  // namespace

absl::Status MysqlRecordsStore::CreateInspection(const MutationContext& ctx,
                                                 const v1::Inspection& in,
                                                 const std::vector<std::string>& population,
                                                 v1::Inspection& out) {
  return common::RunMutation<v1::Inspection>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::Inspection& resp) -> absl::StatusOr<EntityRefs> {
        resp = in;
        resp.set_id(ids_.NewId());
        resp.set_population_size(static_cast<int32_t>(population.size()));
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        Query insert(s, Sql().insert_inspection);
        common::BindRow(kInspection, resp, insert).Arg(ctx.principal.subject()).Exec();
        for (size_t i = 0; i < population.size(); i += 64) {
          size_t n = std::min<size_t>(64, population.size() - i);
          std::string sql =
              "INSERT INTO inspection_population (inspection_id, household_id) VALUES ";
          for (size_t k = 0; k < n; ++k) absl::StrAppend(&sql, k == 0 ? "" : ", ", "(?, ?)");
          Query q(s, sql);
          for (size_t k = 0; k < n; ++k) q.Arg(resp.id()).Arg(population[i + k]);
          q.Exec();
        }
        return InspectionEntities(resp);
      },
      out);
}

absl::StatusOr<std::optional<v1::Inspection>> MysqlRecordsStore::GetInspection(
    const std::string& id) {
  std::optional<v1::Inspection> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, Sql().select_inspection).Arg(id).Rows();
    if (rs->next()) out = ReadRow(kInspection, *rs);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<std::string>> MysqlRecordsStore::Population(
    const std::string& inspection_id) {
  std::vector<std::string> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, Sql().select_population).Arg(inspection_id).Rows();
    while (rs->next()) out.push_back(rs->getString(1).asStdString());
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlRecordsStore::SaveSample(const MutationContext& ctx,
                                           const std::string& inspection_id, const SampleDraw& draw,
                                           v1::Sample& out) {
  return common::RunMutation<v1::Sample>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::Sample& resp) -> absl::StatusOr<EntityRefs> {
        auto rs = Query(s, Sql().lock_inspection).Arg(inspection_id).Rows();
        if (!rs->next())
          return absl::NotFoundError(absl::StrCat("inspection ", inspection_id, " not found"));
        v1::Inspection in = ReadRow(kInspection, *rs);
        TUOPIN_ASSIGN_OR_RETURN(std::vector<std::string> sample, draw(in));
        Query(s, Sql().mark_revealed).Arg(inspection_id).Exec();
        for (size_t i = 0; i < sample.size(); ++i) {
          Query(s, Sql().insert_sample)
              .Arg(inspection_id)
              .Arg(static_cast<int64_t>(i))
              .Arg(sample[i])
              .Exec();
        }
        resp.Clear();  // the body may run again
        resp.set_inspection_id(inspection_id);
        for (const auto& h : sample) resp.add_household_ids(h);
        return SampleEntities(in);
      },
      out);
}

absl::StatusOr<bool> MysqlRecordsStore::InSample(const std::string& inspection_id,
                                                 const std::string& household_id) {
  bool in = false;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    in = Query(s, Sql().in_sample).Arg(inspection_id).Arg(household_id).Rows()->next();
    return absl::OkStatus();
  }));
  return in;
}

absl::Status MysqlRecordsStore::RecordVisit(const MutationContext& ctx, const v1::Visit& v,
                                            v1::Visit& out) {
  return common::RunMutation<v1::Visit>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::Visit& resp) -> absl::StatusOr<EntityRefs> {
        resp = v;
        resp.set_id(ids_.NewId());
        Query(s, Sql().insert_visit)
            .Arg(resp.id())
            .Arg(v.inspection_id())
            .Arg(v.household_id())
            .Arg(v.unit_name())
            .Arg(v.observations())
            .Arg(SqlTime(v.visit_time()))
            .Arg(v.outside_sample())
            .Arg(ctx.principal.subject())
            .Exec();
        return VisitEntities(resp);
      },
      out);
}

absl::Status MysqlRecordsStore::CreateFinding(const MutationContext& ctx, const v1::Finding& f,
                                              v1::Finding& out) {
  return common::RunMutation<v1::Finding>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::Finding& resp) -> absl::StatusOr<EntityRefs> {
        resp = f;
        resp.set_id(ids_.NewId());
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        Query insert(s, Sql().insert_finding);
        common::BindRow(kFinding, resp, insert).Arg(ctx.principal.subject()).Exec();
        return FindingEntities(resp);
      },
      out);
}

absl::StatusOr<std::vector<v1::Finding>> MysqlRecordsStore::GetFindings(
    const std::vector<std::string>& ids) {
  std::vector<v1::Finding> out;
  if (ids.empty()) return out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    // The IN list's size varies: the statement is built per size (cached per text).
    auto rs =
        Query(s, common::SelectOf(kFinding,
                                  absl::StrCat("FROM findings WHERE id IN (",
                                               common::Placeholders(common::InListSize(ids.size())),
                                               ") ORDER BY id")))
            .InList(ids)
            .Rows();
    while (rs->next()) out.push_back(ReadRow(kFinding, *rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::RegionSummary> MysqlRecordsStore::Summarize(const std::string& region_prefix,
                                                               absl::CivilDay today) {
  v1::RegionSummary out;
  out.set_region_code(region_prefix);
  TUOPIN_RETURN_IF_ERROR(common::RunInTransaction(
      pool_,
      [&](DbSession& s) -> absl::Status {
        out.Clear();
        out.set_region_code(region_prefix);
        Query by_sector(s, Sql().findings_by_sector);
        auto findings = InRegion(by_sector, region_prefix).Rows();
        while (findings->next()) {
          auto* c = out.add_findings_by_sector();
          c->set_sector(static_cast<tuopin::common::v1::Sector>(findings->getInt(1)));
          c->set_count(findings->getInt(2));
          out.set_findings(out.findings() + c->count());
        }
        Query counts(s, Sql().order_counts);
        counts.Arg(StateArg(v1::RECTIFICATION_STATUS_OPEN))
            .Arg(StateArg(v1::RECTIFICATION_STATUS_SUBMITTED))
            .Arg(StateArg(v1::RECTIFICATION_STATUS_VERIFIED))
            .Arg(StateArg(v1::RECTIFICATION_STATUS_VERIFIED))
            .Arg(common::ToSqlDate(today));
        auto orders = InRegion(counts, region_prefix).Rows();
        orders->next();
        out.set_orders(orders->getInt(1));
        out.set_orders_open(orders->getInt(2));
        out.set_orders_submitted(orders->getInt(3));
        out.set_orders_verified(orders->getInt(4));
        out.set_orders_reopened(orders->getInt(5));
        out.set_orders_overdue(orders->getInt(6));
        return absl::OkStatus();
      },
      common::TxOptions{.read_only = true}));
  return out;
}

absl::StatusOr<std::vector<v1::Finding>> MysqlRecordsStore::ListFindings(
    const std::string& region_prefix, const std::string& inspection_id, const std::string& cadre_id,
    const PageRequest& page) {
  std::vector<v1::Finding> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s, Sql().list_findings);
    auto rs = InRegion(q, region_prefix)
                  .Arg(inspection_id)
                  .Arg(inspection_id)
                  .Arg(cadre_id)
                  .Arg(cadre_id)
                  .Arg(after)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(ReadRow(kFinding, *rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlRecordsStore::CreateOrder(const MutationContext& ctx,
                                            const v1::RectificationOrder& o,
                                            v1::RectificationOrder& out) {
  return common::RunMutation<v1::RectificationOrder>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::RectificationOrder& resp) -> absl::StatusOr<EntityRefs> {
        resp = o;
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        Query insert(s, Sql().insert_order);
        common::BindRow(kOrder, resp, insert).Exec();
        for (const auto& f : o.finding_ids())
          Query(s, Sql().insert_order_finding).Arg(o.id()).Arg(f).Exec();
        for (const auto& t : o.task_ids())
          Query(s, Sql().insert_order_task).Arg(o.id()).Arg(t).Exec();
        return OrderEntities(resp);
      },
      out);
}

absl::StatusOr<std::optional<v1::RectificationOrder>> MysqlRecordsStore::GetOrder(
    const std::string& id) {
  std::optional<v1::RectificationOrder> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    out = ReadOrder(s, Sql().select_order, id);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlRecordsStore::ChangeOrder(const MutationContext& ctx, const std::string& id,
                                            const OrderChange& change,
                                            v1::RectificationOrder& out) {
  return common::RunMutation<v1::RectificationOrder>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::RectificationOrder& resp) -> absl::StatusOr<EntityRefs> {
        std::optional<v1::RectificationOrder> o = ReadOrder(s, Sql().lock_order, id);
        if (!o.has_value())
          return absl::NotFoundError(absl::StrCat("rectification order ", id, " not found"));
        TUOPIN_RETURN_IF_ERROR(change(*o));
        Query(s, Sql().update_order)
            .Arg(static_cast<int32_t>(o->status()))
            .Arg(o->reopen_count())
            .Arg(o->verified_by())
            .Arg(o->submission_note())
            .Arg(id)
            .Exec();
        resp = *o;
        return OrderChangeEntities(resp);
      },
      out);
}

absl::StatusOr<std::vector<v1::RectificationOrder>> MysqlRecordsStore::ListOrders(
    const std::string& region_prefix, int status, const PageRequest& page) {
  std::vector<v1::RectificationOrder> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s, Sql().list_orders);
    auto rs = InRegion(q, region_prefix)
                  .Arg(status)
                  .Arg(StateArg(v1::RECTIFICATION_STATUS_UNSPECIFIED))
                  .Arg(status)
                  .Arg(after)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(ReadRow(kOrder, *rs));
    AttachOrderLinks(s, out);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlRecordsStore::CreateAction(const MutationContext& ctx,
                                             const v1::AccountabilityAction& a,
                                             v1::AccountabilityAction& out) {
  return common::RunMutation<v1::AccountabilityAction>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::AccountabilityAction& resp) -> absl::StatusOr<EntityRefs> {
        resp = a;
        resp.set_id(ids_.NewId());
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        Query insert(s, Sql().insert_action);
        common::BindRow(kAction, resp, insert).Exec();
        return ActionEntities(resp);
      },
      out);
}

absl::StatusOr<std::vector<v1::AccountabilityAction>> MysqlRecordsStore::ListActions(
    const std::string& region_prefix, const std::string& cadre_id, const PageRequest& page) {
  std::vector<v1::AccountabilityAction> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s, Sql().list_actions);
    auto rs =
        InRegion(q, region_prefix).Arg(cadre_id).Arg(cadre_id).Arg(after).Arg(page.limit).Rows();
    while (rs->next()) out.push_back(ReadRow(kAction, *rs));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace tuopin::accountability
