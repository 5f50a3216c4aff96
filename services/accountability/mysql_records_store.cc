#include <cppconn/resultset.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/db.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/accountability/records_store.h"

namespace tuopin::accountability {
namespace {

using common::DbSession;
using common::Entity;
using common::EntityRefs;
using common::Query;

// Id lists are stored comma-separated: ids never contain commas.
std::string JoinIds(const google::protobuf::RepeatedPtrField<std::string>& ids) {
  return absl::StrJoin(ids, ",");
}
void SplitIds(const std::string& s, google::protobuf::RepeatedPtrField<std::string>* out) {
  for (absl::string_view id : absl::StrSplit(s, ',', absl::SkipEmpty())) out->Add(std::string(id));
}

constexpr char kInspectionCols[] =
    "id, kind, group_name, leader_cadre_ids, target_region_codes, start_date, end_date, "
    "sample_size,"
    " seed_commitment, revealed, population_digest, population_size, created_at";

v1::Inspection InspectionFromRow(sql::ResultSet& rs) {
  v1::Inspection in;
  in.set_id(rs.getString(1).asStdString());
  in.set_kind(static_cast<v1::InspectionKind>(rs.getInt(2)));
  in.set_group_name(rs.getString(3).asStdString());
  SplitIds(rs.getString(4).asStdString(), in.mutable_leader_cadre_ids());
  SplitIds(rs.getString(5).asStdString(), in.mutable_target_region_codes());
  *in.mutable_start_date() = common::ToDate(common::FromSqlDate(rs.getString(6).asStdString()));
  *in.mutable_end_date() = common::ToDate(common::FromSqlDate(rs.getString(7).asStdString()));
  in.set_sample_size(rs.getInt(8));
  in.set_seed_commitment(rs.getString(9).asStdString());
  in.set_revealed(rs.getInt(10) != 0);
  in.set_population_digest(rs.getString(11).asStdString());
  in.set_population_size(rs.getInt(12));
  *in.mutable_create_time() =
      common::ToTimestamp(common::FromSqlTime(rs.getString(13).asStdString()));
  return in;
}

constexpr char kFindingCols[] =
    "id, inspection_id, category, sector, region_code, subject_cadre_id, subject_department, "
    "severity,"
    " description, evidence_uris, created_at";

void SetSubject(v1::Subject* s, const std::string& cadre, const std::string& department) {
  if (!cadre.empty()) s->set_cadre_id(cadre);
  if (!department.empty()) s->set_department(department);
}

v1::Finding FindingFromRow(sql::ResultSet& rs) {
  v1::Finding f;
  f.set_id(rs.getString(1).asStdString());
  f.set_inspection_id(rs.getString(2).asStdString());
  f.set_category(static_cast<v1::FindingCategory>(rs.getInt(3)));
  f.set_sector(static_cast<tuopin::common::v1::Sector>(rs.getInt(4)));
  f.set_region_code(rs.getString(5).asStdString());
  SetSubject(f.mutable_subject(), rs.getString(6).asStdString(), rs.getString(7).asStdString());
  f.set_severity(static_cast<v1::Severity>(rs.getInt(8)));
  f.set_description(rs.getString(9).asStdString());
  // A local copy: asStdString() refers into a temporary that the loop would outlive.
  const std::string uris = rs.getString(10).asStdString();
  for (absl::string_view uri : absl::StrSplit(uris, '\n', absl::SkipEmpty()))
    f.add_evidence_uris(std::string(uri));
  *f.mutable_create_time() =
      common::ToTimestamp(common::FromSqlTime(rs.getString(11).asStdString()));
  return f;
}

constexpr char kOrderCols[] =
    "id, region_code, campaign_id, responsible_cadre_id, responsible_department, deadline, status, "
    "reopen_count,"
    " issued_by, verified_by, submission_note, created_at";

// The order's own columns; its findings and tasks come from AttachOrderLinks.
v1::RectificationOrder OrderFromRow(sql::ResultSet& rs) {
  v1::RectificationOrder o;
  o.set_id(rs.getString(1).asStdString());
  o.set_region_code(rs.getString(2).asStdString());
  o.set_campaign_id(rs.getString(3).asStdString());
  SetSubject(o.mutable_responsible(), rs.getString(4).asStdString(), rs.getString(5).asStdString());
  *o.mutable_deadline() = common::ToDate(common::FromSqlDate(rs.getString(6).asStdString()));
  o.set_status(static_cast<v1::RectificationStatus>(rs.getInt(7)));
  o.set_reopen_count(rs.getInt(8));
  o.set_issued_by(rs.getString(9).asStdString());
  o.set_verified_by(rs.getString(10).asStdString());
  o.set_submission_note(rs.getString(11).asStdString());
  *o.mutable_create_time() =
      common::ToTimestamp(common::FromSqlTime(rs.getString(12).asStdString()));
  return o;
}

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

constexpr char kActionCols[] =
    "id, subject_cadre_id, subject_department, kind, decided_by, decision_date, region_code, "
    "finding_ids, created_at";

v1::AccountabilityAction ActionFromRow(sql::ResultSet& rs) {
  v1::AccountabilityAction a;
  a.set_id(rs.getString(1).asStdString());
  SetSubject(a.mutable_subject(), rs.getString(2).asStdString(), rs.getString(3).asStdString());
  a.set_kind(static_cast<v1::ActionKind>(rs.getInt(4)));
  a.set_decided_by(rs.getString(5).asStdString());
  *a.mutable_decision_date() = common::ToDate(common::FromSqlDate(rs.getString(6).asStdString()));
  a.set_region_code(rs.getString(7).asStdString());
  SplitIds(rs.getString(8).asStdString(), a.mutable_finding_ids());
  *a.mutable_create_time() =
      common::ToTimestamp(common::FromSqlTime(rs.getString(9).asStdString()));
  return a;
}

std::string FirstRegion(const v1::Inspection& in) {
  return in.target_region_codes().empty() ? "" : in.target_region_codes(0);
}

}  // namespace

absl::Status MysqlRecordsStore::CreateInspection(const MutationContext& ctx,
                                                 const v1::Inspection& in,
                                                 const std::vector<std::string>& population,
                                                 v1::Inspection& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        std::string id = ids_.NewId();
        Query(s, absl::StrCat("INSERT INTO inspections (", kInspectionCols,
                              ", created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)"))
            .Arg(id)
            .Arg(static_cast<int32_t>(in.kind()))
            .Arg(in.group_name())
            .Arg(JoinIds(in.leader_cadre_ids()))
            .Arg(JoinIds(in.target_region_codes()))
            .Arg(common::ToSqlDate(common::FromDate(in.start_date())))
            .Arg(common::ToSqlDate(common::FromDate(in.end_date())))
            .Arg(in.sample_size())
            .Arg(in.seed_commitment())
            .Arg(in.population_digest())
            .Arg(static_cast<int32_t>(population.size()))
            .Arg(common::ToSqlTime(ctx.now))
            .Arg(ctx.principal.subject())
            .Exec();
        for (size_t i = 0; i < population.size(); i += 64) {
          size_t n = std::min<size_t>(64, population.size() - i);
          std::string sql =
              "INSERT INTO inspection_population (inspection_id, household_id) VALUES ";
          for (size_t k = 0; k < n; ++k) absl::StrAppend(&sql, k == 0 ? "" : ", ", "(?, ?)");
          Query q(s, sql);
          for (size_t k = 0; k < n; ++k) q.Arg(id).Arg(population[i + k]);
          q.Exec();
        }
        auto& resp = static_cast<v1::Inspection&>(m);
        resp = in;
        resp.set_id(id);
        resp.set_population_size(static_cast<int32_t>(population.size()));
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        EntityRefs refs{Entity("inspection", id, FirstRegion(in))};
        for (const auto& leader : in.leader_cadre_ids()) refs.push_back(Entity("cadre", leader));
        return refs;
      },
      out);
}

