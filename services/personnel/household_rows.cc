#include "services/personnel/household_rows.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/field_limits.h"
#include "common/scope.h"
#include "common/status.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/personnel/personnel_logic.h"
#include "services/personnel/personnel_validate.h"

namespace tuopin::personnel {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

std::string Path(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : absl::StrCat(prefix, ".", name);
}

// Field by field: a singular message recursively (an unset one reads as its default, as
// SameHousehold's Indicators), a repeated message element by element, or as a whole when
// the counts differ; a scalar (or a list of scalars) as a whole.
void Differences(const Message& a, const Message& b, const std::string& prefix,
                 std::vector<std::string>& out) {
  const auto* d = a.GetDescriptor();
  const auto* ra = a.GetReflection();
  const auto* rb = b.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string path = Path(prefix, f->name());
    if (f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const int n = ra->FieldSize(a, f);
      if (n != rb->FieldSize(b, f)) {
        out.push_back(path);
        continue;
      }
      for (int j = 0; j < n; ++j) {
        Differences(ra->GetRepeatedMessage(a, f, j), rb->GetRepeatedMessage(b, f, j),
                    absl::StrCat(path, "[", j, "]"), out);
      }
      continue;
    }
    if (!f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      Differences(ra->GetMessage(a, f), rb->GetMessage(b, f), path, out);
      continue;
    }
    MessageDifferencer one;
    std::vector<const FieldDescriptor*> only{f};
    if (!one.CompareWithFields(a, b, only, only)) out.push_back(path);
  }
}

}  // namespace

void CheckHouseholdRow(const common::Principal& p, const v1::Household& row,
                       const RowRefusal& refuse) {
  if (row.national_household_number().empty()) {
    refuse("national_household_number", "is required: it is the import's key");
  }
  // The contract's limits of a household, for this row alone; then the rules across its
  // fields (people) when the limits hold.
  common::FieldViolations limits;
  common::CheckLimits(row, limits);
  for (const auto& [field, why] : limits.violations()) {
    refuse(std::string(absl::StripPrefix(field, ".")), why);
  }
  if (limits.violations().empty()) {
    common::FieldViolations people;
    ValidateHouseholdPeople(row, "", people);
    for (const auto& [field, why] : people.violations()) {
      refuse(std::string(absl::StripPrefix(field, ".")), why);
    }
  }
  // The same words for another county's village whether or not it exists.
  if (!common::RequireRegionCode(p, row.village_code()).ok()) {
    refuse("village_code", kVillageOutOfReach);
  }
}

void CountOutcomes(Message& response) {
  const auto* d = response.GetDescriptor();
  const auto* r = response.GetReflection();
  const FieldDescriptor* results = d->FindFieldByName("results");
  for (int i = 0; i < r->FieldSize(response, results); ++i) {
    const Message& result = r->GetRepeatedMessage(response, results, i);
    const FieldDescriptor* outcome = result.GetDescriptor()->FindFieldByName("outcome");
    const std::string& name = result.GetReflection()->GetEnum(result, outcome)->name();
    const FieldDescriptor* count =
        d->FindFieldByName(absl::AsciiStrToLower(name.substr(name.find("_OUTCOME_") + 9)));
    if (count != nullptr) r->SetInt32(&response, count, r->GetInt32(response, count) + 1);
  }
}

absl::StatusOr<std::string> PageVillages::Refusal(const std::string& code) {
  auto known = refusals_.find(code);
  if (known == refusals_.end()) {
    TUOPIN_ASSIGN_OR_RETURN(auto v, lookup_(code));
    if (v.has_value() && retired_ == Retired::kTakesRows) v->clear_valid_to();
    known = refusals_.emplace(code, VillageRefusal(v)).first;
  }
  return known->second;
}

v1::Household PatchedHousehold(const v1::Household& current, const v1::Household& row) {
  v1::Household next = current;
  next.set_head_name(row.head_name());
  next.set_member_count(row.member_count());
  next.set_status(row.status());
  *next.mutable_indicators() = row.indicators();
  next.set_income_per_head_fen(row.income_per_head_fen());
  *next.mutable_members() = row.members();
  return next;
}

bool SameHousehold(v1::Household a, v1::Household b) {
  a.mutable_indicators();
  b.mutable_indicators();
  return MessageDifferencer::Equals(a, b);
}

std::vector<std::string> HouseholdDifferences(const v1::Household& current,
                                              const v1::Household& row) {
  std::vector<std::string> out;
  Differences(current, PatchedHousehold(current, row), "", out);
  if (row.village_code() != current.village_code()) out.push_back("village_code");
  if (row.has_prior_exit() && !MessageDifferencer::Equals(row.prior_exit(), current.prior_exit()))
    out.push_back("prior_exit");
  return out;
}

}  // namespace tuopin::personnel
