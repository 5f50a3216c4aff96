// Unit tests of the county exit assessment (no server, no database): independence, the
// population frozen at creation, the committed draw, the computed verdicts of visits and
// the reads. The gate's figures and the finalization: assessment_gate_test.cc.

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/field_limits.h"
#include "tests/support/same_refusal.h"
#include "tests/unit/accountability/assessment_test_fixture.h"

namespace tuopin::accountability {
namespace {

TEST_F(AssessmentLogicTest, CreateFreezesStandardRegisterAndPopulation) {
  auto a = Create();
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->state(), v1::ASSESSMENT_STATE_CREATED);
  EXPECT_EQ(a->created_by(), "inspector-lps");
  EXPECT_EQ(a->standard().poverty_line_fen(), kLine);
  EXPECT_EQ(a->standard().approval_min_bp(), 9000);
  EXPECT_EQ(a->register_().rural_population(), 1000);
  EXPECT_EQ(a->register_().registered_poor_people(), 40);
  EXPECT_EQ(a->register_().exited_people(), 110);
  EXPECT_EQ(a->register_().non_registered_people(), 850);  // 1000 - 40 - 100 - 10
  // Every household of the county, none of another; by stratum.
  EXPECT_EQ(a->population_households(), 10);
  std::vector<std::string> lines = {
      "520221104001/1/E1a", "520221104001/1/E1b", "520221104001/2/R1a", "520221104001/3/N1a",
      "520221104001/3/N1b", "520221104002/1/E2a", "520221104002/2/R2a", "520221104002/3/N2a",
      "520221104003/1/E3a", "520221104003/3/N3a"};
  EXPECT_EQ(a->population_digest(), common::HexEncode(common::Sha256(absl::StrJoin(lines, "\n"))));
  const FrozenPopulation& pop = store_.populations[a->id()];
  ASSERT_EQ(pop.villages.size(), 3u);
  EXPECT_EQ(pop.villages[0].non_registered_people(), 510);
  EXPECT_EQ(pop.villages[1].non_registered_people(), 340);
  EXPECT_EQ(pop.villages[2].non_registered_people(), 0);
  // A later change of the register does not move the frozen population.
  personnel_.AddHousehold("E1c", kV1, pv1::HOUSEHOLD_STATUS_LIFTED_OUT, 4);
  EXPECT_EQ(store_.populations[a->id()].households.size(), 10u);
  // Audited: the assessment, in its county.
  ASSERT_EQ(store_.mutations.events.size(), 1u);
  const auto& e = store_.mutations.events[0].entities(0);
  EXPECT_EQ(e.type(), "assessment");
  EXPECT_EQ(e.id(), a->id());
  EXPECT_EQ(e.region_code(), kCounty);
}

TEST_F(AssessmentLogicTest, NonRegisteredPeopleFloorAtZero) {
  personnel_.exit_statuses[{kCounty, 2019}].set_rural_population(100);
  personnel_.exit_statuses[{kCounty, 2019}].mutable_villages(0)->set_rural_population(50);
  auto a = Create();
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->register_().non_registered_people(), 0);
  EXPECT_EQ(store_.populations[a->id()].villages[0].non_registered_people(), 0);
}

