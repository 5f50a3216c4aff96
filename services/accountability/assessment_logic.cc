#include "services/accountability/assessment_logic.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/exit_criteria.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/accountability/records_logic.h"

namespace tuopin::accountability {

namespace pv1 = tuopin::personnel::v1;
using tuopin::common::v1::Criterion;

namespace {

constexpr v1::Stratum kStrata[] = {v1::STRATUM_EXITED, v1::STRATUM_REGISTERED,
                                   v1::STRATUM_NON_REGISTERED};

v1::Stratum StratumOf(pv1::HouseholdStatus status) {
  switch (status) {
    case pv1::HOUSEHOLD_STATUS_LIFTED_OUT:
    case pv1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN:
      return v1::STRATUM_EXITED;
    case pv1::HOUSEHOLD_STATUS_REGISTERED_POOR:
      return v1::STRATUM_REGISTERED;
    case pv1::HOUSEHOLD_STATUS_NOT_POOR:
      return v1::STRATUM_NON_REGISTERED;
    default:
      return v1::STRATUM_UNSPECIFIED;
  }
}

int32_t PerVillage(const v1::Assessment& a, v1::Stratum s) {
  switch (s) {
    case v1::STRATUM_EXITED:
      return a.exited_per_village();
    case v1::STRATUM_REGISTERED:
      return a.registered_per_village();
    case v1::STRATUM_NON_REGISTERED:
      return a.non_registered_per_village();
    default:
      return 0;
  }
}

// Registered, exited or at risk: everyone the register counts as (once) poor.
int64_t RegisteredPeople(const pv1::RegisterCounts& c) {
  return c.registered_poor_people() + c.lifted_out_people() + c.at_risk_people();
}

// "<village code>/<stratum number>/<household id>", sorted: the digest's lines.
std::string DigestOf(const FrozenPopulation& population) {
  std::vector<std::string> lines;
  for (const auto& h : population.households) {
    lines.push_back(
        absl::StrCat(h.village_code(), "/", static_cast<int>(h.stratum()), "/", h.household_id()));
  }
  std::sort(lines.begin(), lines.end());
  return PopulationDigest(lines);
}

absl::Status Refused(absl::Status status, common::ErrorReason reason) {
  return common::WithReason(std::move(status), reason);
}

// The refusal of a step the assessment's state does not allow.
absl::Status StateRefusal(const v1::Assessment& a) {
  if (a.state() == v1::ASSESSMENT_STATE_FINALIZED) {
    return Refused(
        absl::FailedPreconditionError(absl::StrCat("assessment ", a.id(), " is already finalized")),
        common::ErrorReason::ASSESSMENT_FINALIZED);
  }
  return Refused(absl::FailedPreconditionError(
                     absl::StrCat("the sample of assessment ", a.id(), " is not revealed yet")),
                 common::ErrorReason::NOT_REVEALED);
}

// Personnel's refusal of a reversal, as this call's error: NOT_FOUND or PERMISSION_DENIED
// would read as if the assessment were missing (ours: INTERNAL); personnel's reasons
// describe the household, not the assessment, and are dropped.
absl::Status ReversalError(const std::string& household_id, const absl::Status& st) {
  absl::StatusCode code = st.code();
  if (code == absl::StatusCode::kNotFound || code == absl::StatusCode::kPermissionDenied)
    code = absl::StatusCode::kInternal;
  return absl::Status(
      code, absl::StrCat("returning household ", household_id, " to the register: ", st.message()));
}

}  // namespace

absl::Status RequireIndependent(const common::Principal& p, const std::string& county_code,
                                absl::string_view resource) {
  TUOPIN_RETURN_IF_ERROR(common::RequireRegion(p, county_code, resource));
  for (const auto& scope : p.region_scopes()) {
    if (scope == "*" ||
        (scope.size() < county_code.size() && common::RegionCovers(scope, county_code))) {
      return absl::OkStatus();
    }
  }
  return Refused(absl::PermissionDeniedError(absl::StrCat(
                     "Permission denied: county ", county_code,
                     " is assessed by a prefecture, province or the centre, never by its own")),
                 common::ErrorReason::NOT_INDEPENDENT);
}

std::string ReverseRequestId(const std::string& subject, const std::string& request_id,
                             const std::string& household_id) {
  // Bounded to the 64 characters a request id may have, whatever the inputs' lengths.
  return absl::StrCat(
      "reverse-",
      common::HexEncode(common::Sha256(absl::StrCat(subject, "\n", request_id, "\n", household_id)))
          .substr(0, 48));
}

v1::AssessmentSample DrawAssessmentSample(const std::string& seed, const v1::Assessment& a,
                                          const FrozenPopulation& population) {
  auto sub_seed = [&](absl::string_view label) {
    return common::Sha256(absl::StrCat(seed, label));
  };
  std::map<std::string, const v1::SampledVillage*> drawable;  // by code: sorted
  for (const auto& v : population.villages) {
    if (v.rural_population() > 0) drawable[v.village_code()] = &v;
  }
  // (village, stratum) -> household id -> row; the ids of a cell sorted.
  std::map<std::pair<std::string, int>, std::map<std::string, const v1::SampledHousehold*>> cells;
  for (const auto& h : population.households)
    cells[{h.village_code(), h.stratum()}][h.household_id()] = &h;

  v1::AssessmentSample sample;
  sample.set_assessment_id(a.id());
  std::vector<std::string> codes;
  for (const auto& [code, v] : drawable) codes.push_back(code);
  for (const auto& village : DrawSample(sub_seed("villages"), codes, a.village_sample_size())) {
    *sample.add_villages() = *drawable[village];
    for (v1::Stratum s : kStrata) {
      const auto& cell = cells[{village, s}];
      std::vector<std::string> ids;
      for (const auto& [id, h] : cell) ids.push_back(id);
      std::string label = absl::StrCat("households/", village, "/", static_cast<int>(s));
      for (const auto& id : DrawSample(sub_seed(label), ids, PerVillage(a, s)))
        *sample.add_households() = *cell.at(id);
    }
  }
  return sample;
}

v1::AssessmentGate ComputeGate(const v1::Assessment& a, const v1::AssessmentSample& sample,
                               const std::vector<v1::AssessmentVisit>& visits) {
  int64_t exited_people = 0, wrong_people = 0, missed_people = 0, approving = 0;
  for (const auto& v : visits) {
    if (v.stratum() == v1::STRATUM_EXITED) exited_people += v.observed_people();
    if (v.wrongly_exited()) wrong_people += v.observed_people();
    if (v.missed()) missed_people += v.observed_people();
    if (v.approves()) ++approving;
  }
  int64_t sampled_non_registered = 0;
  for (const auto& v : sample.villages()) sampled_non_registered += v.non_registered_people();
  const v1::RegisterSnapshot& r = a.register_();
  const pv1::PovertyStandard& st = a.standard();
  int64_t estimated_missed =
      common::ScaleRoundHalfUp(missed_people, r.non_registered_people(), sampled_non_registered);
  int64_t estimated_wrong =
      common::ScaleRoundHalfUp(wrong_people, r.exited_people(), exited_people);

  v1::AssessmentGate gate;
  *gate.add_criteria() = common::RatioCriterion(
      "comprehensive_poverty_incidence",
      r.registered_poor_people() + estimated_missed + estimated_wrong, r.rural_population(),
      Criterion::COMPARISON_AT_MOST, st.county_incidence_max_bp());
  *gate.add_criteria() =
      common::RatioCriterion("wrongful_exit_rate", wrong_people, exited_people,
                             Criterion::COMPARISON_AT_MOST, st.wrongful_exit_max_bp());
  *gate.add_criteria() =
      common::RatioCriterion("missed_rate", missed_people, sampled_non_registered,
                             Criterion::COMPARISON_AT_MOST, st.missed_max_bp());
  *gate.add_criteria() =
      common::RatioCriterion("approval", approving, static_cast<int64_t>(visits.size()),
                             Criterion::COMPARISON_AT_LEAST, st.approval_min_bp());
  bool all = true;
  for (const auto& c : gate.criteria()) all = all && c.pass();
  gate.set_may_exit(all);
  return gate;
}

absl::StatusOr<v1::Assessment> AssessmentLogic::Load(const common::Principal& p,
                                                     const std::string& id) {
  std::string resource = absl::StrCat("assessments/", id);
  TUOPIN_ASSIGN_OR_RETURN(auto a, store_.GetAssessment(id));
  if (!a.has_value()) return common::MissingObject(p, resource, common::NotFound("assessment", id));
  TUOPIN_RETURN_IF_ERROR(common::RequireRegion(p, a->county_code(), resource));
  return *a;
}

absl::StatusOr<v1::Assessment> AssessmentLogic::LoadIndependent(const common::Principal& p,
                                                                const std::string& id) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a, Load(p, id));
  TUOPIN_RETURN_IF_ERROR(RequireIndependent(p, a.county_code(), absl::StrCat("assessments/", id)));
  return a;
}

