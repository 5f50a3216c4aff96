#include "services/personnel/exit_criteria_logic.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/exit_criteria.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/personnel/personnel_logic.h"

namespace tuopin::personnel {
namespace {

using common::Entity;
using common::RequireRegionCode;
using tuopin::common::v1::Criterion;

void AddCount(v1::RegisterCounts& c, const VillageStatusCount& row) {
  switch (row.status) {
    case v1::HOUSEHOLD_STATUS_REGISTERED_POOR:
      c.set_registered_poor_people(c.registered_poor_people() + row.people);
      c.set_registered_poor_households(c.registered_poor_households() + row.households);
      break;
    case v1::HOUSEHOLD_STATUS_LIFTED_OUT:
      c.set_lifted_out_people(c.lifted_out_people() + row.people);
      c.set_lifted_out_households(c.lifted_out_households() + row.households);
      break;
    case v1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN:
      c.set_at_risk_people(c.at_risk_people() + row.people);
      c.set_at_risk_households(c.at_risk_households() + row.households);
      break;
    case v1::HOUSEHOLD_STATUS_NOT_POOR:
      c.set_not_poor_people(c.not_poor_people() + row.people);
      c.set_not_poor_households(c.not_poor_households() + row.households);
      break;
    default:
      break;
  }
}

bool AllPass(const std::vector<Criterion>& criteria) {
  return std::all_of(criteria.begin(), criteria.end(), [](const Criterion& c) { return c.pass(); });
}

}  // namespace

std::string PovertyStandardId(int32_t year, const std::string& province_code) {
  return absl::StrCat(year, "-", province_code);
}

std::vector<Criterion> VillageExitCriteria(const v1::RegisterCounts& counts,
                                           const v1::VillageProfile* profile,
                                           const v1::PovertyStandard& standard) {
  std::vector<Criterion> out;
  out.push_back(common::RatioCriterion("poverty_incidence", counts.registered_poor_people(),
                                       profile != nullptr ? profile->rural_population() : 0,
                                       Criterion::COMPARISON_AT_MOST,
                                       standard.village_incidence_max_bp()));
  // Every field of VillageServices is a criterion: a service added to the contract is
  // judged without a change here.
  const v1::VillageServices& services =
      profile != nullptr ? profile->services() : v1::VillageServices::default_instance();
  const auto* descriptor = services.GetDescriptor();
  const auto* reflection = services.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    out.push_back(
        common::YesNoCriterion(absl::StrCat("services.", field->name()),
                               profile != nullptr && reflection->GetBool(services, field)));
  }
  return out;
}

v1::ExitStatus BuildExitStatus(const v1::Region& region, int32_t year,
                               const v1::PovertyStandard& standard, const RegionRegister& reg) {
  v1::ExitStatus out;
  out.set_region_code(region.code());
  out.set_year(year);
  *out.mutable_standard() = standard;
  std::map<std::string, v1::RegisterCounts> by_village;
  for (const VillageStatusCount& row : reg.counts) {
    AddCount(by_village[row.village_code], row);
    AddCount(*out.mutable_counts(), row);
  }
  std::map<std::string, const v1::VillageProfile*> profiles;
  int64_t rural_population = 0;
  for (const v1::VillageProfile& p : reg.profiles) {
    profiles[p.village_code()] = &p;
    rural_population += p.rural_population();
  }
  out.set_rural_population(rural_population);
  auto profile_of = [&](const std::string& village) -> const v1::VillageProfile* {
    auto it = profiles.find(village);
    return it == profiles.end() ? nullptr : it->second;
  };

  if (region.level() == v1::REGION_LEVEL_VILLAGE) {
    std::vector<Criterion> criteria =
        VillageExitCriteria(out.counts(), profile_of(region.code()), standard);
    out.set_meets_exit_criteria(AllPass(criteria));
    for (auto& c : criteria) *out.add_criteria() = std::move(c);
    return out;
  }

  // A township or county: the register's incidence; the assessment adds the rest of the
  // county's gate.
  *out.add_criteria() = common::RatioCriterion(
      "poverty_incidence", out.counts().registered_poor_people(), rural_population,
      Criterion::COMPARISON_AT_MOST, standard.county_incidence_max_bp());
  out.set_meets_exit_criteria(out.criteria(0).pass());
  for (const std::string& village : reg.villages) {
    const v1::VillageProfile* profile = profile_of(village);
    v1::VillageExitFigures& figures = *out.add_villages();
    figures.set_village_code(village);
    if (auto it = by_village.find(village); it != by_village.end()) {
      *figures.mutable_counts() = it->second;
    }
    figures.set_rural_population(profile != nullptr ? profile->rural_population() : 0);
    figures.set_meets_exit_criteria(
        AllPass(VillageExitCriteria(figures.counts(), profile, standard)));
    if (figures.meets_exit_criteria()) {
      out.set_villages_meeting_criteria(out.villages_meeting_criteria() + 1);
    }
    if (profile == nullptr) out.add_villages_without_profile(village);
  }
  return out;
}