TEST_F(AssessmentLogicTest, OnlyAnIndependentAssessorMutates) {
  auto own = Create(own_, CreateRequest());
  EXPECT_EQ(own.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Reason(own.status()), "NOT_INDEPENDENT");
  // A scope that does not cover the county (another prefecture's, or one of its
  // townships') is the usual region refusal.
  for (const common::Principal* who : {&other_, &township_}) {
    auto other = Create(*who, CreateRequest());
    EXPECT_EQ(other.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(Reason(other.status()), "OUT_OF_REGION") << who->subject();
  }
  EXPECT_TRUE(store_.assessments.empty());
  // A province's, or every region's, is independent too (each another year: one
  // assessment per county and year).
  EXPECT_TRUE(Create(Who("inspector-gz", {"52"}), CreateRequest(2, 1, 2020)).ok());
  EXPECT_TRUE(Create(admin_, CreateRequest(2, 1, 2021)).ok());
  // One independent scope among others suffices.
  EXPECT_TRUE(Create(Who("inspector-two", {kCounty, "5202"}), CreateRequest(2, 1, 2022)).ok());

  // The steps after creation are refused to the county's own people the same way.
  auto a = Create();
  ASSERT_TRUE(a.ok());
  auto reveal = Reveal(a->id(), kSeed, "reveal-own", &own_);
  EXPECT_EQ(Reason(reveal.status()), "NOT_INDEPENDENT") << reveal.status();
  ASSERT_TRUE(Reveal(a->id()).ok());
  auto visit =
      Visit(a->id(), store_.samples[a->id()].households(0).household_id(), "", true, 4, &own_);
  EXPECT_EQ(Reason(visit.status()), "NOT_INDEPENDENT") << visit.status();
  auto fin = Finalize(a->id(), "finalize-own", &own_);
  EXPECT_EQ(Reason(fin.status()), "NOT_INDEPENDENT") << fin.status();
  EXPECT_EQ(store_.assessments[a->id()].visited_households(), 0);
}

TEST_F(AssessmentLogicTest, CreateNeedsAKnownCountyAndAStandard) {
  auto req = CreateRequest();
  req.mutable_assessment()->set_county_code("520299");
  auto unknown = Create(assessor_, req);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument) << unknown.status();

  personnel_.standards.clear();
  auto none = Create();
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Reason(none.status()), "NO_POVERTY_STANDARD");
  personnel_.fail = absl::UnavailableError("personnel is down");
  EXPECT_EQ(Create().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(store_.assessments.empty());
}

// The draw of assessment.proto, computed here from its words, independently of the code.
uint64_t Be64(const std::string& b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  return v;
}
std::vector<std::string> SpecDraw(const std::string& seed, std::vector<std::string> ids, int k) {
  for (size_t i = 0; i < ids.size() && static_cast<int>(i) < k; ++i) {
    std::string counter(7, '\0');
    counter.push_back(static_cast<char>(i));
    size_t j = i + Be64(common::Sha256(seed + counter)) % (ids.size() - i);
    std::swap(ids[i], ids[j]);
  }
  ids.resize(std::min<size_t>(ids.size(), k));
  return ids;
}

TEST_F(AssessmentLogicTest, TheDrawIsTheProtosWordForWord) {
  auto a = Create(assessor_, CreateRequest(/*villages=*/1, /*per_stratum=*/1));
  ASSERT_TRUE(a.ok());
  auto sample = Reveal(a->id());
  ASSERT_TRUE(sample.ok()) << sample.status();
  // sub-seed(label) = SHA-256(seed || nonce || assessment id || label).
  std::string nonce = CountingBytes(32);
  auto sub = [&](const std::string& label) {
    return common::Sha256(std::string(kSeed) + nonce + a->id() + label);
  };
  // Villages: V1 and V2 are drawable (V3 has no rural population).
  std::vector<std::string> villages = SpecDraw(sub("villages"), {kV1, kV2}, 1);
  ASSERT_EQ(sample->villages_size(), 1);
  EXPECT_EQ(sample->villages(0).village_code(), villages[0]);
  std::map<std::string, std::vector<std::vector<std::string>>> strata = {
      {kV1, {{"E1a", "E1b"}, {"R1a"}, {"N1a", "N1b"}}}, {kV2, {{"E2a"}, {"R2a"}, {"N2a"}}}};
  std::vector<std::string> expected;
  for (int s = 1; s <= 3; ++s) {
    auto drawn = SpecDraw(sub(absl::StrCat("households/", villages[0], "/", s)),
                          strata[villages[0]][s - 1], 1);
    expected.insert(expected.end(), drawn.begin(), drawn.end());
  }
  std::vector<std::string> got;
  for (const auto& h : sample->households()) got.push_back(h.household_id());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(sample->households(0).stratum(), v1::STRATUM_EXITED);
  EXPECT_EQ(sample->households(2).stratum(), v1::STRATUM_NON_REGISTERED);

  const v1::Assessment& stored = store_.assessments[a->id()];
  EXPECT_EQ(stored.state(), v1::ASSESSMENT_STATE_REVEALED);
  EXPECT_EQ(stored.revealed_seed_hex(), common::HexEncode(kSeed));
  EXPECT_EQ(stored.sampled_households(), 3);
}

