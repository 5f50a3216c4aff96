#include "services/personnel/mysql_personnel_store.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status.h"
#include "common/validate.h"
#include "google/protobuf/util/time_util.h"

namespace tuopin::personnel {
namespace {

using common::DbSession;
using common::Entity;
using common::EntityRefs;
using common::Query;
using common::ToSqlTime;
using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp SqlTimeToProto(const sql::SQLString& s) {
  return common::ToTimestamp(common::FromSqlTime(s.asStdString()));
}
v1::RegionLevel LevelOf(size_t len) {
  switch (len) {
    case 2:
      return v1::REGION_LEVEL_PROVINCE;
    case 4:
      return v1::REGION_LEVEL_PREFECTURE;
    case 6:
      return v1::REGION_LEVEL_COUNTY;
    case 9:
      return v1::REGION_LEVEL_TOWNSHIP;
    case 12:
      return v1::REGION_LEVEL_VILLAGE;
    default:
      return v1::REGION_LEVEL_UNSPECIFIED;
  }
}

// Which unique key a duplicate-entry error names.
bool DuplicateOn(const sql::SQLException& e, const char* key) {
  return e.getErrorCode() == common::kErDupEntry && absl::StrContains(e.what(), key);
}

v1::Region RegionFromRow(sql::ResultSet& rs) {
  v1::Region r;
  r.set_code(rs.getString(1).asStdString());
  r.set_name(rs.getString(2).asStdString());
  r.set_level(static_cast<v1::RegionLevel>(rs.getInt(3)));
  r.set_parent_code(rs.getString(4).asStdString());
  return r;
}

constexpr char kHouseholdCols[] =
    "id, village_code, head_name, member_count, status, ind_food, ind_clothing, ind_education,"
    " ind_medical, ind_housing, ind_water, income_per_head_fen, version, created_at, updated_at";

v1::Household HouseholdFromRow(sql::ResultSet& rs) {
  v1::Household h;
  h.set_id(rs.getString(1).asStdString());
  h.set_village_code(rs.getString(2).asStdString());
  h.set_head_name(rs.getString(3).asStdString());
  h.set_member_count(rs.getInt(4));
  h.set_status(static_cast<v1::HouseholdStatus>(rs.getInt(5)));
  auto* ind = h.mutable_indicators();
  ind->set_food(rs.getInt(6) != 0);
  ind->set_clothing(rs.getInt(7) != 0);
  ind->set_compulsory_education(rs.getInt(8) != 0);
  ind->set_basic_medical_care(rs.getInt(9) != 0);
  ind->set_housing_safety(rs.getInt(10) != 0);
  ind->set_drinking_water_safety(rs.getInt(11) != 0);
  h.set_income_per_head_fen(rs.getInt64(12));
  h.set_etag(common::EtagOf(rs.getInt64(13)));
  *h.mutable_create_time() = SqlTimeToProto(rs.getString(14));
  *h.mutable_update_time() = SqlTimeToProto(rs.getString(15));
  return h;
}

constexpr char kCadreCols[] =
    "id, employee_number, name, origin_level, dispatching_unit, home_region_code,"
    " managing_region_code, version, created_at";

v1::Cadre CadreFromRow(sql::ResultSet& rs) {
  v1::Cadre c;
  c.set_id(rs.getString(1).asStdString());
  c.set_employee_number(rs.getString(2).asStdString());
  c.set_name(rs.getString(3).asStdString());
  c.set_origin_level(static_cast<v1::OriginLevel>(rs.getInt(4)));
  c.set_dispatching_unit(rs.getString(5).asStdString());
  c.set_home_region_code(rs.getString(6).asStdString());
  c.set_managing_region_code(rs.getString(7).asStdString());
  c.set_etag(common::EtagOf(rs.getInt64(8)));
  *c.mutable_create_time() = SqlTimeToProto(rs.getString(9));
  return c;
}

constexpr char kPostingCols[] =
    "id, cadre_id, village_code, role, start_date, end_date, active, home_village, home_waiver,"
    " end_reason";

v1::Posting PostingFromRow(sql::ResultSet& rs) {
  v1::Posting p;
  p.set_id(rs.getString(1).asStdString());
  p.set_cadre_id(rs.getString(2).asStdString());
  p.set_village_code(rs.getString(3).asStdString());
  p.set_role(static_cast<v1::PostingRole>(rs.getInt(4)));
  *p.mutable_start_date() = common::ToDate(common::FromSqlDate(rs.getString(5).asStdString()));
  if (!rs.isNull(6))
    *p.mutable_end_date() = common::ToDate(common::FromSqlDate(rs.getString(6).asStdString()));
  p.set_active(rs.getInt(7) != 0);
  p.set_home_village(rs.getInt(8) != 0);
  if (!rs.isNull(9)) p.set_home_waiver(rs.getString(9).asStdString());
  if (!rs.isNull(10)) p.set_end_reason(rs.getString(10).asStdString());
  return p;
}

constexpr char kPairingCols[] =
    "id, cadre_id, household_id, village_code, start_time, end_time, active";

v1::Pairing PairingFromRow(sql::ResultSet& rs) {
  v1::Pairing p;
  p.set_id(rs.getString(1).asStdString());
  p.set_cadre_id(rs.getString(2).asStdString());
  p.set_household_id(rs.getString(3).asStdString());
  p.set_village_code(rs.getString(4).asStdString());
  *p.mutable_start_time() = SqlTimeToProto(rs.getString(5));
  if (!rs.isNull(6)) *p.mutable_end_time() = SqlTimeToProto(rs.getString(6));
  p.set_active(rs.getInt(7) != 0);
  return p;
}

template <typename T>
absl::StatusOr<std::optional<T>> GetOne(common::ConnectionPool& pool, const std::string& sql,
                                        const std::string& key, T (*from_row)(sql::ResultSet&)) {
  std::optional<T> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool, [&](DbSession& s) {
    auto rs = Query(s, sql).Arg(key).Rows();
    if (rs->next()) out = from_row(*rs);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status Precondition(absl::string_view message, absl::string_view reason) {
  return common::WithReason(absl::FailedPreconditionError(message), reason);
}

}  // namespace

MysqlPersonnelStore::MysqlPersonnelStore(common::ConnectionPool& pool, common::IdGenerator& ids)
    : pool_(pool), ids_(ids) {}

absl::Status MysqlPersonnelStore::ImportRegions(const MutationContext& ctx,
                                                const std::vector<v1::Region>& regions,
                                                v1::ImportRegionsResponse& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        auto& resp = static_cast<v1::ImportRegionsResponse&>(m);
        EntityRefs refs;
        for (size_t i = 0; i < regions.size(); ++i) {
          const auto& r = regions[i];
          std::string parent = ParentCode(r.code());
          if (!parent.empty()) {
            auto prs = Query(s, "SELECT 1 FROM regions WHERE code = ?").Arg(parent).Rows();
            if (!prs->next()) {
              return common::InvalidField(
                  absl::StrCat("regions[", i, "].code"),
                  absl::StrCat("parent region ", parent,
                               " does not exist; import it first or earlier in the same call"));
            }
          }
          auto rs =
              Query(s, "SELECT name FROM regions WHERE code = ? FOR UPDATE").Arg(r.code()).Rows();
          if (!rs->next()) {
            Query(s, "INSERT INTO regions (code, name, level, parent_code) VALUES (?, ?, ?, ?)")
                .Arg(r.code())
                .Arg(r.name())
                .Arg(static_cast<int32_t>(LevelOf(r.code().size())))
                .Arg(parent)
                .Exec();
            resp.set_created(resp.created() + 1);
          } else if (rs->getString(1).asStdString() != r.name()) {
            Query(s, "UPDATE regions SET name = ? WHERE code = ?")
                .Arg(r.name())
                .Arg(r.code())
                .Exec();
            resp.set_updated(resp.updated() + 1);
          } else {
            resp.set_unchanged(resp.unchanged() + 1);
            continue;
          }
          refs.push_back(Entity("region", r.code(), r.code()));
        }
        return refs;
      },
      out);
}

std::string MysqlPersonnelStore::ParentCode(const std::string& code) {
  switch (code.size()) {
    case 4:
      return code.substr(0, 2);
    case 6:
      return code.substr(0, 4);
    case 9:
      return code.substr(0, 6);
    case 12:
      return code.substr(0, 9);
    default:
      return "";
  }
}

absl::StatusOr<std::optional<v1::Region>> MysqlPersonnelStore::GetRegion(const std::string& code) {
  return GetOne<v1::Region>(pool_,
                            "SELECT code, name, level, parent_code FROM regions WHERE code = ?",
                            code, RegionFromRow);
}

absl::StatusOr<std::vector<v1::Region>> MysqlPersonnelStore::ListRegions(
    const std::string& parent_code, const PageRequest& page) {
  std::vector<v1::Region> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s,
                    "SELECT code, name, level, parent_code FROM regions"
                    " WHERE parent_code = ? AND code > ? ORDER BY code LIMIT ?")
                  .Arg(parent_code)
                  .Arg(after)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(RegionFromRow(*rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlPersonnelStore::CreateHousehold(const MutationContext& ctx,
                                                  const v1::Household& h, v1::Household& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        auto village =
            Query(s, "SELECT level FROM regions WHERE code = ?").Arg(h.village_code()).Rows();
        if (!village->next() || village->getInt(1) != v1::REGION_LEVEL_VILLAGE) {
          return common::InvalidField("household.village_code", "is not an imported village");
        }
        std::string id = ids_.NewId();
        const auto& ind = h.indicators();
        Query(s, absl::StrCat("INSERT INTO households (", kHouseholdCols,
                              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"))
            .Arg(id)
            .Arg(h.village_code())
            .Arg(h.head_name())
            .Arg(h.member_count())
            .Arg(static_cast<int32_t>(h.status()))
            .Arg(ind.food())
            .Arg(ind.clothing())
            .Arg(ind.compulsory_education())
            .Arg(ind.basic_medical_care())
            .Arg(ind.housing_safety())
            .Arg(ind.drinking_water_safety())
            .Arg(h.income_per_head_fen())
            .Arg(ToSqlTime(ctx.now))
            .Arg(ToSqlTime(ctx.now))
            .Exec();
        auto& resp = static_cast<v1::Household&>(m);
        resp = h;
        resp.set_id(id);
        resp.set_etag(common::EtagOf(1));
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        *resp.mutable_update_time() = common::ToTimestamp(ctx.now);
        return EntityRefs{Entity("household", id, h.village_code())};
      },
      out);
}

absl::StatusOr<std::optional<v1::Household>> MysqlPersonnelStore::GetHousehold(
    const std::string& id) {
  return GetOne<v1::Household>(
      pool_, absl::StrCat("SELECT ", kHouseholdCols, " FROM households WHERE id = ?"), id,
      HouseholdFromRow);
}

absl::StatusOr<std::vector<v1::Household>> MysqlPersonnelStore::ListHouseholds(
    const std::string& region_prefix, int status, const PageRequest& page) {
  std::vector<v1::Household> out;
  std::string after_village = page.after.size() == 2 ? page.after[0] : "";
  std::string after_id = page.after.size() == 2 ? page.after[1] : "";
  // Keyset pagination on (village_code, id): each page is one index range scan that
  // starts where the last one ended, whatever the page number.
  std::string start = std::max(region_prefix, after_village);
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    std::string sql = absl::StrCat(
        "SELECT ", kHouseholdCols, " FROM households WHERE ", status != 0 ? "status = ? AND " : "",
        "village_code >= ? AND village_code < ? AND (village_code > ? OR id > ?)"
        " ORDER BY village_code, id LIMIT ?");
    Query q(s, sql);
    if (status != 0) q.Arg(status);
    auto rs = q.Arg(start)
                  .Arg(common::RegionRangeEnd(region_prefix))
                  .Arg(after_village)
                  .Arg(after_id)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(HouseholdFromRow(*rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlPersonnelStore::UpdateHousehold(const MutationContext& ctx, const std::string& id,
                                                  const std::string& etag,
                                                  const HouseholdUpdate& apply,
                                                  v1::Household& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        auto rs = Query(s, absl::StrCat("SELECT ", kHouseholdCols,
                                        " FROM households WHERE id = ? FOR UPDATE"))
                      .Arg(id)
                      .Rows();
        if (!rs->next()) return absl::NotFoundError(absl::StrCat("household ", id, " not found"));
        v1::Household h = HouseholdFromRow(*rs);
        TUOPIN_ASSIGN_OR_RETURN(int64_t version, common::NextVersion(etag, h.etag(), "household"));
        TUOPIN_RETURN_IF_ERROR(apply(h));
        const auto& ind = h.indicators();
        Query(s,
              "UPDATE households SET head_name = ?, member_count = ?, status = ?, ind_food = ?,"
              " ind_clothing = ?, ind_education = ?, ind_medical = ?, ind_housing = ?,"
              " ind_water = ?, income_per_head_fen = ?, version = ?, updated_at = ? WHERE id = ?")
            .Arg(h.head_name())
            .Arg(h.member_count())
            .Arg(static_cast<int32_t>(h.status()))
            .Arg(ind.food())
            .Arg(ind.clothing())
            .Arg(ind.compulsory_education())
            .Arg(ind.basic_medical_care())
            .Arg(ind.housing_safety())
            .Arg(ind.drinking_water_safety())
            .Arg(h.income_per_head_fen())
            .Arg(version)
            .Arg(ToSqlTime(ctx.now))
            .Arg(id)
            .Exec();
        h.set_etag(common::EtagOf(version));
        *h.mutable_update_time() = common::ToTimestamp(ctx.now);
        static_cast<v1::Household&>(m) = h;
        return EntityRefs{Entity("household", id, h.village_code())};
      },
      out);
}

absl::Status MysqlPersonnelStore::CreateCadre(const MutationContext& ctx, const v1::Cadre& c,
                                              v1::Cadre& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        std::string id = ids_.NewId();
        try {
          Query(s, absl::StrCat("INSERT INTO cadres (", kCadreCols,
                                ") VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)"))
              .Arg(id)
              .Arg(c.employee_number())
              .Arg(c.name())
              .Arg(static_cast<int32_t>(c.origin_level()))
              .Arg(c.dispatching_unit())
              .Arg(c.home_region_code())
              .Arg(c.managing_region_code())
              .Arg(ToSqlTime(ctx.now))
              .Exec();
        } catch (const sql::SQLException& e) {
          if (!DuplicateOn(e, "uk_cadres_employee")) throw;
          return common::WithReason(
              absl::AlreadyExistsError(absl::StrCat("a cadre with employee number ",
                                                    c.employee_number(), " already exists")),
              "EMPLOYEE_NUMBER_TAKEN");
        }
        auto& resp = static_cast<v1::Cadre&>(m);
        resp = c;
        resp.set_id(id);
        resp.set_etag(common::EtagOf(1));
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        return EntityRefs{Entity("cadre", id, c.managing_region_code())};
      },
      out);
}

absl::StatusOr<std::optional<v1::Cadre>> MysqlPersonnelStore::GetCadre(const std::string& id) {
  return GetOne<v1::Cadre>(pool_, absl::StrCat("SELECT ", kCadreCols, " FROM cadres WHERE id = ?"),
                           id, CadreFromRow);
}

absl::StatusOr<std::vector<v1::Cadre>> MysqlPersonnelStore::ListCadres(
    const std::string& region_prefix, int origin_level, const PageRequest& page) {
  std::vector<v1::Cadre> out;
  std::string after_region = page.after.size() == 2 ? page.after[0] : "";
  std::string after_id = page.after.size() == 2 ? page.after[1] : "";
  std::string start = std::max(region_prefix, after_region);
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s, absl::StrCat("SELECT ", kCadreCols, " FROM cadres WHERE ",
                            origin_level != 0 ? "origin_level = ? AND " : "",
                            "managing_region_code >= ? AND managing_region_code < ?"
                            " AND (managing_region_code > ? OR id > ?)"
                            " ORDER BY managing_region_code, id LIMIT ?"));
    if (origin_level != 0) q.Arg(origin_level);
    auto rs = q.Arg(start)
                  .Arg(common::RegionRangeEnd(region_prefix))
                  .Arg(after_region)
                  .Arg(after_id)
                  .Arg(page.limit)
                  .Rows();
    while (rs->next()) out.push_back(CadreFromRow(*rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlPersonnelStore::UpdateCadre(const MutationContext& ctx, const std::string& id,
                                              const std::string& etag, const CadreUpdate& apply,
                                              v1::Cadre& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        auto rs =
            Query(s, absl::StrCat("SELECT ", kCadreCols, " FROM cadres WHERE id = ? FOR UPDATE"))
                .Arg(id)
                .Rows();
        if (!rs->next()) return absl::NotFoundError(absl::StrCat("cadre ", id, " not found"));
        v1::Cadre c = CadreFromRow(*rs);
        TUOPIN_ASSIGN_OR_RETURN(int64_t version, common::NextVersion(etag, c.etag(), "cadre"));
        TUOPIN_RETURN_IF_ERROR(apply(c));
        Query(s,
              "UPDATE cadres SET name = ?, origin_level = ?, dispatching_unit = ?,"
              " home_region_code = ?, version = ? WHERE id = ?")
            .Arg(c.name())
            .Arg(static_cast<int32_t>(c.origin_level()))
            .Arg(c.dispatching_unit())
            .Arg(c.home_region_code())
            .Arg(version)
            .Arg(id)
            .Exec();
        c.set_etag(common::EtagOf(version));
        static_cast<v1::Cadre&>(m) = c;
        return EntityRefs{Entity("cadre", id, c.managing_region_code())};
      },
      out);
}

absl::Status MysqlPersonnelStore::CreatePosting(const MutationContext& ctx, const v1::Posting& p,
                                                v1::Posting& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        std::string id = ids_.NewId();
        bool first_secretary = p.role() == v1::POSTING_ROLE_FIRST_SECRETARY;
        try {
          Query q(s,
                  "INSERT INTO postings (id, cadre_id, village_code, role, start_date, active,"
                  " home_village, home_waiver, active_cadre_key, active_first_secretary_key,"
                  " created_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)");
          q.Arg(id)
              .Arg(p.cadre_id())
              .Arg(p.village_code())
              .Arg(static_cast<int32_t>(p.role()))
              .Arg(common::ToSqlDate(common::FromDate(p.start_date())))
              .Arg(p.home_village())
              .OptionalArg(p.home_waiver())
              .Arg(p.cadre_id());
          if (first_secretary) {
            q.Arg(p.village_code());
          } else {
            q.Null();
          }
          q.Arg(ToSqlTime(ctx.now)).Exec();
        } catch (const sql::SQLException& e) {
          if (DuplicateOn(e, "uk_postings_active_cadre")) {
            return Precondition(absl::StrCat("cadre ", p.cadre_id(),
                                             " already has an active posting; end it first"),
                                "CADRE_ALREADY_POSTED");
          }
          if (DuplicateOn(e, "uk_postings_active_first_secretary")) {
            return Precondition(absl::StrCat("village ", p.village_code(),
                                             " already has an active first secretary"),
                                "FIRST_SECRETARY_SEAT_TAKEN");
          }
          throw;
        }
        auto& resp = static_cast<v1::Posting&>(m);
        resp = p;
        resp.set_id(id);
        resp.set_active(true);
        return EntityRefs{Entity("posting", id, p.village_code()),
                          Entity("cadre", p.cadre_id(), "")};
      },
      out);
}

