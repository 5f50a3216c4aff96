// Regions with validity dates: the check of every write into a village (it must still be in
// the tree), and the county's decisions that change the tree, MergeVillages and
// SplitVillage. A decision runs in one transaction: it locks the villages it names (in code
// order, so two decisions never wait on each other in a cycle), refuses while a village is
// in use, refuses a decision moving more than kMaxHouseholdsMoved households (counted before
// any is read), moves every household (each move a new version of the household) and its
// active pairing, and dates the villages. Rows are never deleted: an as_of read finds the
// tree of its time, and a code once in the tree is never given again.

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/region_code.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/personnel/personnel_logic.h"
#include "services/personnel/personnel_validate.h"

namespace tuopin::personnel {
namespace {

using common::Entity;
using common::ErrorReason;
using common::RequireRegionCode;

// A status of `code` and `reason` naming `field` as InvalidField does.
absl::Status NamedError(absl::StatusCode code, absl::string_view field,
                        absl::string_view description, ErrorReason reason) {
  absl::Status named = common::InvalidField(field, description);
  absl::Status out(code, named.message());
  named.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return common::WithReason(out, reason);
}

std::string TownshipOf(const std::string& village_code) { return village_code.substr(0, 9); }

std::string RetiredDescription(const v1::Region& r) {
  std::string why =
      absl::StrCat("village ", r.code(), " left the tree at ",
                   absl::FormatTime(absl::RFC3339_sec, common::FromTimestamp(r.valid_to()),
                                    absl::UTCTimeZone()));
  if (!r.successor_code().empty()) absl::StrAppend(&why, ", merged into ", r.successor_code());
  if (!r.change_reference().empty()) absl::StrAppend(&why, " (", r.change_reference(), ")");
  return why;
}

// Locks the regions named, in code order; a code not stored maps to nullopt.
std::map<std::string, std::optional<v1::Region>> LockInOrder(PersonnelTx& tx,
                                                             const std::set<std::string>& codes) {
  std::map<std::string, std::optional<v1::Region>> out;
  for (const auto& code : codes) out[code] = tx.LockRegion(code);
  return out;
}

// A village that leaves the tree takes nothing with it that is still running there.
absl::Status RequireNotInUse(PersonnelTx& tx, const std::string& code, const std::string& field) {
  if (tx.HasActivePosting(code)) {
    return FieldPrecondition(
        field, absl::StrCat("village ", code, " has an active posting: end or move it first"),
        ErrorReason::VILLAGE_IN_USE);
  }
  if (tx.HasOpenExitApplication(code)) {
    return FieldPrecondition(
        field,
        absl::StrCat("village ", code,
                     " has an exit application in progress: finish or withdraw it first"),
        ErrorReason::VILLAGE_IN_USE);
  }
  return absl::OkStatus();
}

// Refuses a decision that would move more than kMaxHouseholdsMoved households, before any
// household is read or locked.
absl::Status RequireBounded(int64_t households, const std::string& field) {
  if (households <= kMaxHouseholdsMoved) return absl::OkStatus();
  return FieldPrecondition(
      field,
      absl::StrCat("would move ", households, " households, more than the ", kMaxHouseholdsMoved,
                   " one decision moves: decide it in parts"),
      ErrorReason::VILLAGE_IN_USE);
}

// Moves a household (locked) to `village`: a new version, and its active pairing follows.
absl::Status Move(PersonnelTx& tx, v1::Household h, const std::string& village, absl::Time now) {
  TUOPIN_ASSIGN_OR_RETURN(int64_t version, common::NextVersion("", h.etag(), "household"));
  h.set_village_code(village);
  h.set_etag(common::EtagOf(version));
  *h.mutable_update_time() = common::ToTimestamp(now);
  tx.MoveHousehold(h, version);
  tx.MoveActivePairing(h.id(), village);
  return absl::OkStatus();
}

// The request's rules that need no stored data: the villages of one township, none named
// twice, `into_code` not among them.
absl::Status CheckMergeRequest(const v1::MergeVillagesRequest& req) {
  common::FieldViolations v;
  std::set<std::string> seen;
  for (int i = 0; i < req.village_codes_size(); ++i) {
    const std::string& code = req.village_codes(i);
    std::string field = absl::StrCat("village_codes[", i, "]");
    if (code == req.into_code()) {
      v.Add(field, "is into_code: a village is not merged into itself");
    } else if (!seen.insert(code).second) {
      v.Add(field, "is named twice");
    } else if (TownshipOf(code) != TownshipOf(req.into_code())) {
      v.Add(field, absl::StrCat("is not in township ", TownshipOf(req.into_code()),
                                " of into_code: villages merge within their township"));
    }
  }
  return v.ToStatus();
}

absl::Status CheckSplitRequest(const v1::SplitVillageRequest& req,
                               std::set<std::string>& new_codes) {
  common::FieldViolations v;
  for (int i = 0; i < req.new_villages_size(); ++i) {
    const v1::Region& r = req.new_villages(i);
    std::string field = absl::StrCat("new_villages[", i, "]");
    if (r.code().size() != common::kVillageCodeLength ||
        TownshipOf(r.code()) != TownshipOf(req.village_code())) {
      v.Add(absl::StrCat(field, ".code"),
            absl::StrCat("must be a 12-digit village code of township ",
                         TownshipOf(req.village_code()), ", the split village's"));
    } else if (absl::EndsWith(r.code(), "000")) {
      v.Add(absl::StrCat(field, ".code"),
            "ends in 000, the statistical code's township form: a village's does not");
    } else if (r.code() == req.village_code() || !new_codes.insert(r.code()).second) {
      v.Add(absl::StrCat(field, ".code"), "is not a new code (named twice, or the split village)");
    }
    if (r.name().empty()) v.Add(absl::StrCat(field, ".name"), "is required");
  }
  std::set<std::string> assigned;
  for (int i = 0; i < req.assignments_size(); ++i) {
    const v1::HouseholdAssignment& a = req.assignments(i);
    if (!assigned.insert(a.household_id()).second) {
      v.Add(absl::StrCat("assignments[", i, "].household_id"),
            "is assigned twice: every household is assigned exactly once");
    }
    if (!new_codes.count(a.village_code())) {
      v.Add(absl::StrCat("assignments[", i, "].village_code"), "is not one of new_villages");
    }
  }
  if (!req.remaining_village_code().empty() && !new_codes.count(req.remaining_village_code())) {
    v.Add("remaining_village_code", "is not one of new_villages");
  }
  return v.ToStatus();
}

}  // namespace

const int64_t kMaxHouseholdsMoved = 10000;

absl::Status Validate(const v1::MergeVillagesRequest& r) { return CheckMergeRequest(r); }
absl::Status Validate(const v1::SplitVillageRequest& r) {
  std::set<std::string> new_codes;
  return CheckSplitRequest(r, new_codes);
}

std::string VillageRefusal(const std::optional<v1::Region>& region) {
  if (!region.has_value() || region->level() != v1::REGION_LEVEL_VILLAGE) {
    return "is not an imported village";
  }
  if (region->has_valid_to()) return RetiredDescription(*region);
  return "";
}

absl::Status FieldPrecondition(absl::string_view field, absl::string_view description,
                               common::ErrorReason reason) {
  return NamedError(absl::StatusCode::kFailedPrecondition, field, description, reason);
}

absl::Status RequireCurrentVillage(const std::optional<v1::Region>& region,
                                   absl::string_view field) {
  std::string why = VillageRefusal(region);
  if (why.empty()) return absl::OkStatus();
  if (region.has_value() && region->has_valid_to()) {
    return FieldPrecondition(field, why, ErrorReason::REGION_RETIRED);
  }
  return common::InvalidField(field, why);
}

absl::Status PersonnelLogic::MergeVillages(const MutationContext& ctx,
                                           const v1::MergeVillagesRequest& req,
                                           v1::MergeVillagesResponse& out) {
  for (const auto& code : req.village_codes()) {
    TUOPIN_RETURN_IF_ERROR(RequireRegionCode(ctx.principal, code));
  }
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(ctx.principal, req.into_code()));
  TUOPIN_RETURN_IF_ERROR(CheckMergeRequest(req));
  return store_.Mutate(
      ctx, out,
      [&](PersonnelTx& tx, v1::MergeVillagesResponse& resp) -> absl::StatusOr<EntityRefs> {
        resp.Clear();
        std::set<std::string> codes(req.village_codes().begin(), req.village_codes().end());
        codes.insert(req.into_code());
        auto locked = LockInOrder(tx, codes);
        const std::optional<v1::Region>& into = locked[req.into_code()];
        TUOPIN_RETURN_IF_ERROR(RequireCurrentVillage(into, "into_code"));
        for (int i = 0; i < req.village_codes_size(); ++i) {
          std::string field = absl::StrCat("village_codes[", i, "]");
          TUOPIN_RETURN_IF_ERROR(RequireCurrentVillage(locked[req.village_codes(i)], field));
          TUOPIN_RETURN_IF_ERROR(RequireNotInUse(tx, req.village_codes(i), field));
        }
        int64_t to_move = 0;
        for (const auto& code : req.village_codes()) to_move += tx.CountHouseholdsOfVillage(code);
        TUOPIN_RETURN_IF_ERROR(RequireBounded(to_move, "village_codes"));
        EntityRefs refs;
        int moved = 0;
        for (const auto& code : req.village_codes()) {
          for (v1::Household& h : tx.LockHouseholdsOfVillage(code)) {
            TUOPIN_RETURN_IF_ERROR(Move(tx, std::move(h), req.into_code(), ctx.now));
            ++moved;
          }
          v1::Region r = *locked[code];
          *r.mutable_valid_to() = common::ToTimestamp(ctx.now);
          r.set_successor_code(req.into_code());
          r.set_change_reference(req.decision_reference());
          tx.RetireRegion(r);
          *resp.add_merged() = r;
          refs.push_back(Entity("region", code, code));
        }
        *resp.mutable_into() = *into;
        resp.set_households_moved(moved);
        refs.push_back(Entity("region", req.into_code(), req.into_code()));
        return refs;
      });
}

