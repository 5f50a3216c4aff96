// Unit tests of the assessment's gate (the "three rates and one degree" of assessment.proto,
// each flipping exactly at its threshold) and of FinalizeAssessment: every sampled
// household visited first, wrongly exited households returned to the register before the
// commit, and a failed reversal leaving the assessment open for a retry that finishes it.

#include "absl/strings/str_cat.h"
#include "tests/unit/accountability/assessment_test_fixture.h"

namespace tuopin::accountability {
namespace {

using tuopin::common::v1::Criterion;

// An assessment judged by the fixture's thresholds (incidence 3 %, wrongful exits and
// missed 2 %, approval 90 %), of a county of `rural` people.
v1::Assessment Judged(int64_t rural, int64_t registered, int64_t exited, int64_t non_registered) {
  v1::Assessment a;
  a.mutable_standard()->set_county_incidence_max_bp(300);
  a.mutable_standard()->set_wrongful_exit_max_bp(200);
  a.mutable_standard()->set_missed_max_bp(200);
  a.mutable_standard()->set_approval_min_bp(9000);
  a.mutable_register_()->set_rural_population(rural);
  a.mutable_register_()->set_registered_poor_people(registered);
  a.mutable_register_()->set_exited_people(exited);
  a.mutable_register_()->set_non_registered_people(non_registered);
  return a;
}

// A visited household: its stratum, its people in the register (frozen with the
// population), what the assessors found and whether it approves.
struct Seen {
  v1::Stratum stratum;
  int32_t people;
  bool fails = false;
  bool approves = true;
  int32_t observed_people = 1;  // never what the register says: no figure may use it
};

// ComputeGate over sampled villages whose non-registered population adds up to
// `non_registered` and a sampled, visited household for each of `seen`.
v1::AssessmentGate Judge(const v1::Assessment& a, int32_t non_registered,
                         const std::vector<Seen>& seen) {
  v1::AssessmentSample sample;
  sample.add_villages()->set_non_registered_people(non_registered - non_registered / 2);
  sample.add_villages()->set_non_registered_people(non_registered / 2);
  std::vector<v1::AssessmentVisit> visits;
  for (size_t i = 0; i < seen.size(); ++i) {
    const Seen& s = seen[i];
    v1::SampledHousehold* h = sample.add_households();
    h->set_household_id(absl::StrCat("h", i));
    h->set_stratum(s.stratum);
    h->set_people(s.people);
    v1::AssessmentVisit& v = visits.emplace_back();
    v.set_household_id(h->household_id());
    v.set_stratum(s.stratum);
    v.set_observed_people(s.observed_people);
    v.set_meets_standard(!s.fails);
    v.set_wrongly_exited(s.fails && s.stratum == v1::STRATUM_EXITED);
    v.set_missed(s.fails && s.stratum == v1::STRATUM_NON_REGISTERED);
    v.set_approves(s.approves);
  }
  return ComputeGate(a, sample, visits);
}

// Visits of exited households: `wrong` people wrongly exited among `total`, and one
// non-registered household of `missed` people.
std::vector<Seen> Visits(int32_t wrong, int32_t total, int32_t missed = 0) {
  std::vector<Seen> out = {{v1::STRATUM_EXITED, wrong, true}, {v1::STRATUM_EXITED, total - wrong}};
  if (missed > 0) out.push_back({v1::STRATUM_NON_REGISTERED, missed, true});
  return out;
}

const Criterion& Named(const v1::AssessmentGate& g, const std::string& name) {
  for (const auto& c : g.criteria()) {
    if (c.name() == name) return c;
  }
  static const Criterion* none = new Criterion();
  ADD_FAILURE() << "no criterion " << name;
  return *none;
}

TEST(AssessmentGate, FourCriteriaInOrder) {
  v1::AssessmentGate g = Judge(Judged(10000, 100, 1000, 8900), 1000, Visits(0, 1000));
  ASSERT_EQ(g.criteria_size(), 4);
  EXPECT_EQ(g.criteria(0).name(), "comprehensive_poverty_incidence");
  EXPECT_EQ(g.criteria(1).name(), "wrongful_exit_rate");
  EXPECT_EQ(g.criteria(2).name(), "missed_rate");
  EXPECT_EQ(g.criteria(3).name(), "approval");
  EXPECT_EQ(g.criteria(3).comparison(), Criterion::COMPARISON_AT_LEAST);
  EXPECT_TRUE(g.may_exit());
}

TEST(AssessmentGate, WrongfulExitRateFlipsAtItsThreshold) {
  v1::Assessment a = Judged(10000, 100, 1000, 8900);
  v1::AssessmentGate at = Judge(a, 1000, Visits(20, 1000));  // 2.0 %
  EXPECT_TRUE(Named(at, "wrongful_exit_rate").pass());
  EXPECT_EQ(Named(at, "wrongful_exit_rate").value_bp(), 200);
  EXPECT_TRUE(at.may_exit());
  v1::AssessmentGate over = Judge(a, 1000, Visits(21, 1000));  // 2.1 %
  EXPECT_FALSE(Named(over, "wrongful_exit_rate").pass());
  EXPECT_EQ(Named(over, "wrongful_exit_rate").numerator(), 21);
  EXPECT_EQ(Named(over, "wrongful_exit_rate").denominator(), 1000);
  EXPECT_FALSE(over.may_exit());
}

TEST(AssessmentGate, MissedRateFlipsAtItsThreshold) {
  v1::Assessment a = Judged(100000, 100, 1000, 1000);
  v1::AssessmentGate at = Judge(a, 1000, Visits(0, 1000, 20));  // 2.0 %
  EXPECT_TRUE(Named(at, "missed_rate").pass());
  EXPECT_EQ(Named(at, "missed_rate").denominator(), 1000);
  EXPECT_TRUE(at.may_exit());
  v1::AssessmentGate over = Judge(a, 1000, Visits(0, 1000, 21));  // 2.1 %
  EXPECT_FALSE(Named(over, "missed_rate").pass());
  EXPECT_FALSE(over.may_exit());
}

TEST(AssessmentGate, ApprovalFlipsAtItsThreshold) {
  v1::Assessment a = Judged(10000, 100, 1000, 8900);
  auto with_approving = [](int approving) {
    std::vector<Seen> visits;
    for (int i = 0; i < 1000; ++i)
      visits.push_back({v1::STRATUM_EXITED, 1, false, /*approves=*/i < approving});
    return visits;
  };
  v1::AssessmentGate at = Judge(a, 1000, with_approving(900));  // 90.0 %
  EXPECT_TRUE(Named(at, "approval").pass());
  EXPECT_EQ(Named(at, "approval").value_bp(), 9000);
  EXPECT_TRUE(at.may_exit());
  v1::AssessmentGate under = Judge(a, 1000, with_approving(899));  // 89.9 %
  EXPECT_FALSE(Named(under, "approval").pass());
  EXPECT_FALSE(under.may_exit());
}

TEST(AssessmentGate, ComprehensiveIncidenceFlipsAtItsThreshold) {
  v1::AssessmentGate at = Judge(Judged(10000, 300, 1000, 8700), 1000, Visits(0, 1000));  // 3.00 %
  EXPECT_TRUE(Named(at, "comprehensive_poverty_incidence").pass());
  EXPECT_TRUE(at.may_exit());
  v1::AssessmentGate over = Judge(Judged(10000, 301, 1000, 8699), 1000, Visits(0, 1000));  // 3.01 %
  EXPECT_FALSE(Named(over, "comprehensive_poverty_incidence").pass());
  EXPECT_EQ(Named(over, "comprehensive_poverty_incidence").numerator(), 301);
  EXPECT_FALSE(over.may_exit());
}

TEST(AssessmentGate, IncidenceAddsTheEstimatedMissedAndWronglyExited) {
  // Missed: 3 people of 1000 sampled non-registered, in a county of 5000: 15 estimated.
  // Wrongly exited: 2 people of 400 visited, in a county of 3000 exited: 15 estimated.
  v1::Assessment a = Judged(10000, 250, 3000, 5000);
  v1::AssessmentGate g = Judge(a, 1000, Visits(2, 400, 3));
  const Criterion& c = Named(g, "comprehensive_poverty_incidence");
  EXPECT_EQ(c.numerator(), 250 + 15 + 15);
  EXPECT_EQ(c.denominator(), 10000);
  EXPECT_TRUE(c.pass());
  // Rounded half up: 1 missed of 2 sampled in a county of 5 is 2.5, counted 3.
  v1::AssessmentGate half = Judge(Judged(100, 0, 10, 5), 2, Visits(0, 10, 1));
  EXPECT_EQ(Named(half, "comprehensive_poverty_incidence").numerator(), 3);
}

TEST(AssessmentGate, NothingToJudgeByFails) {
  // No exited household visited: the wrongful-exit rate has no denominator.
  std::vector<Seen> only_registered = {{v1::STRATUM_REGISTERED, 4}};
  v1::AssessmentGate g = Judge(Judged(10000, 100, 1000, 8900), 1000, only_registered);
  EXPECT_FALSE(Named(g, "wrongful_exit_rate").pass());
  EXPECT_EQ(Named(g, "comprehensive_poverty_incidence").numerator(), 100);
  EXPECT_FALSE(g.may_exit());
}

TEST(AssessmentGate, RatesAreWeightedByTheRegisterNotTheVisitor) {
  // Exited households of 4 and 4 people in the register, found with 1 and 30: the rate is
  // the register's 4 of 8, whatever the assessors typed; missed likewise.
  v1::Assessment a = Judged(10000, 100, 1000, 8900);
  v1::AssessmentGate g = Judge(a, 1000,
                               {{v1::STRATUM_EXITED, 4, true, true, 1},
                                {v1::STRATUM_EXITED, 4, false, true, 30},
                                {v1::STRATUM_NON_REGISTERED, 5, true, true, 30}});
  EXPECT_EQ(Named(g, "wrongful_exit_rate").numerator(), 4);
  EXPECT_EQ(Named(g, "wrongful_exit_rate").denominator(), 8);
  EXPECT_EQ(Named(g, "missed_rate").numerator(), 5);
  // Estimated: 4 * 1000 / 8 wrongly exited and 5 * 8900 / 1000 (44.5, rounded up) missed.
  EXPECT_EQ(Named(g, "comprehensive_poverty_incidence").numerator(), 100 + 500 + 45);
}

TEST(AssessmentGate, ReverseRequestIdsDependOnTheAssessmentAndHouseholdOnly) {
  std::string id = ReverseRequestId("as-000001", "E1a");
  EXPECT_EQ(id, ReverseRequestId("as-000001", "E1a"));
  EXPECT_LE(id.size(), 64u);
  EXPECT_LE(ReverseRequestId(std::string(64, 'a'), std::string(64, 'h')).size(), 64u);
  EXPECT_NE(id, ReverseRequestId("as-000002", "E1a"));
  EXPECT_NE(id, ReverseRequestId("as-000001", "E2a"));
}

// The sampled exited households of a revealed assessment of both villages.
std::vector<v1::SampledHousehold> Exited(const v1::AssessmentSample& s) {
  std::vector<v1::SampledHousehold> out;
  for (const auto& h : s.households())
    if (h.stratum() == v1::STRATUM_EXITED) out.push_back(h);
  return out;
}

TEST_F(AssessmentLogicTest, FinalizeWaitsForEveryVisit) {
  auto a = Create();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Reason(Finalize(a->id(), "finalize-0").status()), "NOT_REVEALED");
  ASSERT_TRUE(Reveal(a->id()).ok());
  const auto& sample = store_.samples[a->id()];
  ASSERT_EQ(sample.households_size(), 6);
  ASSERT_TRUE(Visit(a->id(), sample.households(0).household_id()).ok());
  ASSERT_TRUE(Visit(a->id(), sample.households(2).household_id()).ok());
  auto early = Finalize(a->id());
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Reason(early.status()), "VISITS_MISSING");
  EXPECT_NE(early.status().message().find("4 of 6"), std::string::npos) << early.status();
  EXPECT_NE(early.status().message().find(sample.households(1).household_id()), std::string::npos)
      << early.status();
  EXPECT_EQ(store_.assessments[a->id()].state(), v1::ASSESSMENT_STATE_REVEALED);
}

