#include "services/personnel/mysql_personnel_store.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/personnel/mysql_household_members.h"
#include "services/personnel/mysql_household_versions.h"
#include "services/personnel/mysql_personnel_rows.h"

namespace tuopin::personnel {
namespace {

using common::DbSession;
using common::Query;
using common::ToSqlTime;

// Lists by id of postings and pairings: `filter` is the WHERE condition before the page.
std::string ListById(const std::string& columns, absl::string_view table, absl::string_view filter,
                     bool active_only) {
  return absl::StrCat("SELECT ", columns, " FROM ", table, " WHERE ", filter,
                      active_only ? " AND active = 1" : "", " AND id > ? ORDER BY id LIMIT ?");
}

constexpr char kInRange[] = "village_code >= ? AND village_code < ?";

// The statements of this store. Entity SELECTs take their column list from the entity's
// row table (mysql_personnel_rows), so what is selected is what the reader reads.
struct Statements {
  static std::string Select(const std::string& columns, absl::string_view rest) {
    return absl::StrCat("SELECT ", columns, " ", rest);
  }
  const std::string region = Select(rows::RegionColumns(), "FROM regions WHERE code = ?");
  const std::string region_for_update = absl::StrCat(region, " FOR UPDATE");
  const std::string region_shared = absl::StrCat(region, " LOCK IN SHARE MODE");
  // In force at T: valid_from <= T < valid_to (bound as T, T, T).
  const std::string region_children = Select(
      rows::RegionColumns(),
      "FROM regions WHERE parent_code = ? AND valid_from <= ? AND (valid_to IS NULL OR"
      " valid_to > ?) AND code > ? ORDER BY code LIMIT ?");
  const char* insert_region =
      "INSERT INTO regions (code, name, level, parent_code, valid_from, predecessor_code,"
      " change_reference) VALUES (?, ?, ?, ?, ?, ?, ?)";
  const char* rename_region = "UPDATE regions SET name = ? WHERE code = ?";
  const char* retire_region =
      "UPDATE regions SET valid_to = ?, successor_code = ?, change_reference = ? WHERE code = ?";
  const std::string households_of_village = Select(
      rows::HouseholdColumns(), "FROM households WHERE village_code = ? ORDER BY id FOR UPDATE");
  const char* count_households_of_village =
      "SELECT COUNT(*) FROM households WHERE village_code = ?";
  const char* active_posting_in_village =
      "SELECT 1 FROM postings WHERE village_code = ? AND active = 1 LIMIT 1 LOCK IN SHARE MODE";
  const char* open_exit_in_village =
      "SELECT 1 FROM exit_applications WHERE village_code = ? AND open_household_id IS NOT NULL"
      " LIMIT 1 LOCK IN SHARE MODE";
  const char* move_active_pairing =
      "UPDATE pairings SET village_code = ? WHERE active_household_key = ?";

  const std::string household = Select(rows::HouseholdColumns(), "FROM households WHERE id = ?");
  const std::string household_for_update = absl::StrCat(household, " FOR UPDATE");
  // Keyset pagination on (village_code, id): each page is one index range scan that
  // starts where the last one ended, whatever the page number. The status filter is
  // optional (its variant has one more argument, first).
  const std::string households_in_range =
      Select(rows::HouseholdColumns(),
             "FROM households WHERE village_code >= ? AND village_code < ?"
             " AND (village_code > ? OR id > ?) ORDER BY village_code, id LIMIT ?");
  const std::string households_in_range_with_status =
      Select(rows::HouseholdColumns(),
             "FROM households WHERE status = ? AND village_code >= ? AND village_code < ?"
             " AND (village_code > ? OR id > ?) ORDER BY village_code, id LIMIT ?");
  // The version is 1; created_at, updated_at and the exit columns follow.
  const char* household_values = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)";
  const std::string insert_household = absl::StrCat(
      "INSERT INTO households (", rows::HouseholdColumns(), ") VALUES ", household_values);
  const char* update_household =
      "UPDATE households SET head_name = ?, member_count = ?, status = ?, ind_food = ?,"
      " ind_clothing = ?, ind_education = ?, ind_medical = ?, ind_housing = ?, ind_water = ?,"
      " income_per_head_fen = ?, exit_application_id = ?, reversal_reference = ?, version = ?,"
      " updated_at = ? WHERE id = ?";

