#include "services/personnel/mysql_exit_store.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/personnel/mysql_personnel_rows.h"
#include "services/personnel/mysql_personnel_store.h"

namespace tuopin::personnel {
namespace {

using common::DbSession;
using common::Query;

constexpr char kSelectById[] = "SELECT detail, version FROM exit_applications WHERE id = ?";
constexpr char kLockById[] =
    "SELECT detail, version FROM exit_applications WHERE id = ? FOR UPDATE";
// Keyset pagination on (village_code, id), as ListHouseholds; the stage variant has one
// more argument, first.
constexpr char kInRange[] =
    "SELECT detail, version FROM exit_applications WHERE village_code >= ? AND village_code < ?"
    " AND (village_code > ? OR id > ?) ORDER BY village_code, id LIMIT ?";
constexpr char kInRangeWithStage[] =
    "SELECT detail, version FROM exit_applications WHERE stage = ? AND village_code >= ?"
    " AND village_code < ? AND (village_code > ? OR id > ?) ORDER BY village_code, id LIMIT ?";
// open_household_id holds the household while the application is open: its unique key
// allows one open application per household.
constexpr char kInsert[] =
    "INSERT INTO exit_applications (id, household_id, village_code, year, stage,"
    " open_household_id, detail, version, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)";
constexpr char kUpdate[] =
    "UPDATE exit_applications SET stage = ?, open_household_id = ?, detail = ?, version = ?,"
    " updated_at = ? WHERE id = ?";
constexpr char kOpenKey[] = "uk_exit_applications_open_household";

// The stored detail: the whole application but its etag, which the version column holds.
std::string DetailOf(const v1::ExitApplication& a) {
  v1::ExitApplication copy = a;
  copy.clear_etag();
  return copy.SerializeAsString();
}

v1::ExitApplication ReadApplication(sql::ResultSet& rs) {
  v1::ExitApplication a;
  std::string detail = rs.getString(1).asStdString();
  if (!a.ParseFromString(detail)) throw sql::SQLException("exit application detail does not parse");
  a.set_etag(common::EtagOf(rs.getInt64(2)));
  return a;
}

std::string SqlTimeOf(const google::protobuf::Timestamp& t) {
  return common::ToSqlTime(common::FromTimestamp(t));
}

class MysqlExitTx final : public ExitTx {
 public:
  MysqlExitTx(DbSession& s, common::IdGenerator& ids, const MutationContext& ctx,
              const common::PiiKeyRing* pii)
      : s_(s), personnel_(NewMysqlPersonnelTx(s, ids, ctx, pii)) {}

  PersonnelTx& personnel() override { return *personnel_; }

  std::optional<v1::ExitApplication> LockApplication(const std::string& id) override {
    auto rs = Query(s_, kLockById).Arg(id).Rows();
    if (!rs->next()) return std::nullopt;
    return ReadApplication(*rs);
  }
  bool InsertApplication(const v1::ExitApplication& a) override {
    try {
      Query(s_, kInsert)
          .Arg(a.id())
          .Arg(a.household_id())
          .Arg(a.village_code())
          .Arg(a.year())
          .Arg(static_cast<int32_t>(a.stage()))
          .Arg(a.household_id())
          .Arg(DetailOf(a))
          .Arg(SqlTimeOf(a.create_time()))
          .Arg(SqlTimeOf(a.update_time()))
          .Exec();
    } catch (const sql::SQLException& e) {
      if (e.getErrorCode() == common::kErDupEntry && absl::StrContains(e.what(), kOpenKey)) {
        return false;
      }
      throw;
    }
    return true;
  }
  void UpdateApplication(const v1::ExitApplication& a, int64_t version, bool open) override {
    Query q(s_, kUpdate);
    q.Arg(static_cast<int32_t>(a.stage()));
    if (open) {
      q.Arg(a.household_id());
    } else {
      q.Null();
    }
    q.Arg(DetailOf(a)).Arg(version).Arg(SqlTimeOf(a.update_time())).Arg(a.id()).Exec();
  }

 private:
  DbSession& s_;
  std::unique_ptr<PersonnelTx> personnel_;
};

}  // namespace

absl::Status MysqlExitStore::RunMutation(const MutationContext& ctx, const TxBody& body,
                                         google::protobuf::Message& response) {
  // The event id is known before the body runs: the household versions name it.
  MutationContext with_event = common::WithEventId(ctx, ids_);
  return common::RunMutation(
      pool_, ids_, with_event,
      [&](DbSession& s, google::protobuf::Message& m) -> absl::StatusOr<EntityRefs> {
        MysqlExitTx tx(s, ids_, with_event, pii_);
        absl::StatusOr<EntityRefs> refs = body(tx, m);
        if (refs.ok()) RecordHouseholdVersions(tx.personnel());
        return refs;
      },
      response);
}

absl::StatusOr<std::optional<v1::ExitApplication>> MysqlExitStore::GetApplication(
    const std::string& id) {
  std::optional<v1::ExitApplication> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, kSelectById).Arg(id).Rows();
    if (rs->next()) out = ReadApplication(*rs);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::ExitApplication>> MysqlExitStore::ListApplications(
    const std::string& region_prefix, int stage, const PageRequest& page) {
  std::vector<v1::ExitApplication> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    Query q(s, stage != 0 ? kInRangeWithStage : kInRange);
    if (stage != 0) q.Arg(stage);
    auto rs = rows::BindRegionKeyset(q, region_prefix, page.after).Arg(page.limit).Rows();
    while (rs->next()) out.push_back(ReadApplication(*rs));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace tuopin::personnel