TEST_F(AssessmentLogicTest, FinalizeReturnsWronglyExitedHouseholdsToTheRegister) {
  auto a = Create();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(Reveal(a->id()).ok());
  std::vector<v1::SampledHousehold> exited = Exited(store_.samples[a->id()]);
  ASSERT_EQ(exited.size(), 2u);
  const std::string wrong = exited[0].household_id();
  // Found with 1 person each: the register's member counts weigh the rate.
  VisitAll(a->id(), {{wrong, "indicators.drinking_water_safety"}}, /*people=*/1);
  auto done = Finalize(a->id());
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state(), v1::ASSESSMENT_STATE_FINALIZED);
  EXPECT_TRUE(done->has_finalize_time());
  const Criterion& rate = Named(done->gate(), "wrongful_exit_rate");
  EXPECT_EQ(rate.numerator(), personnel_.households[wrong].member_count);
  EXPECT_EQ(rate.denominator(), personnel_.households[exited[0].household_id()].member_count +
                                    personnel_.households[exited[1].household_id()].member_count);
  EXPECT_FALSE(done->gate().may_exit());

  ASSERT_EQ(personnel_.reversals.size(), 1u);
  std::string visit_id;
  for (const auto& [id, v] : store_.visits)
    if (v.household_id() == wrong) visit_id = id;
  EXPECT_EQ(std::get<0>(personnel_.reversals[0]), wrong);
  EXPECT_EQ(std::get<1>(personnel_.reversals[0]),
            absl::StrCat("assessments/", a->id(), "/visits/", visit_id));
  EXPECT_EQ(std::get<2>(personnel_.reversals[0]), ReverseRequestId(a->id(), wrong));
  EXPECT_EQ(personnel_.households[wrong].status, pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  // Audited: the assessment and the household returned, in its village.
  const auto& event = store_.mutations.events.back();
  ASSERT_EQ(event.entities_size(), 2);
  EXPECT_EQ(event.entities(0).type(), "assessment");
  EXPECT_EQ(event.entities(1).id(), wrong);
  EXPECT_EQ(event.entities(1).region_code(), exited[0].village_code());

  // Once: a retry is replayed (reversing nothing again), another request refused.
  EXPECT_TRUE(Finalize(a->id()).ok());
  EXPECT_EQ(personnel_.reversals.size(), 1u);
  EXPECT_EQ(Reason(Finalize(a->id(), "finalize-2").status()), "ASSESSMENT_FINALIZED");
}