  const std::string cadre = Select(rows::CadreColumns(), "FROM cadres WHERE id = ?");
  const std::string cadre_for_update = absl::StrCat(cadre, " FOR UPDATE");
  const std::string cadres_in_range =
      Select(rows::CadreColumns(),
             "FROM cadres WHERE managing_region_code >= ? AND managing_region_code < ?"
             " AND (managing_region_code > ? OR id > ?) ORDER BY managing_region_code, id LIMIT ?");
  const std::string cadres_in_range_with_origin =
      Select(rows::CadreColumns(),
             "FROM cadres WHERE origin_level = ? AND managing_region_code >= ?"
             " AND managing_region_code < ? AND (managing_region_code > ? OR id > ?)"
             " ORDER BY managing_region_code, id LIMIT ?");
  const std::string insert_cadre = absl::StrCat("INSERT INTO cadres (", rows::CadreColumns(),
                                                ") VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)");
  const char* update_cadre =
      "UPDATE cadres SET name = ?, origin_level = ?, dispatching_unit = ?,"
      " home_region_code = ?, version = ? WHERE id = ?";

  const std::string posting = Select(rows::PostingColumns(), "FROM postings WHERE id = ?");
  const std::string posting_for_update = absl::StrCat(posting, " FOR UPDATE");
  // Indexed by active_only.
  const std::string postings_by_cadre[2] = {
      ListById(rows::PostingColumns(), "postings", "cadre_id = ?", false),
      ListById(rows::PostingColumns(), "postings", "cadre_id = ?", true)};
  const std::string postings_in_range[2] = {
      ListById(rows::PostingColumns(), "postings", kInRange, false),
      ListById(rows::PostingColumns(), "postings", kInRange, true)};
  // The key columns are set only while the posting is active: the unique keys on them
  // allow one active posting per cadre and one active first secretary per village.
  const char* insert_posting =
      "INSERT INTO postings (id, cadre_id, village_code, role, start_date, active,"
      " home_village, home_waiver, active_cadre_key, active_first_secretary_key,"
      " created_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)";
  const char* end_posting =
      "UPDATE postings SET active = 0, end_date = ?, end_reason = ?, active_cadre_key = NULL,"
      " active_first_secretary_key = NULL WHERE id = ?";

  const std::string pairing = Select(rows::PairingColumns(), "FROM pairings WHERE id = ?");
  const std::string pairing_for_update = absl::StrCat(pairing, " FOR UPDATE");
  // Indexed by active_only.
  const std::string pairings_by_cadre[2] = {
      ListById(rows::PairingColumns(), "pairings", "cadre_id = ?", false),
      ListById(rows::PairingColumns(), "pairings", "cadre_id = ?", true)};
  const std::string pairings_by_household[2] = {
      ListById(rows::PairingColumns(), "pairings", "household_id = ?", false),
      ListById(rows::PairingColumns(), "pairings", "household_id = ?", true)};
  const std::string pairings_in_range[2] = {
      ListById(rows::PairingColumns(), "pairings", kInRange, false),
      ListById(rows::PairingColumns(), "pairings", kInRange, true)};
  const char* count_active_pairings =
      "SELECT COUNT(*) FROM pairings WHERE cadre_id = ? AND active = 1";
  // active_household_key is set only while active: one active pairing per household.
  const char* insert_pairing =
      "INSERT INTO pairings (id, cadre_id, household_id, village_code, start_time, active,"
      " active_household_key) VALUES (?, ?, ?, ?, ?, 1, ?)";
  const char* end_pairing =
      "UPDATE pairings SET active = 0, end_time = ?, active_household_key = NULL WHERE id = ?";

