// The mutations of PersonnelLogic: each checks the caller's scope on what it names, then
// runs one store transaction in which it reads under lock, applies the rules and writes.

#include "absl/strings/str_cat.h"
#include "common/region_code.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/personnel/personnel_logic.h"

namespace tuopin::personnel {
namespace {

using common::Entity;
using common::HasRole;
using common::RequireRegion;
using common::RequireRegionCode;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_INSPECTOR;

static_assert(common::kVillageLevel == v1::REGION_LEVEL_VILLAGE &&
                  common::kProvinceLevel == v1::REGION_LEVEL_PROVINCE,
              "common/region_code.h numbers levels as the RegionLevel enum");

using common::Precondition;

}  // namespace

absl::Status PersonnelLogic::ImportRegions(const MutationContext& ctx,
                                           const v1::ImportRegionsRequest& req,
                                           v1::ImportRegionsResponse& out) {
  for (const auto& r : req.regions()) {
    TUOPIN_RETURN_IF_ERROR(RequireRegionCode(ctx.principal, r.code()));
  }
  return store_.Mutate(
      ctx, out,
      [&](PersonnelTx& tx, v1::ImportRegionsResponse& resp) -> absl::StatusOr<EntityRefs> {
        EntityRefs refs;
        for (int i = 0; i < req.regions_size(); ++i) {
          const v1::Region& r = req.regions(i);
          // Parents first: a region may follow its parent in the same call.
          std::string parent = common::ParentRegionCode(r.code());
          if (!parent.empty() && !tx.GetRegion(parent).has_value()) {
            return common::InvalidField(
                absl::StrCat("regions[", i, "].code"),
                absl::StrCat("parent region ", parent,
                             " does not exist; import it first or earlier in the same call"));
          }
          std::optional<v1::Region> existing = tx.LockRegion(r.code());
          if (existing.has_value() && existing->has_valid_to()) {
            // Its code stays with its history: a region back in the tree takes a new code.
            return FieldPrecondition(absl::StrCat("regions[", i, "].code"),
                                     absl::StrCat("region ", r.code(),
                                                  " left the tree (merged or split) and is not "
                                                  "imported again"),
                                     common::ErrorReason::REGION_RETIRED);
          }
          if (!existing.has_value()) {
            v1::Region row;
            row.set_code(r.code());
            row.set_name(r.name());
            row.set_level(static_cast<v1::RegionLevel>(common::RegionLevelOf(r.code())));
            row.set_parent_code(parent);
            *row.mutable_valid_from() = common::ToTimestamp(ctx.now);
            tx.InsertRegion(row);
            resp.set_created(resp.created() + 1);
          } else if (existing->name() != r.name()) {
            tx.RenameRegion(r.code(), r.name());
            resp.set_updated(resp.updated() + 1);
          } else {
            resp.set_unchanged(resp.unchanged() + 1);
            continue;
          }
          refs.push_back(Entity("region", r.code(), r.code()));
        }
        return refs;
      });
}

absl::Status PersonnelLogic::CreateHousehold(const MutationContext& ctx,
                                             const v1::CreateHouseholdRequest& req,
                                             v1::Household& out) {
  const auto& h = req.household();
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(ctx.principal, h.village_code()));
  TUOPIN_RETURN_IF_ERROR(CheckNewHouseholdStatus(ctx.principal, h));
  return store_.Mutate(
      ctx, out, [&](PersonnelTx& tx, v1::Household& created) -> absl::StatusOr<EntityRefs> {
        TUOPIN_RETURN_IF_ERROR(
            RequireCurrentVillage(tx.GetRegion(h.village_code()), "household.village_code"));
        created = h;
        created.set_id(tx.NewId());
        created.set_etag(common::EtagOf(1));
        // Output only: set by ExitService alone.
        created.clear_exit_application_id();
        created.clear_reversal_reference();
        *created.mutable_create_time() = common::ToTimestamp(ctx.now);
        *created.mutable_update_time() = common::ToTimestamp(ctx.now);
        if (tx.InsertHousehold(created) == Conflict::kNationalHouseholdNumber) {
          return common::WithReason(absl::AlreadyExistsError(absl::StrCat(
                                        "a household with national household number ",
                                        h.national_household_number(), " is already registered")),
                                    common::ErrorReason::HOUSEHOLD_NUMBER_TAKEN);
        }
        // The response is kept for replays: personal data only masked in it.
        MaskPersonalData(created);
        return EntityRefs{Entity("household", created.id(), h.village_code())};
      });
}

