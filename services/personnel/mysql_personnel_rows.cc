#include "services/personnel/mysql_personnel_rows.h"

#include <algorithm>

#include "common/db.h"
#include "common/db_rows.h"
#include "common/mutation.h"
#include "common/validate.h"

namespace tuopin::personnel::rows {
namespace {

using common::Column;
using common::ColumnNames;
using common::ReadRow;

std::string Str(sql::ResultSet& rs, uint32_t i) { return common::RowString(rs, i); }
bool Flag(sql::ResultSet& rs, uint32_t i) { return rs.getInt(i) != 0; }
google::protobuf::Timestamp Stamp(sql::ResultSet& rs, uint32_t i) { return common::RowTime(rs, i); }
tuopin::common::v1::Date Day(sql::ResultSet& rs, uint32_t i) { return common::RowDate(rs, i); }

constexpr Column<v1::Region> kRegion[] = {
    {"code", [](sql::ResultSet& rs, uint32_t i, v1::Region& r) { r.set_code(Str(rs, i)); }},
    {"name", [](sql::ResultSet& rs, uint32_t i, v1::Region& r) { r.set_name(Str(rs, i)); }},
    {"level", [](sql::ResultSet& rs, uint32_t i,
                 v1::Region& r) { r.set_level(static_cast<v1::RegionLevel>(rs.getInt(i))); }},
    {"parent_code",
     [](sql::ResultSet& rs, uint32_t i, v1::Region& r) { r.set_parent_code(Str(rs, i)); }},
    {"valid_from",
     [](sql::ResultSet& rs, uint32_t i, v1::Region& r) { *r.mutable_valid_from() = Stamp(rs, i); }},
    {"valid_to",
     [](sql::ResultSet& rs, uint32_t i, v1::Region& r) {
       if (!rs.isNull(i)) *r.mutable_valid_to() = Stamp(rs, i);
     }},
    {"successor_code",
     [](sql::ResultSet& rs, uint32_t i, v1::Region& r) { r.set_successor_code(Str(rs, i)); }},
    {"predecessor_code",
     [](sql::ResultSet& rs, uint32_t i, v1::Region& r) { r.set_predecessor_code(Str(rs, i)); }},
    {"change_reference",
     [](sql::ResultSet& rs, uint32_t i, v1::Region& r) { r.set_change_reference(Str(rs, i)); }},
};

using H = v1::Household;
constexpr Column<H> kHousehold[] = {
    {"id", [](sql::ResultSet& rs, uint32_t i, H& h) { h.set_id(Str(rs, i)); }},
    {"village_code", [](sql::ResultSet& rs, uint32_t i, H& h) { h.set_village_code(Str(rs, i)); }},
    {"head_name", [](sql::ResultSet& rs, uint32_t i, H& h) { h.set_head_name(Str(rs, i)); }},
    {"member_count",
     [](sql::ResultSet& rs, uint32_t i, H& h) { h.set_member_count(rs.getInt(i)); }},
    {"status", [](sql::ResultSet& rs, uint32_t i,
                  H& h) { h.set_status(static_cast<v1::HouseholdStatus>(rs.getInt(i))); }},
    {"ind_food",
     [](sql::ResultSet& rs, uint32_t i, H& h) { h.mutable_indicators()->set_food(Flag(rs, i)); }},
    {"ind_clothing", [](sql::ResultSet& rs, uint32_t i,
                        H& h) { h.mutable_indicators()->set_clothing(Flag(rs, i)); }},
    {"ind_education", [](sql::ResultSet& rs, uint32_t i,
                         H& h) { h.mutable_indicators()->set_compulsory_education(Flag(rs, i)); }},
    {"ind_medical", [](sql::ResultSet& rs, uint32_t i,
                       H& h) { h.mutable_indicators()->set_basic_medical_care(Flag(rs, i)); }},
    {"ind_housing", [](sql::ResultSet& rs, uint32_t i,
                       H& h) { h.mutable_indicators()->set_housing_safety(Flag(rs, i)); }},
    {"ind_water", [](sql::ResultSet& rs, uint32_t i,
                     H& h) { h.mutable_indicators()->set_drinking_water_safety(Flag(rs, i)); }},
    {"income_per_head_fen",
     [](sql::ResultSet& rs, uint32_t i, H& h) { h.set_income_per_head_fen(rs.getInt64(i)); }},
    {"version",
     [](sql::ResultSet& rs, uint32_t i, H& h) { h.set_etag(common::EtagOf(rs.getInt64(i))); }},
    {"created_at",
     [](sql::ResultSet& rs, uint32_t i, H& h) { *h.mutable_create_time() = Stamp(rs, i); }},
    {"updated_at",
     [](sql::ResultSet& rs, uint32_t i, H& h) { *h.mutable_update_time() = Stamp(rs, i); }},
    {"prior_exit_year",
     [](sql::ResultSet& rs, uint32_t i, H& h) {
       if (!rs.isNull(i)) h.mutable_prior_exit()->set_year(rs.getInt(i));
     }},
    {"prior_exit_reference",
     [](sql::ResultSet& rs, uint32_t i, H& h) {
       if (!rs.isNull(i)) h.mutable_prior_exit()->set_reference(Str(rs, i));
     }},
    {"exit_application_id",
     [](sql::ResultSet& rs, uint32_t i, H& h) {
       if (!rs.isNull(i)) h.set_exit_application_id(Str(rs, i));
     }},
    {"reversal_reference",
     [](sql::ResultSet& rs, uint32_t i, H& h) {
       if (!rs.isNull(i)) h.set_reversal_reference(Str(rs, i));
     }},
    {"national_household_number",
     [](sql::ResultSet& rs, uint32_t i, H& h) {
       if (!rs.isNull(i)) h.set_national_household_number(Str(rs, i));
     }},
};

using C = v1::Cadre;
constexpr Column<C> kCadre[] = {
    {"id", [](sql::ResultSet& rs, uint32_t i, C& c) { c.set_id(Str(rs, i)); }},
    {"employee_number",
     [](sql::ResultSet& rs, uint32_t i, C& c) { c.set_employee_number(Str(rs, i)); }},
    {"name", [](sql::ResultSet& rs, uint32_t i, C& c) { c.set_name(Str(rs, i)); }},
    {"origin_level", [](sql::ResultSet& rs, uint32_t i,
                        C& c) { c.set_origin_level(static_cast<v1::OriginLevel>(rs.getInt(i))); }},
    {"dispatching_unit",
     [](sql::ResultSet& rs, uint32_t i, C& c) { c.set_dispatching_unit(Str(rs, i)); }},
    {"home_region_code",
     [](sql::ResultSet& rs, uint32_t i, C& c) { c.set_home_region_code(Str(rs, i)); }},
    {"managing_region_code",
     [](sql::ResultSet& rs, uint32_t i, C& c) { c.set_managing_region_code(Str(rs, i)); }},
    {"version",
     [](sql::ResultSet& rs, uint32_t i, C& c) { c.set_etag(common::EtagOf(rs.getInt64(i))); }},
    {"created_at",
     [](sql::ResultSet& rs, uint32_t i, C& c) { *c.mutable_create_time() = Stamp(rs, i); }},
};

using P = v1::Posting;
constexpr Column<P> kPosting[] = {
    {"id", [](sql::ResultSet& rs, uint32_t i, P& p) { p.set_id(Str(rs, i)); }},
    {"cadre_id", [](sql::ResultSet& rs, uint32_t i, P& p) { p.set_cadre_id(Str(rs, i)); }},
    {"village_code", [](sql::ResultSet& rs, uint32_t i, P& p) { p.set_village_code(Str(rs, i)); }},
    {"role", [](sql::ResultSet& rs, uint32_t i,
                P& p) { p.set_role(static_cast<v1::PostingRole>(rs.getInt(i))); }},
    {"start_date",
     [](sql::ResultSet& rs, uint32_t i, P& p) { *p.mutable_start_date() = Day(rs, i); }},
    {"end_date",
     [](sql::ResultSet& rs, uint32_t i, P& p) {
       if (!rs.isNull(i)) *p.mutable_end_date() = Day(rs, i);
     }},
    {"active", [](sql::ResultSet& rs, uint32_t i, P& p) { p.set_active(Flag(rs, i)); }},
    {"home_village", [](sql::ResultSet& rs, uint32_t i, P& p) { p.set_home_village(Flag(rs, i)); }},
    {"home_waiver",
     [](sql::ResultSet& rs, uint32_t i, P& p) {
       if (!rs.isNull(i)) p.set_home_waiver(Str(rs, i));
     }},
    {"end_reason",
     [](sql::ResultSet& rs, uint32_t i, P& p) {
       if (!rs.isNull(i)) p.set_end_reason(Str(rs, i));
     }},
};

using Q = v1::Pairing;
constexpr Column<Q> kPairing[] = {
    {"id", [](sql::ResultSet& rs, uint32_t i, Q& p) { p.set_id(Str(rs, i)); }},
    {"cadre_id", [](sql::ResultSet& rs, uint32_t i, Q& p) { p.set_cadre_id(Str(rs, i)); }},
    {"household_id", [](sql::ResultSet& rs, uint32_t i, Q& p) { p.set_household_id(Str(rs, i)); }},
    {"village_code", [](sql::ResultSet& rs, uint32_t i, Q& p) { p.set_village_code(Str(rs, i)); }},
    {"start_time",
     [](sql::ResultSet& rs, uint32_t i, Q& p) { *p.mutable_start_time() = Stamp(rs, i); }},
    {"end_time",
     [](sql::ResultSet& rs, uint32_t i, Q& p) {
       if (!rs.isNull(i)) *p.mutable_end_time() = Stamp(rs, i);
     }},
    {"active", [](sql::ResultSet& rs, uint32_t i, Q& p) { p.set_active(Flag(rs, i)); }},
};

}  // namespace

std::string RegionColumns() { return ColumnNames(kRegion); }
std::string HouseholdColumns() { return ColumnNames(kHousehold); }
std::string CadreColumns() { return ColumnNames(kCadre); }
std::string PostingColumns() { return ColumnNames(kPosting); }
std::string PairingColumns() { return ColumnNames(kPairing); }

v1::Region ReadRegion(sql::ResultSet& rs) { return ReadRow(kRegion, rs); }
v1::Household ReadHousehold(sql::ResultSet& rs) { return ReadRow(kHousehold, rs); }
v1::Cadre ReadCadre(sql::ResultSet& rs) { return ReadRow(kCadre, rs); }
v1::Posting ReadPosting(sql::ResultSet& rs) { return ReadRow(kPosting, rs); }
v1::Pairing ReadPairing(sql::ResultSet& rs) { return ReadRow(kPairing, rs); }

common::Query& BindRegionKeyset(common::Query& q, const std::string& region_prefix,
                                const std::vector<std::string>& after) {
  std::string after_village = after.size() == 2 ? after[0] : "";
  std::string after_id = after.size() == 2 ? after[1] : "";
  return q.Arg(std::max(region_prefix, after_village))
      .Arg(common::RegionRangeEnd(region_prefix))
      .Arg(after_village)
      .Arg(after_id);
}

}  // namespace tuopin::personnel::rows
