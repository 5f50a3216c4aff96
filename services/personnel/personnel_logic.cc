#include "services/personnel/personnel_logic.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/pii_crypto.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"

namespace tuopin::personnel {
namespace {

using common::HasRole;
using common::RequireRegion;
using common::RequireRegionCode;
using tuopin::common::v1::ROLE_CADRE;

}  // namespace

bool IsSelf(const Principal& p, const std::string& cadre_id) {
  return HasRole(p, ROLE_CADRE) && p.subject() == cadre_id;
}

bool IsHomeVillage(const std::string& home_region_code, const std::string& village_code) {
  return !home_region_code.empty() && absl::StartsWith(village_code, home_region_code);
}

AttendanceFigures ComputeAttendance(const std::vector<v1::Posting>& postings,
                                    const std::vector<CheckInDay>& checkins, absl::CivilDay from,
                                    absl::CivilDay to) {
  AttendanceFigures f;
  // The village the cadre was posted to on a day, if any.
  auto posted_village = [&](absl::CivilDay d) -> const std::string* {
    for (const auto& p : postings) {
      absl::CivilDay start = common::FromDate(p.start_date());
      bool ended = p.has_end_date();
      if (d >= start && (!ended || d <= common::FromDate(p.end_date()))) return &p.village_code();
    }
    return nullptr;
  };
  int covered = 0;
  for (absl::CivilDay d = from; d <= to; ++d) {
    if (posted_village(d) != nullptr) ++covered;
  }
  f.days_required = covered - covered * 2 / 7;
  std::set<absl::CivilDay> present, verified;
  for (const auto& c : checkins) {
    if (c.day < from || c.day > to) continue;
    const std::string* village = posted_village(c.day);
    if (village == nullptr || *village != c.village_code) continue;
    present.insert(c.day);
    if (c.verified) verified.insert(c.day);
  }
  f.days_present = static_cast<int>(present.size());
  f.verified_days = static_cast<int>(verified.size());
  return f;
}

absl::Status ApplyHouseholdMask(const google::protobuf::FieldMask& mask, const v1::Household& patch,
                                v1::Household& target) {
  common::FieldViolations v;
  if (mask.paths().empty()) v.Add("update_mask", "names no field to update");
  for (const auto& path : mask.paths()) {
    if (path == "head_name") {
      target.set_head_name(patch.head_name());
    } else if (path == "member_count") {
      target.set_member_count(patch.member_count());
    } else if (path == "status") {
      target.set_status(patch.status());
    } else if (path == "income_per_head_fen") {
      target.set_income_per_head_fen(patch.income_per_head_fen());
    } else if (path == "indicators") {
      *target.mutable_indicators() = patch.indicators();
    } else if (path == "members") {
      *target.mutable_members() = patch.members();
    } else if (absl::StartsWith(path, "indicators.")) {
      const auto* field =
          v1::Indicators::descriptor()->FindFieldByName(path.substr(strlen("indicators.")));
      if (field == nullptr) {
        v.Add("update_mask", absl::StrCat("unknown indicator ", path));
        continue;
      }
      target.mutable_indicators()->GetReflection()->SetBool(
          target.mutable_indicators(), field,
          patch.indicators().GetReflection()->GetBool(patch.indicators(), field));
    } else {
      v.Add("update_mask", absl::StrCat("path ", path, " cannot be updated"));
    }
  }
  return v.ToStatus();
}

absl::Status ApplyCadreMask(const google::protobuf::FieldMask& mask, const v1::Cadre& patch,
                            v1::Cadre& target) {
  common::FieldViolations v;
  if (mask.paths().empty()) v.Add("update_mask", "names no field to update");
  for (const auto& path : mask.paths()) {
    if (path == "name") {
      target.set_name(patch.name());
    } else if (path == "origin_level") {
      target.set_origin_level(patch.origin_level());
    } else if (path == "dispatching_unit") {
      target.set_dispatching_unit(patch.dispatching_unit());
    } else if (path == "home_region_code") {
      target.set_home_region_code(patch.home_region_code());
    } else {
      v.Add("update_mask", absl::StrCat("path ", path, " cannot be updated"));
    }
  }
  return v.ToStatus();
}

absl::StatusOr<v1::Household> LoadScopedHousehold(PersonnelStore& store, const Principal& p,
                                                  const std::string& id) {
  std::string resource = absl::StrCat("households/", id);
  TUOPIN_ASSIGN_OR_RETURN(auto h, store.GetHousehold(id));
  if (!h.has_value()) return common::MissingObject(p, resource, NotFound("household", id));
  TUOPIN_RETURN_IF_ERROR(RequireRegion(p, h->village_code(), resource));
  return *h;
}

absl::Status CheckNewHouseholdStatus(const Principal& p, const v1::Household& h) {
  switch (h.status()) {
    case v1::HOUSEHOLD_STATUS_REGISTERED_POOR:
    case v1::HOUSEHOLD_STATUS_NOT_POOR:
      if (!h.has_prior_exit()) return absl::OkStatus();
      return common::InvalidField("household.prior_exit",
                                  "is only for a household created LIFTED_OUT or "
                                  "AT_RISK_OF_RETURN");
    case v1::HOUSEHOLD_STATUS_LIFTED_OUT:
    case v1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN:
      if (!HasRole(p, tuopin::common::v1::ROLE_ADMIN)) {
        return common::WithReason(
            absl::PermissionDeniedError(
                "Permission denied: only an admin creates a household that has already exited "
                "(an exit imported from the national register); every other exit goes through "
                "ExitService"),
            common::ErrorReason::ROLE_NOT_ALLOWED);
      }
      if (h.has_prior_exit()) return absl::OkStatus();
      return common::InvalidField("household.prior_exit",
                                  "is required to create a household LIFTED_OUT or "
                                  "AT_RISK_OF_RETURN; every other exit goes through ExitService");
    default:
      return common::InvalidField("household.status",
                                  "a new household is REGISTERED_POOR or NOT_POOR");
  }
}

absl::Status CheckStatusChange(v1::HouseholdStatus from, v1::HouseholdStatus to) {
  using S = v1::HouseholdStatus;
  auto monitored = [](S s) {
    return s == v1::HOUSEHOLD_STATUS_LIFTED_OUT || s == v1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN;
  };
  if (from == to) return absl::OkStatus();
  if (from == v1::HOUSEHOLD_STATUS_NOT_POOR && to == v1::HOUSEHOLD_STATUS_REGISTERED_POOR) {
    return absl::OkStatus();
  }
  if (monitored(from) && monitored(to)) return absl::OkStatus();
  return common::WithReason(
      absl::FailedPreconditionError(absl::StrCat(
          "a household's status does not change from ", v1::HouseholdStatus_Name(from), " to ",
          v1::HouseholdStatus_Name(to),
          " by UpdateHousehold: exits go through ExitService (ProposeExit ... ConfirmExit, "
          "ReverseExit)")),
      common::ErrorReason::ILLEGAL_TRANSITION);
}

bool SeesPersonalData(const Principal& p) {
  using namespace tuopin::common::v1;
  return HasRole(p, ROLE_ADMIN) || HasRole(p, ROLE_COUNTY_OFFICIAL) || HasRole(p, ROLE_CADRE);
}

void MaskPersonalData(v1::Household& h) {
  for (v1::Member& m : *h.mutable_members()) {
    if (!m.id_card_number().empty())
      m.set_id_card_number(common::MaskIdCardNumber(m.id_card_number()));
    if (!m.phone().empty()) m.set_phone(common::MaskPhone(m.phone()));
  }
}

namespace {

void PseudonymizeMembers(const common::PiiKeyRing& pii, google::protobuf::Message& m) {
  if (auto* member = dynamic_cast<v1::Member*>(&m)) {
    // An absent value stays absent: that a member has no phone is not the secret.
    if (!member->id_card_number().empty())
      member->set_id_card_number(pii.Pseudonym(member->id_card_number()));
    if (!member->phone().empty()) member->set_phone(pii.Pseudonym(member->phone()));
    return;
  }
  // Walks every set message field, so a request that comes to carry members elsewhere is
  // covered without a list to keep up to date.
  const google::protobuf::Reflection* r = m.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const google::protobuf::FieldDescriptor* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(m, f); ++i)
        PseudonymizeMembers(pii, *r->MutableRepeatedMessage(&m, f, i));
    } else {
      PseudonymizeMembers(pii, *r->MutableMessage(&m, f));
    }
  }
}

}  // namespace