absl::StatusOr<std::optional<v1::Inspection>> MysqlRecordsStore::GetInspection(
    const std::string& id) {
  std::optional<v1::Inspection> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, absl::StrCat("SELECT ", kInspectionCols, " FROM inspections WHERE id = ?"))
                  .Arg(id)
                  .Rows();
    if (rs->next()) out = InspectionFromRow(*rs);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<std::string>> MysqlRecordsStore::Population(
    const std::string& inspection_id) {
  std::vector<std::string> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s,
                    "SELECT household_id FROM inspection_population WHERE inspection_id = ? ORDER "
                    "BY household_id")
                  .Arg(inspection_id)
                  .Rows();
    while (rs->next()) out.push_back(rs->getString(1).asStdString());
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlRecordsStore::SaveSample(const MutationContext& ctx,
                                           const std::string& inspection_id,
                                           const std::vector<std::string>& sample,
                                           v1::Sample& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        auto rs = Query(s, absl::StrCat("SELECT ", kInspectionCols,
                                        " FROM inspections WHERE id = ? FOR UPDATE"))
                      .Arg(inspection_id)
                      .Rows();
        if (!rs->next())
          return absl::NotFoundError(absl::StrCat("inspection ", inspection_id, " not found"));
        v1::Inspection in = InspectionFromRow(*rs);
        if (in.revealed()) {
          return common::WithReason(
              absl::FailedPreconditionError("the sample was already revealed"), "ALREADY_REVEALED");
        }
        Query(s, "UPDATE inspections SET revealed = 1 WHERE id = ?").Arg(inspection_id).Exec();
        for (size_t i = 0; i < sample.size(); ++i) {
          Query(s,
                "INSERT INTO inspection_sample (inspection_id, position, household_id) VALUES (?, "
                "?, ?)")
              .Arg(inspection_id)
              .Arg(static_cast<int64_t>(i))
              .Arg(sample[i])
              .Exec();
        }
        auto& resp = static_cast<v1::Sample&>(m);
        resp.set_inspection_id(inspection_id);
        for (const auto& h : sample) resp.add_household_ids(h);
        return EntityRefs{Entity("inspection", inspection_id, FirstRegion(in))};
      },
      out);
}

