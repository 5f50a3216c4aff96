#pragma once
// The rules of ExitCriteriaService over an ExitCriteriaStore: who may set the standards
// and profiles (region scope on every object named), and the exit status of a village,
// township or county computed from the register now. Depends only on the store interface,
// so unit tests build it with tests/support/fake_exit_criteria_store.h.

#include <vector>

#include "absl/status/status.h"
#include "common/auth.h"
#include "services/personnel/exit_criteria_store.h"
#include "tuopin/common/v1/common.pb.h"

namespace tuopin::personnel {

struct ExitCriteriaConfig {
  // Most villages an exit status lists (the contract says 5000).
  int max_villages = 5000;
};

// The id of a standard in audit events: "<year>-<province>", e.g. "2019-52".
std::string PovertyStandardId(int32_t year, const std::string& province_code);

// A village's exit criteria, in order: "poverty_incidence" (registered poor people over
// the rural population, at most village_incidence_max_bp), then "services.<name>" for each
// field of VillageServices. Without a profile the incidence fails (denominator 0) and so
// does every service.
std::vector<tuopin::common::v1::Criterion> VillageExitCriteria(const v1::RegisterCounts& counts,
                                                               const v1::VillageProfile* profile,
                                                               const v1::PovertyStandard& standard);

// The exit status of `region` from its register and the standard applied. Counts and the
// rural population cover the whole subtree; villages_meeting_criteria and
// villages_without_profile cover the villages listed (all of them up to max_villages).
v1::ExitStatus BuildExitStatus(const v1::Region& region, int32_t year,
                               const v1::PovertyStandard& standard, const RegionRegister& reg);

class ExitCriteriaLogic {
 public:
  explicit ExitCriteriaLogic(ExitCriteriaStore& store, ExitCriteriaConfig config = {})
      : store_(store), config_(config) {}

  absl::Status SetPovertyStandard(const MutationContext& ctx,
                                  const v1::SetPovertyStandardRequest& req,
                                  v1::PovertyStandard& out);
  absl::Status GetPovertyStandard(const common::Principal& p,
                                  const v1::GetPovertyStandardRequest& req,
                                  v1::PovertyStandard& out);
  absl::Status SetVillageProfile(const MutationContext& ctx,
                                 const v1::SetVillageProfileRequest& req, v1::VillageProfile& out);
  absl::Status GetExitStatus(const common::Principal& p, const v1::GetExitStatusRequest& req,
                             v1::ExitStatus& out);

 private:
  ExitCriteriaStore& store_;
  ExitCriteriaConfig config_;
};

}  // namespace tuopin::personnel
