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

absl::StatusOr<std::string> FakeTaskLookup::TaskVillage(const std::string& task_id) {
  if (!fail.ok()) return fail;
  return Lookup(villages, "task", task_id);
}

}  // namespace tuopin::testing
