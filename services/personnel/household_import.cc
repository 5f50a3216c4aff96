// PersonnelLogic::ImportHouseholds: a page of a register file decided row by row. One
// pure decision (DecidePage) serves the dry run (over an unlocked read) and the apply (over
// the rows locked in the transaction), so a dry run reports exactly what an apply of the
// same page against the same register would do.

#include <functional>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/db.h"
#include "common/field_limits.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/personnel/personnel_logic.h"
#include "services/personnel/personnel_validate.h"

namespace tuopin::personnel {
namespace {

using RegionLookup =
    std::function<absl::StatusOr<std::optional<v1::Region>>(const std::string& code)>;

// What a page writes: new households, and updated ones with the version they get.
struct PageWrites {
  std::vector<v1::Household> creates;
  std::vector<std::pair<v1::Household, int64_t>> updates;
};

void Refuse(v1::ImportRowResult& r, std::string field, std::string description) {
  r.set_outcome(v1::IMPORT_OUTCOME_REFUSED);
  r.clear_household_id();
  v1::ImportViolation& v = *r.add_violations();
  v.set_field(std::move(field));
  v.set_description(std::move(description));
}

bool Refused(const v1::ImportRowResult& r) { return r.outcome() == v1::IMPORT_OUTCOME_REFUSED; }

// The rules of one row on its own: its key, its people, the caller's scope.
void CheckRow(const Principal& p, const v1::Household& row, v1::ImportRowResult& r) {
  if (row.national_household_number().empty()) {
    Refuse(r, "national_household_number", "is required: it is the import's key");
  }
  // The contract's limits of a household, for this row alone; then the rules across its
  // fields (people) when the limits hold.
  common::FieldViolations limits;
  common::CheckLimits(row, limits);
  for (const auto& [field, why] : limits.violations()) {
    Refuse(r, std::string(absl::StripPrefix(field, ".")), why);
  }
  if (limits.violations().empty()) {
    common::FieldViolations people;
    ValidateHouseholdPeople(row, "", people);
    for (const auto& [field, why] : people.violations()) {
      Refuse(r, std::string(absl::StripPrefix(field, ".")), why);
    }
  }
  // The same words for another county's village whether or not it exists.
  if (!common::RequireRegionCode(p, row.village_code()).ok()) {
    Refuse(r, "village_code", "is outside the caller's region scope (or might not exist)");
  }
}

// The stored household `current` with the row's mutable fields and members.
v1::Household Patched(const v1::Household& current, const v1::Household& row) {
  v1::Household next = current;
  next.set_head_name(row.head_name());
  next.set_member_count(row.member_count());
  next.set_status(row.status());
  *next.mutable_indicators() = row.indicators();
  next.set_income_per_head_fen(row.income_per_head_fen());
  *next.mutable_members() = row.members();
  return next;
}

bool SameHousehold(v1::Household a, v1::Household b) {
  // An unset Indicators reads as all false, as the store keeps it.
  a.mutable_indicators();
  b.mutable_indicators();
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// Decides every row of the page against the stored households with its numbers.
// `new_id` names a created household ("" for a dry run).
absl::Status DecidePage(const Principal& p, const v1::ImportHouseholdsRequest& req,
                        const std::vector<v1::Household>& stored, const RegionLookup& region,
                        const std::function<std::string()>& new_id, absl::Time now,
                        v1::ImportHouseholdsResponse& resp, PageWrites& writes) {
  std::map<std::string, const v1::Household*> by_number;
  for (const auto& h : stored) by_number[h.national_household_number()] = &h;
  std::map<std::string, bool> village_ok;
  std::set<std::string> seen;
  for (int i = 0; i < req.rows_size(); ++i) {
    const v1::Household& row = req.rows(i);
    v1::ImportRowResult& r = *resp.add_results();
    r.set_row_number(req.first_row_number() + i);
    r.set_national_household_number(row.national_household_number());
    CheckRow(p, row, r);
    if (!row.national_household_number().empty() &&
        !seen.insert(row.national_household_number()).second) {
      Refuse(r, "national_household_number", "is repeated: an earlier row of this page has it");
    }
    if (Refused(r)) continue;
    auto known = village_ok.find(row.village_code());
    if (known == village_ok.end()) {
      TUOPIN_ASSIGN_OR_RETURN(auto v, region(row.village_code()));
      known =
          village_ok
              .emplace(row.village_code(), v.has_value() && v->level() == v1::REGION_LEVEL_VILLAGE)
              .first;
    }
    if (!known->second) {
      Refuse(r, "village_code", "is not an imported village");
      continue;
    }
    auto found = by_number.find(row.national_household_number());
    if (found == by_number.end()) {
      if (absl::Status s = CheckNewHouseholdStatus(p, row); !s.ok()) {
        Refuse(r, s.code() == absl::StatusCode::kInvalidArgument ? "prior_exit" : "status",
               std::string(s.message()));
        continue;
      }
      v1::Household h = row;
      h.set_id(new_id());
      h.set_etag(common::EtagOf(1));
      h.clear_exit_application_id();
      h.clear_reversal_reference();
      *h.mutable_create_time() = common::ToTimestamp(now);
      *h.mutable_update_time() = common::ToTimestamp(now);
      r.set_outcome(v1::IMPORT_OUTCOME_CREATED);
      r.set_household_id(h.id());
      writes.creates.push_back(std::move(h));
      continue;
    }
    const v1::Household& current = *found->second;
    if (current.village_code() != row.village_code()) {
      // The same words whichever village (in scope or not) holds the number.
      Refuse(r, "national_household_number",
             "is already registered to a household of another village (a household's village "
             "is set at creation only)");
      continue;
    }
    if (row.has_prior_exit() && !google::protobuf::util::MessageDifferencer::Equals(
                                    row.prior_exit(), current.prior_exit())) {
      Refuse(r, "prior_exit", "is set at creation only");
      continue;
    }
    r.set_household_id(current.id());
    v1::Household next = Patched(current, row);
    if (SameHousehold(next, current)) {
      r.set_outcome(v1::IMPORT_OUTCOME_UNCHANGED);
      continue;
    }
    if (absl::Status s = CheckStatusChange(current.status(), row.status()); !s.ok()) {
      Refuse(r, "status", std::string(s.message()));
      continue;
    }
    TUOPIN_ASSIGN_OR_RETURN(int64_t version, common::NextVersion("", current.etag(), "household"));
    next.set_etag(common::EtagOf(version));
    *next.mutable_update_time() = common::ToTimestamp(now);
    r.set_outcome(v1::IMPORT_OUTCOME_UPDATED);
    writes.updates.emplace_back(std::move(next), version);
  }
  for (const auto& r : resp.results()) {
    switch (r.outcome()) {
      case v1::IMPORT_OUTCOME_CREATED:
        resp.set_created(resp.created() + 1);
        break;
      case v1::IMPORT_OUTCOME_UPDATED:
        resp.set_updated(resp.updated() + 1);
        break;
      case v1::IMPORT_OUTCOME_UNCHANGED:
        resp.set_unchanged(resp.unchanged() + 1);
        break;
      default:
        resp.set_refused(resp.refused() + 1);
        break;
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> NumbersOf(const v1::ImportHouseholdsRequest& req) {
  std::vector<std::string> numbers;
  for (const auto& row : req.rows()) {
    if (!row.national_household_number().empty())
      numbers.push_back(row.national_household_number());
  }
  return numbers;
}

}  // namespace

absl::Status Validate(const v1::ImportHouseholdsRequest&) {
  // Every rule beyond the contract's limits is decided per row (a REFUSED row), not for
  // the whole page.
  return absl::OkStatus();
}

absl::Status PersonnelLogic::DryRunImportHouseholds(const Principal& p,
                                                    const v1::ImportHouseholdsRequest& req,
                                                    v1::ImportHouseholdsResponse& out) {
  TUOPIN_ASSIGN_OR_RETURN(std::vector<v1::Household> stored,
                          store_.FindHouseholdsByNumber(NumbersOf(req)));
  PageWrites ignored;
  return DecidePage(
      p, req, stored, [&](const std::string& code) { return store_.GetRegion(code); },
      [] { return std::string(); }, clock_.Now(), out, ignored);
}

absl::Status PersonnelLogic::ImportHouseholds(const MutationContext& ctx,
                                              const v1::ImportHouseholdsRequest& req,
                                              v1::ImportHouseholdsResponse& out) {
  return store_.Mutate(
      ctx, out,
      [&](PersonnelTx& tx, v1::ImportHouseholdsResponse& resp) -> absl::StatusOr<EntityRefs> {
        resp.Clear();
        std::vector<v1::Household> stored = tx.LockHouseholdsByNumber(NumbersOf(req));
        PageWrites writes;
        TUOPIN_RETURN_IF_ERROR(DecidePage(
            ctx.principal, req, stored,
            [&](const std::string& code) -> absl::StatusOr<std::optional<v1::Region>> {
              return tx.GetRegion(code);
            },
            [&] { return tx.NewId(); }, ctx.now, resp, writes));
        if (!writes.creates.empty() &&
            tx.InsertHouseholds(writes.creates) == Conflict::kNationalHouseholdNumber) {
          // A concurrent call registered one of the numbers: the next attempt sees it.
          return common::RetryTransaction(
              "a national household number of this page was registered meanwhile");
        }
        EntityRefs refs;
        for (const auto& h : writes.creates) {
          refs.push_back(common::Entity("household", h.id(), h.village_code()));
        }
        for (const auto& [h, version] : writes.updates) {
          tx.UpdateHousehold(h, version);
          tx.ReplaceMembers(h);
          refs.push_back(common::Entity("household", h.id(), h.village_code()));
        }
        return refs;
      });
}

}  // namespace tuopin::personnel
