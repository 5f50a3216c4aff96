#include "services/personnel/mysql_household_members.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/db_rows.h"

namespace tuopin::personnel {
namespace {

using common::Query;

constexpr char kDelete[] = "DELETE FROM household_members WHERE household_id = ?";
constexpr char kInsert[] =
    "INSERT INTO household_members (household_id, position, name, relation, sex, birth_year,"
    " education, health, labour_status, pii_key_id, pii_data_key, id_card_sealed,"
    " phone_sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kSelect[] =
    "SELECT position, name, relation, sex, birth_year, education, health, labour_status,"
    " pii_key_id, pii_data_key, id_card_sealed, phone_sealed FROM household_members"
    " WHERE household_id = ? ORDER BY position";

// The associated data of a member row: its household and place in it.
std::string RowId(const std::string& household_id, int position) {
  return absl::StrCat(household_id, "/", position);
}

[[noreturn]] void Fail(const std::string& what) {
  // Not a duplicate, not retryable: the runners turn it into an error status.
  throw sql::SQLException(what, "HY000", 0);
}

}  // namespace

void WriteMembers(common::DbSession& s, const common::PiiKeyRing* pii, const v1::Household& h) {
  Query(s, kDelete).Arg(h.id()).Exec();
  for (int i = 0; i < h.members_size(); ++i) {
    const v1::Member& m = h.members(i);
    common::SealedRow sealed;
    if (!m.id_card_number().empty() || !m.phone().empty()) {
      if (pii == nullptr) Fail("personal data cannot be stored: personnel has no --pii_key_file");
      sealed = pii->Seal(RowId(h.id(), i), {m.id_card_number(), m.phone()});
    }
    auto b64 = [&](size_t f) {
      return f < sealed.fields.size() ? common::Base64Encode(sealed.fields[f]) : std::string();
    };
    Query(s, kInsert)
        .Arg(h.id())
        .Arg(i)
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
        .Arg(b64(1))
        .Exec();
  }
}

void ReadMembers(common::DbSession& s, const common::PiiKeyRing* pii, v1::Household& h) {
  h.clear_members();
  auto rs = Query(s, kSelect).Arg(h.id()).Rows();
  while (rs->next()) {
    int position = rs->getInt(1);
    v1::Member& m = *h.add_members();
    m.set_name(common::RowString(*rs, 2));
    m.set_relation(static_cast<v1::MemberRelation>(rs->getInt(3)));
    m.set_sex(static_cast<v1::Sex>(rs->getInt(4)));
    m.set_birth_year(rs->getInt(5));
    m.set_education(static_cast<v1::Education>(rs->getInt(6)));
    m.set_health(static_cast<v1::Health>(rs->getInt(7)));
    m.set_labour_status(static_cast<v1::LabourStatus>(rs->getInt(8)));
    common::SealedRow sealed;
    sealed.key_id = common::RowString(*rs, 9);
    if (sealed.key_id.empty() || pii == nullptr) continue;
    auto key = common::Base64Decode(common::RowString(*rs, 10));
    auto id = common::Base64Decode(common::RowString(*rs, 11));
    auto phone = common::Base64Decode(common::RowString(*rs, 12));
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
}

}  // namespace tuopin::personnel
