#pragma once
// What ImportHouseholds and DiffHouseholds decide the same way about one row of a register
// file: the row's own rules (CheckHouseholdRow), what an import would store for it
// (PatchedHousehold) and whether that is the stored household already (SameHousehold: the
// import's UNCHANGED, the diff's SAME), and which fields make the difference.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::personnel {

// Receives one refusal of a row: the field relative to the row and why (never the value).
using RowRefusal = std::function<void(std::string field, std::string description)>;

// The refusal of a row whose village the caller may not name: the same words whether or
// not the village exists (and, for a diff, for a village outside the region compared).
inline constexpr char kVillageOutOfReach[] =
    "is outside the caller's region scope (or might not exist)";

// A row whose number a household of another village holds: the same words whichever
// village (in the caller's scope or not) holds it.
inline constexpr char kNumberInAnotherVillage[] =
    "is already registered to a household of another village (a household's village is set "
    "at creation only)";
// A number an earlier row of the same page has.
inline constexpr char kNumberRepeated[] = "is repeated: an earlier row of this page has it";

// The rules of one row on its own: its key, its people (the contract's limits, then
// ValidateHouseholdPeople), the caller's scope on its village (the same words whether or
// not the village exists).
void CheckHouseholdRow(const common::Principal& p, const v1::Household& row,
                       const RowRefusal& refuse);

// Why each village of a page takes no household ("" when it does: VillageRefusal), each
// village looked up once. kTakesRows: a village that has left the tree (merged or split) is
// no refusal, for a diff compares rows of files made before the change; an import writes
// nothing into it.
class PageVillages {
 public:
  using Lookup = std::function<absl::StatusOr<std::optional<v1::Region>>(const std::string& code)>;
  enum class Retired { kRefused, kTakesRows };
  explicit PageVillages(Lookup lookup, Retired retired = Retired::kRefused)
      : lookup_(std::move(lookup)), retired_(retired) {}
  absl::StatusOr<std::string> Refusal(const std::string& code);

 private:
  Lookup lookup_;
  Retired retired_;
  std::map<std::string, std::string> refusals_;
};

// The national numbers a page of rows (ImportHouseholdsRequest, DiffHouseholdsRequest)
// names, for one read of the stored households that have them.
template <typename Page>
std::vector<std::string> NumbersOf(const Page& page) {
  std::vector<std::string> numbers;
  for (const auto& row : page.rows()) {
    if (!row.national_household_number().empty())
      numbers.push_back(row.national_household_number());
  }
  return numbers;
}

// Sets the counts of a page's answer (ImportHouseholdsResponse, DiffHouseholdsResponse)
// from its results: each count field is named by its outcome (IMPORT_OUTCOME_CREATED:
// `created`, DIFF_OUTCOME_SAME: `same`).
void CountOutcomes(google::protobuf::Message& response);

// The stored household `current` with what an import sets from `row`: its mutable fields
// and members. The key, village, prior exit and output-only fields stay current's.
v1::Household PatchedHousehold(const v1::Household& current, const v1::Household& row);

// Whether two households are equal, an unset Indicators reading as all false (as the store
// keeps it).
bool SameHousehold(v1::Household a, v1::Household b);

// The fields an import of `row` would change in `current`, by path relative to the row
// ("status", "indicators.food", "members[1].health", "members" when the number of members
// differs), then "village_code" and "prior_exit" when the row names others (an import
// refuses those). Empty exactly when SameHousehold(PatchedHousehold(current, row), current)
// and the village and prior exit agree.
std::vector<std::string> HouseholdDifferences(const v1::Household& current,
                                              const v1::Household& row);

}  // namespace tuopin::personnel
