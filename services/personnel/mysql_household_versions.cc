#include "services/personnel/mysql_household_versions.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/db_rows.h"
#include "common/status.h"
#include "services/personnel/mysql_household_members.h"
#include "services/personnel/mysql_personnel_rows.h"
#include "services/personnel/mysql_personnel_store.h"

namespace tuopin::personnel {
namespace {

using common::Query;

constexpr char kColumns[] =
    "household_id, version, valid_from, valid_to, method, request_id, event_id, pii_key_id,"
    " pii_data_key, snapshot";
constexpr char kInsertInto[] =
    "INSERT INTO household_versions (household_id, version, village_code, status, valid_from,"
    " valid_to, method, request_id, event_id, pii_key_id, pii_data_key, snapshot) VALUES ";
constexpr char kRow[] = "(?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)";
// Version rows per multi-row INSERT: 11 placeholders each.
constexpr size_t kRowsPerInsert = 256;
// Households per IN list (the list is padded to a power of two).
constexpr size_t kIdsPerList = 512;

[[noreturn]] void Fail(const std::string& what) {
  // Not a duplicate, not retryable: the runners turn it into an error status.
  throw sql::SQLException(what, "HY000", 0);
}

// The associated data of a sealed snapshot: its household and version.
std::string RowId(const std::string& household_id, int64_t version) {
  return absl::StrCat("household-version/", household_id, "/", version);
}

int64_t VersionOf(const v1::Household& h) {
  int64_t version = 0;
  if (h.etag().size() < 2 || !absl::SimpleAtoi(h.etag().substr(1), &version)) {
    Fail(absl::StrCat("household ", h.id(), " has no valid version"));
  }
  return version;
}

bool HasPersonalData(const v1::Household& h) {
  return std::any_of(h.members().begin(), h.members().end(), [](const v1::Member& m) {
    return !m.id_card_number().empty() || !m.phone().empty();
  });
}

struct VersionRow {
  const v1::Household* household;
  std::string valid_from;
  std::string method, request_id, event_id;
};

// Binds one row (kRow): the snapshot sealed, or in clear only when it holds no personal
// data and there is no key ring (as the members' rows).
void BindVersion(Query& q, const common::PiiKeyRing* pii, const VersionRow& row) {
  const v1::Household& h = *row.household;
  int64_t version = VersionOf(h);
  std::string bytes = common::DeterministicBytes(h);
  common::SealedRow sealed;
  if (pii != nullptr) {
    sealed = pii->Seal(RowId(h.id(), version), {bytes});
  } else if (HasPersonalData(h)) {
    Fail("personal data cannot be stored: personnel has no --pii_key_file");
  } else {
    sealed.fields = {bytes};
  }
  q.Arg(h.id())
      .Arg(version)
      .Arg(h.village_code())
      .Arg(static_cast<int32_t>(h.status()))
      .Arg(row.valid_from)
      .Arg(row.method)
      .Arg(row.request_id)
      .Arg(row.event_id)
      .Arg(sealed.key_id)
      .Arg(common::Base64Encode(sealed.wrapped_key))
      .Arg(common::Base64Encode(sealed.fields[0]));
}

void InsertVersions(common::DbSession& s, const common::PiiKeyRing* pii,
                    const std::vector<VersionRow>& rows, bool ignore_existing) {
  for (size_t from = 0; from < rows.size();) {
    size_t n = NextBatch(rows.size() - from, kRowsPerInsert);
    std::string sql = kInsertInto;
    // The backfill skips a version a concurrent call recorded first.
    if (ignore_existing) sql.insert(6, " IGNORE");
    for (size_t i = 0; i < n; ++i) absl::StrAppend(&sql, i ? ", " : "", kRow);
    Query q(s, sql);
    for (size_t i = from; i < from + n; ++i) BindVersion(q, pii, rows[i]);
    q.Exec();
    from += n;
  }
}

// Reads a row selected with kColumns.
v1::HouseholdVersion ReadVersion(sql::ResultSet& rs, const common::PiiKeyRing* pii) {
  v1::HouseholdVersion v;
  std::string id = common::RowString(rs, 1);
  v.set_version(rs.getInt64(2));
  *v.mutable_valid_from() = common::RowTime(rs, 3);
  if (!rs.isNull(4)) *v.mutable_valid_to() = common::RowTime(rs, 4);
  v.set_method(common::RowString(rs, 5));
  v.set_request_id(common::RowString(rs, 6));
  v.set_event_id(common::RowString(rs, 7));
  std::string where = absl::StrCat("version ", v.version(), " of household ", id);
  auto key = common::Base64Decode(common::RowString(rs, 9));
  auto snapshot = common::Base64Decode(common::RowString(rs, 10));
  if (!key || !snapshot) Fail(absl::StrCat(where, " is not base64"));
  std::string bytes = *snapshot;
  if (std::string key_id = common::RowString(rs, 8); !key_id.empty()) {
    if (pii == nullptr) Fail(absl::StrCat(where, " is sealed and personnel has no key ring"));
    common::SealedRow sealed{key_id, *key, {*snapshot}};
    auto opened = pii->Open(RowId(id, v.version()), sealed);
    if (!opened.ok()) {
      Fail(absl::StrCat(where, " (key ", key_id, "): ", opened.status().message()));
    }
    bytes = (*opened)[0];
  }
  if (!v.mutable_household()->ParseFromString(bytes)) Fail(absl::StrCat(where, " does not parse"));
  return v;
}

std::vector<v1::HouseholdVersion> ReadAll(std::unique_ptr<sql::ResultSet> rs,
                                          const common::PiiKeyRing* pii) {
  std::vector<v1::HouseholdVersion> out;
  while (rs->next()) out.push_back(ReadVersion(*rs, pii));
  return out;
}

// When the next version of a household begins (and its open version ends): `now`, or one
// microsecond after the open version began when that is later. ctx.now is taken before the
// transaction waits for the household's lock, so a call that committed first may carry a
// later time; the versions stay ordered and never overlap whatever the commit order. Both
// statements compute the same expression on the same rows, which the caller's lock on each
// household keeps still (the SELECT locks them too, reading the latest committed rows).
constexpr char kNextBegin[] =
    "GREATEST(CAST(? AS DATETIME(6)), valid_from + INTERVAL 1 MICROSECOND)";

// Closes the open versions of `ids`, two statements per batch; returns when each closed
// version ended (a household without an open version is not in the map).
std::map<std::string, std::string> CloseOpenVersions(common::DbSession& s,
                                                     const std::vector<std::string>& ids,
                                                     const std::string& now) {
  std::map<std::string, std::string> out;
  for (size_t from = 0; from < ids.size(); from += kIdsPerList) {
    std::vector<std::string> batch(ids.begin() + from,
                                   ids.begin() + std::min(ids.size(), from + kIdsPerList));
    std::string open = absl::StrCat(" WHERE valid_to IS NULL AND household_id IN (",
                                    common::Placeholders(common::InListSize(batch.size())), ")");
    auto rs = Query(s, absl::StrCat("SELECT household_id, ", kNextBegin, " FROM household_versions",
                                    open, " FOR UPDATE"))
                  .Arg(now)
                  .InList(batch)
                  .Rows();
    while (rs->next()) {
      std::string id = common::RowString(*rs, 1);
      std::string begin = common::ToSqlTime(common::FromSqlTime(common::RowString(*rs, 2)));
      if (!out.emplace(id, begin).second) {
        Fail(absl::StrCat("household ", id, " has more than one open version"));
      }
    }
    Query(s, absl::StrCat("UPDATE household_versions SET valid_to = ", kNextBegin, open))
        .Arg(now)
        .InList(batch)
        .Exec();
  }
  return out;
}

}  // namespace

void HouseholdVersionRecorder::Locked(const v1::Household& h) {
  if (!written_.count(h.id())) locked_[h.id()] = h;
}

void HouseholdVersionRecorder::Created(const v1::Household& h) {
  v1::Household& row = written_[h.id()] = h;
  row.set_etag(common::EtagOf(1));
  created_.insert(h.id());
}

v1::Household& HouseholdVersionRecorder::Written(const std::string& id) {
  if (auto it = written_.find(id); it != written_.end()) return it->second;
  if (auto it = locked_.find(id); it != locked_.end()) {
    v1::Household& row = written_[id] = std::move(it->second);
    locked_.erase(it);
    return row;
  }
  // A write without a lock first: the row as the transaction sees it.
  auto rs = Query(s_, absl::StrCat("SELECT ", rows::HouseholdColumns(),
                                   " FROM households WHERE id = ? FOR UPDATE"))
                .Arg(id)
                .Rows();
  if (!rs->next()) Fail(absl::StrCat("household ", id, " is not stored"));
  v1::Household& row = written_[id] = rows::ReadHousehold(*rs);
  ReadMembers(s_, pii_, row);
  return row;
}

void HouseholdVersionRecorder::Record() {
  if (written_.empty()) return;
  std::string now = common::ToSqlTime(ctx_.now);
  std::vector<std::string> earlier;
  for (const auto& [id, h] : written_) {
    if (!created_.count(id)) earlier.push_back(id);
  }
  std::map<std::string, std::string> begins = CloseOpenVersions(s_, earlier, now);
  std::vector<VersionRow> rows;
  for (const auto& [id, h] : written_) {
    auto it = begins.find(id);
    rows.push_back(VersionRow{&h, it == begins.end() ? now : it->second, ctx_.method,
                              ctx_.request_id, ctx_.event_id});
  }
  InsertVersions(s_, pii_, rows, false);
  written_.clear();
  created_.clear();
}

std::optional<v1::HouseholdVersion> SelectVersionAt(common::DbSession& s,
                                                    const common::PiiKeyRing* pii,
                                                    const std::string& id, absl::Time as_of) {
  std::string at = common::ToSqlTime(as_of);
  auto rows = ReadAll(Query(s, absl::StrCat("SELECT ", kColumns,
                                            " FROM household_versions WHERE household_id = ?"
                                            " AND valid_from <= ? AND (valid_to IS NULL OR"
                                            " valid_to > ?) ORDER BY version DESC LIMIT 1"))
                          .Arg(id)
                          .Arg(at)
                          .Arg(at)
                          .Rows(),
                      pii);
  if (rows.empty()) return std::nullopt;
  return std::move(rows[0]);
}

std::vector<v1::HouseholdVersion> SelectVersionsInRegion(common::DbSession& s,
                                                         const common::PiiKeyRing* pii,
                                                         const std::string& region_prefix,
                                                         int status, absl::Time as_of,
                                                         const common::PageRequest& page) {
  std::string at = common::ToSqlTime(as_of);
  // Keyset pagination on (village_code, household_id), as ListHouseholds.
  Query q(s, absl::StrCat("SELECT ", kColumns,
                          " FROM household_versions WHERE village_code >= ? AND village_code < ?"
                          " AND (village_code > ? OR household_id > ?) AND valid_from <= ?"
                          " AND (valid_to IS NULL OR valid_to > ?)",
                          status != 0 ? " AND status = ?" : "",
                          " ORDER BY village_code, household_id LIMIT ?"));
  rows::BindRegionKeyset(q, region_prefix, page.after).Arg(at).Arg(at);
  if (status != 0) q.Arg(status);
  return ReadAll(q.Arg(page.limit).Rows(), pii);
}

std::vector<v1::HouseholdVersion> SelectHistory(common::DbSession& s, const common::PiiKeyRing* pii,
                                                const std::string& id,
                                                const common::PageRequest& page) {
  int64_t after = 0;
  if (!page.after.empty() && !absl::SimpleAtoi(page.after[0], &after)) after = 0;
  return ReadAll(Query(s, absl::StrCat("SELECT ", kColumns,
                                       " FROM household_versions WHERE household_id = ?"
                                       " AND version > ? ORDER BY version LIMIT ?"))
                     .Arg(id)
                     .Arg(after)
                     .Arg(page.limit)
                     .Rows(),
                 pii);
}

int BackfillHouseholdVersions(common::DbSession& s, const common::PiiKeyRing* pii, int batch) {
  auto rs = Query(s, absl::StrCat("SELECT ", rows::HouseholdColumns(),
                                  " FROM households h WHERE NOT EXISTS (SELECT 1 FROM"
                                  " household_versions v WHERE v.household_id = h.id)"
                                  " ORDER BY h.id LIMIT ? FOR UPDATE"))
                .Arg(batch)
                .Rows();
  std::vector<v1::Household> households;
  while (rs->next()) households.push_back(rows::ReadHousehold(*rs));
  if (households.empty()) return 0;
  std::vector<v1::Household*> all;
  for (auto& h : households) all.push_back(&h);
  ReadMembersOf(s, pii, all);
  std::vector<VersionRow> rows;
  for (const auto& h : households) {
    rows.push_back(VersionRow{&h, common::ToSqlTime(common::FromTimestamp(h.update_time())),
                              kHistoryBegan, "", ""});
  }
  InsertVersions(s, pii, rows, true);
  return static_cast<int>(households.size());
}

}  // namespace tuopin::personnel