absl::Status PersonnelLogic::UpdateHousehold(const MutationContext& ctx,
                                             const v1::UpdateHouseholdRequest& req,
                                             v1::Household& out) {
  const std::string& id = req.household().id();
  TUOPIN_RETURN_IF_ERROR(LoadHousehold(ctx.principal, id).status());
  return store_.Mutate(
      ctx, out, [&](PersonnelTx& tx, v1::Household& h) -> absl::StatusOr<EntityRefs> {
        std::optional<v1::Household> current = tx.LockHousehold(id);
        if (!current.has_value()) return NotFound("household", id);
        h = *std::move(current);
        TUOPIN_ASSIGN_OR_RETURN(int64_t version,
                                common::NextVersion(req.household().etag(), h.etag(), "household"));
        v1::HouseholdStatus before = h.status();
        TUOPIN_RETURN_IF_ERROR(ApplyHouseholdMask(req.update_mask(), req.household(), h));
        TUOPIN_RETURN_IF_ERROR(CheckStatusChange(before, h.status()));
        if (h.members_size() > 0 && h.members_size() != h.member_count()) {
          return common::InvalidField("household.members",
                                      absl::StrCat("the household would hold ", h.members_size(),
                                                   " members with member_count ", h.member_count(),
                                                   "; update both together"));
        }
        h.set_etag(common::EtagOf(version));
        *h.mutable_update_time() = common::ToTimestamp(ctx.now);
        tx.UpdateHousehold(h, version);
        for (const auto& path : req.update_mask().paths()) {
          if (path == "members") tx.ReplaceMembers(h);
        }
        // The response is kept for replays: personal data only masked in it.
        MaskPersonalData(h);
        return EntityRefs{Entity("household", id, h.village_code())};
      });
}

absl::Status PersonnelLogic::CreateCadre(const MutationContext& ctx,
                                         const v1::CreateCadreRequest& req, v1::Cadre& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(ctx.principal, req.cadre().managing_region_code()));
  return store_.Mutate(ctx, out, [&](PersonnelTx& tx, v1::Cadre& c) -> absl::StatusOr<EntityRefs> {
    c = req.cadre();
    c.set_id(tx.NewId());
    c.set_etag(common::EtagOf(1));
    *c.mutable_create_time() = common::ToTimestamp(ctx.now);
    if (tx.InsertCadre(c) == Conflict::kEmployeeNumber) {
      return common::WithReason(
          absl::AlreadyExistsError(absl::StrCat("a cadre with employee number ",
                                                c.employee_number(), " already exists")),
          common::ErrorReason::EMPLOYEE_NUMBER_TAKEN);
    }
    return EntityRefs{Entity("cadre", c.id(), c.managing_region_code())};
  });
}

absl::Status PersonnelLogic::UpdateCadre(const MutationContext& ctx,
                                         const v1::UpdateCadreRequest& req, v1::Cadre& out) {
  const std::string& id = req.cadre().id();
  // Only officials of the managing region change a cadre's record (not the cadre).
  TUOPIN_RETURN_IF_ERROR(LoadManagedCadre(ctx.principal, id).status());
  return store_.Mutate(ctx, out, [&](PersonnelTx& tx, v1::Cadre& c) -> absl::StatusOr<EntityRefs> {
    std::optional<v1::Cadre> current = tx.LockCadre(id);
    if (!current.has_value()) return NotFound("cadre", id);
    c = *std::move(current);
    TUOPIN_ASSIGN_OR_RETURN(int64_t version,
                            common::NextVersion(req.cadre().etag(), c.etag(), "cadre"));
    TUOPIN_RETURN_IF_ERROR(ApplyCadreMask(req.update_mask(), req.cadre(), c));
    c.set_etag(common::EtagOf(version));
    tx.UpdateCadre(c, version);
    return EntityRefs{Entity("cadre", id, c.managing_region_code())};
  });
}