absl::StatusOr<FrozenPopulation> AssessmentLogic::Freeze(const v1::Assessment& a,
                                                         const pv1::ExitStatus& status) {
  FrozenPopulation population;
  for (const auto& v : status.villages()) {
    v1::SampledVillage& row = population.villages.emplace_back();
    row.set_village_code(v.village_code());
    row.set_rural_population(v.rural_population());
    row.set_non_registered_people(static_cast<int32_t>(
        std::max<int64_t>(0, v.rural_population() - RegisteredPeople(v.counts()))));
  }
  std::sort(population.villages.begin(), population.villages.end(),
            [](const auto& x, const auto& y) { return x.village_code() < y.village_code(); });
  TUOPIN_ASSIGN_OR_RETURN(auto households, personnel_.HouseholdsInRegion(a.county_code()));
  for (const auto& h : households) {
    v1::Stratum s = StratumOf(h.status);
    if (s == v1::STRATUM_UNSPECIFIED) continue;
    v1::SampledHousehold& row = population.households.emplace_back();
    row.set_household_id(h.id);
    row.set_village_code(h.village_code);
    row.set_stratum(s);
    row.set_people(h.member_count);
  }
  std::sort(
      population.households.begin(), population.households.end(), [](const auto& x, const auto& y) {
        return std::make_tuple(x.village_code(), static_cast<int>(x.stratum()), x.household_id()) <
               std::make_tuple(y.village_code(), static_cast<int>(y.stratum()), y.household_id());
      });
  return population;
}