  const char* insert_checkin =
      "INSERT INTO checkins (id, cadre_id, village_code, checkin_time, checkin_day, method,"
      " recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?)";
  const char* checkin_days =
      "SELECT checkin_day, village_code, MAX(method = ?) FROM checkins"
      " WHERE cadre_id = ? AND checkin_day BETWEEN ? AND ?"
      " GROUP BY checkin_day, village_code ORDER BY checkin_day";
};

const Statements& Sql() {
  static const Statements* statements = new Statements;
  return *statements;
}

// Which unique key a duplicate-entry error names.
bool DuplicateOn(const sql::SQLException& e, const char* key) {
  return e.getErrorCode() == common::kErDupEntry && absl::StrContains(e.what(), key);
}

template <typename T>
std::optional<T> One(DbSession& s, const std::string& sql, const std::string& key,
                     T (*read)(sql::ResultSet&)) {
  auto rs = Query(s, sql).Arg(key).Rows();
  if (!rs->next()) return std::nullopt;
  return read(*rs);
}

template <typename T>
absl::StatusOr<std::optional<T>> GetOne(common::ConnectionPool& pool, const std::string& sql,
                                        const std::string& key, T (*read)(sql::ResultSet&)) {
  std::optional<T> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool, [&](DbSession& s) {
    out = One(s, sql, key, read);
    return absl::OkStatus();
  }));
  return out;
}

template <typename T>
absl::StatusOr<std::vector<T>> GetAll(
    common::ConnectionPool& pool,
    const std::function<std::unique_ptr<sql::ResultSet>(DbSession&)>& query,
    T (*read)(sql::ResultSet&)) {
  std::vector<T> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool, [&](DbSession& s) {
    auto rs = query(s);
    while (rs->next()) out.push_back(read(*rs));
    return absl::OkStatus();
  }));
  return out;
}

std::string SqlTimeOf(const google::protobuf::Timestamp& t) {
  return ToSqlTime(common::FromTimestamp(t));
}

Query& BindHouseholdFields(Query& q, const v1::Household& h) {
  const auto& ind = h.indicators();
  return q.Arg(h.head_name())
      .Arg(h.member_count())
      .Arg(static_cast<int32_t>(h.status()))
      .Arg(ind.food())
      .Arg(ind.clothing())
      .Arg(ind.compulsory_education())
      .Arg(ind.basic_medical_care())
      .Arg(ind.housing_safety())
      .Arg(ind.drinking_water_safety())
      .Arg(h.income_per_head_fen());
}

// Binds one row of insert_household.
Query& BindHouseholdInsert(Query& q, const v1::Household& h) {
  q.Arg(h.id()).Arg(h.village_code());
  BindHouseholdFields(q, h).Arg(SqlTimeOf(h.create_time())).Arg(SqlTimeOf(h.update_time()));
  if (h.has_prior_exit()) {
    q.Arg(h.prior_exit().year()).Arg(h.prior_exit().reference());
  } else {
    q.Null().Null();
  }
  return q.OptionalArg(h.exit_application_id())
      .OptionalArg(h.reversal_reference())
      .OptionalArg(h.national_household_number());
}

// The households with these national numbers, with their members: two statements.
std::vector<v1::Household> SelectHouseholdsByNumber(DbSession& s, const common::PiiKeyRing* pii,
                                                    const std::vector<std::string>& numbers,
                                                    bool lock) {
  std::vector<v1::Household> out;
  if (numbers.empty()) return out;
  auto rs = Query(s, absl::StrCat("SELECT ", rows::HouseholdColumns(),
                                  " FROM households WHERE national_household_number IN (",
                                  common::Placeholders(common::InListSize(numbers.size())), ")",
                                  lock ? " FOR UPDATE" : ""))
                .InList(numbers)
                .Rows();
  while (rs->next()) out.push_back(rows::ReadHousehold(*rs));
  std::vector<v1::Household*> all;
  for (auto& h : out) all.push_back(&h);
  ReadMembersOf(s, pii, all);
  return out;
}

// One mutation's transaction over a session inside common::RunMutation. SQL errors are
// exceptions, turned into statuses (and retries) by the transaction runner.
class MysqlPersonnelTx final : public PersonnelTx {
 public:
  MysqlPersonnelTx(DbSession& s, common::IdGenerator& ids, const common::PiiKeyRing* pii,
                   const MutationContext& ctx)
      : s_(s), ids_(ids), pii_(pii), ctx_(ctx), versions_(s, pii, ctx) {}

  // The versions of the households written (PersonnelTx): once the body is done.
  void RecordVersions() { versions_.Record(); }

  std::string NewId() override { return ids_.NewId(); }