absl::StatusOr<bool> MysqlRecordsStore::InSample(const std::string& inspection_id,
                                                 const std::string& household_id) {
  bool in = false;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs =
        Query(s, "SELECT 1 FROM inspection_sample WHERE inspection_id = ? AND household_id = ?")
            .Arg(inspection_id)
            .Arg(household_id)
            .Rows();
    in = rs->next();
    return absl::OkStatus();
  }));
  return in;
}

absl::Status MysqlRecordsStore::RecordVisit(const MutationContext& ctx, const v1::Visit& v,
                                            v1::Visit& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        std::string id = ids_.NewId();
        Query(s,
              "INSERT INTO visits (id, inspection_id, household_id, unit_name, observations, "
              "visit_time,"
              " outside_sample, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .Arg(id)
            .Arg(v.inspection_id())
            .Arg(v.household_id())
            .Arg(v.unit_name())
            .Arg(v.observations())
            .Arg(common::ToSqlTime(common::FromTimestamp(v.visit_time())))
            .Arg(v.outside_sample())
            .Arg(ctx.principal.subject())
            .Exec();
        auto& resp = static_cast<v1::Visit&>(m);
        resp = v;
        resp.set_id(id);
        // The visit and its household in their region, so only that region's auditors read
        // them (the inspection is tagged by its own creation).
        EntityRefs refs{Entity("visit", id, v.region_code()),
                        Entity("inspection", v.inspection_id())};
        if (!v.household_id().empty()) {
          refs.push_back(Entity("household", v.household_id(), v.region_code()));
        }
        return refs;
      },
      out);
}

absl::Status MysqlRecordsStore::CreateFinding(const MutationContext& ctx, const v1::Finding& f,
                                              v1::Finding& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        std::string id = ids_.NewId();
        Query(s, absl::StrCat("INSERT INTO findings (", kFindingCols,
                              ", created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"))
            .Arg(id)
            .Arg(f.inspection_id())
            .Arg(static_cast<int32_t>(f.category()))
            .Arg(static_cast<int32_t>(f.sector()))
            .Arg(f.region_code())
            .Arg(f.subject().cadre_id())
            .Arg(f.subject().department())
            .Arg(static_cast<int32_t>(f.severity()))
            .Arg(f.description())
            .Arg(absl::StrJoin(f.evidence_uris(), "\n"))
            .Arg(common::ToSqlTime(ctx.now))
            .Arg(ctx.principal.subject())
            .Exec();
        auto& resp = static_cast<v1::Finding&>(m);
        resp = f;
        resp.set_id(id);
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        EntityRefs refs{Entity("finding", id, f.region_code()),
                        Entity("inspection", f.inspection_id())};
        if (!f.subject().cadre_id().empty())
          refs.push_back(Entity("cadre", f.subject().cadre_id()));
        return refs;
      },
      out);
}

