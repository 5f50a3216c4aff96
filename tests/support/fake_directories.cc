#include "tests/support/fake_directories.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace tuopin::testing {
namespace {

absl::StatusOr<std::string> Lookup(const std::map<std::string, std::string>& m,
                                   absl::string_view what, const std::string& id) {
  auto it = m.find(id);
  if (it == m.end()) return absl::NotFoundError(absl::StrCat(what, " ", id, " not found"));
  return it->second;
}

}  // namespace

absl::Status FakePersonnelDirectory::CheckVillage(const std::string& code) {
  if (!fail.ok()) return fail;
  if (villages.empty() || villages.contains(code)) return absl::OkStatus();
  return common::InvalidField("task.village_code", "is not a known village");
}

absl::StatusOr<std::string> FakePersonnelDirectory::HouseholdVillage(
    const std::string& household_id) {
  if (!fail.ok()) return fail;
  return Lookup(household_villages, "household", household_id);
}

absl::StatusOr<std::string> FakePersonnelDirectory::CadreRegion(const std::string& cadre_id) {
  if (!fail.ok()) return fail;
  return Lookup(cadre_regions, "cadre", cadre_id);
}

absl::Status FakePersonnelDirectory::SetIndicator(const std::string& household_id,
                                                  const std::string& indicator,
                                                  const std::string& request_id) {
  if (!fail.ok()) return fail;
  if (!household_villages.contains(household_id)) {
    return absl::NotFoundError(absl::StrCat("household ", household_id, " not found"));
  }
  indicators_set.emplace_back(household_id, indicator, request_id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FakePersonnelDirectory::RegisteredHouseholds(
    const std::string& region_code) {
  if (!fail.ok()) return fail;
  std::vector<std::string> out;
  for (const auto& id : registered) {  // a std::set: sorted, as the real answer is
    auto village = household_villages.find(id);
    if (village != household_villages.end() && absl::StartsWith(village->second, region_code)) {
      out.push_back(id);
    }
  }
  return out;
}

absl::Status FakePersonnelDirectory::CheckRegion(const std::string& code) {
  if (!fail.ok()) return fail;
  if (regions.contains(code)) return absl::OkStatus();
  for (const auto& [id, village] : household_villages) {
    if (village == code) return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("region ", code, " not found"));
}

absl::StatusOr<std::vector<common::HouseholdRecord>> FakePersonnelDirectory::HouseholdsInRegion(
    const std::string& region_code) {
  if (!fail.ok()) return fail;
  std::vector<common::HouseholdRecord> out;
  for (const auto& [id, h] : households) {  // a std::map: sorted by id, as the real answer is
    if (absl::StartsWith(h.village_code, region_code)) out.push_back(h);
  }
  return out;
}

absl::StatusOr<personnel::v1::ExitStatus> FakePersonnelDirectory::ExitStatus(
    const std::string& region_code, int32_t year) {
  if (!fail.ok()) return fail;
  auto it = exit_statuses.find({region_code, year});
  if (it == exit_statuses.end())
    return absl::NotFoundError(absl::StrCat("region ", region_code, " not found"));
  return it->second;
}

absl::StatusOr<personnel::v1::PovertyStandard> FakePersonnelDirectory::PovertyStandard(
    int32_t year, const std::string& province_code) {
  if (!fail.ok()) return fail;
  auto it = standards.find({year, province_code});
  if (it == standards.end())
    return absl::NotFoundError(absl::StrCat("poverty standard ", year, "/", province_code));
  return it->second;
}

absl::StatusOr<personnel::v1::Household> FakePersonnelDirectory::ReverseExit(
    const std::string& household_id, const std::string& reference, const std::string& request_id) {
  if (!fail.ok()) return fail;
  if (!reverse_fail.ok() && household_id == reverse_fail_household) return reverse_fail;
  auto it = households.find(household_id);
  if (it == households.end()) return absl::NotFoundError(absl::StrCat("household ", household_id));
  personnel::v1::Household out;
  out.set_id(household_id);
  out.set_village_code(it->second.village_code);
  out.set_status(personnel::v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  out.set_reversal_reference(reference);
  for (const auto& [h, ref, req] : reversals) {
    if (req == request_id) return out;  // replayed
  }
  if (it->second.status != personnel::v1::HOUSEHOLD_STATUS_LIFTED_OUT &&
      it->second.status != personnel::v1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN) {
    return common::WithReason(absl::FailedPreconditionError("the household never exited"),
                              common::ErrorReason::NOT_EXITED);
  }
  it->second.status = personnel::v1::HOUSEHOLD_STATUS_REGISTERED_POOR;
  reversals.emplace_back(household_id, reference, request_id);
  return out;
}

void FakePersonnelDirectory::AddHousehold(const std::string& id, const std::string& village,
                                          personnel::v1::HouseholdStatus status, int32_t members) {
  households[id] = common::HouseholdRecord{id, village, status, members};
  household_villages[id] = village;
}

absl::StatusOr<std::string> FakeTaskLookup::TaskVillage(const std::string& task_id) {
  if (!fail.ok()) return fail;
  return Lookup(villages, "task", task_id);
}

}  // namespace tuopin::testing