absl::StatusOr<std::optional<v1::Posting>> MysqlPersonnelStore::GetPosting(const std::string& id) {
  return GetOne<v1::Posting>(pool_,
                             absl::StrCat("SELECT ", kPostingCols, " FROM postings WHERE id = ?"),
                             id, PostingFromRow);
}

absl::Status MysqlPersonnelStore::EndPosting(const MutationContext& ctx, const std::string& id,
                                             absl::CivilDay end_date, const std::string& reason,
                                             v1::Posting& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        auto rs = Query(s, absl::StrCat("SELECT ", kPostingCols,
                                        " FROM postings WHERE id = ? FOR UPDATE"))
                      .Arg(id)
                      .Rows();
        if (!rs->next()) return absl::NotFoundError(absl::StrCat("posting ", id, " not found"));
        v1::Posting p = PostingFromRow(*rs);
        if (!p.active()) return Precondition("the posting has already ended", "POSTING_ENDED");
        Query(
            s,
            "UPDATE postings SET active = 0, end_date = ?, end_reason = ?, active_cadre_key = NULL,"
            " active_first_secretary_key = NULL WHERE id = ?")
            .Arg(common::ToSqlDate(end_date))
            .Arg(reason)
            .Arg(id)
            .Exec();
        p.set_active(false);
        *p.mutable_end_date() = common::ToDate(end_date);
        p.set_end_reason(reason);
        static_cast<v1::Posting&>(m) = p;
        return EntityRefs{Entity("posting", id, p.village_code()),
                          Entity("cadre", p.cadre_id(), "")};
      },
      out);
}

