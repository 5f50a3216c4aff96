#pragma once
// Personnel business rules over a PersonnelStore: region scope on every object, region
// import, postings, pairings (and their limit), check-ins, attendance and coverage. Every
// rule is here: a mutation runs in the store's transaction (PersonnelStore::Mutate), reads
// what it needs under lock and decides; the store only stores. Depends only on the store
// interface, a clock and the page-token codec, so unit tests build it with fakes
// (tests/support/fake_personnel_store.h). Reads are in personnel_logic.cc, mutations in
// personnel_mutations.cc.

#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/mutation.h"
#include "common/page_token.h"
#include "common/pii_crypto.h"
#include "google/protobuf/field_mask.pb.h"
#include "services/personnel/personnel_store.h"

namespace tuopin::personnel {

using common::Principal;

struct PersonnelConfig {
  // Most households one cadre answers for.
  int pairing_limit = 10;
  // The coverage summary's refresh is skipped when no mutation was made since the last
  // one less `coverage_overlap` (a mutation stamped before a refresh that committed after
  // it), for at most `coverage_max_skip` (the stale check-ins count moves with time
  // alone); 0 refreshes every time.
  absl::Duration coverage_overlap = absl::Seconds(60);
  absl::Duration coverage_max_skip = absl::Minutes(10);
};

using common::NotFound;

// A cadre's JWT subject is the cadre's id: that is how "only for himself or herself" is
// decided.
bool IsSelf(const Principal& p, const std::string& cadre_id);

// The posting's village is the cadre's home region or lies inside it.
bool IsHomeVillage(const std::string& home_region_code, const std::string& village_code);

struct AttendanceFigures {
  int days_present = 0;
  int days_required = 0;
  int verified_days = 0;
};
// Days required: days of [from, to] covered by a posting, less 2 rest days in 7. Days
// present: distinct days with a check-in in the village the cadre was posted to that day.
AttendanceFigures ComputeAttendance(const std::vector<v1::Posting>& postings,
                                    const std::vector<CheckInDay>& checkins, absl::CivilDay from,
                                    absl::CivilDay to);

// The household named by id, checked against the caller's scope on its village (a missing
// one looks like one outside it: common/scope.h). Shared with the exit procedure.
absl::StatusOr<v1::Household> LoadScopedHousehold(PersonnelStore& store, const Principal& p,
                                                  const std::string& id);

// Whether the caller reads members' id-card numbers and phones in full: admins, county
// officials and cadres (the work team that visits the household). Everyone else
// (inspectors, auditors, finance officers, services) reads them masked.
bool SeesPersonalData(const Principal& p);
// Masks the members' id-card numbers and phones (common/pii_crypto.h MaskIdCardNumber).
void MaskPersonalData(v1::Household& h);
// The form of personnel's requests their digests (idempotency record, audit event) are
// taken of: every Member anywhere in the request (CreateHousehold, UpdateHousehold, any
// later request carrying members) has its id-card number and phone replaced by
// `pii.Pseudonym` of it, so no digest holds a value a holder of the deployment digest key
// or of a backup could try candidates against. Installed on the PersonnelService handler.
common::DigestForm MemberDigestForm(const common::PiiKeyRing& pii);

// Why `region` (read in the writing transaction) takes nothing new, or "" when it is an
// imported village still in the tree: a village that left it (merged or split) takes no
// household, posting, pairing or check-in.
std::string VillageRefusal(const std::optional<v1::Region>& region);
// VillageRefusal as a status naming `field`: INVALID_ARGUMENT when the code is not an
// imported village, FAILED_PRECONDITION with REGION_RETIRED when the village left the tree.
absl::Status RequireCurrentVillage(const std::optional<v1::Region>& region,
                                   absl::string_view field);
// The most households one MergeVillages or SplitVillage moves (region_changes.cc): a
// decision is one transaction, and its locks and versions grow with it.
extern const int64_t kMaxHouseholdsMoved;
// FAILED_PRECONDITION with `reason`, naming `field` as InvalidField does.
absl::Status FieldPrecondition(absl::string_view field, absl::string_view description,
                               common::ErrorReason reason);

// The status a new household may have: REGISTERED_POOR or NOT_POOR; LIFTED_OUT or
// AT_RISK_OF_RETURN only with `prior_exit` and only by an admin (an exit imported from the
// national register); `prior_exit` with any other status is INVALID_ARGUMENT.
absl::Status CheckNewHouseholdStatus(const Principal& p, const v1::Household& h);
// What UpdateHousehold's `status` path may do: NOT_POOR -> REGISTERED_POOR (onto the
// register) and LIFTED_OUT <-> AT_RISK_OF_RETURN (monitoring); an unchanged status is no
// change. Anything else is FAILED_PRECONDITION, ILLEGAL_TRANSITION: exits go through
// ExitService.
absl::Status CheckStatusChange(v1::HouseholdStatus from, v1::HouseholdStatus to);

// Copies the masked fields of `patch` into `target`; INVALID_ARGUMENT on unknown paths.
absl::Status ApplyHouseholdMask(const google::protobuf::FieldMask& mask, const v1::Household& patch,
                                v1::Household& target);
absl::Status ApplyCadreMask(const google::protobuf::FieldMask& mask, const v1::Cadre& patch,
                            v1::Cadre& target);

class PersonnelLogic {
 public:
  PersonnelLogic(PersonnelStore& store, const common::Clock& clock,
                 const common::PageTokenCodec& tokens, PersonnelConfig config = {})
      : store_(store), clock_(clock), tokens_(tokens), config_(config) {}

