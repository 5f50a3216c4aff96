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
  if (common::ScopeAboveCounty(p, county_code)) return absl::OkStatus();
  return Refused(absl::PermissionDeniedError(absl::StrCat(
                     "Permission denied: county ", county_code,
                     " is assessed by a prefecture, province or the centre, never by its own")),
                 common::ErrorReason::NOT_INDEPENDENT);
}

v1::Assessment Visible(const common::Principal& p, v1::Assessment a) {
  if (a.state() == v1::ASSESSMENT_STATE_CREATED) a.clear_server_nonce_hex();
  if (a.state() != v1::ASSESSMENT_STATE_FINALIZED &&
      !common::ScopeAboveCounty(p, a.county_code())) {
    a.clear_revealed_seed_hex();
    a.clear_server_nonce_hex();
  }
  return a;
}

std::string ReverseRequestId(const std::string& assessment_id, const std::string& household_id) {
  // Bounded to the 64 characters a request id may have, whatever the inputs' lengths.
  return absl::StrCat(
      "reverse-", common::HexEncode(common::Sha256(absl::StrCat(assessment_id, "\n", household_id)))
                      .substr(0, 48));
}

v1::AssessmentSample DrawAssessmentSample(const std::string& seed, const v1::Assessment& a,
                                          const FrozenPopulation& population) {
  // The nonce binds the draw to what the server drew after the commitment, the id to this
  // assessment (assessment.proto, RevealAssessmentSample).
  std::string prefix =
      absl::StrCat(seed, common::HexDecode(a.server_nonce_hex()).value_or(""), a.id());
  auto sub_seed = [&](absl::string_view label) {
    return common::Sha256(absl::StrCat(prefix, label));
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
  // The register's people, frozen with the population: an assessor cannot move a rate by
  // the head count it types.
  std::map<std::string, int64_t> people;
  for (const auto& h : sample.households()) people[h.household_id()] = h.people();
  int64_t exited_people = 0, wrong_people = 0, missed_people = 0, approving = 0;
  for (const auto& v : visits) {
    int64_t n = people[v.household_id()];
    if (v.stratum() == v1::STRATUM_EXITED) exited_people += n;
    if (v.wrongly_exited()) wrong_people += n;
    if (v.missed()) missed_people += n;
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
  // Drawn after the commitment came in and secret until the reveal: the assessor, who can
  // read the population, cannot try seeds against it before committing.
  a.set_server_nonce_hex(common::HexEncode(random_(kServerNonceBytes)));
  TUOPIN_RETURN_IF_ERROR(store_.CreateAssessment(ctx, a, population, out));
  out = Visible(ctx.principal, std::move(out));
  return absl::OkStatus();
}

absl::Status AssessmentLogic::GetAssessment(const common::Principal& p,
                                            const v1::GetAssessmentRequest& req,
                                            v1::Assessment& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a, Load(p, req.id()));
  out = Visible(p, std::move(a));
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
  for (auto& a : *out.mutable_assessments()) a = Visible(p, std::move(a));
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
        // Without the server's nonce the assessor alone would have chosen the draw.
        std::optional<std::string> nonce = common::HexDecode(locked.server_nonce_hex());
        if (!nonce.has_value() || nonce->size() != kServerNonceBytes) {
          return absl::FailedPreconditionError(
              absl::StrCat("assessment ", locked.id(),
                           " has no server nonce: its sample cannot be drawn fairly"));
        }
        sample = DrawAssessmentSample(seed, locked, population);
        locked.set_state(v1::ASSESSMENT_STATE_REVEALED);
        locked.set_revealed_seed_hex(req.seed_hex());
        *locked.mutable_reveal_time() = common::ToTimestamp(ctx.now);
        locked.set_sampled_households(sample.households_size());
        return absl::OkStatus();
      },
      out);
}

absl::Status AssessmentLogic::GetAssessmentSample(const common::Principal& p,
                                                  const v1::GetAssessmentSampleRequest& req,
                                                  v1::AssessmentSample& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a, LoadBeforeVisits(p, req.assessment_id()));
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
        // A visit dated before the sample existed, or in the future, was not this visit.
        absl::Time when = common::FromTimestamp(req.visit_time());
        if (when < common::FromTimestamp(locked.reveal_time())) {
          return common::InvalidField("visit_time", "is before the sample was revealed");
        }
        if (when > ctx.now + kVisitClockSkew) {
          return common::InvalidField("visit_time", "is in the future");
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
  TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a, LoadBeforeVisits(p, req.assessment_id()));
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.ListVisits(a.id(), page));
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::AssessmentVisit& v) { return std::vector<std::string>{v.id()}; },
      out.mutable_visits(), out.mutable_next_page_token());
  return absl::OkStatus();
}

absl::StatusOr<v1::Assessment> AssessmentLogic::LoadBeforeVisits(const common::Principal& p,
                                                                 const std::string& id) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a, Load(p, id));
  if (a.state() != v1::ASSESSMENT_STATE_FINALIZED) {
    TUOPIN_RETURN_IF_ERROR(
        RequireIndependent(p, a.county_code(), absl::StrCat("assessments/", id)));
  }
  return a;
}

absl::Status AssessmentLogic::ReverseWrongExits(const v1::Assessment& a,
                                                const std::vector<v1::AssessmentVisit>& wrong,
                                                std::vector<v1::AssessmentVisit>& reversed) {
  for (const auto& v : wrong) {
    absl::StatusOr<pv1::Household> back = personnel_.ReverseExit(
        v.household_id(), absl::StrCat("assessments/", a.id(), "/visits/", v.id()),
        ReverseRequestId(a.id(), v.household_id()));
    if (back.ok()) {
      reversed.push_back(v);
      continue;
    }
    // Already back on the register by something else (an inspection finding): what this
    // call wants holds, but it did not do it.
    if (common::ReasonOf(common::ToGrpcStatus(back.status())) == "NOT_EXITED") continue;
    return ReversalError(v.household_id(), back.status());
  }
  return absl::OkStatus();
}

absl::Status AssessmentLogic::FinalizeAssessment(const MutationContext& ctx,
                                                 const v1::FinalizeAssessmentRequest& req,
                                                 v1::Assessment& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a, LoadIndependent(ctx.principal, req.assessment_id()));
  v1::AssessmentGate gate;
  std::vector<v1::AssessmentVisit> wrong, reversed;
  // The households are returned to the register before the finalization commits: if one
  // fails, the caller gets the error and the assessment stays revealed; a retry, by anyone,
  // replays the reversals already made (request ids of the assessment and the household)
  // and commits. Once
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
    TUOPIN_RETURN_IF_ERROR(ReverseWrongExits(a, wrong, reversed));
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
      reversed, out);
}

}  // namespace tuopin::accountability