absl::Status AssessmentLogic::CreateAssessment(const MutationContext& ctx,
                                               const v1::CreateAssessmentRequest& req,
                                               v1::Assessment& out) {
  const v1::Assessment& in = req.assessment();
  const std::string& county = in.county_code();
  TUOPIN_RETURN_IF_ERROR(
      RequireIndependent(ctx.principal, county, absl::StrCat("regions/", county)));
  absl::Status known = personnel_.CheckRegion(county);
  if (known.code() == absl::StatusCode::kNotFound)
    return common::InvalidField("assessment.county_code", "is not a known county");
  TUOPIN_RETURN_IF_ERROR(known);
  std::string province = county.substr(0, 2);
  absl::StatusOr<pv1::PovertyStandard> standard = personnel_.PovertyStandard(in.year(), province);
  if (standard.status().code() == absl::StatusCode::kNotFound) {
    return Refused(absl::FailedPreconditionError(absl::StrCat(
                       "no poverty standard is set for ", in.year(), " in province ", province)),
                   common::ErrorReason::NO_POVERTY_STANDARD);
  }
  TUOPIN_RETURN_IF_ERROR(standard.status());
  TUOPIN_ASSIGN_OR_RETURN(pv1::ExitStatus status, personnel_.ExitStatus(county, in.year()));

  v1::Assessment a;
  a.set_county_code(county);
  a.set_year(in.year());
  a.set_assessor_organisation(in.assessor_organisation());
  a.set_village_sample_size(in.village_sample_size());
  a.set_exited_per_village(in.exited_per_village());
  a.set_registered_per_village(in.registered_per_village());
  a.set_non_registered_per_village(in.non_registered_per_village());
  a.set_seed_commitment(in.seed_commitment());
  a.set_state(v1::ASSESSMENT_STATE_CREATED);
  *a.mutable_standard() = *standard;
  v1::RegisterSnapshot& r = *a.mutable_register_();
  r.set_rural_population(status.rural_population());
  r.set_registered_poor_people(status.counts().registered_poor_people());
  r.set_exited_people(status.counts().lifted_out_people() + status.counts().at_risk_people());
  r.set_non_registered_people(
      std::max<int64_t>(0, status.rural_population() - RegisteredPeople(status.counts())));
  // Frozen now, before anyone knows the seed: the draw can neither be predicted nor
  // steered afterwards, and later changes to the register do not move it.
  TUOPIN_ASSIGN_OR_RETURN(FrozenPopulation population, Freeze(a, status));
  a.set_population_digest(DigestOf(population));
  a.set_population_households(static_cast<int32_t>(population.households.size()));
  return store_.CreateAssessment(ctx, a, population, out);
}

absl::Status AssessmentLogic::GetAssessment(const common::Principal& p,
                                            const v1::GetAssessmentRequest& req,
                                            v1::Assessment& out) {
  TUOPIN_ASSIGN_OR_RETURN(out, Load(p, req.id()));
  return absl::OkStatus();
}