TEST_F(AssessmentLogicTest, TheDrawMatchesAHandComputedCase) {
  // Computed once outside this code base (Python's hashlib and struct, from the proto's
  // words) for the fixture's population, two villages and one household per stratum,
  // assessment "as--000001" and the nonce 00 01 .. 1f.
  auto a = Create(assessor_, CreateRequest(2, 1));
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->id(), "as--000001");
  auto sample = Reveal(a->id());
  ASSERT_TRUE(sample.ok());
  ASSERT_EQ(sample->villages_size(), 2);
  EXPECT_EQ(sample->villages(0).village_code(), kV2);
  EXPECT_EQ(sample->villages(1).village_code(), kV1);
  std::vector<std::string> got;
  for (const auto& h : sample->households()) got.push_back(h.household_id());
  EXPECT_EQ(got, (std::vector<std::string>{"E2a", "R2a", "N2a", "E1b", "R1a", "N1b"}));
}

TEST_F(AssessmentLogicTest, TheDrawIsDeterministicAndTakesAllWhenSmall) {
  auto first = Create(assessor_, CreateRequest(60, 30));
  ASSERT_TRUE(first.ok());
  auto s1 = Reveal(first->id());
  ASSERT_TRUE(s1.ok());
  // Anyone with the seed, the revealed assessment and the population draws the same.
  const v1::Assessment& revealed = store_.assessments[first->id()];
  EXPECT_EQ(
      DrawAssessmentSample(kSeed, revealed, store_.populations[first->id()]).SerializeAsString(),
      s1->SerializeAsString());
  // Everything drawable is drawn; V3's households never are (no rural population).
  EXPECT_EQ(s1->villages_size(), 2);
  EXPECT_EQ(s1->households_size(), 8);
  for (const auto& h : s1->households()) EXPECT_NE(h.village_code(), kV3);
  // With the people the register gave them when frozen.
  for (const auto& h : s1->households())
    EXPECT_EQ(h.people(), personnel_.households[h.household_id()].member_count);
}

TEST_F(AssessmentLogicTest, RevealChecksTheSeedAndHappensOnce) {
  auto a = Create();
  ASSERT_TRUE(a.ok());
  auto wrong = Reveal(a->id(), "another seed entirely, 2019-11");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(wrong.status()), "SEED_MISMATCH");
  EXPECT_EQ(store_.assessments[a->id()].state(), v1::ASSESSMENT_STATE_CREATED);
  // Before the reveal the sample is empty.
  v1::GetAssessmentSampleRequest get;
  get.set_assessment_id(a->id());
  v1::AssessmentSample before;
  ASSERT_TRUE(logic_.GetAssessmentSample(assessor_, get, before).ok());
  EXPECT_EQ(before.households_size(), 0);

  auto sample = Reveal(a->id());
  ASSERT_TRUE(sample.ok());
  EXPECT_TRUE(Reveal(a->id()).ok()) << "a retry of the same request is replayed";
  auto again = Reveal(a->id(), kSeed, "reveal-2");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Reason(again.status()), "ALREADY_REVEALED");
  v1::AssessmentSample after;
  ASSERT_TRUE(logic_.GetAssessmentSample(Who("auditor", {"52"}), get, after).ok());
  EXPECT_EQ(after.SerializeAsString(), sample->SerializeAsString());
}

