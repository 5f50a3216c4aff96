#pragma once
// The county's third-party exit assessment (assessment.proto): an assessor independent of
// the county freezes the population from personnel, commits to a seed, draws villages and
// then households of three strata, records what it saw, and the "three rates and one
// degree" decide the county's exit gate. Wrongly exited households return to the register.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/page_token.h"
#include "common/personnel_client.h"
#include "services/accountability/assessment_store.h"

namespace tuopin::accountability {

// The draw of RevealAssessmentSample (assessment.proto) from the seed's bytes, the
// assessment (its id and its server nonce, server_nonce_hex) and the frozen population.
// Only villages with a rural population are drawable: a village without a profile has no
// denominator for its missed households.
v1::AssessmentSample DrawAssessmentSample(const std::string& seed, const v1::Assessment& a,
                                          const FrozenPopulation& population);

// The four figures and the gate (AssessmentGate in assessment.proto) of an assessment
// whose sampled households were all visited. The people of a visited household are its
// member count frozen with the population (the sample's SampledHousehold.people), never
// the assessors' observed_people: the register weighs the rates, not the visitor.
v1::AssessmentGate ComputeGate(const v1::Assessment& a, const v1::AssessmentSample& sample,
                               const std::vector<v1::AssessmentVisit>& visits);

// The request id of the ReverseExit call finalizing `assessment_id` makes for
// `household_id`: the same for every finalizer and every retry, so personnel replays the
// one reversal instead of making another.
std::string ReverseRequestId(const std::string& assessment_id, const std::string& household_id);

// How far ahead of the server's clock a visit may be dated (the assessors' clocks).
inline constexpr absl::Duration kVisitClockSkew = absl::Minutes(5);

// The server nonce's size (bytes).
inline constexpr size_t kServerNonceBytes = 32;

class AssessmentLogic {
 public:
  // `random(n)`: n unpredictable bytes (the server nonce); injected so tests draw the same.
  using RandomSource = std::function<std::string(size_t)>;
  AssessmentLogic(AssessmentStore& store, common::PersonnelDirectory& personnel,
                  const common::PageTokenCodec& tokens, RandomSource random = common::RandomBytes)
      : store_(store), personnel_(personnel), tokens_(tokens), random_(std::move(random)) {}

  absl::Status CreateAssessment(const MutationContext& ctx, const v1::CreateAssessmentRequest& req,
                                v1::Assessment& out);
  absl::Status GetAssessment(const common::Principal& p, const v1::GetAssessmentRequest& req,
                             v1::Assessment& out);
  absl::Status ListAssessments(const common::Principal& p, const v1::ListAssessmentsRequest& req,
                               v1::ListAssessmentsResponse& out);
  absl::Status RevealAssessmentSample(const MutationContext& ctx,
                                      const v1::RevealAssessmentSampleRequest& req,
                                      v1::AssessmentSample& out);
  absl::Status GetAssessmentSample(const common::Principal& p,
                                   const v1::GetAssessmentSampleRequest& req,
                                   v1::AssessmentSample& out);
  absl::Status RecordAssessmentVisit(const MutationContext& ctx,
                                     const v1::RecordAssessmentVisitRequest& req,
                                     v1::AssessmentVisit& out);
  absl::Status ListAssessmentVisits(const common::Principal& p,
                                    const v1::ListAssessmentVisitsRequest& req,
                                    v1::ListAssessmentVisitsResponse& out);
  absl::Status FinalizeAssessment(const MutationContext& ctx,
                                  const v1::FinalizeAssessmentRequest& req, v1::Assessment& out);

 private:
  // The assessment, when the caller's scope covers its county (common/scope.h otherwise).
  absl::StatusOr<v1::Assessment> Load(const common::Principal& p, const std::string& id);
  // Load, for a mutation: the caller must also be independent of the county.
  absl::StatusOr<v1::Assessment> LoadIndependent(const common::Principal& p, const std::string& id);
  // Freezes the county's population from personnel now.
  absl::StatusOr<FrozenPopulation> Freeze(const v1::Assessment& a,
                                          const personnel::v1::ExitStatus& status);
  // Every visit of the assessment, by id.
  absl::StatusOr<std::vector<v1::AssessmentVisit>> AllVisits(const std::string& assessment_id);
  // The assessment, when the caller may see what the county must not before the visits
  // (independent, or the assessment finalized): the sample and the visits.
  absl::StatusOr<v1::Assessment> LoadBeforeVisits(const common::Principal& p,
                                                  const std::string& id);
  // Returns the wrongly exited households of `wrong` to the register; `reversed`: those
  // this call returned (or replayed), not those already back on the register.
  absl::Status ReverseWrongExits(const v1::Assessment& a,
                                 const std::vector<v1::AssessmentVisit>& wrong,
                                 std::vector<v1::AssessmentVisit>& reversed);

  AssessmentStore& store_;
  common::PersonnelDirectory& personnel_;
  const common::PageTokenCodec& tokens_;
  RandomSource random_;
};

// PERMISSION_DENIED unless the principal's scope covers `county_code` from above: "*" or
// a scope shorter than a county's code that prefixes it (reason NOT_INDEPENDENT); the
// usual OUT_OF_REGION refusal when no scope covers the county at all.
absl::Status RequireIndependent(const common::Principal& p, const std::string& county_code,
                                absl::string_view resource);

// `a` as `p` may see it: the server nonce only once REVEALED; the seed and the nonce, until
// FINALIZED, only for a caller independent of the county (with them and the population
// the county could recompute the sample).
v1::Assessment Visible(const common::Principal& p, v1::Assessment a);

}  // namespace tuopin::accountability