absl::StatusOr<std::vector<v1::Posting>> MysqlPersonnelStore::ListPostings(
    const std::string& cadre_id, const std::string& region_prefix, bool active_only,
    const PageRequest& page) {
  std::vector<v1::Posting> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    std::string active = active_only ? " AND active = 1" : "";
    std::unique_ptr<sql::ResultSet> rs;
    if (!cadre_id.empty()) {
      rs = Query(s, absl::StrCat("SELECT ", kPostingCols, " FROM postings WHERE cadre_id = ?",
                                 active, " AND id > ? ORDER BY id LIMIT ?"))
               .Arg(cadre_id)
               .Arg(after)
               .Arg(page.limit)
               .Rows();
    } else {
      rs = Query(s, absl::StrCat("SELECT ", kPostingCols,
                                 " FROM postings WHERE village_code >= ? AND village_code < ?",
                                 active, " AND id > ? ORDER BY id LIMIT ?"))
               .Arg(region_prefix)
               .Arg(common::RegionRangeEnd(region_prefix))
               .Arg(after)
               .Arg(page.limit)
               .Rows();
    }
    while (rs->next()) out.push_back(PostingFromRow(*rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlPersonnelStore::CreatePairing(const MutationContext& ctx, const v1::Pairing& p,
                                                int limit, v1::Pairing& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        // The lock on the cadre serialises pairings of one cadre, so the count below
        // cannot be overtaken by a concurrent pairing.
        auto cadre =
            Query(s, "SELECT id FROM cadres WHERE id = ? FOR UPDATE").Arg(p.cadre_id()).Rows();
        if (!cadre->next())
          return absl::NotFoundError(absl::StrCat("cadre ", p.cadre_id(), " not found"));
        auto count = Query(s, "SELECT COUNT(*) FROM pairings WHERE cadre_id = ? AND active = 1")
                         .Arg(p.cadre_id())
                         .Rows();
        count->next();
        if (count->getInt(1) >= limit) {
          return Precondition(absl::StrCat("cadre ", p.cadre_id(), " already answers for ", limit,
                                           " households, the limit"),
                              "PAIRING_LIMIT_REACHED");
        }
        std::string id = ids_.NewId();
        try {
          Query(
              s,
              "INSERT INTO pairings (id, cadre_id, household_id, village_code, start_time, active,"
              " active_household_key) VALUES (?, ?, ?, ?, ?, 1, ?)")
              .Arg(id)
              .Arg(p.cadre_id())
              .Arg(p.household_id())
              .Arg(p.village_code())
              .Arg(ToSqlTime(ctx.now))
              .Arg(p.household_id())
              .Exec();
        } catch (const sql::SQLException& e) {
          if (!DuplicateOn(e, "uk_pairings_active_household")) throw;
          return Precondition(absl::StrCat("household ", p.household_id(),
                                           " already has a responsible cadre; unpair first"),
                              "HOUSEHOLD_ALREADY_PAIRED");
        }
        auto& resp = static_cast<v1::Pairing&>(m);
        resp = p;
        resp.set_id(id);
        resp.set_active(true);
        *resp.mutable_start_time() = common::ToTimestamp(ctx.now);
        return EntityRefs{Entity("pairing", id, p.village_code()),
                          Entity("cadre", p.cadre_id(), ""),
                          Entity("household", p.household_id(), p.village_code())};
      },
      out);
}

absl::StatusOr<std::optional<v1::Pairing>> MysqlPersonnelStore::GetPairing(const std::string& id) {
  return GetOne<v1::Pairing>(pool_,
                             absl::StrCat("SELECT ", kPairingCols, " FROM pairings WHERE id = ?"),
                             id, PairingFromRow);
}

absl::Status MysqlPersonnelStore::EndPairing(const MutationContext& ctx, const std::string& id,
                                             v1::Pairing& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        auto rs = Query(s, absl::StrCat("SELECT ", kPairingCols,
                                        " FROM pairings WHERE id = ? FOR UPDATE"))
                      .Arg(id)
                      .Rows();
        if (!rs->next()) return absl::NotFoundError(absl::StrCat("pairing ", id, " not found"));
        v1::Pairing p = PairingFromRow(*rs);
        if (!p.active()) return Precondition("the pairing has already ended", "PAIRING_ENDED");
        Query(s,
              "UPDATE pairings SET active = 0, end_time = ?, active_household_key = NULL WHERE id "
              "= ?")
            .Arg(ToSqlTime(ctx.now))
            .Arg(id)
            .Exec();
        p.set_active(false);
        *p.mutable_end_time() = common::ToTimestamp(ctx.now);
        static_cast<v1::Pairing&>(m) = p;
        return EntityRefs{Entity("pairing", id, p.village_code()),
                          Entity("cadre", p.cadre_id(), ""),
                          Entity("household", p.household_id(), p.village_code())};
      },
      out);
}