absl::StatusOr<std::vector<v1::Finding>> MysqlRecordsStore::GetFindings(
    const std::vector<std::string>& ids) {
  std::vector<v1::Finding> out;
  if (ids.empty()) return out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, absl::StrCat("SELECT ", kFindingCols, " FROM findings WHERE id IN (",
                                    common::Placeholders(common::InListSize(ids.size())),
                                    ") ORDER BY id"))
                  .InList(ids)
                  .Rows();
    while (rs->next()) out.push_back(FindingFromRow(*rs));
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
        auto findings = Query(s,
                              "SELECT sector, COUNT(*) FROM findings WHERE region_code >= ?"
                              " AND region_code < ? GROUP BY sector ORDER BY sector")
                            .Arg(region_prefix)
                            .Arg(common::RegionRangeEnd(region_prefix))
                            .Rows();
        while (findings->next()) {
          auto* c = out.add_findings_by_sector();
          c->set_sector(static_cast<tuopin::common::v1::Sector>(findings->getInt(1)));
          c->set_count(findings->getInt(2));
          out.set_findings(out.findings() + c->count());
        }
        auto orders =
            Query(s,
                  "SELECT COUNT(*), COALESCE(SUM(status = 1), 0), COALESCE(SUM(status = 2), 0),"
                  " COALESCE(SUM(status = 3), 0), COALESCE(SUM(reopen_count > 0), 0),"
                  " COALESCE(SUM(status <> 3 AND deadline < ?), 0) FROM rectification_orders"
                  " WHERE region_code >= ? AND region_code < ?")
                .Arg(common::ToSqlDate(today))
                .Arg(region_prefix)
                .Arg(common::RegionRangeEnd(region_prefix))
                .Rows();
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
    auto rs = Query(s, absl::StrCat(
                           "SELECT ", kFindingCols,
                           " FROM findings WHERE region_code >= ? AND region_code < ?"
                           " AND (? = '' OR inspection_id = ?) AND (? = '' OR subject_cadre_id = ?)"
                           " AND id > ? ORDER BY id LIMIT ?"))
                  .Arg(region_prefix)
                  .Arg(common::RegionRangeEnd(region_prefix))
                  .Arg(inspection_id)
                  .Arg(inspection_id)
                  .Arg(cadre_id)
                  .Arg(cadre_id)
                  .Arg(after)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(FindingFromRow(*rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlRecordsStore::CreateOrder(const MutationContext& ctx,
                                            const v1::RectificationOrder& o,
                                            v1::RectificationOrder& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        Query(s, absl::StrCat("INSERT INTO rectification_orders (", kOrderCols,
                              ") VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, '', '', ?)"))
            .Arg(o.id())
            .Arg(o.region_code())
            .Arg(o.campaign_id())
            .Arg(o.responsible().cadre_id())
            .Arg(o.responsible().department())
            .Arg(common::ToSqlDate(common::FromDate(o.deadline())))
            .Arg(static_cast<int32_t>(v1::RECTIFICATION_STATUS_OPEN))
            .Arg(o.issued_by())
            .Arg(common::ToSqlTime(ctx.now))
            .Exec();
        EntityRefs refs{Entity("rectification_order", o.id(), o.region_code())};
        for (const auto& f : o.finding_ids()) {
          Query(s, "INSERT INTO order_findings (order_id, finding_id) VALUES (?, ?)")
              .Arg(o.id())
              .Arg(f)
              .Exec();
          refs.push_back(Entity("finding", f, o.region_code()));
        }
        for (const auto& t : o.task_ids()) {
          Query(s, "INSERT INTO order_tasks (order_id, task_id) VALUES (?, ?)")
              .Arg(o.id())
              .Arg(t)
              .Exec();
          refs.push_back(Entity("task", t, o.region_code()));
        }
        auto& resp = static_cast<v1::RectificationOrder&>(m);
        resp = o;
        resp.set_status(v1::RECTIFICATION_STATUS_OPEN);
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        return refs;
      },
      out);
}

