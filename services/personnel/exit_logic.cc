#include "services/personnel/exit_logic.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/db.h"
#include "common/exit_criteria.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/personnel/personnel_logic.h"

namespace tuopin::personnel {
namespace {

using common::Entity;
using common::ErrorReason;
using common::HasRole;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;

using common::Precondition;

absl::Status Denied(absl::string_view message, ErrorReason reason) {
  return common::WithReason(
      absl::PermissionDeniedError(absl::StrCat("Permission denied: ", message)), reason);
}

std::string StageName(v1::ExitStage stage) {
  return absl::StrCat(v1::ExitStage_Name(stage).substr(sizeof("EXIT_STAGE_") - 1));
}

absl::Status IllegalTransition(const v1::ExitApplication& a, absl::string_view action) {
  return Precondition(absl::StrCat("exit application ", a.id(), " is ", StageName(a.stage()),
                                   ": it cannot be ", action),
                      ErrorReason::ILLEGAL_TRANSITION);
}

std::string ProvinceOf(const std::string& village_code) { return village_code.substr(0, 2); }

absl::Status MeetsCriteria(const v1::Household& h, const v1::PovertyStandard& standard) {
  std::string unmet = common::FirstUnmetExitCriterion(h.indicators(), h.income_per_head_fen(),
                                                      standard.poverty_line_fen());
  if (unmet.empty()) return absl::OkStatus();
  return Precondition(absl::StrCat("household ", h.id(), " does not meet the exit criterion ",
                                   unmet, " of the ", standard.year(), " standard"),
                      ErrorReason::EXIT_CRITERIA_UNMET);
}

// An approving step judges by the standard in force now, which may be newer (a higher line)
// than the one copied at the proposal; the copy stays the record of the proposal and is
// met as well.
absl::Status MeetsCriteriaNow(const v1::Household& h, const v1::ExitApplication& a,
                              const std::optional<v1::PovertyStandard>& in_force) {
  if (!in_force.has_value()) {
    return Precondition(
        absl::StrCat("no poverty standard is in force in province ", ProvinceOf(a.village_code())),
        ErrorReason::NO_POVERTY_STANDARD);
  }
  TUOPIN_RETURN_IF_ERROR(MeetsCriteria(h, *in_force));
  return MeetsCriteria(h, a.standard());
}

// Township and county steps belong to officials; a cadre takes only the village review.
absl::Status RequireOfficial(const common::Principal& p, absl::string_view step) {
  if (HasRole(p, ROLE_COUNTY_OFFICIAL) || HasRole(p, ROLE_ADMIN)) return absl::OkStatus();
  return Denied(absl::StrCat("the ", step, " is taken by a county official or an admin"),
                ErrorReason::ROLE_NOT_ALLOWED);
}

// A scope over the whole township (max_digits 9) or county (6) of the village: a code of at
// most that many digits that covers the village code (never an empty one), or "*".
bool CoversLevel(const common::Principal& p, const std::string& village_code, size_t max_digits) {
  for (const auto& scope : p.region_scopes()) {
    if (scope == "*") return true;
    if (scope.size() <= max_digits && common::RegionCovers(scope, village_code)) return true;
  }
  return false;
}

// A review (village, township, county) or the confirmation, as opposed to an objection's
// record (to OBJECTED) or resolution (from OBJECTED) and the proposal itself.
bool IsReviewStep(const v1::ExitStep& s) {
  switch (s.from_stage()) {
    case v1::EXIT_STAGE_PROPOSED:
    case v1::EXIT_STAGE_NOTICE:
    case v1::EXIT_STAGE_TOWNSHIP_REVIEWED:
    case v1::EXIT_STAGE_COUNTY_APPROVED:
      return s.to_stage() != v1::EXIT_STAGE_OBJECTED;
    default:
      return false;
  }
}

// Four eyes over the reviews: the proposer and whoever took a review or the confirmation
// take no later one. Objections' records and resolutions do not count, or every dismissed
// objection would use up an uninvolved official and could stall the application.
absl::Status RequireNoEarlierReview(const common::Principal& p, const v1::ExitApplication& a) {
  if (a.proposed_by() == p.subject()) {
    return Denied("the proposer takes no further step of his or her own proposal",
                  ErrorReason::OWN_PROPOSAL);
  }
  for (const auto& earlier : a.steps()) {
    if (IsReviewStep(earlier) && earlier.actor() == p.subject()) {
      return Denied(absl::StrCat(p.subject(), " already reviewed exit application ", a.id(),
                                 "; another person takes this step"),
                    ErrorReason::REVIEWER_INVOLVED);
    }
  }
  return absl::OkStatus();
}

// An objection is resolved by none of the reviewers so far nor whoever recorded it (the
// latest step into OBJECTED).
absl::Status RequireResolver(const common::Principal& p, const v1::ExitApplication& a) {
  TUOPIN_RETURN_IF_ERROR(RequireNoEarlierReview(p, a));
  for (auto it = a.steps().rbegin(); it != a.steps().rend(); ++it) {
    if (it->to_stage() != v1::EXIT_STAGE_OBJECTED) continue;
    if (it->actor() == p.subject()) {
      return Denied(absl::StrCat(p.subject(), " recorded the objection to exit application ",
                                 a.id(), "; another person resolves it"),
                    ErrorReason::REVIEWER_INVOLVED);
    }
    break;
  }
  return absl::OkStatus();
}

// The application is stored whole (one row): its objections, and so its steps, are bounded.
constexpr int kMaxObjections = 20;

absl::Time NoticeEnd(absl::Time now, const v1::PovertyStandard& standard) {
  return now + absl::Hours(24) * standard.notice_days();
}

// Records the step that moved `a` from `from` to its current stage.
void AddStep(v1::ExitApplication& a, v1::ExitStage from, const MutationContext& ctx,
             std::string note) {
  v1::ExitStep* s = a.add_steps();
  s->set_from_stage(from);
  s->set_to_stage(a.stage());
  s->set_actor(ctx.principal.subject());
  *s->mutable_time() = common::ToTimestamp(ctx.now);
  s->set_note(std::move(note));
}

// A changed row's next version: sets its etag and update time, returns the version to store.
template <typename Row>
absl::StatusOr<int64_t> NextRevision(Row& row, absl::string_view what, absl::Time now) {
  TUOPIN_ASSIGN_OR_RETURN(int64_t version, common::NextVersion("", row.etag(), what));
  row.set_etag(common::EtagOf(version));
  *row.mutable_update_time() = common::ToTimestamp(now);
  return version;
}

common::EntityRefs RefsOf(const v1::ExitApplication& a) {
  return {Entity("exit_application", a.id(), a.village_code()),
          Entity("household", a.household_id(), a.village_code())};
}

}  // namespace

bool IsOpenStage(v1::ExitStage stage) {
  switch (stage) {
    case v1::EXIT_STAGE_PROPOSED:
    case v1::EXIT_STAGE_NOTICE:
    case v1::EXIT_STAGE_OBJECTED:
    case v1::EXIT_STAGE_TOWNSHIP_REVIEWED:
    case v1::EXIT_STAGE_COUNTY_APPROVED:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<v1::ExitApplication> ExitLogic::LoadApplication(const common::Principal& p,
                                                               const std::string& id) {
  std::string resource = absl::StrCat("exitApplications/", id);
  TUOPIN_ASSIGN_OR_RETURN(auto a, exits_.GetApplication(id));
  if (!a.has_value()) {
    return common::MissingObject(p, resource, common::NotFound("exit application", id));
  }
  TUOPIN_RETURN_IF_ERROR(common::RequireRegion(p, a->village_code(), resource));
  return *a;
}

absl::StatusOr<std::optional<v1::PovertyStandard>> ExitLogic::StandardInForce(
    const MutationContext& ctx, const std::string& id) {
  TUOPIN_ASSIGN_OR_RETURN(v1::ExitApplication a, LoadApplication(ctx.principal, id));
  const int32_t this_year = static_cast<int32_t>(common::ChinaDay(ctx.now).year());
  return standards_.LatestStandard(this_year, ProvinceOf(a.village_code()));
}

absl::Status ExitLogic::RecheckCriteria(ExitTx& tx, const v1::ExitApplication& a,
                                        const std::optional<v1::PovertyStandard>& in_force) {
  std::optional<v1::Household> h = tx.personnel().LockHousehold(a.household_id());
  if (!h.has_value()) return common::NotFound("household", a.household_id());
  return MeetsCriteriaNow(*h, a, in_force);
}

absl::Status ExitLogic::Step(const MutationContext& ctx, const std::string& id,
                             v1::ExitApplication& out, const StepFn& step) {
  TUOPIN_RETURN_IF_ERROR(LoadApplication(ctx.principal, id).status());
  return exits_.Mutate(
      ctx, out, [&](ExitTx& tx, v1::ExitApplication& a) -> absl::StatusOr<common::EntityRefs> {
        std::optional<v1::ExitApplication> current = tx.LockApplication(id);
        if (!current.has_value()) return common::NotFound("exit application", id);
        a = *std::move(current);
        v1::ExitStage from = a.stage();
        std::string note;
        TUOPIN_RETURN_IF_ERROR(step(tx, a, note));
        AddStep(a, from, ctx, std::move(note));
        TUOPIN_ASSIGN_OR_RETURN(int64_t version, NextRevision(a, "exit application", ctx.now));
        tx.UpdateApplication(a, version, IsOpenStage(a.stage()));
        return RefsOf(a);
      });
}

absl::Status ExitLogic::ProposeExit(const MutationContext& ctx, const v1::ProposeExitRequest& req,
                                    v1::ExitApplication& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Household household,
                          LoadScopedHousehold(personnel_, ctx.principal, req.household_id()));
  std::string province = ProvinceOf(household.village_code());
  std::string village_code = household.village_code();
  // Exits are judged by the standard in force now: the province's latest up to the current
  // year (China time). An older year would judge by a lower line; a future one is not yet.
  const int32_t this_year = static_cast<int32_t>(common::ChinaDay(ctx.now).year());
  TUOPIN_ASSIGN_OR_RETURN(auto standard, standards_.LatestStandard(this_year, province));
  return exits_.Mutate(
      ctx, out, [&](ExitTx& tx, v1::ExitApplication& a) -> absl::StatusOr<common::EntityRefs> {
        // Judged here, not before: a retry replays its answer even once the year has turned.
        if (!standard.has_value()) {
          return Precondition(absl::StrCat("no poverty standard is set in province ", province,
                                           " for ", this_year, " or earlier"),
                              ErrorReason::NO_POVERTY_STANDARD);
        }
        if (standard->year() != req.year()) {
          return Precondition(absl::StrCat("exits in province ", province, " are judged by the ",
                                           standard->year(), " standard, the latest up to ",
                                           this_year, ": year ", req.year(), " is not proposed"),
                              ErrorReason::STALE_STANDARD);
        }
        // An application is opened in the household's village: one in the tree (the read
        // waits for a concurrent merger of it, which refuses while one is open). The village
        // is locked before the household, as MergeVillages and SplitVillage lock them, so
        // the two never wait for each other; a household moved meanwhile is tried again
        // with its new village.
        std::optional<v1::Region> village = tx.personnel().GetRegion(village_code);
        std::optional<v1::Household> h = tx.personnel().LockHousehold(req.household_id());
        if (!h.has_value()) return common::NotFound("household", req.household_id());
        if (h->village_code() != village_code) {
          village_code = h->village_code();
          return common::RetryTransaction("the household moved to another village meanwhile");
        }
        TUOPIN_RETURN_IF_ERROR(RequireCurrentVillage(village, "household_id"));
        if (h->status() != v1::HOUSEHOLD_STATUS_REGISTERED_POOR) {
          return Precondition(
              absl::StrCat("household ", h->id(), " is ", v1::HouseholdStatus_Name(h->status()),
                           ": only a REGISTERED_POOR household can be proposed for exit"),
              ErrorReason::ILLEGAL_TRANSITION);
        }
        TUOPIN_RETURN_IF_ERROR(MeetsCriteria(*h, *standard));
        a.set_id(tx.personnel().NewId());
        a.set_household_id(h->id());
        a.set_village_code(h->village_code());
        a.set_year(req.year());
        a.set_stage(v1::EXIT_STAGE_PROPOSED);
        *a.mutable_standard() = *standard;
        a.set_proposed_by(ctx.principal.subject());
        AddStep(a, v1::EXIT_STAGE_UNSPECIFIED, ctx, req.note());
        a.set_etag(common::EtagOf(1));
        *a.mutable_create_time() = common::ToTimestamp(ctx.now);
        *a.mutable_update_time() = common::ToTimestamp(ctx.now);
        if (!tx.InsertApplication(a)) {
          return common::WithReason(
              absl::AlreadyExistsError(
                  absl::StrCat("household ", h->id(), " already has an open exit application")),
              ErrorReason::EXIT_ALREADY_OPEN);
        }
        return RefsOf(a);
      });
}

absl::Status ExitLogic::ReviewExit(const MutationContext& ctx, const v1::ReviewExitRequest& req,
                                   v1::ExitApplication& out) {
  const common::Principal& p = ctx.principal;
  TUOPIN_ASSIGN_OR_RETURN(auto in_force, StandardInForce(ctx, req.application_id()));
  return Step(
      ctx, req.application_id(), out,
      [&](ExitTx& tx, v1::ExitApplication& a, std::string& note) -> absl::Status {
        v1::ExitStage next;
        switch (a.stage()) {
          case v1::EXIT_STAGE_PROPOSED:
            next = v1::EXIT_STAGE_NOTICE;
            break;
          case v1::EXIT_STAGE_NOTICE:
            TUOPIN_RETURN_IF_ERROR(RequireOfficial(p, "township review"));
            if (!CoversLevel(p, a.village_code(), 9)) {
              return Denied(absl::StrCat("the township review needs a scope over the whole "
                                         "township of ",
                                         a.village_code()),
                            ErrorReason::NOT_TOWNSHIP_LEVEL);
            }
            if (req.approve() && ctx.now < common::FromTimestamp(a.notice_end_time())) {
              return Precondition(
                  absl::StrCat("the public notice of exit application ", a.id(), " runs until ",
                               absl::FormatTime(common::FromTimestamp(a.notice_end_time()),
                                                absl::UTCTimeZone())),
                  ErrorReason::NOTICE_PERIOD_RUNNING);
            }
            next = v1::EXIT_STAGE_TOWNSHIP_REVIEWED;
            break;
          case v1::EXIT_STAGE_TOWNSHIP_REVIEWED:
            TUOPIN_RETURN_IF_ERROR(RequireOfficial(p, "county approval"));
            if (!CoversLevel(p, a.village_code(), 6)) {
              return Denied(absl::StrCat("the county approval needs a scope over the "
                                         "whole county of ",
                                         a.village_code()),
                            ErrorReason::NOT_COUNTY_LEVEL);
            }
            next = v1::EXIT_STAGE_COUNTY_APPROVED;
            break;
          default:
            return IllegalTransition(a, "reviewed");
        }
        TUOPIN_RETURN_IF_ERROR(RequireNoEarlierReview(p, a));
        note = req.note();
        if (!req.approve()) {
          a.set_stage(v1::EXIT_STAGE_REJECTED);
          return absl::OkStatus();
        }
        TUOPIN_RETURN_IF_ERROR(RecheckCriteria(tx, a, in_force));
        if (next == v1::EXIT_STAGE_NOTICE) {
          *a.mutable_notice_end_time() = common::ToTimestamp(NoticeEnd(ctx.now, a.standard()));
        }
        a.set_stage(next);
        return absl::OkStatus();
      });
}

absl::Status ExitLogic::ObjectToExit(const MutationContext& ctx, const v1::ObjectToExitRequest& req,
                                     v1::ExitApplication& out) {
  return Step(ctx, req.application_id(), out,
              [&](ExitTx&, v1::ExitApplication& a, std::string& note) -> absl::Status {
                if (a.stage() != v1::EXIT_STAGE_NOTICE) return IllegalTransition(a, "objected to");
                if (ctx.now >= common::FromTimestamp(a.notice_end_time())) {
                  return Precondition(
                      absl::StrCat("the public notice of exit application ", a.id(), " ended at ",
                                   absl::FormatTime(common::FromTimestamp(a.notice_end_time()),
                                                    absl::UTCTimeZone())),
                      ErrorReason::NOTICE_ENDED);
                }
                if (a.objections_size() >= kMaxObjections) {
                  return Precondition(
                      absl::StrCat("exit application ", a.id(), " already has ", kMaxObjections,
                                   " objections: the township review rejects it (ReviewExit, "
                                   "approve false) and the household is proposed again"),
                      ErrorReason::OBJECTION_LIMIT_REACHED);
                }
                a.add_objections(req.objection());
                a.set_stage(v1::EXIT_STAGE_OBJECTED);
                note = req.objection();
                return absl::OkStatus();
              });
}

absl::Status ExitLogic::ResolveObjection(const MutationContext& ctx,
                                         const v1::ResolveObjectionRequest& req,
                                         v1::ExitApplication& out) {
  return Step(ctx, req.application_id(), out,
              [&](ExitTx&, v1::ExitApplication& a, std::string& note) -> absl::Status {
                if (a.stage() != v1::EXIT_STAGE_OBJECTED) return IllegalTransition(a, "resolved");
                TUOPIN_RETURN_IF_ERROR(RequireResolver(ctx.principal, a));
                note = req.note();
                if (req.upheld()) {
                  a.set_stage(v1::EXIT_STAGE_REJECTED);
                } else {
                  // The notice is posted again for a full period.
                  a.set_stage(v1::EXIT_STAGE_NOTICE);
                  *a.mutable_notice_end_time() =
                      common::ToTimestamp(NoticeEnd(ctx.now, a.standard()));
                }
                return absl::OkStatus();
              });
}

absl::Status ExitLogic::ConfirmExit(const MutationContext& ctx, const v1::ConfirmExitRequest& req,
                                    v1::ExitApplication& out) {
  TUOPIN_ASSIGN_OR_RETURN(auto in_force, StandardInForce(ctx, req.application_id()));
  return Step(ctx, req.application_id(), out,
              [&](ExitTx& tx, v1::ExitApplication& a, std::string& note) -> absl::Status {
                if (a.stage() != v1::EXIT_STAGE_COUNTY_APPROVED)
                  return IllegalTransition(a, "confirmed");
                TUOPIN_RETURN_IF_ERROR(RequireNoEarlierReview(ctx.principal, a));
                std::optional<v1::Household> h = tx.personnel().LockHousehold(a.household_id());
                if (!h.has_value()) return common::NotFound("household", a.household_id());
                if (h->status() != v1::HOUSEHOLD_STATUS_REGISTERED_POOR) {
                  return Precondition(absl::StrCat("household ", h->id(), " is ",
                                                   v1::HouseholdStatus_Name(h->status()),
                                                   ": only a REGISTERED_POOR household exits"),
                                      ErrorReason::ILLEGAL_TRANSITION);
                }
                TUOPIN_RETURN_IF_ERROR(MeetsCriteriaNow(*h, a, in_force));
                h->set_status(v1::HOUSEHOLD_STATUS_LIFTED_OUT);
                h->set_exit_application_id(a.id());
                h->clear_reversal_reference();
                TUOPIN_ASSIGN_OR_RETURN(int64_t version, NextRevision(*h, "household", ctx.now));
                tx.personnel().UpdateHousehold(*h, version);
                a.set_stage(v1::EXIT_STAGE_CONFIRMED);
                note = req.confirmation();
                return absl::OkStatus();
              });
}

absl::Status ExitLogic::ReverseExit(const MutationContext& ctx, const v1::ReverseExitRequest& req,
                                    v1::Household& out) {
  // Only the assessment's own reversals name an assessment; anyone else names a finding.
  if (absl::StartsWith(req.reference(), "assessments/") &&
      common::ServiceOfPrincipal(ctx.principal) != "accountability") {
    return common::InvalidField("reference",
                                "names an assessment: only the assessment itself (service "
                                "accountability) reverses an exit by an assessment visit");
  }
  TUOPIN_RETURN_IF_ERROR(
      LoadScopedHousehold(personnel_, ctx.principal, req.household_id()).status());
  return exits_.Mutate(
      ctx, out, [&](ExitTx& tx, v1::Household& h) -> absl::StatusOr<common::EntityRefs> {
        std::optional<v1::Household> current = tx.personnel().LockHousehold(req.household_id());
        if (!current.has_value()) return common::NotFound("household", req.household_id());
        h = *std::move(current);
        if (h.status() != v1::HOUSEHOLD_STATUS_LIFTED_OUT &&
            h.status() != v1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN) {
          return Precondition(
              absl::StrCat("household ", h.id(), " is ", v1::HouseholdStatus_Name(h.status()),
                           ": only an exited household is returned to the "
                           "register"),
              ErrorReason::NOT_EXITED);
        }
        common::EntityRefs refs{Entity("household", h.id(), h.village_code())};
        std::optional<v1::ExitApplication> a;
        if (!h.exit_application_id().empty()) a = tx.LockApplication(h.exit_application_id());
        if (a.has_value() && a->stage() == v1::EXIT_STAGE_CONFIRMED) {
          a->set_stage(v1::EXIT_STAGE_REVERSED);
          a->set_reversal_reference(req.reference());
          AddStep(*a, v1::EXIT_STAGE_CONFIRMED, ctx, req.note());
          TUOPIN_ASSIGN_OR_RETURN(int64_t a_version, NextRevision(*a, "exit application", ctx.now));
          tx.UpdateApplication(*a, a_version, false);
          refs.push_back(Entity("exit_application", a->id(), a->village_code()));
        }
        h.set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
        h.set_reversal_reference(req.reference());
        TUOPIN_ASSIGN_OR_RETURN(int64_t version, NextRevision(h, "household", ctx.now));
        tx.personnel().UpdateHousehold(h, version);
        return refs;
      });
}

absl::Status ExitLogic::GetExitApplication(const common::Principal& p,
                                           const v1::GetExitApplicationRequest& req,
                                           v1::ExitApplication& out) {
  TUOPIN_ASSIGN_OR_RETURN(out, LoadApplication(p, req.id()));
  return absl::OkStatus();
}

absl::Status ExitLogic::ListExitApplications(const common::Principal& p,
                                             const v1::ListExitApplicationsRequest& req,
                                             v1::ListExitApplicationsResponse& out) {
  TUOPIN_RETURN_IF_ERROR(common::RequireRegionCode(p, req.region_code()));
  TUOPIN_ASSIGN_OR_RETURN(PageRequest page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 2));
  TUOPIN_ASSIGN_OR_RETURN(auto rows, exits_.ListApplications(req.region_code(), req.stage(), page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::ExitApplication& a) {
        return std::vector<std::string>{a.village_code(), a.id()};
      },
      out.mutable_applications(), out.mutable_next_page_token());
  return absl::OkStatus();
}

}  // namespace tuopin::personnel