absl::Status PersonnelLogic::PostCadre(const MutationContext& ctx, const v1::PostCadreRequest& req,
                                       v1::Posting& out) {
  // Both named objects: the village, and the cadre through its managing region (an
  // official never posts another county's cadre, even into his or her own village).
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(ctx.principal, req.village_code()));
  TUOPIN_ASSIGN_OR_RETURN(v1::Cadre cadre, LoadManagedCadre(ctx.principal, req.cadre_id()));
  TUOPIN_ASSIGN_OR_RETURN(auto village, store_.GetRegion(req.village_code()));
  TUOPIN_RETURN_IF_ERROR(RequireCurrentVillage(village, "village_code"));
  v1::Posting posting;
  posting.set_cadre_id(req.cadre_id());
  posting.set_village_code(req.village_code());
  posting.set_role(req.role());
  *posting.mutable_start_date() = req.start_date();
  posting.set_home_village(IsHomeVillage(cadre.home_region_code(), req.village_code()));
  if (posting.home_village()) {
    if (req.home_waiver().empty()) {
      return common::WithReason(
          common::InvalidField("home_waiver",
                               "is required: the village is in the cadre's home region, which "
                               "needs a written waiver"),
          common::ErrorReason::HOME_VILLAGE_WAIVER_REQUIRED);
    }
    posting.set_home_waiver(req.home_waiver());
  }
  return store_.Mutate(
      ctx, out, [&](PersonnelTx& tx, v1::Posting& p) -> absl::StatusOr<EntityRefs> {
        // Again under the region's lock: a merger may have taken the village out meanwhile.
        TUOPIN_RETURN_IF_ERROR(
            RequireCurrentVillage(tx.GetRegion(posting.village_code()), "village_code"));
        p = posting;
        p.set_id(tx.NewId());
        p.set_active(true);
        // One active posting per cadre, one active first secretary per village.
        switch (tx.InsertPosting(p, ctx.now)) {
          case Conflict::kCadrePosted:
            return Precondition(absl::StrCat("cadre ", p.cadre_id(),
                                             " already has an active posting; end it first"),
                                common::ErrorReason::CADRE_ALREADY_POSTED);
          case Conflict::kFirstSecretarySeat:
            return Precondition(absl::StrCat("village ", p.village_code(),
                                             " already has an active first secretary"),
                                common::ErrorReason::FIRST_SECRETARY_SEAT_TAKEN);
          default:
            break;
        }
        return EntityRefs{Entity("posting", p.id(), p.village_code()),
                          Entity("cadre", p.cadre_id(), "")};
      });
}

absl::Status PersonnelLogic::EndPosting(const MutationContext& ctx,
                                        const v1::EndPostingRequest& req, v1::Posting& out) {
  const std::string& id = req.posting_id();
  std::string resource = absl::StrCat("postings/", id);
  TUOPIN_ASSIGN_OR_RETURN(auto posting, store_.GetPosting(id));
  if (!posting.has_value()) {
    return common::MissingObject(ctx.principal, resource, NotFound("posting", id));
  }
  // The village's officials, or the cadre's own (the owning county can always recall its
  // cadre, wherever he or she was posted).
  TUOPIN_RETURN_IF_ERROR(
      RequireEndable(ctx.principal, posting->village_code(), posting->cadre_id(), resource));
  absl::CivilDay end = common::FromDate(req.end_date());
  if (end < common::FromDate(posting->start_date())) {
    return common::InvalidField("end_date", "must not be before the posting's start date");
  }
  return store_.Mutate(
      ctx, out, [&](PersonnelTx& tx, v1::Posting& p) -> absl::StatusOr<EntityRefs> {
        std::optional<v1::Posting> current = tx.LockPosting(id);
        if (!current.has_value()) return NotFound("posting", id);
        p = *std::move(current);
        if (!p.active())
          return Precondition("the posting has already ended", common::ErrorReason::POSTING_ENDED);
        p.set_active(false);
        *p.mutable_end_date() = common::ToDate(end);
        p.set_end_reason(req.reason());
        tx.EndPosting(p);
        return EntityRefs{Entity("posting", id, p.village_code()),
                          Entity("cadre", p.cadre_id(), "")};
      });
}

absl::Status PersonnelLogic::PairCadreWithHousehold(const MutationContext& ctx,
                                                    const v1::PairCadreWithHouseholdRequest& req,
                                                    v1::Pairing& out) {
  // Both named objects: the household, and the cadre through its managing region.
  TUOPIN_ASSIGN_OR_RETURN(v1::Household h, LoadHousehold(ctx.principal, req.household_id()));
  TUOPIN_RETURN_IF_ERROR(LoadManagedCadre(ctx.principal, req.cadre_id()).status());
  const int limit = config_.pairing_limit;
  return store_.Mutate(
      ctx, out, [&](PersonnelTx& tx, v1::Pairing& p) -> absl::StatusOr<EntityRefs> {
        // The lock on the cadre serialises pairings of one cadre, so the count below cannot
        // be overtaken by a concurrent pairing.
        if (!tx.LockCadre(req.cadre_id()).has_value()) return NotFound("cadre", req.cadre_id());
        TUOPIN_RETURN_IF_ERROR(
            RequireCurrentVillage(tx.GetRegion(h.village_code()), "household_id"));
        if (tx.CountActivePairings(req.cadre_id()) >= limit) {
          return Precondition(absl::StrCat("cadre ", req.cadre_id(), " already answers for ", limit,
                                           " households, the limit"),
                              common::ErrorReason::PAIRING_LIMIT_REACHED);
        }
        p.set_id(tx.NewId());
        p.set_cadre_id(req.cadre_id());
        p.set_household_id(h.id());
        p.set_village_code(h.village_code());
        *p.mutable_start_time() = common::ToTimestamp(ctx.now);
        p.set_active(true);
        if (tx.InsertPairing(p) == Conflict::kHouseholdPaired) {
          return Precondition(
              absl::StrCat("household ", h.id(), " already has a responsible cadre; unpair first"),
              common::ErrorReason::HOUSEHOLD_ALREADY_PAIRED);
        }
        return EntityRefs{Entity("pairing", p.id(), p.village_code()),
                          Entity("cadre", p.cadre_id(), ""),
                          Entity("household", p.household_id(), p.village_code())};
      });
}