  absl::Status ImportRegions(const MutationContext& ctx, const v1::ImportRegionsRequest& req,
                             v1::ImportRegionsResponse& out);
  absl::Status GetRegion(const Principal& p, const v1::GetRegionRequest& req, v1::Region& out);
  absl::Status ListRegions(const Principal& p, const v1::ListRegionsRequest& req,
                           v1::ListRegionsResponse& out);
  // Village mergers and splits (region_changes.cc): the villages' validity dates and their
  // households moved, in one transaction.
  absl::Status MergeVillages(const MutationContext& ctx, const v1::MergeVillagesRequest& req,
                             v1::MergeVillagesResponse& out);
  absl::Status SplitVillage(const MutationContext& ctx, const v1::SplitVillageRequest& req,
                            v1::SplitVillageResponse& out);

  absl::Status CreateHousehold(const MutationContext& ctx, const v1::CreateHouseholdRequest& req,
                               v1::Household& out);
  absl::Status GetHousehold(const Principal& p, const v1::GetHouseholdRequest& req,
                            v1::Household& out);
  absl::Status ListHouseholds(const Principal& p, const v1::ListHouseholdsRequest& req,
                              v1::ListHouseholdsResponse& out);
  absl::Status UpdateHousehold(const MutationContext& ctx, const v1::UpdateHouseholdRequest& req,
                               v1::Household& out);
  // Every version of a household, oldest first (household_history.cc).
  absl::Status GetHouseholdHistory(const Principal& p, const v1::GetHouseholdHistoryRequest& req,
                                   v1::GetHouseholdHistoryResponse& out);

  // A page of a register file (household_import.cc): the apply, in one transaction, and
  // the dry run, a read that decides the same way and writes nothing.
  absl::Status ImportHouseholds(const MutationContext& ctx, const v1::ImportHouseholdsRequest& req,
                                v1::ImportHouseholdsResponse& out);
  absl::Status DryRunImportHouseholds(const Principal& p, const v1::ImportHouseholdsRequest& req,
                                      v1::ImportHouseholdsResponse& out);
  // A page of another system's register file compared with the register (household_diff.cc).
  absl::Status DiffHouseholds(const Principal& p, const v1::DiffHouseholdsRequest& req,
                              v1::DiffHouseholdsResponse& out);