// MysqlPersonnelStore's history reads (declared in mysql_personnel_store.h).
namespace tuopin::personnel {

absl::StatusOr<std::optional<v1::HouseholdVersion>> MysqlPersonnelStore::GetHouseholdVersion(
    const std::string& id, absl::Time as_of) {
  std::optional<v1::HouseholdVersion> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](common::DbSession& s) {
    out = SelectVersionAt(s, pii_, id, as_of);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::HouseholdVersion>> MysqlPersonnelStore::ListHouseholdVersions(
    const std::string& region_prefix, int status, absl::Time as_of, const PageRequest& page) {
  std::vector<v1::HouseholdVersion> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](common::DbSession& s) {
    out = SelectVersionsInRegion(s, pii_, region_prefix, status, as_of, page);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::HouseholdVersion>> MysqlPersonnelStore::GetHouseholdHistory(
    const std::string& id, const PageRequest& page) {
  std::vector<v1::HouseholdVersion> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](common::DbSession& s) {
    out = SelectHistory(s, pii_, id, page);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int> MysqlPersonnelStore::BackfillHouseholdVersions(int batch) {
  int total = 0;
  for (int done = batch; done == batch;) {
    TUOPIN_RETURN_IF_ERROR(common::RunInTransaction(pool_, [&](common::DbSession& s) {
      done = personnel::BackfillHouseholdVersions(s, pii_, batch);
      return absl::OkStatus();
    }));
    total += done;
  }
  return total;
}

}  // namespace tuopin::personnel