TEST_F(AssessmentLogicTest, VisitVerdictsAreComputed) {
  auto a = Create(assessor_, CreateRequest(2, 1));
  ASSERT_TRUE(a.ok());
  auto before = Visit(a->id(), "E1a");
  EXPECT_EQ(Reason(before.status()), "NOT_REVEALED") << before.status();
  ASSERT_TRUE(Reveal(a->id()).ok());
  std::map<v1::Stratum, std::string> by_stratum;
  for (const auto& h : store_.samples[a->id()].households())
    if (h.village_code() == kV2) by_stratum[h.stratum()] = h.household_id();

  auto exited = Visit(a->id(), by_stratum[v1::STRATUM_EXITED], "indicators.housing_safety");
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_FALSE(exited->meets_standard());
  EXPECT_TRUE(exited->wrongly_exited());
  EXPECT_FALSE(exited->missed());
  EXPECT_EQ(exited->unmet_criterion(), "indicators.housing_safety");
  EXPECT_EQ(exited->village_code(), kV2);
  EXPECT_EQ(exited->recorded_by(), "inspector-lps");
  // Income exactly at the line is not above it.
  auto missed = Visit(a->id(), by_stratum[v1::STRATUM_NON_REGISTERED], "income_per_head");
  ASSERT_TRUE(missed.ok());
  EXPECT_TRUE(missed->missed());
  EXPECT_FALSE(missed->wrongly_exited());
  EXPECT_EQ(missed->unmet_criterion(), "income_per_head");
  // A registered household below the standard is neither.
  auto registered = Visit(a->id(), by_stratum[v1::STRATUM_REGISTERED], "indicators.food");
  ASSERT_TRUE(registered.ok());
  EXPECT_FALSE(registered->missed() || registered->wrongly_exited() ||
               registered->meets_standard());
  EXPECT_EQ(store_.assessments[a->id()].visited_households(), 3);
  // Audited: the assessment and the visit, in the county; neither the household nor its
  // village, which the county must not learn before the finalization.
  const auto& event = store_.mutations.events.back();
  ASSERT_EQ(event.entities_size(), 2);
  EXPECT_EQ(event.entities(0).type(), "assessment");
  EXPECT_EQ(event.entities(1).type(), "assessment_visit");
  EXPECT_EQ(event.entities(1).id(), registered->id());
  for (const auto& e : event.entities()) {
    EXPECT_EQ(e.region_code(), a->county_code()) << e.type();
    EXPECT_NE(e.id(), registered->household_id()) << e.type();
  }
}

TEST_F(AssessmentLogicTest, VisitRefusals) {
  auto a = Create(assessor_, CreateRequest(1, 1));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(Reveal(a->id()).ok());
  std::string drawn = store_.samples[a->id()].households(0).household_id();
  auto outside = Visit(a->id(), "E3a");  // in the population, never drawable
  EXPECT_EQ(outside.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Reason(outside.status()), "NOT_IN_SAMPLE");
  ASSERT_TRUE(Visit(a->id(), drawn).ok());
  EXPECT_TRUE(Visit(a->id(), drawn).ok()) << "a retry of the same request is replayed";
  v1::RecordAssessmentVisitRequest again;
  again.set_request_id("visit-again");
  again.set_assessment_id(a->id());
  again.set_household_id(drawn);
  again.set_observed_people(3);
  v1::AssessmentVisit out;
  absl::Status twice = logic_.RecordAssessmentVisit(Ctx("visit-again", assessor_), again, out);
  EXPECT_EQ(twice.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Reason(twice), "VISIT_ALREADY_RECORDED");
  EXPECT_EQ(store_.visits.size(), 1u);

  VisitAll(a->id());  // the first one again is replayed: same request id
  ASSERT_TRUE(Finalize(a->id()).ok());
  again.set_request_id("visit-late");
  absl::Status late = logic_.RecordAssessmentVisit(Ctx("visit-late", assessor_), again, out);
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Reason(late), "ASSESSMENT_FINALIZED");
}