TEST_F(AssessmentLogicTest, AFailedReversalLeavesTheAssessmentOpenUntilARetry) {
  auto a = Create();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(Reveal(a->id()).ok());
  std::vector<v1::SampledHousehold> exited = Exited(store_.samples[a->id()]);
  ASSERT_EQ(exited.size(), 2u);
  VisitAll(a->id(), {{exited[0].household_id(), "income_per_head"},
                     {exited[1].household_id(), "indicators.clothing"}});
  // The second reversal fails: the first went through.
  personnel_.reverse_fail_household = exited[1].household_id();
  personnel_.reverse_fail = absl::UnavailableError("personnel is restarting");
  auto failed = Finalize(a->id());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_EQ(store_.assessments[a->id()].state(), v1::ASSESSMENT_STATE_REVEALED);
  EXPECT_EQ(personnel_.reversals.size(), 1u);
  size_t events = store_.mutations.events.size();

  // Another finalizer retries under another request id: personnel replays the reversal
  // already made (the same request id) instead of refusing it as not exited.
  personnel_.reverse_fail = absl::OkStatus();
  auto retried = Finalize(a->id(), "finalize-by-admin", &admin_);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->state(), v1::ASSESSMENT_STATE_FINALIZED);
  // Each household reversed once; the event of the one commit names both.
  ASSERT_EQ(personnel_.reversals.size(), 2u);
  EXPECT_NE(std::get<0>(personnel_.reversals[0]), std::get<0>(personnel_.reversals[1]));
  for (const auto& [household, reference, request_id] : personnel_.reversals)
    EXPECT_EQ(request_id, ReverseRequestId(a->id(), household));
  ASSERT_EQ(store_.mutations.events.size(), events + 1);
  EXPECT_EQ(store_.mutations.events.back().entities_size(), 3);
}