absl::StatusOr<std::optional<v1::RectificationOrder>> MysqlRecordsStore::GetOrder(
    const std::string& id) {
  std::optional<v1::RectificationOrder> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs =
        Query(s, absl::StrCat("SELECT ", kOrderCols, " FROM rectification_orders WHERE id = ?"))
            .Arg(id)
            .Rows();
    if (rs->next()) {
      std::vector<v1::RectificationOrder> one = {OrderFromRow(*rs)};
      AttachOrderLinks(s, one);
      out = std::move(one[0]);
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlRecordsStore::ChangeOrder(const MutationContext& ctx, const std::string& id,
                                            const OrderChange& change,
                                            v1::RectificationOrder& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        auto rs = Query(s, absl::StrCat("SELECT ", kOrderCols,
                                        " FROM rectification_orders WHERE id = ? FOR UPDATE"))
                      .Arg(id)
                      .Rows();
        if (!rs->next())
          return absl::NotFoundError(absl::StrCat("rectification order ", id, " not found"));
        std::vector<v1::RectificationOrder> one = {OrderFromRow(*rs)};
        AttachOrderLinks(s, one);
        v1::RectificationOrder o = std::move(one[0]);
        TUOPIN_RETURN_IF_ERROR(change(o));
        Query(s,
              "UPDATE rectification_orders SET status = ?, reopen_count = ?, verified_by = ?, "
              "submission_note = ?"
              " WHERE id = ?")
            .Arg(static_cast<int32_t>(o.status()))
            .Arg(o.reopen_count())
            .Arg(o.verified_by())
            .Arg(o.submission_note())
            .Arg(id)
            .Exec();
        static_cast<v1::RectificationOrder&>(m) = o;
        return EntityRefs{Entity("rectification_order", id, o.region_code())};
      },
      out);
}

absl::StatusOr<std::vector<v1::RectificationOrder>> MysqlRecordsStore::ListOrders(
    const std::string& region_prefix, int status, const PageRequest& page) {
  std::vector<v1::RectificationOrder> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, absl::StrCat(
                           "SELECT ", kOrderCols,
                           " FROM rectification_orders WHERE region_code >= ? AND region_code < ?"
                           " AND (? = 0 OR status = ?) AND id > ? ORDER BY id LIMIT ?"))
                  .Arg(region_prefix)
                  .Arg(common::RegionRangeEnd(region_prefix))
                  .Arg(status)
                  .Arg(status)
                  .Arg(after)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(OrderFromRow(*rs));
    AttachOrderLinks(s, out);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlRecordsStore::CreateAction(const MutationContext& ctx,
                                             const v1::AccountabilityAction& a,
                                             v1::AccountabilityAction& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        std::string id = ids_.NewId();
        Query(s, absl::StrCat("INSERT INTO actions (", kActionCols,
                              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"))
            .Arg(id)
            .Arg(a.subject().cadre_id())
            .Arg(a.subject().department())
            .Arg(static_cast<int32_t>(a.kind()))
            .Arg(a.decided_by())
            .Arg(common::ToSqlDate(common::FromDate(a.decision_date())))
            .Arg(a.region_code())
            .Arg(JoinIds(a.finding_ids()))
            .Arg(common::ToSqlTime(ctx.now))
            .Exec();
        auto& resp = static_cast<v1::AccountabilityAction&>(m);
        resp = a;
        resp.set_id(id);
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        EntityRefs refs{Entity("action", id, a.region_code())};
        if (!a.subject().cadre_id().empty())
          refs.push_back(Entity("cadre", a.subject().cadre_id()));
        for (const auto& f : a.finding_ids()) refs.push_back(Entity("finding", f, a.region_code()));
        return refs;
      },
      out);
}

absl::StatusOr<std::vector<v1::AccountabilityAction>> MysqlRecordsStore::ListActions(
    const std::string& region_prefix, const std::string& cadre_id, const PageRequest& page) {
  std::vector<v1::AccountabilityAction> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, absl::StrCat(
                           "SELECT ", kActionCols,
                           " FROM actions WHERE region_code >= ? AND region_code < ?"
                           " AND (? = '' OR subject_cadre_id = ?) AND id > ? ORDER BY id LIMIT ?"))
                  .Arg(region_prefix)
                  .Arg(common::RegionRangeEnd(region_prefix))
                  .Arg(cadre_id)
                  .Arg(cadre_id)
                  .Arg(after)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(ActionFromRow(*rs));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace tuopin::accountability