common::DigestForm MemberDigestForm(const common::PiiKeyRing& pii) {
  return [&pii](google::protobuf::Message& request) { PseudonymizeMembers(pii, request); };
}

absl::StatusOr<v1::Household> PersonnelLogic::LoadHousehold(const Principal& p,
                                                            const std::string& id) {
  return LoadScopedHousehold(store_, p, id);
}

absl::StatusOr<v1::Cadre> PersonnelLogic::LoadCadre(const Principal& p, const std::string& id) {
  std::string resource = absl::StrCat("cadres/", id);
  TUOPIN_ASSIGN_OR_RETURN(auto c, store_.GetCadre(id));
  if (!c.has_value()) return common::MissingObject(p, resource, NotFound("cadre", id));
  if (!IsSelf(p, id)) TUOPIN_RETURN_IF_ERROR(RequireRegion(p, c->managing_region_code(), resource));
  return *c;
}

absl::StatusOr<v1::Cadre> PersonnelLogic::LoadManagedCadre(const Principal& p,
                                                           const std::string& id) {
  std::string resource = absl::StrCat("cadres/", id);
  TUOPIN_ASSIGN_OR_RETURN(auto c, store_.GetCadre(id));
  if (!c.has_value()) return common::MissingObject(p, resource, NotFound("cadre", id));
  TUOPIN_RETURN_IF_ERROR(RequireRegion(p, c->managing_region_code(), resource));
  return *c;
}