absl::Status PersonnelLogic::UnpairCadre(const MutationContext& ctx,
                                         const v1::UnpairCadreRequest& req, v1::Pairing& out) {
  const std::string& id = req.pairing_id();
  std::string resource = absl::StrCat("pairings/", id);
  TUOPIN_ASSIGN_OR_RETURN(auto pairing, store_.GetPairing(id));
  if (!pairing.has_value()) {
    return common::MissingObject(ctx.principal, resource, NotFound("pairing", id));
  }
  TUOPIN_RETURN_IF_ERROR(
      RequireEndable(ctx.principal, pairing->village_code(), pairing->cadre_id(), resource));
  return store_.Mutate(
      ctx, out, [&](PersonnelTx& tx, v1::Pairing& p) -> absl::StatusOr<EntityRefs> {
        std::optional<v1::Pairing> current = tx.LockPairing(id);
        if (!current.has_value()) return NotFound("pairing", id);
        p = *std::move(current);
        if (!p.active())
          return Precondition("the pairing has already ended", common::ErrorReason::PAIRING_ENDED);
        p.set_active(false);
        *p.mutable_end_time() = common::ToTimestamp(ctx.now);
        tx.EndPairing(p);
        return EntityRefs{Entity("pairing", id, p.village_code()),
                          Entity("cadre", p.cadre_id(), ""),
                          Entity("household", p.household_id(), p.village_code())};
      });
}

absl::Status PersonnelLogic::RecordCheckIn(const MutationContext& ctx,
                                           const v1::RecordCheckInRequest& req, v1::CheckIn& out) {
  const Principal& p = ctx.principal;
  if (!HasRole(p, ROLE_ADMIN)) {
    if (req.method() == v1::CHECK_IN_METHOD_SELF_REPORT && !IsSelf(p, req.cadre_id())) {
      return common::WithReason(
          absl::PermissionDeniedError("Permission denied: a cadre reports check-ins only for "
                                      "himself or herself"),
          common::ErrorReason::NOT_SELF);
    }
    if (req.method() == v1::CHECK_IN_METHOD_VERIFIED_BY_INSPECTION && !HasRole(p, ROLE_INSPECTOR)) {
      return common::WithReason(absl::PermissionDeniedError(
                                    "Permission denied: only inspectors record verified check-ins"),
                                common::ErrorReason::NOT_INSPECTOR);
    }
  }
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.village_code()));
  absl::Time when = common::FromTimestamp(req.time());
  absl::Time now = clock_.Now();
  if (when > now + absl::Minutes(5)) return common::InvalidField("time", "is in the future");
  if (when < now - absl::Hours(24 * 31)) {
    return common::InvalidField("time", "is more than 31 days ago");
  }
  // A check-in counts only where the cadre is posted.
  PageRequest all{{}, 1000};
  TUOPIN_ASSIGN_OR_RETURN(auto postings, store_.ListPostings(req.cadre_id(), "", true, all));
  bool posted_here = false;
  for (const auto& posting : postings) posted_here |= posting.village_code() == req.village_code();
  if (!posted_here) {
    return common::WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "cadre ", req.cadre_id(), " has no active posting in village ", req.village_code())),
        common::ErrorReason::NOT_POSTED_HERE);
  }
  return store_.Mutate(
      ctx, out, [&](PersonnelTx& tx, v1::CheckIn& c) -> absl::StatusOr<EntityRefs> {
        TUOPIN_RETURN_IF_ERROR(
            RequireCurrentVillage(tx.GetRegion(req.village_code()), "village_code"));
        c.set_id(tx.NewId());
        c.set_cadre_id(req.cadre_id());
        c.set_village_code(req.village_code());
        *c.mutable_time() = req.time();
        c.set_method(req.method());
        c.set_recorded_by(p.subject());
        tx.InsertCheckIn(c, common::ChinaDay(when));
        return EntityRefs{Entity("checkin", c.id(), c.village_code()),
                          Entity("cadre", c.cadre_id(), "")};
      });
}

}  // namespace tuopin::personnel