TEST_F(AssessmentLogicTest, AHouseholdAlreadyBackOnTheRegisterIsNoFailure) {
  auto a = Create();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(Reveal(a->id()).ok());
  std::string wrong = Exited(store_.samples[a->id()])[0].household_id();
  VisitAll(a->id(), {{wrong, "indicators.food"}});
  // Reversed since by an inspection finding: personnel answers NOT_EXITED.
  personnel_.households[wrong].status = pv1::HOUSEHOLD_STATUS_REGISTERED_POOR;
  auto done = Finalize(a->id());
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(personnel_.reversals.empty());
  // The event names the assessment only: this finalization returned no household.
  const auto& event = store_.mutations.events.back();
  ASSERT_EQ(event.entities_size(), 1);
  EXPECT_EQ(event.entities(0).type(), "assessment");
}

TEST_F(AssessmentLogicTest, PersonnelNotKnowingTheHouseholdIsOurFault) {
  auto a = Create();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(Reveal(a->id()).ok());
  std::string wrong = Exited(store_.samples[a->id()])[0].household_id();
  VisitAll(a->id(), {{wrong, "indicators.food"}});
  personnel_.reverse_fail_household = wrong;
  personnel_.reverse_fail = absl::NotFoundError("household not found");
  auto failed = Finalize(a->id());
  // Not a NOT_FOUND: that would read as if the assessment were missing.
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInternal) << failed.status();
  EXPECT_EQ(store_.assessments[a->id()].state(), v1::ASSESSMENT_STATE_REVEALED);
}

}  // namespace
}  // namespace tuopin::accountability