  std::optional<v1::Region> GetRegion(const std::string& code) override {
    return One(s_, Sql().region_shared, code, rows::ReadRegion);
  }
  std::optional<v1::Region> LockRegion(const std::string& code) override {
    return One(s_, Sql().region_for_update, code, rows::ReadRegion);
  }
  void InsertRegion(const v1::Region& r) override {
    Query(s_, Sql().insert_region)
        .Arg(r.code())
        .Arg(r.name())
        .Arg(static_cast<int32_t>(r.level()))
        .Arg(r.parent_code())
        .Arg(SqlTimeOf(r.valid_from()))
        .Arg(r.predecessor_code())
        .Arg(r.change_reference())
        .Exec();
  }
  void RenameRegion(const std::string& code, const std::string& name) override {
    Query(s_, Sql().rename_region).Arg(name).Arg(code).Exec();
  }
  void RetireRegion(const v1::Region& r) override {
    Query(s_, Sql().retire_region)
        .Arg(SqlTimeOf(r.valid_to()))
        .Arg(r.successor_code())
        .Arg(r.change_reference())
        .Arg(r.code())
        .Exec();
  }
  std::vector<v1::Household> LockHouseholdsOfVillage(const std::string& village_code) override {
    std::vector<v1::Household> out;
    auto rs = Query(s_, Sql().households_of_village).Arg(village_code).Rows();
    while (rs->next()) out.push_back(rows::ReadHousehold(*rs));
    std::vector<v1::Household*> all;
    for (auto& h : out) all.push_back(&h);
    ReadMembersOf(s_, pii_, all);
    // Locked with their members: the moves' versions start from these instead of each
    // household being read again under lock (two queries per household moved).
    for (const auto& h : out) versions_.Locked(h);
    return out;
  }
  int64_t CountHouseholdsOfVillage(const std::string& village_code) override {
    auto rs = Query(s_, Sql().count_households_of_village).Arg(village_code).Rows();
    return rs->next() ? rs->getInt64(1) : 0;
  }
  bool HasActivePosting(const std::string& village_code) override {
    return Query(s_, Sql().active_posting_in_village).Arg(village_code).Rows()->next();
  }
  bool HasOpenExitApplication(const std::string& village_code) override {
    return Query(s_, Sql().open_exit_in_village).Arg(village_code).Rows()->next();
  }
  void MoveActivePairing(const std::string& household_id,
                         const std::string& village_code) override {
    Query(s_, Sql().move_active_pairing).Arg(village_code).Arg(household_id).Exec();
  }

  std::optional<v1::Household> LockHousehold(const std::string& id) override {
    auto h = One(s_, Sql().household_for_update, id, rows::ReadHousehold);
    if (h.has_value()) {
      ReadMembers(s_, pii_, *h);
      versions_.Locked(*h);
    }
    return h;
  }
  Conflict InsertHousehold(const v1::Household& h) override {
    try {
      InsertHouseholdRow(h);
    } catch (const sql::SQLException& e) {
      if (!DuplicateOn(e, "uk_households_national_number")) throw;
      return Conflict::kNationalHouseholdNumber;
    }
    WriteMembers(s_, pii_, h);
    versions_.Created(h);
    return Conflict::kNone;
  }
  void ReplaceMembers(const v1::Household& h) override {
    WriteMembers(s_, pii_, h);
    *versions_.Written(h.id()).mutable_members() = h.members();
  }
  void InsertHouseholdRow(const v1::Household& h) {
    Query q(s_, Sql().insert_household);
    BindHouseholdInsert(q, h).Exec();
  }
  std::vector<v1::Household> LockHouseholdsByNumber(
      const std::vector<std::string>& numbers) override {
    auto out = SelectHouseholdsByNumber(s_, pii_, numbers, true);
    for (const auto& h : out) versions_.Locked(h);
    return out;
  }
  Conflict InsertHouseholds(const std::vector<v1::Household>& households) override {
    // Households per multi-row INSERT: 20 placeholders each.
    constexpr size_t kPerInsert = 512;
    try {
      for (size_t from = 0, to = 0; from < households.size(); from = to) {
        to = from + NextBatch(households.size() - from, kPerInsert);
        std::string sql = Sql().insert_household;
        for (size_t i = from + 1; i < to; ++i) absl::StrAppend(&sql, ", ", Sql().household_values);
        Query q(s_, sql);
        for (size_t i = from; i < to; ++i) BindHouseholdInsert(q, households[i]);
        q.Exec();
      }
    } catch (const sql::SQLException& e) {
      if (!DuplicateOn(e, "uk_households_national_number")) throw;
      return Conflict::kNationalHouseholdNumber;
    }
    std::vector<const v1::Household*> all;
    for (const auto& h : households) all.push_back(&h);
    InsertMembers(s_, pii_, all);
    for (const auto& h : households) versions_.Created(h);
    return Conflict::kNone;
  }
  void UpdateHousehold(const v1::Household& h, int64_t version) override {
    Query q(s_, Sql().update_household);
    BindHouseholdFields(q, h)
        .OptionalArg(h.exit_application_id())
        .OptionalArg(h.reversal_reference())
        .Arg(version)
        .Arg(SqlTimeOf(h.update_time()))
        .Arg(h.id())
        .Exec();
    ApplyHouseholdUpdate(h, version, versions_.Written(h.id()));
  }
  void MoveHousehold(const v1::Household& moved, int64_t version) override {
    Query(s_, "UPDATE households SET village_code = ?, version = ?, updated_at = ? WHERE id = ?")
        .Arg(moved.village_code())
        .Arg(version)
        .Arg(ToSqlTime(ctx_.now))
        .Arg(moved.id())
        .Exec();
    ApplyHouseholdMove(moved, version, ctx_.now, versions_.Written(moved.id()));
  }

