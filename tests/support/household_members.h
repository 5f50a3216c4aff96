#pragma once
// Household members for the tests of members (unit and integration): valid resident
// identity card numbers (their GB 11643 check digits right) and a member builder.

#include <string>

#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::testing {

inline constexpr char kHeadIdCard[] = "52022119800101123X";
inline constexpr char kSpouseIdCard[] = "520221198503154564";
inline constexpr char kMemberPhone[] = "13812345678";

inline personnel::v1::Member MakeMember(const std::string& name,
                                        personnel::v1::MemberRelation relation,
                                        const std::string& id_card_number,
                                        const std::string& phone = "") {
  personnel::v1::Member m;
  m.set_name(name);
  m.set_relation(relation);
  m.set_sex(personnel::v1::SEX_MALE);
  m.set_birth_year(1980);
  m.set_education(personnel::v1::EDUCATION_JUNIOR_SECONDARY);
  m.set_health(personnel::v1::HEALTH_LONG_TERM_ILLNESS);
  m.set_labour_status(personnel::v1::LABOUR_STATUS_WEAK);
  m.set_id_card_number(id_card_number);
  m.set_phone(phone);
  return m;
}

}  // namespace tuopin::testing
