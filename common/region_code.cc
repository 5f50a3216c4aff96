#include "common/region_code.h"

#include "absl/strings/ascii.h"

namespace tuopin::common {
namespace {

// Digits of a code at each level, from the province down.
constexpr size_t kLengths[] = {2, 4, 6, 9, 12};
constexpr int kLevels = static_cast<int>(sizeof(kLengths) / sizeof(kLengths[0]));
static_assert(kLengths[kVillageLevel - 1] == kVillageCodeLength);

}  // namespace

int RegionLevelOf(absl::string_view code) {
  for (int i = 0; i < kLevels; ++i) {
    if (code.size() == kLengths[i]) return i + 1;
  }
  return 0;
}

size_t RegionCodeLength(int level) {
  return level >= kProvinceLevel && level <= kVillageLevel ? kLengths[level - 1] : 0;
}

std::string ParentRegionCode(absl::string_view code) {
  int level = RegionLevelOf(code);
  if (level <= kProvinceLevel) return "";
  return std::string(code.substr(0, RegionCodeLength(level - 1)));
}

size_t ChildCodeLength(size_t length) {
  for (int i = 0; i + 1 < kLevels; ++i) {
    if (length == kLengths[i]) return kLengths[i + 1];
  }
  return kVillageCodeLength;
}

bool IsVillageCode(absl::string_view code) {
  if (code.size() != kVillageCodeLength) return false;
  for (char c : code) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

}  // namespace tuopin::common
