#pragma once
// The administrative region code (GB/T 2260 extended by the statistical township and
// village digits): the one place that knows how a code's length says its level and how a
// code names its parent. Codes are digits only; [code, RegionRangeEnd(code)) (db.h) is
// the subtree of a region.

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace tuopin::common {

// Levels numbered as tuopin.personnel.v1.RegionLevel: 1 province (2 digits), 2 prefecture
// (4), 3 county (6), 4 township (9), 5 village (12); 0 for any other length.
inline constexpr int kProvinceLevel = 1;
inline constexpr int kVillageLevel = 5;
inline constexpr size_t kVillageCodeLength = 12;

int RegionLevelOf(absl::string_view code);
// The code's length at `level` (1-5); 0 for any other level.
size_t RegionCodeLength(int level);
// "520221104001" -> "520221104"; "" for a province or a code of no level.
std::string ParentRegionCode(absl::string_view code);
// The length of the codes one level below a code of `length` digits; a village's
// children are villages (the lowest level is its own breakdown).
size_t ChildCodeLength(size_t length);
// Twelve digits: the level households, postings and tasks are attached to.
bool IsVillageCode(absl::string_view code);

}  // namespace tuopin::common