absl::Status ExitCriteriaLogic::SetPovertyStandard(const MutationContext& ctx,
                                                   const v1::SetPovertyStandardRequest& req,
                                                   v1::PovertyStandard& out) {
  const v1::PovertyStandard& s = req.standard();
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(ctx.principal, s.province_code()));
  TUOPIN_ASSIGN_OR_RETURN(auto province, store_.GetRegion(s.province_code()));
  if (!province.has_value() || province->level() != v1::REGION_LEVEL_PROVINCE) {
    return common::InvalidField("standard.province_code", "is not an imported province");
  }
  return store_.Mutate(
      ctx, out, [&](ExitCriteriaTx& tx, v1::PovertyStandard& stored) -> absl::StatusOr<EntityRefs> {
        stored = s;
        *stored.mutable_update_time() = common::ToTimestamp(ctx.now);
        tx.PutStandard(stored);
        return EntityRefs{Entity("poverty_standard", PovertyStandardId(s.year(), s.province_code()),
                                 s.province_code())};
      });
}

absl::Status ExitCriteriaLogic::GetPovertyStandard(const common::Principal&,
                                                   const v1::GetPovertyStandardRequest& req,
                                                   v1::PovertyStandard& out) {
  // Standards are reference data, like regions: any caller with a role reads any province.
  TUOPIN_ASSIGN_OR_RETURN(auto standard, store_.GetStandard(req.year(), req.province_code()));
  if (!standard.has_value()) {
    return common::NotFound("poverty standard", PovertyStandardId(req.year(), req.province_code()));
  }
  out = *std::move(standard);
  return absl::OkStatus();
}

absl::Status ExitCriteriaLogic::SetVillageProfile(const MutationContext& ctx,
                                                  const v1::SetVillageProfileRequest& req,
                                                  v1::VillageProfile& out) {
  const v1::VillageProfile& profile = req.profile();
  const std::string& village = profile.village_code();
  // The profile is the denominator of the village's (and county's) poverty incidence: it is
  // set from above the county (the statistics system), never by the county it judges.
  // Checked before the village's existence, so a county learns nothing from the refusal.
  TUOPIN_RETURN_IF_ERROR(
      common::RequireScopeAboveCounty(ctx.principal, village, absl::StrCat("regions/", village)));
  TUOPIN_ASSIGN_OR_RETURN(auto region, store_.GetRegion(village));
  if (!region.has_value() || region->level() != v1::REGION_LEVEL_VILLAGE) {
    // A village that was never imported lies in no region: refused as out of scope, like
    // every missing object of personnel, to anyone but an every-region principal.
    return common::MissingObject(
        ctx.principal, absl::StrCat("regions/", village),
        common::InvalidField("profile.village_code", "is not an imported village"));
  }
  // A merged or split village's profile stays as it was (the village it joined is read).
  TUOPIN_RETURN_IF_ERROR(RequireCurrentVillage(region, "profile.village_code"));
  // The register's people of the village (every status) are part of its rural population.
  TUOPIN_ASSIGN_OR_RETURN(RegionRegister reg, store_.GetRegionRegister(village, 1));
  int64_t registered = 0;
  for (const VillageStatusCount& row : reg.counts) registered += row.people;
  if (profile.rural_population() < registered) {
    return common::InvalidField(
        "profile.rural_population",
        absl::StrCat("is below the ", registered, " people the register holds in the village"));
  }
  return store_.Mutate(
      ctx, out, [&](ExitCriteriaTx& tx, v1::VillageProfile& stored) -> absl::StatusOr<EntityRefs> {
        stored = profile;
        *stored.mutable_update_time() = common::ToTimestamp(ctx.now);
        tx.PutVillageProfile(stored);
        return EntityRefs{Entity("village_profile", village, village)};
      });
}

absl::Status ExitCriteriaLogic::GetExitStatus(const common::Principal& p,
                                              const v1::GetExitStatusRequest& req,
                                              v1::ExitStatus& out) {
  const std::string& code = req.region_code();
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, code));
  TUOPIN_ASSIGN_OR_RETURN(auto region, store_.GetRegion(code));
  // Regions are public reference data: a missing one is NOT_FOUND to whoever may ask.
  if (!region.has_value()) return common::NotFound("region", code);
  const std::string province = code.substr(0, 2);
  TUOPIN_ASSIGN_OR_RETURN(auto standard, store_.GetStandard(req.year(), province));
  if (!standard.has_value()) {
    return common::WithReason(
        absl::FailedPreconditionError(
            absl::StrCat("no poverty standard is set for ", req.year(), " in province ", province)),
        common::ErrorReason::NO_POVERTY_STANDARD);
  }
  TUOPIN_ASSIGN_OR_RETURN(RegionRegister reg, store_.GetRegionRegister(code, config_.max_villages));
  out = BuildExitStatus(*region, req.year(), *standard, reg);
  return absl::OkStatus();
}

}  // namespace tuopin::personnel