  std::optional<v1::Cadre> LockCadre(const std::string& id) override {
    return One(s_, Sql().cadre_for_update, id, rows::ReadCadre);
  }
  Conflict InsertCadre(const v1::Cadre& c) override {
    try {
      Query(s_, Sql().insert_cadre)
          .Arg(c.id())
          .Arg(c.employee_number())
          .Arg(c.name())
          .Arg(static_cast<int32_t>(c.origin_level()))
          .Arg(c.dispatching_unit())
          .Arg(c.home_region_code())
          .Arg(c.managing_region_code())
          .Arg(SqlTimeOf(c.create_time()))
          .Exec();
    } catch (const sql::SQLException& e) {
      if (!DuplicateOn(e, "uk_cadres_employee")) throw;
      return Conflict::kEmployeeNumber;
    }
    return Conflict::kNone;
  }
  void UpdateCadre(const v1::Cadre& c, int64_t version) override {
    Query(s_, Sql().update_cadre)
        .Arg(c.name())
        .Arg(static_cast<int32_t>(c.origin_level()))
        .Arg(c.dispatching_unit())
        .Arg(c.home_region_code())
        .Arg(version)
        .Arg(c.id())
        .Exec();
  }

  std::optional<v1::Posting> LockPosting(const std::string& id) override {
    return One(s_, Sql().posting_for_update, id, rows::ReadPosting);
  }
  Conflict InsertPosting(const v1::Posting& p, absl::Time created) override {
    try {
      Query q(s_, Sql().insert_posting);
      q.Arg(p.id())
          .Arg(p.cadre_id())
          .Arg(p.village_code())
          .Arg(static_cast<int32_t>(p.role()))
          .Arg(common::ToSqlDate(common::FromDate(p.start_date())))
          .Arg(p.home_village())
          .OptionalArg(p.home_waiver())
          .Arg(p.cadre_id());
      if (p.role() == v1::POSTING_ROLE_FIRST_SECRETARY) {
        q.Arg(p.village_code());
      } else {
        q.Null();
      }
      q.Arg(ToSqlTime(created)).Exec();
    } catch (const sql::SQLException& e) {
      if (DuplicateOn(e, "uk_postings_active_cadre")) return Conflict::kCadrePosted;
      if (DuplicateOn(e, "uk_postings_active_first_secretary")) {
        return Conflict::kFirstSecretarySeat;
      }
      throw;
    }
    return Conflict::kNone;
  }
  void EndPosting(const v1::Posting& p) override {
    Query(s_, Sql().end_posting)
        .Arg(common::ToSqlDate(common::FromDate(p.end_date())))
        .Arg(p.end_reason())
        .Arg(p.id())
        .Exec();
  }

