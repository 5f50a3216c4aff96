#pragma once
// In-memory fakes of the directories services ask one another through the gateway
// (common/personnel_client.h, common/task_client.h), for logic unit tests and for
// integration tests that run one service alone. They answer as the real ones do: an
// unknown id is NOT_FOUND; a failure can be injected.

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "common/personnel_client.h"
#include "common/task_client.h"

namespace tuopin::testing {

// What personnel knows: imported villages, households by village and cadres by managing
// region; the indicators set and the registered households of a region.
class FakePersonnelDirectory final : public common::PersonnelDirectory {
 public:
  // Imported villages. Empty means every village is imported; any other code is
  // INVALID_ARGUMENT naming task.village_code, as the real directory answers.
  std::set<std::string> villages;
  std::map<std::string, std::string> household_villages;  // household id -> village
  std::map<std::string, std::string> cadre_regions;       // cadre id -> managing region
  // Registered poor households (ids of household_villages); RegisteredHouseholds answers
  // those in a region's subtree.
  std::set<std::string> registered;
  // Every SetIndicator that went through: (household id, indicator, request id).
  std::vector<std::tuple<std::string, std::string, std::string>> indicators_set;
  // Known regions for CheckRegion (besides the villages of household_villages).
  std::set<std::string> regions;
  // Households for HouseholdsInRegion (their village is household_villages').
  std::map<std::string, common::HouseholdRecord> households;
  // Exit status by (region, year) and standards by (year, province); absent is NOT_FOUND.
  std::map<std::pair<std::string, int32_t>, personnel::v1::ExitStatus> exit_statuses;
  std::map<std::pair<int32_t, std::string>, personnel::v1::PovertyStandard> standards;
  // Every ReverseExit that went through: (household id, reference, request id). A
  // request id seen before replays; an unknown or non-exited household is refused.
  std::vector<std::tuple<std::string, std::string, std::string>> reversals;
  // When not OK, ReverseExit of this household answers it.
  std::string reverse_fail_household;
  absl::Status reverse_fail;
  // When not OK, every call answers it (personnel unreachable, ...).
  absl::Status fail;

  absl::Status CheckVillage(const std::string& code) override;
  absl::StatusOr<std::string> HouseholdVillage(const std::string& household_id) override;
  absl::StatusOr<std::string> CadreRegion(const std::string& cadre_id) override;
  absl::Status SetIndicator(const std::string& household_id, const std::string& indicator,
                            const std::string& request_id) override;
  absl::StatusOr<std::vector<std::string>> RegisteredHouseholds(
      const std::string& region_code) override;
  absl::Status CheckRegion(const std::string& code) override;
  absl::StatusOr<std::vector<common::HouseholdRecord>> HouseholdsInRegion(
      const std::string& region_code) override;
  absl::StatusOr<personnel::v1::ExitStatus> ExitStatus(const std::string& region_code,
                                                       int32_t year) override;
  absl::StatusOr<personnel::v1::PovertyStandard> PovertyStandard(
      int32_t year, const std::string& province_code) override;
  absl::StatusOr<personnel::v1::Household> ReverseExit(const std::string& household_id,
                                                       const std::string& reference,
                                                       const std::string& request_id) override;

  // Adds a household to `households` and `household_villages`.
  void AddHousehold(const std::string& id, const std::string& village,
                    personnel::v1::HouseholdStatus status, int32_t members);
};

// Task tracking as other services see it: task id -> village.
class FakeTaskLookup final : public common::TaskLookup {
 public:
  std::map<std::string, std::string> villages;
  absl::Status fail;

  absl::StatusOr<std::string> TaskVillage(const std::string& task_id) override;
};

}  // namespace tuopin::testing
