// PersonnelLogic::ImportHouseholds: a page of a register file decided row by row. One
// pure decision (DecidePage) serves the dry run (over an unlocked read) and the apply (over
// the rows locked in the transaction), so a dry run reports exactly what an apply of the
// same page against the same register would do.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/db.h"
#include "common/status.h"
#include "common/validate.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/personnel/household_rows.h"
#include "services/personnel/personnel_logic.h"
#include "services/personnel/personnel_validate.h"

namespace tuopin::personnel {
namespace {

using RegionLookup = PageVillages::Lookup;

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

void CheckRow(const Principal& p, const v1::Household& row, v1::ImportRowResult& r) {
  CheckHouseholdRow(p, row, [&](std::string field, std::string description) {
    Refuse(r, std::move(field), std::move(description));
  });
}

// Decides every row of the page against the stored households with its numbers.
// `new_id` names a created household ("" for a dry run).
absl::Status DecidePage(const Principal& p, const v1::ImportHouseholdsRequest& req,
                        const std::vector<v1::Household>& stored, const RegionLookup& region,
                        const std::function<std::string()>& new_id, absl::Time now,
                        v1::ImportHouseholdsResponse& resp, PageWrites& writes) {
  std::map<std::string, const v1::Household*> by_number;
  for (const auto& h : stored) by_number[h.national_household_number()] = &h;
  PageVillages villages(region);
  std::set<std::string> seen;
  for (int i = 0; i < req.rows_size(); ++i) {
    const v1::Household& row = req.rows(i);
    v1::ImportRowResult& r = *resp.add_results();
    r.set_row_number(req.first_row_number() + i);
    r.set_national_household_number(row.national_household_number());
    CheckRow(p, row, r);
    if (!row.national_household_number().empty() &&
        !seen.insert(row.national_household_number()).second) {
      Refuse(r, "national_household_number", kNumberRepeated);
    }
    if (Refused(r)) continue;
    TUOPIN_ASSIGN_OR_RETURN(std::string village_refusal, villages.Refusal(row.village_code()));
    if (!village_refusal.empty()) {
      Refuse(r, "village_code", village_refusal);
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
      Refuse(r, "national_household_number", kNumberInAnotherVillage);
      continue;
    }
    if (row.has_prior_exit() && !google::protobuf::util::MessageDifferencer::Equals(
                                    row.prior_exit(), current.prior_exit())) {
      Refuse(r, "prior_exit", "is set at creation only");
      continue;
    }
    r.set_household_id(current.id());
    v1::Household next = PatchedHousehold(current, row);
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
  CountOutcomes(resp);
  return absl::OkStatus();
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
        // The page's villages first, in code order, then its households: the order
        // MergeVillages and SplitVillage lock them in, so the two never wait for each other.
        std::map<std::string, std::optional<v1::Region>> villages;
        for (const auto& row : req.rows()) {
          if (!row.village_code().empty()) villages[row.village_code()];
        }
        for (auto& [code, region] : villages) region = tx.GetRegion(code);
        std::vector<v1::Household> stored = tx.LockHouseholdsByNumber(NumbersOf(req));
        PageWrites writes;
        TUOPIN_RETURN_IF_ERROR(DecidePage(
            ctx.principal, req, stored,
            [&](const std::string& code) -> absl::StatusOr<std::optional<v1::Region>> {
              auto it = villages.find(code);
              if (it != villages.end()) return it->second;
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