absl::Status AssessmentLogic::ListAssessments(const common::Principal& p,
                                              const v1::ListAssessmentsRequest& req,
                                              v1::ListAssessmentsResponse& out) {
  TUOPIN_RETURN_IF_ERROR(common::RequireRegionCode(p, req.region_code()));
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.ListAssessments(req.region_code(), page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::Assessment& a) { return std::vector<std::string>{a.id()}; },
      out.mutable_assessments(), out.mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status AssessmentLogic::RevealAssessmentSample(const MutationContext& ctx,
                                                     const v1::RevealAssessmentSampleRequest& req,
                                                     v1::AssessmentSample& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a, LoadIndependent(ctx.principal, req.assessment_id()));
  std::string seed = common::HexDecode(req.seed_hex()).value_or("");
  if (common::HexEncode(common::Sha256(seed)) != a.seed_commitment()) {
    return Refused(
        common::InvalidField("seed_hex", "does not match the assessment's seed commitment"),
        common::ErrorReason::SEED_MISMATCH);
  }
  TUOPIN_ASSIGN_OR_RETURN(FrozenPopulation population, store_.Population(a.id()));
  if (DigestOf(population) != a.population_digest())
    return absl::DataLossError("the frozen population no longer matches its digest");
  return store_.SaveSample(
      ctx, a.id(),
      [&](v1::Assessment& locked, v1::AssessmentSample& sample) -> absl::Status {
        // Drawn once: a second seed (or the same one again) changes nothing.
        if (locked.state() != v1::ASSESSMENT_STATE_CREATED) {
          return Refused(absl::FailedPreconditionError("the sample was already revealed"),
                         common::ErrorReason::ALREADY_REVEALED);
        }
        sample = DrawAssessmentSample(seed, locked, population);
        locked.set_state(v1::ASSESSMENT_STATE_REVEALED);
        locked.set_revealed_seed_hex(req.seed_hex());
        locked.set_sampled_households(sample.households_size());
        return absl::OkStatus();
      },
      out);
}

absl::Status AssessmentLogic::GetAssessmentSample(const common::Principal& p,
                                                  const v1::GetAssessmentSampleRequest& req,
                                                  v1::AssessmentSample& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a, Load(p, req.assessment_id()));
  TUOPIN_ASSIGN_OR_RETURN(out, store_.Sample(a.id()));
  out.set_assessment_id(a.id());
  return absl::OkStatus();
}

absl::Status AssessmentLogic::RecordAssessmentVisit(const MutationContext& ctx,
                                                    const v1::RecordAssessmentVisitRequest& req,
                                                    v1::AssessmentVisit& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a, LoadIndependent(ctx.principal, req.assessment_id()));
  return store_.RecordVisit(
      ctx, a.id(), req.household_id(),
      [&](const v1::Assessment& locked, const std::optional<v1::SampledHousehold>& sampled,
          bool already_visited) -> absl::StatusOr<v1::AssessmentVisit> {
        if (locked.state() != v1::ASSESSMENT_STATE_REVEALED) return StateRefusal(locked);
        if (!sampled.has_value()) {
          return Refused(
              absl::FailedPreconditionError(absl::StrCat(
                  "household ", req.household_id(), " was not drawn in assessment ", locked.id())),
              common::ErrorReason::NOT_IN_SAMPLE);
        }
        if (already_visited) {
          return Refused(absl::AlreadyExistsError(absl::StrCat("household ", req.household_id(),
                                                               " was already visited")),
                         common::ErrorReason::VISIT_ALREADY_RECORDED);
        }
        v1::AssessmentVisit v;
        v.set_assessment_id(locked.id());
        v.set_household_id(sampled->household_id());
        v.set_village_code(sampled->village_code());
        v.set_stratum(sampled->stratum());
        *v.mutable_observed_indicators() = req.observed_indicators();
        v.set_observed_income_per_head_fen(req.observed_income_per_head_fen());
        v.set_observed_people(req.observed_people());
        v.set_approves(req.approves());
        v.set_notes(req.notes());
        *v.mutable_visit_time() = req.visit_time();
        v.set_recorded_by(ctx.principal.subject());
        // Computed, never typed: by the standard frozen with the assessment.
        std::string unmet = common::FirstUnmetExitCriterion(req.observed_indicators(),
                                                            req.observed_income_per_head_fen(),
                                                            locked.standard().poverty_line_fen());
        v.set_unmet_criterion(unmet);
        v.set_meets_standard(unmet.empty());
        v.set_wrongly_exited(!unmet.empty() && v.stratum() == v1::STRATUM_EXITED);
        v.set_missed(!unmet.empty() && v.stratum() == v1::STRATUM_NON_REGISTERED);
        return v;
      },
      out);
}