  int CountActivePairings(const std::string& cadre_id) override {
    auto rs = Query(s_, Sql().count_active_pairings).Arg(cadre_id).Rows();
    rs->next();
    return rs->getInt(1);
  }
  std::optional<v1::Pairing> LockPairing(const std::string& id) override {
    return One(s_, Sql().pairing_for_update, id, rows::ReadPairing);
  }
  Conflict InsertPairing(const v1::Pairing& p) override {
    try {
      Query(s_, Sql().insert_pairing)
          .Arg(p.id())
          .Arg(p.cadre_id())
          .Arg(p.household_id())
          .Arg(p.village_code())
          .Arg(SqlTimeOf(p.start_time()))
          .Arg(p.household_id())
          .Exec();
    } catch (const sql::SQLException& e) {
      if (!DuplicateOn(e, "uk_pairings_active_household")) throw;
      return Conflict::kHouseholdPaired;
    }
    return Conflict::kNone;
  }
  void EndPairing(const v1::Pairing& p) override {
    Query(s_, Sql().end_pairing).Arg(SqlTimeOf(p.end_time())).Arg(p.id()).Exec();
  }

  void InsertCheckIn(const v1::CheckIn& c, absl::CivilDay day) override {
    Query(s_, Sql().insert_checkin)
        .Arg(c.id())
        .Arg(c.cadre_id())
        .Arg(c.village_code())
        .Arg(SqlTimeOf(c.time()))
        .Arg(common::ToSqlDate(day))
        .Arg(static_cast<int32_t>(c.method()))
        .Arg(c.recorded_by())
        .Exec();
  }

 private:
  DbSession& s_;
  common::IdGenerator& ids_;
  const common::PiiKeyRing* pii_;
  const MutationContext& ctx_;
  HouseholdVersionRecorder versions_;
};

}  // namespace

std::unique_ptr<PersonnelTx> NewMysqlPersonnelTx(DbSession& session, common::IdGenerator& ids,
                                                 const MutationContext& ctx,
                                                 const common::PiiKeyRing* pii) {
  return std::make_unique<MysqlPersonnelTx>(session, ids, pii, ctx);
}

void RecordHouseholdVersions(PersonnelTx& tx) {
  static_cast<MysqlPersonnelTx&>(tx).RecordVersions();
}

MysqlPersonnelStore::MysqlPersonnelStore(common::ConnectionPool& pool, common::IdGenerator& ids,
                                         const common::PiiKeyRing* pii)
    : pool_(pool), ids_(ids), pii_(pii), coverage_(pool) {}

absl::Status MysqlPersonnelStore::RunMutation(const MutationContext& ctx, const TxBody& body,
                                              google::protobuf::Message& response) {
  // The event id is known before the body runs: the household versions name it.
  MutationContext with_event = common::WithEventId(ctx, ids_);
  return common::RunMutation(
      pool_, ids_, with_event,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        MysqlPersonnelTx tx(s, ids_, pii_, with_event);
        absl::StatusOr<EntityRefs> refs = body(tx, m);
        if (refs.ok()) tx.RecordVersions();
        return refs;
      },
      response);
}

absl::StatusOr<std::optional<v1::Region>> MysqlPersonnelStore::GetRegion(const std::string& code) {
  return GetOne(pool_, Sql().region, code, rows::ReadRegion);
}

absl::StatusOr<std::vector<v1::Region>> MysqlPersonnelStore::ListRegions(
    const std::string& parent_code, absl::Time as_of, const PageRequest& page) {
  std::string after = page.after.empty() ? "" : page.after[0];
  std::string at = ToSqlTime(as_of);
  return GetAll<v1::Region>(
      pool_,
      [&](DbSession& s) {
        return Query(s, Sql().region_children)
            .Arg(parent_code)
            .Arg(at)
            .Arg(at)
            .Arg(after)
            .Arg(page.limit)
            .Rows();
      },
      rows::ReadRegion);
}