absl::StatusOr<std::vector<v1::Pairing>> MysqlPersonnelStore::ListPairings(
    const std::string& cadre_id, const std::string& household_id, const std::string& region_prefix,
    bool active_only, const PageRequest& page) {
  std::vector<v1::Pairing> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    std::string active = active_only ? " AND active = 1" : "";
    std::string head = absl::StrCat("SELECT ", kPairingCols, " FROM pairings WHERE ");
    std::string tail = absl::StrCat(active, " AND id > ? ORDER BY id LIMIT ?");
    std::unique_ptr<sql::ResultSet> rs;
    if (!cadre_id.empty()) {
      rs = Query(s, absl::StrCat(head, "cadre_id = ?", tail))
               .Arg(cadre_id)
               .Arg(after)
               .Arg(page.limit)
               .Rows();
    } else if (!household_id.empty()) {
      rs = Query(s, absl::StrCat(head, "household_id = ?", tail))
               .Arg(household_id)
               .Arg(after)
               .Arg(page.limit)
               .Rows();
    } else {
      rs = Query(s, absl::StrCat(head, "village_code >= ? AND village_code < ?", tail))
               .Arg(region_prefix)
               .Arg(common::RegionRangeEnd(region_prefix))
               .Arg(after)
               .Arg(page.limit)
               .Rows();
    }
    while (rs->next()) out.push_back(PairingFromRow(*rs));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlPersonnelStore::RecordCheckIn(const MutationContext& ctx, const v1::CheckIn& c,
                                                absl::CivilDay day, v1::CheckIn& out) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        std::string id = ids_.NewId();
        Query(s,
              "INSERT INTO checkins (id, cadre_id, village_code, checkin_time, checkin_day, method,"
              " recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .Arg(id)
            .Arg(c.cadre_id())
            .Arg(c.village_code())
            .Arg(ToSqlTime(absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(c.time()))))
            .Arg(common::ToSqlDate(day))
            .Arg(static_cast<int32_t>(c.method()))
            .Arg(c.recorded_by())
            .Exec();
        auto& resp = static_cast<v1::CheckIn&>(m);
        resp = c;
        resp.set_id(id);
        return EntityRefs{Entity("checkin", id, c.village_code()),
                          Entity("cadre", c.cadre_id(), "")};
      },
      out);
}

