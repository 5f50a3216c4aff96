#include "services/personnel/mysql_household_members.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/db_rows.h"

namespace tuopin::personnel {
namespace {

using common::Query;

constexpr char kDelete[] = "DELETE FROM household_members WHERE household_id = ?";
constexpr char kInsertInto[] =
    "INSERT INTO household_members (household_id, position, name, relation, sex, birth_year,"
    " education, health, labour_status, pii_key_id, pii_data_key, id_card_sealed,"
    " phone_sealed) VALUES ";
constexpr char kRow[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kColumns[] =
    "household_id, position, name, relation, sex, birth_year, education, health,"
    " labour_status, pii_key_id, pii_data_key, id_card_sealed, phone_sealed";
// Member rows per multi-row INSERT of an import: 13 placeholders each, well under the
// server's 65,535 per statement.
constexpr size_t kRowsPerInsert = 512;

// The associated data of a member row: its household and place in it.
std::string RowId(const std::string& household_id, int position) {
  return absl::StrCat(household_id, "/", position);
}

[[noreturn]] void Fail(const std::string& what) {
  // Not a duplicate, not retryable: the runners turn it into an error status.
  throw sql::SQLException(what, "HY000", 0);
}

// Binds one member row (kRow), its personal data sealed.
void BindMember(Query& q, const common::PiiKeyRing* pii, const std::string& household_id,
                int position, const v1::Member& m) {
  common::SealedRow sealed;
  if (!m.id_card_number().empty() || !m.phone().empty()) {
    if (pii == nullptr) Fail("personal data cannot be stored: personnel has no --pii_key_file");
    sealed = pii->Seal(RowId(household_id, position), {m.id_card_number(), m.phone()});
  }
  auto b64 = [&](size_t f) {
    return f < sealed.fields.size() ? common::Base64Encode(sealed.fields[f]) : std::string();
  };
  q.Arg(household_id)
      .Arg(position)
      .Arg(m.name())
      .Arg(static_cast<int32_t>(m.relation()))
      .Arg(static_cast<int32_t>(m.sex()))
      .Arg(m.birth_year())
      .Arg(static_cast<int32_t>(m.education()))
      .Arg(static_cast<int32_t>(m.health()))
      .Arg(static_cast<int32_t>(m.labour_status()))
      .Arg(sealed.key_id)
      .Arg(common::Base64Encode(sealed.wrapped_key))
      .Arg(b64(0))
      .Arg(b64(1));
}

// Reads the member of the result set's current row (selected with kColumns) into `h`.
void ReadMemberRow(sql::ResultSet& rs, const common::PiiKeyRing* pii, v1::Household& h) {
  int position = rs.getInt(2);
  v1::Member& m = *h.add_members();
  m.set_name(common::RowString(rs, 3));
  m.set_relation(static_cast<v1::MemberRelation>(rs.getInt(4)));
  m.set_sex(static_cast<v1::Sex>(rs.getInt(5)));
  m.set_birth_year(rs.getInt(6));
  m.set_education(static_cast<v1::Education>(rs.getInt(7)));
  m.set_health(static_cast<v1::Health>(rs.getInt(8)));
  m.set_labour_status(static_cast<v1::LabourStatus>(rs.getInt(9)));
  common::SealedRow sealed;
  sealed.key_id = common::RowString(rs, 10);
  if (sealed.key_id.empty() || pii == nullptr) return;
  auto key = common::Base64Decode(common::RowString(rs, 11));
  auto id = common::Base64Decode(common::RowString(rs, 12));
  auto phone = common::Base64Decode(common::RowString(rs, 13));
  std::string where = absl::StrCat("personal data of household ", h.id(), " member ", position,
                                   " (key ", sealed.key_id, ")");
  if (!key || !id || !phone) Fail(absl::StrCat(where, " is not base64"));
  sealed.wrapped_key = *key;
  sealed.fields = {*id, *phone};
  auto opened = pii->Open(RowId(h.id(), position), sealed);
  if (!opened.ok()) Fail(absl::StrCat(where, ": ", opened.status().message()));
  m.set_id_card_number((*opened)[0]);
  m.set_phone((*opened)[1]);
}

}  // namespace

void WriteMembers(common::DbSession& s, const common::PiiKeyRing* pii, const v1::Household& h) {
  Query(s, kDelete).Arg(h.id()).Exec();
  InsertMembers(s, pii, {&h});
}

void InsertMembers(common::DbSession& s, const common::PiiKeyRing* pii,
                   const std::vector<const v1::Household*>& households) {
  std::vector<std::pair<const v1::Household*, int>> rows;
  for (const v1::Household* h : households) {
    for (int i = 0; i < h->members_size(); ++i) rows.emplace_back(h, i);
  }
  for (size_t from = 0; from < rows.size();) {
    size_t n = NextBatch(rows.size() - from, kRowsPerInsert);
    std::string sql = kInsertInto;
    for (size_t i = 0; i < n; ++i) absl::StrAppend(&sql, i ? ", " : "", kRow);
    Query q(s, sql);
    for (size_t i = from; i < from + n; ++i) {
      const auto& [h, position] = rows[i];
      BindMember(q, pii, h->id(), position, h->members(position));
    }
    q.Exec();
    from += n;
  }
}

void ReadMembers(common::DbSession& s, const common::PiiKeyRing* pii, v1::Household& h) {
  std::vector<v1::Household*> one{&h};
  ReadMembersOf(s, pii, one);
}

void ReadMembersOf(common::DbSession& s, const common::PiiKeyRing* pii,
                   const std::vector<v1::Household*>& households) {
  if (households.empty()) return;
  std::map<std::string, v1::Household*> by_id;
  std::vector<std::string> ids;
  for (v1::Household* h : households) {
    h->clear_members();
    by_id[h->id()] = h;
    ids.push_back(h->id());
  }
  auto rs =
      Query(s, absl::StrCat("SELECT ", kColumns, " FROM household_members WHERE household_id IN (",
                            common::Placeholders(common::InListSize(ids.size())),
                            ") ORDER BY household_id, position"))
          .InList(ids)
          .Rows();
  while (rs->next()) {
    auto it = by_id.find(common::RowString(*rs, 1));
    if (it != by_id.end()) ReadMemberRow(*rs, pii, *it->second);
  }
}

}  // namespace tuopin::personnel
