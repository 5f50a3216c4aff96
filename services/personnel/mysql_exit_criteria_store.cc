#include "services/personnel/mysql_exit_criteria_store.h"

#include <cppconn/resultset.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/db_rows.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/personnel/mysql_personnel_rows.h"

namespace tuopin::personnel {
namespace {

using common::Column;
using common::DbSession;
using common::Query;

std::string Str(sql::ResultSet& rs, uint32_t i) { return common::RowString(rs, i); }
bool Flag(sql::ResultSet& rs, uint32_t i) { return rs.getInt(i) != 0; }
std::string SqlTimeOf(const google::protobuf::Timestamp& t) {
  return common::ToSqlTime(common::FromTimestamp(t));
}

using S = v1::PovertyStandard;
constexpr Column<S> kStandard[] = {
    {"year", [](sql::ResultSet& rs, uint32_t i, S& s) { s.set_year(rs.getInt(i)); },
     [](Query& q, const S& s) { q.Arg(s.year()); }},
    {"province_code", [](sql::ResultSet& rs, uint32_t i, S& s) { s.set_province_code(Str(rs, i)); },
     [](Query& q, const S& s) { q.Arg(s.province_code()); }},
    {"poverty_line_fen",
     [](sql::ResultSet& rs, uint32_t i, S& s) { s.set_poverty_line_fen(rs.getInt64(i)); },
     [](Query& q, const S& s) { q.Arg(s.poverty_line_fen()); }},
    {"village_incidence_max_bp",
     [](sql::ResultSet& rs, uint32_t i, S& s) { s.set_village_incidence_max_bp(rs.getInt(i)); },
     [](Query& q, const S& s) { q.Arg(s.village_incidence_max_bp()); }},
    {"county_incidence_max_bp",
     [](sql::ResultSet& rs, uint32_t i, S& s) { s.set_county_incidence_max_bp(rs.getInt(i)); },
     [](Query& q, const S& s) { q.Arg(s.county_incidence_max_bp()); }},
    {"wrongful_exit_max_bp",
     [](sql::ResultSet& rs, uint32_t i, S& s) { s.set_wrongful_exit_max_bp(rs.getInt(i)); },
     [](Query& q, const S& s) { q.Arg(s.wrongful_exit_max_bp()); }},
    {"missed_max_bp",
     [](sql::ResultSet& rs, uint32_t i, S& s) { s.set_missed_max_bp(rs.getInt(i)); },
     [](Query& q, const S& s) { q.Arg(s.missed_max_bp()); }},
    {"approval_min_bp",
     [](sql::ResultSet& rs, uint32_t i, S& s) { s.set_approval_min_bp(rs.getInt(i)); },
     [](Query& q, const S& s) { q.Arg(s.approval_min_bp()); }},
    {"notice_days", [](sql::ResultSet& rs, uint32_t i, S& s) { s.set_notice_days(rs.getInt(i)); },
     [](Query& q, const S& s) { q.Arg(s.notice_days()); }},
    {"source", [](sql::ResultSet& rs, uint32_t i, S& s) { s.set_source(Str(rs, i)); },
     [](Query& q, const S& s) { q.Arg(s.source()); }},
    {"updated_at",
     [](sql::ResultSet& rs, uint32_t i, S& s) {
       *s.mutable_update_time() = common::RowTime(rs, i);
     },
     [](Query& q, const S& s) { q.Arg(SqlTimeOf(s.update_time())); }},
};

using P = v1::VillageProfile;
using Services = v1::VillageServices;
// One column per basic service, named "svc_<field>".
template <bool (Services::*get)() const, void (Services::*set)(bool)>
constexpr Column<P> ServiceColumn(const char* name) {
  return {name,
          [](sql::ResultSet& rs, uint32_t i, P& p) { (p.mutable_services()->*set)(Flag(rs, i)); },
          [](Query& q, const P& p) { q.Arg((p.services().*get)()); }};
}
constexpr Column<P> kProfile[] = {
    {"village_code", [](sql::ResultSet& rs, uint32_t i, P& p) { p.set_village_code(Str(rs, i)); },
     [](Query& q, const P& p) { q.Arg(p.village_code()); }},
    {"rural_population",
     [](sql::ResultSet& rs, uint32_t i, P& p) { p.set_rural_population(rs.getInt(i)); },
     [](Query& q, const P& p) { q.Arg(p.rural_population()); }},
    ServiceColumn<&Services::hardened_road, &Services::set_hardened_road>("svc_hardened_road"),
    ServiceColumn<&Services::safe_drinking_water, &Services::set_safe_drinking_water>(
        "svc_safe_drinking_water"),
    ServiceColumn<&Services::electricity, &Services::set_electricity>("svc_electricity"),
    ServiceColumn<&Services::clinic_with_doctor, &Services::set_clinic_with_doctor>(
        "svc_clinic_with_doctor"),
    ServiceColumn<&Services::school_access, &Services::set_school_access>("svc_school_access"),
    ServiceColumn<&Services::broadband, &Services::set_broadband>("svc_broadband"),
    {"updated_at",
     [](sql::ResultSet& rs, uint32_t i, P& p) {
       *p.mutable_update_time() = common::RowTime(rs, i);
     },
     [](Query& q, const P& p) { q.Arg(SqlTimeOf(p.update_time())); }},
};

// "INSERT ... ON DUPLICATE KEY UPDATE c = VALUES(c), ..." over every column after the
// `key_columns` first ones: a Set RPC replaces the whole row.
template <typename T, size_t N>
std::string UpsertOf(absl::string_view table, const Column<T> (&columns)[N], size_t key_columns) {
  std::vector<std::string> sets;
  for (size_t i = key_columns; i < N; ++i) {
    sets.push_back(absl::StrCat(columns[i].name, " = VALUES(", columns[i].name, ")"));
  }
  return absl::StrCat(common::InsertOf(table, columns), " ON DUPLICATE KEY UPDATE ",
                      absl::StrJoin(sets, ", "));
}

// Region ranges are bound as [code, RegionRangeEnd(code)); enum values are bound, never
// written into the text. A region's register is three grouped or ranged reads whatever
// the number of its villages.
struct Statements {
  const std::string standard =
      common::SelectOf(kStandard, "FROM poverty_standards WHERE year = ? AND province_code = ?");
  const std::string latest_standard =
      common::SelectOf(kStandard,
                       "FROM poverty_standards WHERE year <= ? AND province_code = ? "
                       "ORDER BY year DESC LIMIT 1");
  const std::string upsert_standard = UpsertOf("poverty_standards", kStandard, 2);
  const std::string upsert_profile = UpsertOf("village_profiles", kProfile, 1);
  const std::string region =
      absl::StrCat("SELECT ", rows::RegionColumns(), " FROM regions WHERE code = ?");
  const char* villages =
      "SELECT code FROM regions WHERE level = ? AND valid_to IS NULL AND code >= ? AND code < ?"
      " ORDER BY code LIMIT ?";
  const char* counts =
      "SELECT village_code, status, COUNT(*), SUM(member_count) FROM households"
      " WHERE village_code >= ? AND village_code < ? GROUP BY village_code, status";
  const std::string profiles = common::SelectOf(
      kProfile,
      "FROM village_profiles WHERE village_code >= ? AND village_code < ? ORDER BY village_code");
};

const Statements& Sql() {
  static const Statements* statements = new Statements;
  return *statements;
}

class MysqlExitCriteriaTx final : public ExitCriteriaTx {
 public:
  explicit MysqlExitCriteriaTx(DbSession& s) : s_(s) {}
  void PutStandard(const v1::PovertyStandard& standard) override {
    Query q(s_, Sql().upsert_standard);
    common::BindRow(kStandard, standard, q).Exec();
  }
  void PutVillageProfile(const v1::VillageProfile& profile) override {
    Query q(s_, Sql().upsert_profile);
    common::BindRow(kProfile, profile, q).Exec();
  }