absl::StatusOr<std::vector<CheckInDay>> MysqlPersonnelStore::ListCheckInDays(
    const std::string& cadre_id, absl::CivilDay from, absl::CivilDay to) {
  std::vector<CheckInDay> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s,
                    "SELECT checkin_day, village_code, MAX(method = ?) FROM checkins"
                    " WHERE cadre_id = ? AND checkin_day BETWEEN ? AND ?"
                    " GROUP BY checkin_day, village_code ORDER BY checkin_day")
                  .Arg(static_cast<int32_t>(v1::CHECK_IN_METHOD_VERIFIED_BY_INSPECTION))
                  .Arg(cadre_id)
                  .Arg(common::ToSqlDate(from))
                  .Arg(common::ToSqlDate(to))
                  .Rows();
    while (rs->next()) {
      out.push_back(CheckInDay{common::FromSqlDate(rs->getString(1).asStdString()),
                               rs->getString(2).asStdString(), rs->getInt(3) != 0});
    }
    return absl::OkStatus();
  }));
  return out;
}

namespace {

// One village's coverage counts.
struct VillageCoverage {
  int64_t registered_poor = 0, unpaired_poor = 0, cadres_over_limit = 0,
          home_village_postings = 0, stale_cadres = 0;
  bool first_secretary = false;
};

// Every village of [lo, hi) with its counts: a handful of grouped passes over the region.
std::map<std::string, VillageCoverage> ComputeVillageCoverage(DbSession& s, const std::string& lo,
                                                              const std::string& hi,
                                                              absl::Time stale_before,
                                                              int pairing_limit) {
  std::map<std::string, VillageCoverage> v;
  {
    auto rs = Query(s, "SELECT code FROM regions WHERE level = 5 AND code >= ? AND code < ?")
                  .Arg(lo)
                  .Arg(hi)
                  .Rows();
    while (rs->next()) v[rs->getString(1).asStdString()];
  }
  auto grouped = [&](const std::string& sql_text, std::initializer_list<std::string> before,
                     int64_t VillageCoverage::*field, std::optional<int64_t> after = {}) {
    Query q(s, sql_text);
    for (const auto& b : before) q.Arg(b);
    q.Arg(lo).Arg(hi);
    if (after) q.Arg(*after);
    auto rs = q.Rows();
    while (rs->next()) {
      auto it = v.find(rs->getString(1).asStdString());
      if (it != v.end()) it->second.*field += rs->getInt64(2);
    }
  };
  grouped(
      "SELECT village_code, COUNT(*) FROM households WHERE status = 1 AND village_code >= ?"
      " AND village_code < ? GROUP BY village_code",
      {}, &VillageCoverage::registered_poor);
  grouped(
      "SELECT h.village_code, COUNT(*) FROM households h LEFT JOIN pairings p"
      " ON p.active_household_key = h.id WHERE h.status = 1 AND h.village_code >= ?"
      " AND h.village_code < ? AND p.id IS NULL GROUP BY h.village_code",
      {}, &VillageCoverage::unpaired_poor);
  grouped(
      "SELECT village_code, COUNT(*) FROM (SELECT MIN(village_code) AS village_code FROM pairings"
      " WHERE active = 1 AND village_code >= ? AND village_code < ? GROUP BY cadre_id"
      " HAVING COUNT(*) > ?) t GROUP BY village_code",
      {}, &VillageCoverage::cadres_over_limit, pairing_limit);
  grouped(
      "SELECT village_code, COUNT(*) FROM postings WHERE active = 1 AND home_village = 1"
      " AND village_code >= ? AND village_code < ? GROUP BY village_code",
      {}, &VillageCoverage::home_village_postings);
  grouped(
      "SELECT p.village_code, COUNT(*) FROM postings p WHERE p.active = 1 AND NOT EXISTS"
      " (SELECT 1 FROM checkins c WHERE c.cadre_id = p.cadre_id AND c.checkin_time >= ?)"
      " AND p.village_code >= ? AND p.village_code < ? GROUP BY p.village_code",
      {ToSqlTime(stale_before)}, &VillageCoverage::stale_cadres);
  {
    auto rs = Query(s,
                    "SELECT active_first_secretary_key FROM postings WHERE"
                    " active_first_secretary_key >= ? AND active_first_secretary_key < ?")
                  .Arg(lo)
                  .Arg(hi)
                  .Rows();
    while (rs->next()) {
      auto it = v.find(rs->getString(1).asStdString());
      if (it != v.end()) it->second.first_secretary = true;
    }
  }
  return v;
}

void SetCounts(v1::Coverage& c, int64_t villages, int64_t registered, int64_t unpaired,
               int64_t without_first_secretary, int64_t over_limit, int64_t home, int64_t stale) {
  c.set_villages(static_cast<int32_t>(villages));
  c.set_registered_poor_households(static_cast<int32_t>(registered));
  c.set_households_without_cadre_count(static_cast<int32_t>(unpaired));
  c.set_villages_without_first_secretary_count(static_cast<int32_t>(without_first_secretary));
  c.set_cadres_over_pairing_limit_count(static_cast<int32_t>(over_limit));
  c.set_home_village_postings_count(static_cast<int32_t>(home));
  c.set_cadres_without_recent_check_in_count(static_cast<int32_t>(stale));
}

}  // namespace

