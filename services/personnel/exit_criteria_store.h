#pragma once
// The store of the exit criteria (ExitCriteriaService): poverty standards by year and
// province, villages' profiles, and the register's figures of a region's subtree. Storage
// only: the rules live in exit_criteria_logic; mysql_exit_criteria_store is the only place
// with SQL. It is also where the exit procedure reads standards (PovertyStandards).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mutation.h"
#include "services/personnel/poverty_standards.h"
#include "tuopin/personnel/v1/exit.pb.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::personnel {

using common::EntityRefs;
using common::MutationContext;

// Households and people (sum of member_count) of one village with one status.
struct VillageStatusCount {
  std::string village_code;
  v1::HouseholdStatus status = v1::HOUSEHOLD_STATUS_UNSPECIFIED;
  int64_t people = 0;
  int32_t households = 0;
};

// What the exit status of a region is computed from, read in one snapshot with a fixed
// number of queries whatever the number of villages.
struct RegionRegister {
  // The imported villages of the subtree, in code order, at most the `max_villages` asked.
  std::vector<std::string> villages;
  // Grouped by (village, status), over the whole subtree.
  std::vector<VillageStatusCount> counts;
  // Every profile of the subtree, in code order.
  std::vector<v1::VillageProfile> profiles;
};

// One mutation's transaction. Writes replace the row of their key.
class ExitCriteriaTx {
 public:
  virtual ~ExitCriteriaTx() = default;
  virtual void PutStandard(const v1::PovertyStandard& standard) = 0;
  virtual void PutVillageProfile(const v1::VillageProfile& profile) = 0;
};

class ExitCriteriaStore : public PovertyStandards,
                          public common::TransactionalStore<ExitCriteriaTx> {
 public:
  // Mutations: RunMutation and Mutate (common::TransactionalStore) over an ExitCriteriaTx.

  virtual absl::StatusOr<std::optional<v1::Region>> GetRegion(const std::string& code) = 0;
  virtual absl::StatusOr<RegionRegister> GetRegionRegister(const std::string& region_code,
                                                           int max_villages) = 0;
};

}  // namespace tuopin::personnel