TEST_F(AssessmentLogicTest, ReadsFollowTheRegionScope) {
  auto a = Create();
  ASSERT_TRUE(a.ok());
  v1::GetAssessmentRequest get;
  get.set_id(a->id());
  v1::Assessment out;
  // The county's own officials read it (they only may not assess it).
  EXPECT_TRUE(logic_.GetAssessment(Who("official", {kCounty}), get, out).ok());
  absl::Status other = logic_.GetAssessment(other_, get, out);
  v1::GetAssessmentRequest missing;
  missing.set_id("as-404");
  absl::Status gone = logic_.GetAssessment(other_, missing, out);
  testing::ExpectSameRefusal(other, a->id(), gone, "as-404");
  EXPECT_EQ(logic_.GetAssessment(admin_, missing, out).code(), absl::StatusCode::kNotFound);
  v1::ListAssessmentVisitsRequest visits;
  visits.set_assessment_id(a->id());
  v1::ListAssessmentVisitsResponse vr;
  EXPECT_EQ(logic_.ListAssessmentVisits(other_, visits, vr).code(),
            absl::StatusCode::kPermissionDenied);
  v1::GetAssessmentSampleRequest sample;
  sample.set_assessment_id(a->id());
  v1::AssessmentSample sr;
  EXPECT_EQ(logic_.GetAssessmentSample(other_, sample, sr).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AssessmentLogicTest, ListsPage) {
  for (int year = 2019; year <= 2021; ++year)
    ASSERT_TRUE(Create(assessor_, CreateRequest(2, 2, year)).ok());
  v1::ListAssessmentsRequest list;
  list.set_region_code("5202");
  list.set_page_size(2);
  v1::ListAssessmentsResponse page1, page2;
  ASSERT_TRUE(logic_.ListAssessments(assessor_, list, page1).ok());
  EXPECT_EQ(page1.assessments_size(), 2);
  ASSERT_FALSE(page1.next_page_token().empty());
  list.set_page_token(page1.next_page_token());
  ASSERT_TRUE(logic_.ListAssessments(assessor_, list, page2).ok());
  EXPECT_EQ(page2.assessments_size(), 1);
  EXPECT_TRUE(page2.next_page_token().empty());
  v1::ListAssessmentsRequest elsewhere;
  elsewhere.set_region_code("520203");
  v1::ListAssessmentsResponse none;
  ASSERT_TRUE(logic_.ListAssessments(admin_, elsewhere, none).ok());
  EXPECT_EQ(none.assessments_size(), 0);
  EXPECT_EQ(logic_.ListAssessments(other_, list, none).code(), absl::StatusCode::kPermissionDenied);

  std::string id = page1.assessments(0).id();
  ASSERT_TRUE(Reveal(id).ok());
  VisitAll(id);
  v1::ListAssessmentVisitsRequest visits;
  visits.set_assessment_id(id);
  visits.set_page_size(4);
  v1::ListAssessmentVisitsResponse v1p, v2p;
  ASSERT_TRUE(logic_.ListAssessmentVisits(assessor_, visits, v1p).ok());
  visits.set_page_token(v1p.next_page_token());
  ASSERT_TRUE(logic_.ListAssessmentVisits(assessor_, visits, v2p).ok());
  EXPECT_EQ(v1p.visits_size() + v2p.visits_size(), store_.assessments[id].sampled_households());
  EXPECT_TRUE(v2p.next_page_token().empty());
}

// ---- What the hostile review of issue 20 asked for.

TEST_F(AssessmentLogicTest, OneAssessmentPerCountyAndYear) {
  ASSERT_TRUE(Create().ok());
  auto req = CreateRequest(1, 2);
  req.set_request_id("create-again");
  auto again = Create(Who("inspector-gz", {"52"}), req);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
  EXPECT_EQ(Reason(again.status()), "ASSESSMENT_EXISTS");
  EXPECT_EQ(store_.assessments.size(), 1u);
  EXPECT_TRUE(Create(assessor_, CreateRequest(2, 1, 2020)).ok()) << "another year";
}

TEST_F(AssessmentLogicTest, TheServerNonceIsSecretUntilTheReveal) {
  auto a = Create();
  ASSERT_TRUE(a.ok());
  const std::string nonce = common::HexEncode(CountingBytes(kServerNonceBytes));
  EXPECT_EQ(store_.assessments[a->id()].server_nonce_hex(), nonce) << "stored";
  EXPECT_EQ(a->server_nonce_hex(), "") << "not in the creation's answer";
  EXPECT_EQ(Create().value_or(v1::Assessment()).server_nonce_hex(), "") << "nor in its replay";
  v1::GetAssessmentRequest get;
  get.set_id(a->id());
  v1::ListAssessmentsRequest list;
  list.set_region_code(kCounty);
  auto seen_by = [&](const common::Principal& p) {
    v1::Assessment got;
    EXPECT_TRUE(logic_.GetAssessment(p, get, got).ok());
    v1::ListAssessmentsResponse listed;
    EXPECT_TRUE(logic_.ListAssessments(p, list, listed).ok());
    EXPECT_EQ(listed.assessments_size(), 1);
    EXPECT_EQ(listed.assessments(0).SerializeAsString(), got.SerializeAsString());
    return got;
  };
  EXPECT_EQ(seen_by(admin_).server_nonce_hex(), "");
  EXPECT_EQ(seen_by(assessor_).server_nonce_hex(), "");

  ASSERT_TRUE(Reveal(a->id()).ok());
  EXPECT_EQ(seen_by(assessor_).server_nonce_hex(), nonce);
  EXPECT_EQ(seen_by(assessor_).revealed_seed_hex(), common::HexEncode(kSeed));
  EXPECT_TRUE(seen_by(assessor_).has_reveal_time());
  // The county's own people get neither until the visits are over.
  const common::Principal official =
      Who("official", {kCounty}, tuopin::common::v1::ROLE_COUNTY_OFFICIAL);
  for (const common::Principal* who : {&official, &own_}) {
    EXPECT_EQ(seen_by(*who).server_nonce_hex(), "") << who->subject();
    EXPECT_EQ(seen_by(*who).revealed_seed_hex(), "") << who->subject();
  }
  VisitAll(a->id());
  ASSERT_TRUE(Finalize(a->id()).ok());
  EXPECT_EQ(seen_by(official).server_nonce_hex(), nonce);
  EXPECT_EQ(seen_by(official).revealed_seed_hex(), common::HexEncode(kSeed));
}

TEST_F(AssessmentLogicTest, NoRevealWithoutAServerNonce) {
  // None, not hex, too short; one assessment a year.
  const std::string stored_nonces[] = {"", "zz", "0a0b"};
  for (int i = 0; i < 3; ++i) {
    const std::string& stored = stored_nonces[i];
    auto a = Create(assessor_, CreateRequest(1, 1, 2019 + i));
    ASSERT_TRUE(a.ok()) << a.status();
    store_.assessments[a->id()].set_server_nonce_hex(stored);
    auto s = Reveal(a->id(), kSeed, absl::StrCat("reveal-", a->id()));
    EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << stored;
    EXPECT_TRUE(absl::StrContains(s.status().message(), "server nonce")) << s.status();
    EXPECT_EQ(store_.assessments[a->id()].state(), v1::ASSESSMENT_STATE_CREATED) << stored;
    EXPECT_TRUE(store_.samples[a->id()].households().empty()) << stored;
  }
}

TEST(AssessmentDraw, IsBoundToTheAssessmentAndTheServerNonce) {
  FrozenPopulation population;
  for (int i = 0; i < 60; ++i) {
    v1::SampledVillage& v = population.villages.emplace_back();
    v.set_village_code(absl::StrCat("5202211040", 10 + i));
    v.set_rural_population(100);
  }
  v1::Assessment a;
  a.set_id("as-1");
  a.set_village_sample_size(10);
  a.set_server_nonce_hex(common::HexEncode(std::string(32, '\1')));
  auto villages = [&](const v1::Assessment& x) {
    std::vector<std::string> out;
    v1::AssessmentSample sample = DrawAssessmentSample(kSeed, x, population);
    for (const auto& v : sample.villages()) out.push_back(v.village_code());
    return out;
  };
  std::vector<std::string> drawn = villages(a);
  ASSERT_EQ(drawn.size(), 10u);
  EXPECT_EQ(villages(a), drawn);
  v1::Assessment other_id = a;
  other_id.set_id("as-2");
  EXPECT_NE(villages(other_id), drawn) << "a seed reused on another assessment";
  v1::Assessment other_nonce = a;
  other_nonce.set_server_nonce_hex(common::HexEncode(std::string(32, '\2')));
  EXPECT_NE(villages(other_nonce), drawn) << "a seed tried before the server's nonce was known";
}

TEST_F(AssessmentLogicTest, TheExitedAndNonRegisteredStrataAreAlwaysDrawn) {
  auto req = CreateRequest();
  EXPECT_TRUE(common::ValidateLimits(req).ok());
  req.mutable_assessment()->set_exited_per_village(0);
  absl::Status exited = common::ValidateLimits(req);
  EXPECT_EQ(exited.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(exited.message()).find("exited_per_village"), std::string::npos) << exited;
  req = CreateRequest();
  req.mutable_assessment()->set_non_registered_per_village(0);
  absl::Status missed = common::ValidateLimits(req);
  EXPECT_EQ(missed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(missed.message()).find("non_registered_per_village"), std::string::npos)
      << missed;
  req = CreateRequest();
  req.mutable_assessment()->set_registered_per_village(0);  // the registered may be skipped
  EXPECT_TRUE(common::ValidateLimits(req).ok());
}

TEST_F(AssessmentLogicTest, TheCountySeesNeitherSampleNorVisitsBeforeTheEnd) {
  auto a = Create();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(Reveal(a->id()).ok());
  ASSERT_TRUE(Visit(a->id(), store_.samples[a->id()].households(0).household_id()).ok());
  v1::GetAssessmentSampleRequest sample;
  sample.set_assessment_id(a->id());
  v1::ListAssessmentVisitsRequest visits;
  visits.set_assessment_id(a->id());
  auto reads = [&](const common::Principal& p) {
    v1::AssessmentSample s;
    v1::ListAssessmentVisitsResponse v;
    return std::make_pair(logic_.GetAssessmentSample(p, sample, s),
                          logic_.ListAssessmentVisits(p, visits, v));
  };
  const common::Principal official =
      Who("official", {kCounty}, tuopin::common::v1::ROLE_COUNTY_OFFICIAL);
  for (const common::Principal* who : {&official, &own_}) {
    auto [s, v] = reads(*who);
    EXPECT_EQ(Reason(s), "NOT_INDEPENDENT") << who->subject() << s;
    EXPECT_EQ(Reason(v), "NOT_INDEPENDENT") << who->subject() << v;
  }
  // The assessors, audit-query (a service of every region) and the prefecture's auditors.
  for (const common::Principal& who :
       {assessor_, Who("auditquery", {"*"}, tuopin::common::v1::ROLE_SERVICE),
        Who("auditor", {"5202"}, tuopin::common::v1::ROLE_AUDITOR)}) {
    auto [s, v] = reads(who);
    EXPECT_TRUE(s.ok() && v.ok()) << who.subject() << s << v;
  }
  VisitAll(a->id());
  ASSERT_TRUE(Finalize(a->id()).ok());
  auto [s, v] = reads(official);
  EXPECT_TRUE(s.ok() && v.ok()) << "after the finalization: " << s << v;
}

TEST_F(AssessmentLogicTest, AVisitIsDatedBetweenTheRevealAndNow) {
  auto a = Create();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(Reveal(a->id()).ok());  // at now_
  EXPECT_EQ(store_.assessments[a->id()].reveal_time().seconds(), absl::ToUnixSeconds(now_));
  const auto& drawn = store_.samples[a->id()].households();
  auto early =
      Visit(a->id(), drawn[0].household_id(), "", true, 4, nullptr, now_ - absl::Seconds(1));
  EXPECT_EQ(early.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(early.status().message()).find("visit_time"), std::string::npos)
      << early.status();
  auto future = Visit(a->id(), drawn[1].household_id(), "", true, 4, nullptr,
                      now_ + kVisitClockSkew + absl::Seconds(1));
  EXPECT_EQ(future.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(future.status().message()).find("visit_time"), std::string::npos)
      << future.status();
  EXPECT_EQ(store_.visits.size(), 0u);
  now_ += absl::Hours(3);  // later that day: visits since the reveal, a clock a bit fast
  EXPECT_TRUE(
      Visit(a->id(), drawn[2].household_id(), "", true, 4, nullptr, now_ - absl::Hours(3)).ok());
  EXPECT_TRUE(
      Visit(a->id(), drawn[3].household_id(), "", true, 4, nullptr, now_ + kVisitClockSkew).ok());
}

}  // namespace
}  // namespace tuopin::accountability