absl::StatusOr<std::optional<v1::Household>> MysqlPersonnelStore::GetHousehold(
    const std::string& id) {
  std::optional<v1::Household> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    out = One(s, Sql().household, id, rows::ReadHousehold);
    if (out.has_value()) ReadMembers(s, pii_, *out);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::Household>> MysqlPersonnelStore::FindHouseholdsByNumber(
    const std::vector<std::string>& numbers) {
  std::vector<v1::Household> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    out = SelectHouseholdsByNumber(s, pii_, numbers, false);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::Household>> MysqlPersonnelStore::ListHouseholds(
    const std::string& region_prefix, int status, const PageRequest& page) {
  std::vector<v1::Household> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s, status != 0 ? Sql().households_in_range_with_status : Sql().households_in_range);
    if (status != 0) q.Arg(status);
    auto rs = rows::BindRegionKeyset(q, region_prefix, page.after).Arg(page.limit).Rows();
    while (rs->next()) out.push_back(rows::ReadHousehold(*rs));
    std::vector<v1::Household*> all;
    for (auto& h : out) all.push_back(&h);
    ReadMembersOf(s, pii_, all);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::optional<v1::Cadre>> MysqlPersonnelStore::GetCadre(const std::string& id) {
  return GetOne(pool_, Sql().cadre, id, rows::ReadCadre);
}

absl::StatusOr<std::vector<v1::Cadre>> MysqlPersonnelStore::ListCadres(
    const std::string& region_prefix, int origin_level, const PageRequest& page) {
  std::string after_region = page.after.size() == 2 ? page.after[0] : "";
  std::string after_id = page.after.size() == 2 ? page.after[1] : "";
  std::string start = std::max(region_prefix, after_region);
  return GetAll<v1::Cadre>(
      pool_,
      [&](DbSession& s) {
        Query q(s, origin_level != 0 ? Sql().cadres_in_range_with_origin : Sql().cadres_in_range);
        if (origin_level != 0) q.Arg(origin_level);
        return q.Arg(start)
            .Arg(common::RegionRangeEnd(region_prefix))
            .Arg(after_region)
            .Arg(after_id)
            .Arg(page.limit)
            .Rows();
      },
      rows::ReadCadre);
}

absl::StatusOr<std::optional<v1::Posting>> MysqlPersonnelStore::GetPosting(const std::string& id) {
  return GetOne(pool_, Sql().posting, id, rows::ReadPosting);
}

absl::StatusOr<std::vector<v1::Posting>> MysqlPersonnelStore::ListPostings(
    const std::string& cadre_id, const std::string& region_prefix, bool active_only,
    const PageRequest& page) {
  std::string after = page.after.empty() ? "" : page.after[0];
  return GetAll<v1::Posting>(
      pool_,
      [&](DbSession& s) {
        if (!cadre_id.empty()) {
          return Query(s, Sql().postings_by_cadre[active_only])
              .Arg(cadre_id)
              .Arg(after)
              .Arg(page.limit)
              .Rows();
        }
        return Query(s, Sql().postings_in_range[active_only])
            .Arg(region_prefix)
            .Arg(common::RegionRangeEnd(region_prefix))
            .Arg(after)
            .Arg(page.limit)
            .Rows();
      },
      rows::ReadPosting);
}

absl::StatusOr<std::optional<v1::Pairing>> MysqlPersonnelStore::GetPairing(const std::string& id) {
  return GetOne(pool_, Sql().pairing, id, rows::ReadPairing);
}

absl::StatusOr<std::vector<v1::Pairing>> MysqlPersonnelStore::ListPairings(
    const std::string& cadre_id, const std::string& household_id, const std::string& region_prefix,
    bool active_only, const PageRequest& page) {
  std::string after = page.after.empty() ? "" : page.after[0];
  return GetAll<v1::Pairing>(
      pool_,
      [&](DbSession& s) {
        if (!cadre_id.empty() || !household_id.empty()) {
          bool by_cadre = !cadre_id.empty();
          return Query(s, by_cadre ? Sql().pairings_by_cadre[active_only]
                                   : Sql().pairings_by_household[active_only])
              .Arg(by_cadre ? cadre_id : household_id)
              .Arg(after)
              .Arg(page.limit)
              .Rows();
        }
        return Query(s, Sql().pairings_in_range[active_only])
            .Arg(region_prefix)
            .Arg(common::RegionRangeEnd(region_prefix))
            .Arg(after)
            .Arg(page.limit)
            .Rows();
      },
      rows::ReadPairing);
}

absl::StatusOr<std::vector<CheckInDay>> MysqlPersonnelStore::ListCheckInDays(
    const std::string& cadre_id, absl::CivilDay from, absl::CivilDay to) {
  std::vector<CheckInDay> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, Sql().checkin_days)
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

}  // namespace tuopin::personnel
