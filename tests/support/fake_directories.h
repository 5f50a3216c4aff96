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
  // When not OK, every call answers it (personnel unreachable, ...).
  absl::Status fail;

  absl::Status CheckVillage(const std::string& code) override;
  absl::StatusOr<std::string> HouseholdVillage(const std::string& household_id) override;
  absl::StatusOr<std::string> CadreRegion(const std::string& cadre_id) override;
  absl::Status SetIndicator(const std::string& household_id, const std::string& indicator,
                            const std::string& request_id) override;
  absl::StatusOr<std::vector<std::string>> RegisteredHouseholds(
      const std::string& region_code) override;
};

// Task tracking as other services see it: task id -> village.
class FakeTaskLookup final : public common::TaskLookup {
 public:
  std::map<std::string, std::string> villages;
  absl::Status fail;

  absl::StatusOr<std::string> TaskVillage(const std::string& task_id) override;
};

}  // namespace tuopin::testing