absl::Status PersonnelLogic::RequireEndable(const Principal& p, const std::string& village_code,
                                            const std::string& cadre_id,
                                            const std::string& resource) {
  if (common::PrincipalCoversRegion(p, village_code)) return absl::OkStatus();
  TUOPIN_ASSIGN_OR_RETURN(auto cadre, store_.GetCadre(cadre_id));
  if (cadre.has_value() && common::PrincipalCoversRegion(p, cadre->managing_region_code())) {
    return absl::OkStatus();
  }
  return common::OutOfScope(resource);
}

absl::Status PersonnelLogic::GetRegion(const Principal&, const v1::GetRegionRequest& req,
                                       v1::Region& out) {
  // Regions are public reference data: any caller with a role may read any of them.
  TUOPIN_ASSIGN_OR_RETURN(auto r, store_.GetRegion(req.code()));
  if (!r.has_value()) return NotFound("region", req.code());
  if (req.has_as_of()) {
    // A time after now reads the present.
    absl::Time at = std::min(common::FromTimestamp(req.as_of()), clock_.Now());
    bool in_force = common::FromTimestamp(r->valid_from()) <= at &&
                    (!r->has_valid_to() || at < common::FromTimestamp(r->valid_to()));
    if (!in_force) return NotFound("region", req.code());
  }
  out = *r;
  return absl::OkStatus();
}

