#include "services/personnel/coverage_store.h"

#include "common/region_code.h"

namespace tuopin::personnel {

void CoverageCounts::Add(const VillageCoverage& v) {
  ++villages;
  registered_poor += v.registered_poor;
  unpaired_poor += v.unpaired_poor;
  without_first_secretary += v.first_secretary ? 0 : 1;
  cadres_over_limit += v.cadres_over_limit;
  home_village_postings += v.home_village_postings;
  stale_cadres += v.stale_cadres;
}

void CoverageCounts::SetOn(v1::Coverage& c) const {
  c.set_villages(static_cast<int32_t>(villages));
  c.set_registered_poor_households(static_cast<int32_t>(registered_poor));
  c.set_households_without_cadre_count(static_cast<int32_t>(unpaired_poor));
  c.set_villages_without_first_secretary_count(static_cast<int32_t>(without_first_secretary));
  c.set_cadres_over_pairing_limit_count(static_cast<int32_t>(cadres_over_limit));
  c.set_home_village_postings_count(static_cast<int32_t>(home_village_postings));
  c.set_cadres_without_recent_check_in_count(static_cast<int32_t>(stale_cadres));
}

std::map<std::string, CoverageCounts> RollUpCoverage(
    const std::map<std::string, VillageCoverage>& villages) {
  std::map<std::string, CoverageCounts> out;
  for (const auto& [code, v] : villages) {
    for (int level = common::kProvinceLevel; level <= common::kVillageLevel; ++level) {
      size_t len = common::RegionCodeLength(level);
      if (code.size() >= len) out[code.substr(0, len)].Add(v);
    }
  }
  return out;
}

}  // namespace tuopin::personnel