absl::StatusOr<v1::Coverage> MysqlPersonnelStore::GetCoverage(const CoverageQuery& q) {
  v1::Coverage c;
  const std::string lo = q.region_code, hi = common::RegionRangeEnd(q.region_code);
  TUOPIN_RETURN_IF_ERROR(common::RunInTransaction(
      pool_,
      [&](DbSession& s) -> absl::Status {
        c.Clear();
        c.set_region_code(q.region_code);
        auto villages = ComputeVillageCoverage(s, lo, hi, q.stale_before, q.pairing_limit);
        int64_t registered = 0, unpaired = 0, no_fs = 0, over = 0, home = 0, stale = 0;
        for (const auto& [code, v] : villages) {
          registered += v.registered_poor;
          unpaired += v.unpaired_poor;
          no_fs += v.first_secretary ? 0 : 1;
          over += v.cadres_over_limit;
          home += v.home_village_postings;
          stale += v.stale_cadres;
        }
        SetCounts(c, static_cast<int64_t>(villages.size()), registered, unpaired, no_fs, over,
                  home, stale);
        auto list = [&](const std::string& sql_text, std::initializer_list<std::string> extra,
                        auto* field, std::optional<int64_t> limit = {}) {
          Query query(s, sql_text);
          for (const auto& v : extra) query.Arg(v);
          query.Arg(lo).Arg(hi);
          if (limit) query.Arg(*limit);
          auto rs = query.Arg(q.max_listed).Rows();
          while (rs->next()) *field->Add() = rs->getString(1).asStdString();
        };
        list(
            "SELECT r.code FROM regions r LEFT JOIN postings p ON p.active_first_secretary_key = "
            "r.code WHERE r.level = 5 AND r.code >= ? AND r.code < ? AND p.id IS NULL"
            " ORDER BY r.code LIMIT ?",
            {}, c.mutable_villages_without_first_secretary());
        // In the status index's order, so the scan stops at the first max_listed.
        list(
            "SELECT h.id FROM households h LEFT JOIN pairings p ON p.active_household_key = h.id"
            " WHERE h.status = 1 AND h.village_code >= ? AND h.village_code < ? AND p.id IS NULL"
            " ORDER BY h.village_code, h.id LIMIT ?",
            {}, c.mutable_households_without_cadre());
        list(
            "SELECT cadre_id FROM pairings WHERE active = 1 AND village_code >= ?"
            " AND village_code < ? GROUP BY cadre_id HAVING COUNT(*) > ? ORDER BY cadre_id LIMIT ?",
            {}, c.mutable_cadres_over_pairing_limit(), q.pairing_limit);
        list(
            "SELECT id FROM postings WHERE active = 1 AND home_village = 1 AND village_code >= ?"
            " AND village_code < ? ORDER BY id LIMIT ?",
            {}, c.mutable_home_village_posting_ids());
        list(
            "SELECT p.cadre_id FROM postings p WHERE p.active = 1 AND NOT EXISTS (SELECT 1 FROM"
            " checkins c WHERE c.cadre_id = p.cadre_id AND c.checkin_time >= ?)"
            " AND p.village_code >= ? AND p.village_code < ? ORDER BY p.cadre_id LIMIT ?",
            {ToSqlTime(q.stale_before)}, c.mutable_cadres_without_recent_check_in());
        return absl::OkStatus();
      },
      common::TxOptions{.read_only = true}));
  return c;
}