  absl::Status CreateCadre(const MutationContext& ctx, const v1::CreateCadreRequest& req,
                           v1::Cadre& out);
  absl::Status GetCadre(const Principal& p, const v1::GetCadreRequest& req, v1::Cadre& out);
  absl::Status ListCadres(const Principal& p, const v1::ListCadresRequest& req,
                          v1::ListCadresResponse& out);
  absl::Status UpdateCadre(const MutationContext& ctx, const v1::UpdateCadreRequest& req,
                           v1::Cadre& out);

  absl::Status PostCadre(const MutationContext& ctx, const v1::PostCadreRequest& req,
                         v1::Posting& out);
  absl::Status EndPosting(const MutationContext& ctx, const v1::EndPostingRequest& req,
                          v1::Posting& out);
  absl::Status ListPostings(const Principal& p, const v1::ListPostingsRequest& req,
                            v1::ListPostingsResponse& out);

  absl::Status PairCadreWithHousehold(const MutationContext& ctx,
                                      const v1::PairCadreWithHouseholdRequest& req,
                                      v1::Pairing& out);
  absl::Status UnpairCadre(const MutationContext& ctx, const v1::UnpairCadreRequest& req,
                           v1::Pairing& out);
  absl::Status ListPairings(const Principal& p, const v1::ListPairingsRequest& req,
                            v1::ListPairingsResponse& out);

  absl::Status RecordCheckIn(const MutationContext& ctx, const v1::RecordCheckInRequest& req,
                             v1::CheckIn& out);
  absl::Status GetAttendance(const Principal& p, const v1::GetAttendanceRequest& req,
                             v1::Attendance& out);
  absl::Status GetCoverage(const Principal& p, const v1::GetCoverageRequest& req,
                           v1::Coverage& out);
  // Recomputes the per-village coverage summary behind counts_only answers (the
  // service's periodic task; also run once when a counts_only call finds none).
  absl::Status RefreshCoverageSummary();

 private:
  // Objects named by id, checked against the caller's scope (a missing one looks like one
  // outside it: common/scope.h). A household by its village; a cadre by its managing
  // region (LoadCadre also lets cadres read themselves).
  absl::StatusOr<v1::Household> LoadHousehold(const Principal& p, const std::string& id);
  // History (household_history.cc). The time of an as_of that reads a version: none when
  // unset or not before now (the present is read).
  std::optional<absl::Time> PastAsOf(bool has_as_of,
                                     const google::protobuf::Timestamp& as_of) const;
  // The household's version in force at `at`, scoped on that version's village; NOT_FOUND
  // when it had none then (to a caller who may see the household now).
  absl::StatusOr<v1::Household> LoadHouseholdAsOf(const Principal& p, const std::string& id,
                                                  absl::Time at);
  absl::StatusOr<std::vector<v1::Household>> ListHouseholdsAsOf(const std::string& region_prefix,
                                                                int status, absl::Time at,
                                                                const PageRequest& page);
  absl::StatusOr<v1::Cadre> LoadCadre(const Principal& p, const std::string& id);
  absl::StatusOr<v1::Cadre> LoadManagedCadre(const Principal& p, const std::string& id);
  // Who may end a posting or pairing: a caller covering its village or the cadre's
  // managing region; OutOfScope(resource) for anyone else.
  absl::Status RequireEndable(const Principal& p, const std::string& village_code,
                              const std::string& cadre_id, const std::string& resource);

  PersonnelStore& store_;
  const common::Clock& clock_;
  const common::PageTokenCodec& tokens_;
  PersonnelConfig config_;
  // When this process last refreshed the coverage summary (RefreshCoverageSummary).
  absl::Mutex refresh_mu_;
  std::optional<absl::Time> last_refresh_ ABSL_GUARDED_BY(refresh_mu_);
};

}  // namespace tuopin::personnel
