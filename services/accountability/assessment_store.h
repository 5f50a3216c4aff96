#pragma once
// Storage of county exit assessments: the assessment (with the standard, register figures
// and gate it carries), its frozen population, its drawn sample and its visits. Every
// decision is the logic's: the store hands it the rows as stored, under the assessment's
// lock, and writes what it decides.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/mutation.h"
#include "common/page_token.h"
#include "common/status.h"
#include "tuopin/accountability/v1/assessment.pb.h"

namespace tuopin::accountability {

using common::MutationContext;
using common::PageRequest;

// The population an assessment freezes at creation: the county's villages (by code) and
// its households (by village, stratum and id), each with its people then.
struct FrozenPopulation {
  std::vector<v1::SampledVillage> villages;
  std::vector<v1::SampledHousehold> households;
};

// What the audit event of each assessment mutation names, in which region: one place for
// the rule, so the MySQL store and the tests' fake tag the same entities.
inline common::EntityRefs AssessmentEntities(const v1::Assessment& a) {
  return {common::Entity("assessment", a.id(), a.county_code())};
}
// A visit names neither its household nor its village, and sits in the county: until the
// finalization the county must not learn which households were drawn, and a county-scoped
// auditor reads the events of its county (audit-query). The households are named by the
// finalization's event and ListAssessmentVisits once the assessment is finalized.
inline common::EntityRefs AssessmentVisitEntities(const v1::Assessment& a,
                                                  const v1::AssessmentVisit& v) {
  return {common::Entity("assessment", a.id(), a.county_code()),
          common::Entity("assessment_visit", v.id(), a.county_code())};
}
// The finalized assessment and the households it returned to the register.
inline common::EntityRefs FinalizeEntities(const v1::Assessment& a,
                                           const std::vector<v1::AssessmentVisit>& reversed) {
  common::EntityRefs refs = AssessmentEntities(a);
  for (const auto& v : reversed)
    refs.push_back(common::Entity("household", v.household_id(), v.village_code()));
  return refs;
}

// The refusal of a second assessment of `a`'s county and year.
inline absl::Status AssessmentExists(const v1::Assessment& a) {
  return common::WithReason(
      absl::AlreadyExistsError(
          absl::StrCat("county ", a.county_code(), " already has an assessment for ", a.year())),
      common::ErrorReason::ASSESSMENT_EXISTS);
}

class AssessmentStore {
 public:
  virtual ~AssessmentStore() = default;
  // Stores `in` with a new id, its creation time and creator (the caller), and its
  // population; AssessmentExists when its county has one for its year. `out` is without
  // the server nonce (kept in the stored assessment).
  virtual absl::Status CreateAssessment(const MutationContext& ctx, const v1::Assessment& in,
                                        const FrozenPopulation& population,
                                        v1::Assessment& out) = 0;
  virtual absl::StatusOr<std::optional<v1::Assessment>> GetAssessment(const std::string& id) = 0;
  // Assessments of counties in the region's subtree, by id.
  virtual absl::StatusOr<std::vector<v1::Assessment>> ListAssessments(
      const std::string& region_prefix, const PageRequest& page) = 0;
  // The frozen population: villages by code, households by (village, stratum, id).
  virtual absl::StatusOr<FrozenPopulation> Population(const std::string& assessment_id) = 0;
  // Under the assessment's lock, `draw` decides the sample and the assessment as it is
  // to be stored (or refuses); the store saves both.
  using SampleDraw = std::function<absl::Status(v1::Assessment& locked, v1::AssessmentSample&)>;
  virtual absl::Status SaveSample(const MutationContext& ctx, const std::string& assessment_id,
                                  const SampleDraw& draw, v1::AssessmentSample& out) = 0;
  // The stored sample, in draw order (empty before the reveal).
  virtual absl::StatusOr<v1::AssessmentSample> Sample(const std::string& assessment_id) = 0;
  // Under the assessment's lock, `visit` builds the visit from the assessment as stored,
  // the household's row in the sample (none when not drawn) and whether it was already
  // visited (or refuses); the store saves it with a new id and counts it.
  using VisitBuild = std::function<absl::StatusOr<v1::AssessmentVisit>(
      const v1::Assessment& locked, const std::optional<v1::SampledHousehold>& sampled,
      bool already_visited)>;
  virtual absl::Status RecordVisit(const MutationContext& ctx, const std::string& assessment_id,
                                   const std::string& household_id, const VisitBuild& visit,
                                   v1::AssessmentVisit& out) = 0;
  // Visits by id; `page.limit` bounds them.
  virtual absl::StatusOr<std::vector<v1::AssessmentVisit>> ListVisits(
      const std::string& assessment_id, const PageRequest& page) = 0;
  // Under the assessment's lock, `change` edits it (or refuses); the store saves it. The
  // event names the assessment and the `reversed` visits' households.
  using AssessmentChange = std::function<absl::Status(v1::Assessment& locked)>;
  virtual absl::Status FinalizeAssessment(const MutationContext& ctx,
                                          const std::string& assessment_id,
                                          const AssessmentChange& change,
                                          const std::vector<v1::AssessmentVisit>& reversed,
                                          v1::Assessment& out) = 0;
};

class MysqlAssessmentStore final : public AssessmentStore {
 public:
  MysqlAssessmentStore(common::ConnectionPool& pool, common::IdGenerator& ids)
      : pool_(pool), ids_(ids) {}
  absl::Status CreateAssessment(const MutationContext& ctx, const v1::Assessment& in,
                                const FrozenPopulation& population, v1::Assessment& out) override;
  absl::StatusOr<std::optional<v1::Assessment>> GetAssessment(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Assessment>> ListAssessments(const std::string& region_prefix,
                                                              const PageRequest& page) override;
  absl::StatusOr<FrozenPopulation> Population(const std::string& assessment_id) override;
  absl::Status SaveSample(const MutationContext& ctx, const std::string& assessment_id,
                          const SampleDraw& draw, v1::AssessmentSample& out) override;
  absl::StatusOr<v1::AssessmentSample> Sample(const std::string& assessment_id) override;
  absl::Status RecordVisit(const MutationContext& ctx, const std::string& assessment_id,
                           const std::string& household_id, const VisitBuild& visit,
                           v1::AssessmentVisit& out) override;
  absl::StatusOr<std::vector<v1::AssessmentVisit>> ListVisits(const std::string& assessment_id,
                                                              const PageRequest& page) override;
  absl::Status FinalizeAssessment(const MutationContext& ctx, const std::string& assessment_id,
                                  const AssessmentChange& change,
                                  const std::vector<v1::AssessmentVisit>& reversed,
                                  v1::Assessment& out) override;

 private:
  common::ConnectionPool& pool_;
  common::IdGenerator& ids_;
};

}  // namespace tuopin::accountability
