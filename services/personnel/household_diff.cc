// PersonnelLogic::DiffHouseholds: a page of another system's register file compared with
// the register, writing nothing. Each row is checked as ImportHouseholds checks it and
// compared field by field with what an import of it would change (household_rows.h), so a
// SAME row is exactly one an import would leave UNCHANGED.

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/auth.h"
#include "common/status.h"
#include "services/personnel/household_rows.h"
#include "services/personnel/personnel_logic.h"
#include "services/personnel/personnel_validate.h"

namespace tuopin::personnel {
namespace {

void Refuse(v1::DiffRowResult& r, std::string field, std::string description) {
  r.set_outcome(v1::DIFF_OUTCOME_REFUSED);
  r.clear_household_id();
  r.clear_differences();
  v1::ImportViolation& v = *r.add_violations();
  v.set_field(std::move(field));
  v.set_description(std::move(description));
}

bool Refused(const v1::DiffRowResult& r) { return r.outcome() == v1::DIFF_OUTCOME_REFUSED; }

}  // namespace

absl::Status Validate(const v1::DiffHouseholdsRequest&) {
  // As ImportHouseholds: every rule beyond the contract's limits is decided per row.
  return absl::OkStatus();
}

absl::Status PersonnelLogic::DiffHouseholds(const Principal& p,
                                            const v1::DiffHouseholdsRequest& req,
                                            v1::DiffHouseholdsResponse& out) {
  TUOPIN_RETURN_IF_ERROR(common::RequireRegionCode(p, req.region_code()));
  TUOPIN_ASSIGN_OR_RETURN(std::vector<v1::Household> stored,
                          store_.FindHouseholdsByNumber(NumbersOf(req)));
  std::map<std::string, const v1::Household*> by_number;
  for (const auto& h : stored) by_number[h.national_household_number()] = &h;
  // A caller who reads personal data masked compares it masked: the answer must not
  // confirm a guessed id-card number or phone.
  const bool masked = !SeesPersonalData(p);
  // A row of a file made before a merger or split names a village that has left the tree:
  // compared like any other (its household's village_code then differs).
  PageVillages villages([&](const std::string& code) { return store_.GetRegion(code); },
                        PageVillages::Retired::kTakesRows);
  std::set<std::string> seen;
  for (int i = 0; i < req.rows_size(); ++i) {
    const v1::Household& row = req.rows(i);
    v1::DiffRowResult& r = *out.add_results();
    r.set_row_number(req.first_row_number() + i);
    r.set_national_household_number(row.national_household_number());
    CheckHouseholdRow(p, row, [&](std::string field, std::string description) {
      Refuse(r, std::move(field), std::move(description));
    });
    if (!row.national_household_number().empty() &&
        !seen.insert(row.national_household_number()).second) {
      Refuse(r, "national_household_number", kNumberRepeated);
    }
    if (Refused(r)) continue;
    if (!common::RegionCovers(req.region_code(), row.village_code())) {
      Refuse(r, "village_code", kVillageOutOfReach);
      continue;
    }
    TUOPIN_ASSIGN_OR_RETURN(std::string village_refusal, villages.Refusal(row.village_code()));
    if (!village_refusal.empty()) {
      Refuse(r, "village_code", village_refusal);
      continue;
    }
    // A household the caller may not see is MISSING, as an unregistered number is: a diff
    // is no oracle of other counties' registers.
    auto found = by_number.find(row.national_household_number());
    if (found == by_number.end() ||
        !common::PrincipalCoversRegion(p, found->second->village_code())) {
      r.set_outcome(v1::DIFF_OUTCOME_MISSING);
      continue;
    }
    v1::Household current = *found->second;
    v1::Household compared = row;
    if (masked) {
      MaskPersonalData(current);
      MaskPersonalData(compared);
    }
    std::vector<std::string> differences = HouseholdDifferences(current, compared);
    r.set_household_id(current.id());
    r.set_outcome(differences.empty() ? v1::DIFF_OUTCOME_SAME : v1::DIFF_OUTCOME_CHANGED);
    for (auto& d : differences) r.add_differences(std::move(d));
  }
  CountOutcomes(out);
  return absl::OkStatus();
}

}  // namespace tuopin::personnel