 private:
  DbSession& s_;
};

}  // namespace

absl::Status MysqlExitCriteriaStore::RunMutation(const MutationContext& ctx, const TxBody& body,
                                                 google::protobuf::Message& response) {
  return common::RunMutation(
      pool_, ids_, ctx,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        MysqlExitCriteriaTx tx(s);
        return body(tx, m);
      },
      response);
}

namespace {

// The first standard a query over (year, province_code) finds.
absl::StatusOr<std::optional<v1::PovertyStandard>> FirstStandard(common::ConnectionPool& pool,
                                                                 const std::string& sql,
                                                                 int32_t year,
                                                                 const std::string& province_code) {
  std::optional<v1::PovertyStandard> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool, [&](DbSession& s) {
    auto rs = Query(s, sql).Arg(year).Arg(province_code).Rows();
    if (rs->next()) out = common::ReadRow(kStandard, *rs);
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace

absl::StatusOr<std::optional<v1::PovertyStandard>> MysqlExitCriteriaStore::GetStandard(
    int32_t year, const std::string& province_code) {
  return FirstStandard(pool_, Sql().standard, year, province_code);
}

absl::StatusOr<std::optional<v1::PovertyStandard>> MysqlExitCriteriaStore::LatestStandard(
    int32_t up_to_year, const std::string& province_code) {
  return FirstStandard(pool_, Sql().latest_standard, up_to_year, province_code);
}

absl::StatusOr<std::optional<v1::Region>> MysqlExitCriteriaStore::GetRegion(
    const std::string& code) {
  std::optional<v1::Region> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, Sql().region).Arg(code).Rows();
    if (rs->next()) out = rows::ReadRegion(*rs);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<RegionRegister> MysqlExitCriteriaStore::GetRegionRegister(
    const std::string& region_code, int max_villages) {
  RegionRegister out;
  const std::string lo = region_code, hi = common::RegionRangeEnd(region_code);
  // One snapshot: the counts, the profiles and the villages agree with one another.
  TUOPIN_RETURN_IF_ERROR(common::RunInTransaction(
      pool_,
      [&](DbSession& s) -> absl::Status {
        out = RegionRegister{};
        auto villages = Query(s, Sql().villages)
                            .Arg(static_cast<int32_t>(v1::REGION_LEVEL_VILLAGE))
                            .Arg(lo)
                            .Arg(hi)
                            .Arg(max_villages)
                            .Rows();
        while (villages->next()) out.villages.push_back(Str(*villages, 1));
        auto counts = Query(s, Sql().counts).Arg(lo).Arg(hi).Rows();
        while (counts->next()) {
          out.counts.push_back(
              VillageStatusCount{.village_code = Str(*counts, 1),
                                 .status = static_cast<v1::HouseholdStatus>(counts->getInt(2)),
                                 .people = counts->getInt64(4),
                                 .households = counts->getInt(3)});
        }
        auto profiles = Query(s, Sql().profiles).Arg(lo).Arg(hi).Rows();
        while (profiles->next()) out.profiles.push_back(common::ReadRow(kProfile, *profiles));
        return absl::OkStatus();
      },
      common::TxOptions{.read_only = true}));
  return out;
}

}  // namespace tuopin::personnel