absl::Status PersonnelLogic::ListRegions(const Principal&, const v1::ListRegionsRequest& req,
                                         v1::ListRegionsResponse& out) {
  TUOPIN_ASSIGN_OR_RETURN(PageRequest page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  // The page token is bound to the request, as_of with it.
  absl::Time now = clock_.Now();
  absl::Time at = req.has_as_of() ? std::min(common::FromTimestamp(req.as_of()), now) : now;
  TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.ListRegions(req.parent_code(), at, page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::Region& r) { return std::vector<std::string>{r.code()}; }, out.mutable_regions(),
      out.mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status PersonnelLogic::GetHousehold(const Principal& p, const v1::GetHouseholdRequest& req,
                                          v1::Household& out) {
  if (std::optional<absl::Time> at = PastAsOf(req.has_as_of(), req.as_of())) {
    TUOPIN_ASSIGN_OR_RETURN(out, LoadHouseholdAsOf(p, req.id(), *at));
  } else {
    TUOPIN_ASSIGN_OR_RETURN(out, LoadHousehold(p, req.id()));
  }
  if (!SeesPersonalData(p)) MaskPersonalData(out);
  return absl::OkStatus();
}

absl::Status PersonnelLogic::ListHouseholds(const Principal& p,
                                            const v1::ListHouseholdsRequest& req,
                                            v1::ListHouseholdsResponse& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.region_code()));
  TUOPIN_ASSIGN_OR_RETURN(PageRequest page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 2));
  // The page token is bound to the whole request: as_of, status and view with it.
  std::vector<v1::Household> rows;
  if (std::optional<absl::Time> at = PastAsOf(req.has_as_of(), req.as_of())) {
    TUOPIN_ASSIGN_OR_RETURN(rows, ListHouseholdsAsOf(req.region_code(), req.status(), *at, page));
  } else {
    TUOPIN_ASSIGN_OR_RETURN(rows, store_.ListHouseholds(req.region_code(), req.status(), page));
  }
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::Household& h) {
        return std::vector<std::string>{h.village_code(), h.id()};
      },
      out.mutable_households(), out.mutable_next_page_token());
  // BASIC masks for everyone; FULL shows members as GetHousehold does.
  if (req.view() != v1::HOUSEHOLD_VIEW_FULL || !SeesPersonalData(p)) {
    for (v1::Household& h : *out.mutable_households()) MaskPersonalData(h);
  }
  return absl::OkStatus();
}

absl::Status PersonnelLogic::GetCadre(const Principal& p, const v1::GetCadreRequest& req,
                                      v1::Cadre& out) {
  TUOPIN_ASSIGN_OR_RETURN(out, LoadCadre(p, req.id()));
  return absl::OkStatus();
}