absl::Status MysqlPersonnelStore::RefreshCoverageSummary(absl::Time stale_before,
                                                         int pairing_limit, absl::Time now) {
  return common::RunInTransaction(pool_, [&](DbSession& s) -> absl::Status {
    auto villages = ComputeVillageCoverage(s, "", common::RegionRangeEnd(""), stale_before,
                                           pairing_limit);
    s.ExecuteRaw("DELETE FROM coverage_summary");
    std::vector<std::pair<const std::string*, const VillageCoverage*>> rows;
    for (const auto& [code, v] : villages) rows.emplace_back(&code, &v);
    std::string when = ToSqlTime(now);
    for (size_t start = 0; start < rows.size(); start += 256) {
      size_t n = std::min<size_t>(256, rows.size() - start);
      std::string sql =
          "INSERT INTO coverage_summary (village_code, registered_poor, unpaired_poor,"
          " first_secretary, cadres_over_limit, home_village_postings, stale_cadres,"
          " computed_at) VALUES ";
      for (size_t k = 0; k < n; ++k) absl::StrAppend(&sql, k ? ", " : "", "(?, ?, ?, ?, ?, ?, ?, ?)");
      Query q(s, sql);
      for (size_t k = start; k < start + n; ++k) {
        const VillageCoverage& v = *rows[k].second;
        q.Arg(*rows[k].first)
            .Arg(v.registered_poor)
            .Arg(v.unpaired_poor)
            .Arg(static_cast<int64_t>(v.first_secretary))
            .Arg(v.cadres_over_limit)
            .Arg(v.home_village_postings)
            .Arg(v.stale_cadres)
            .Arg(when);
      }
      q.Exec();
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Coverage> MysqlPersonnelStore::GetCoverageCounts(const CoverageQuery& q) {
  v1::Coverage c;
  c.set_region_code(q.region_code);
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) -> absl::Status {
    auto rs = Query(s,
                    "SELECT COUNT(*), SUM(registered_poor), SUM(unpaired_poor),"
                    " SUM(1 - first_secretary), SUM(cadres_over_limit),"
                    " SUM(home_village_postings), SUM(stale_cadres), MIN(computed_at)"
                    " FROM coverage_summary WHERE village_code >= ? AND village_code < ?")
                  .Arg(q.region_code)
                  .Arg(common::RegionRangeEnd(q.region_code))
                  .Rows();
    rs->next();
    SetCounts(c, rs->getInt64(1), rs->getInt64(2), rs->getInt64(3), rs->getInt64(4),
              rs->getInt64(5), rs->getInt64(6), rs->getInt64(7));
    // No row: the summary was never computed (as_of stays unset).
    if (!rs->isNull(8))
      *c.mutable_as_of() = common::ToTimestamp(common::FromSqlTime(rs->getString(8).asStdString()));
    return absl::OkStatus();
  }));
  return c;
}

}  // namespace tuopin::personnel