absl::StatusOr<std::vector<v1::AssessmentVisit>> AssessmentLogic::AllVisits(
    const std::string& assessment_id) {
  std::vector<v1::AssessmentVisit> all;
  PageRequest page;
  page.limit = 1000;
  while (true) {
    TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.ListVisits(assessment_id, page));
    if (rows.empty()) break;
    page.after = {rows.back().id()};
    bool last = static_cast<int>(rows.size()) < page.limit;
    for (auto& v : rows) all.push_back(std::move(v));
    if (last) break;
  }
  return all;
}

absl::Status AssessmentLogic::ListAssessmentVisits(const common::Principal& p,
                                                   const v1::ListAssessmentVisitsRequest& req,
                                                   v1::ListAssessmentVisitsResponse& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a, Load(p, req.assessment_id()));
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.ListVisits(a.id(), page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::AssessmentVisit& v) { return std::vector<std::string>{v.id()}; },
      out.mutable_visits(), out.mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status AssessmentLogic::ReverseWrongExits(const MutationContext& ctx, const v1::Assessment& a,
                                                const std::vector<v1::AssessmentVisit>& wrong) {
  for (const auto& v : wrong) {
    absl::StatusOr<pv1::Household> reversed = personnel_.ReverseExit(
        v.household_id(), absl::StrCat("assessments/", a.id(), "/visits/", v.id()),
        ReverseRequestId(ctx.principal.subject(), ctx.request_id, v.household_id()));
    if (reversed.ok()) continue;
    // Already back on the register (an inspection finding reversed it, or an earlier
    // finalization under another request id did): what this call wants holds.
    if (common::ReasonOf(common::ToGrpcStatus(reversed.status())) == "NOT_EXITED") continue;
    return ReversalError(v.household_id(), reversed.status());
  }
  return absl::OkStatus();
}

absl::Status AssessmentLogic::FinalizeAssessment(const MutationContext& ctx,
                                                 const v1::FinalizeAssessmentRequest& req,
                                                 v1::Assessment& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a, LoadIndependent(ctx.principal, req.assessment_id()));
  v1::AssessmentGate gate;
  std::vector<v1::AssessmentVisit> wrong;
  // The households are returned to the register before the finalization commits: if one
  // fails, the caller gets the error and the assessment stays revealed; a retry of the same
  // request replays the reversals already made (same request ids) and commits. Once
  // committed, a retry finds the assessment finalized and is replayed by the store.
  if (a.state() == v1::ASSESSMENT_STATE_REVEALED) {
    TUOPIN_ASSIGN_OR_RETURN(v1::AssessmentSample sample, store_.Sample(a.id()));
    TUOPIN_ASSIGN_OR_RETURN(auto visits, AllVisits(a.id()));
    std::set<std::string> visited;
    for (const auto& v : visits) visited.insert(v.household_id());
    std::vector<std::string> missing;
    for (const auto& h : sample.households()) {
      if (!visited.contains(h.household_id())) missing.push_back(h.household_id());
    }
    if (!missing.empty()) {
      return Refused(absl::FailedPreconditionError(absl::StrCat(
                         missing.size(), " of ", sample.households_size(),
                         " sampled households are not visited yet, the first: ", missing[0])),
                     common::ErrorReason::VISITS_MISSING);
    }
    gate = ComputeGate(a, sample, visits);
    for (const auto& v : visits) {
      if (v.wrongly_exited()) wrong.push_back(v);
    }
    TUOPIN_RETURN_IF_ERROR(ReverseWrongExits(ctx, a, wrong));
  }
  return store_.FinalizeAssessment(
      ctx, a.id(),
      [&](v1::Assessment& locked) -> absl::Status {
        if (locked.state() != v1::ASSESSMENT_STATE_REVEALED) return StateRefusal(locked);
        // Revealed since we read it: the figures above were not computed.
        if (a.state() != v1::ASSESSMENT_STATE_REVEALED)
          return absl::AbortedError("the assessment changed while it was finalized; retry");
        *locked.mutable_gate() = gate;
        locked.set_state(v1::ASSESSMENT_STATE_FINALIZED);
        *locked.mutable_finalize_time() = common::ToTimestamp(ctx.now);
        return absl::OkStatus();
      },
      wrong, out);
}

}  // namespace tuopin::accountability