absl::Status PersonnelLogic::ListCadres(const Principal& p, const v1::ListCadresRequest& req,
                                        v1::ListCadresResponse& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.region_code()));
  TUOPIN_ASSIGN_OR_RETURN(PageRequest page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 2));
  TUOPIN_ASSIGN_OR_RETURN(auto rows,
                          store_.ListCadres(req.region_code(), req.origin_level(), page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::Cadre& c) {
        return std::vector<std::string>{c.managing_region_code(), c.id()};
      },
      out.mutable_cadres(), out.mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status PersonnelLogic::ListPostings(const Principal& p, const v1::ListPostingsRequest& req,
                                          v1::ListPostingsResponse& out) {
  std::string cadre_id, region;
  if (req.scope_case() == v1::ListPostingsRequest::kCadreId) {
    TUOPIN_RETURN_IF_ERROR(LoadCadre(p, req.cadre_id()).status());
    cadre_id = req.cadre_id();
  } else {
    region = req.region_code();
    TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, region));
  }
  TUOPIN_ASSIGN_OR_RETURN(PageRequest page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  TUOPIN_ASSIGN_OR_RETURN(auto rows,
                          store_.ListPostings(cadre_id, region, req.active_only(), page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::Posting& x) { return std::vector<std::string>{x.id()}; }, out.mutable_postings(),
      out.mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status PersonnelLogic::ListPairings(const Principal& p, const v1::ListPairingsRequest& req,
                                          v1::ListPairingsResponse& out) {
  std::string cadre_id, household_id, region;
  switch (req.scope_case()) {
    case v1::ListPairingsRequest::kCadreId:
      TUOPIN_RETURN_IF_ERROR(LoadCadre(p, req.cadre_id()).status());
      cadre_id = req.cadre_id();
      break;
    case v1::ListPairingsRequest::kHouseholdId:
      TUOPIN_RETURN_IF_ERROR(LoadHousehold(p, req.household_id()).status());
      household_id = req.household_id();
      break;
    default:
      region = req.region_code();
      TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, region));
  }
  TUOPIN_ASSIGN_OR_RETURN(PageRequest page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  TUOPIN_ASSIGN_OR_RETURN(
      auto rows, store_.ListPairings(cadre_id, household_id, region, req.active_only(), page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::Pairing& x) { return std::vector<std::string>{x.id()}; }, out.mutable_pairings(),
      out.mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status PersonnelLogic::GetAttendance(const Principal& p, const v1::GetAttendanceRequest& req,
                                           v1::Attendance& out) {
  TUOPIN_RETURN_IF_ERROR(LoadCadre(p, req.cadre_id()).status());
  absl::CivilDay from = common::FromDate(req.from_date()), to = common::FromDate(req.to_date());
  PageRequest all{{}, 1000};
  TUOPIN_ASSIGN_OR_RETURN(auto postings, store_.ListPostings(req.cadre_id(), "", false, all));
  TUOPIN_ASSIGN_OR_RETURN(auto days, store_.ListCheckInDays(req.cadre_id(), from, to));
  AttendanceFigures f = ComputeAttendance(postings, days, from, to);
  out.set_cadre_id(req.cadre_id());
  out.set_days_present(f.days_present);
  out.set_days_required(f.days_required);
  out.set_verified_days(f.verified_days);
  return absl::OkStatus();
}

absl::Status PersonnelLogic::GetCoverage(const Principal& p, const v1::GetCoverageRequest& req,
                                         v1::Coverage& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.region_code()));
  int stale_days = req.stale_check_in_days() == 0 ? 14 : req.stale_check_in_days();
  CoverageQuery q;
  q.region_code = req.region_code();
  q.stale_before = clock_.Now() - absl::Hours(24) * stale_days;
  q.pairing_limit = config_.pairing_limit;
  if (!req.counts_only()) {
    TUOPIN_ASSIGN_OR_RETURN(out, store_.coverage().GetCoverage(q));
    return absl::OkStatus();
  }
  TUOPIN_ASSIGN_OR_RETURN(out, store_.coverage().GetCoverageCounts(q));
  if (!out.has_as_of()) {
    // Never computed (a new database, the first refresh still running): counted at the
    // call, as of now. A read never refreshes: readers cannot make the service recompute
    // every village (and hold a connection) at will.
    TUOPIN_ASSIGN_OR_RETURN(out, store_.coverage().GetCoverage(q));
    out.clear_villages_without_first_secretary();
    out.clear_households_without_cadre();
    out.clear_cadres_over_pairing_limit();
    out.clear_home_village_posting_ids();
    out.clear_cadres_without_recent_check_in();
    *out.mutable_as_of() = common::ToTimestamp(clock_.Now());
  }
  return absl::OkStatus();
}

absl::Status PersonnelLogic::RefreshCoverageSummary() {
  absl::Time now = clock_.Now();
  std::optional<absl::Time> last;
  {
    absl::MutexLock lock(&refresh_mu_);
    last = last_refresh_;
  }
  if (last && now - *last < config_.coverage_max_skip) {
    // Nothing written since the last refresh (less the overlap): what it counted stands,
    // as of its time.
    TUOPIN_ASSIGN_OR_RETURN(bool written,
                            store_.coverage().WrittenSince(*last - config_.coverage_overlap));
    if (!written) return absl::OkStatus();
  }
  TUOPIN_RETURN_IF_ERROR(store_.coverage().RefreshCoverageSummary(
      now - absl::Hours(24) * 14, config_.pairing_limit, now));
  absl::MutexLock lock(&refresh_mu_);
  last_refresh_ = now;
  return absl::OkStatus();
}

}  // namespace tuopin::personnel