absl::Status PersonnelLogic::SplitVillage(const MutationContext& ctx,
                                          const v1::SplitVillageRequest& req,
                                          v1::SplitVillageResponse& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(ctx.principal, req.village_code()));
  for (const auto& r : req.new_villages()) {
    TUOPIN_RETURN_IF_ERROR(RequireRegionCode(ctx.principal, r.code()));
  }
  std::set<std::string> new_codes;
  TUOPIN_RETURN_IF_ERROR(CheckSplitRequest(req, new_codes));
  return store_.Mutate(
      ctx, out, [&](PersonnelTx& tx, v1::SplitVillageResponse& resp) -> absl::StatusOr<EntityRefs> {
        resp.Clear();
        std::set<std::string> codes = new_codes;
        codes.insert(req.village_code());
        auto locked = LockInOrder(tx, codes);
        TUOPIN_RETURN_IF_ERROR(RequireCurrentVillage(locked[req.village_code()], "village_code"));
        for (int i = 0; i < req.new_villages_size(); ++i) {
          if (locked[req.new_villages(i).code()].has_value()) {
            return NamedError(absl::StatusCode::kAlreadyExists,
                              absl::StrCat("new_villages[", i, "].code"),
                              "was in the tree before: a split's villages take new codes",
                              ErrorReason::REGION_CODE_TAKEN);
          }
        }
        TUOPIN_RETURN_IF_ERROR(RequireNotInUse(tx, req.village_code(), "village_code"));
        TUOPIN_RETURN_IF_ERROR(
            RequireBounded(tx.CountHouseholdsOfVillage(req.village_code()), "village_code"));
        std::vector<v1::Household> households = tx.LockHouseholdsOfVillage(req.village_code());
        std::map<std::string, std::string> target;
        for (const auto& a : req.assignments()) target[a.household_id()] = a.village_code();
        std::set<std::string> present;
        for (const auto& h : households) present.insert(h.id());
        for (int i = 0; i < req.assignments_size(); ++i) {
          if (!present.count(req.assignments(i).household_id())) {
            return common::InvalidField(
                absl::StrCat("assignments[", i, "].household_id"),
                absl::StrCat("is not a household of village ", req.village_code()));
          }
        }
        std::vector<std::string> unassigned;
        for (const auto& h : households) {
          if (target.count(h.id())) continue;
          if (req.remaining_village_code().empty()) {
            unassigned.push_back(h.id());
          } else {
            target[h.id()] = req.remaining_village_code();
          }
        }
        if (!unassigned.empty()) {
          // A few ids, not thousands, so the refusal stays a readable message.
          constexpr size_t kNamed = 10;
          std::string named = absl::StrJoin(
              unassigned.begin(), unassigned.begin() + std::min(unassigned.size(), kNamed), ", ");
          if (unassigned.size() > kNamed) {
            absl::StrAppend(&named, " and ", unassigned.size() - kNamed, " more");
          }
          return common::InvalidField(
              "assignments",
              absl::StrCat("every household of the village is assigned exactly once (or goes to "
                           "remaining_village_code); not assigned: ",
                           named));
        }
        EntityRefs refs{Entity("region", req.village_code(), req.village_code())};
        for (const auto& n : req.new_villages()) {
          v1::Region r;
          r.set_code(n.code());
          r.set_name(n.name());
          r.set_level(v1::REGION_LEVEL_VILLAGE);
          r.set_parent_code(TownshipOf(n.code()));
          *r.mutable_valid_from() = common::ToTimestamp(ctx.now);
          r.set_predecessor_code(req.village_code());
          r.set_change_reference(req.decision_reference());
          tx.InsertRegion(r);
          *resp.add_new_villages() = r;
          refs.push_back(Entity("region", r.code(), r.code()));
        }
        for (v1::Household& h : households) {
          std::string village = target[h.id()];
          TUOPIN_RETURN_IF_ERROR(Move(tx, std::move(h), village, ctx.now));
        }
        v1::Region split = *locked[req.village_code()];
        *split.mutable_valid_to() = common::ToTimestamp(ctx.now);
        split.set_change_reference(req.decision_reference());
        tx.RetireRegion(split);
        *resp.mutable_split() = split;
        resp.set_households_moved(static_cast<int32_t>(households.size()));
        return refs;
      });
}

}  // namespace tuopin::personnel
