// Unit tests of the exit procedure's rules across the chain: four eyes over every step
// (resolution and confirmation included), the township's and county's levels, the year of
// the standard in force (China time), the bound on objections, and who may cite an
// assessment in a reversal. The fixture is tests/unit/personnel/exit_fixture.h.

#include "tests/unit/personnel/exit_fixture.h"

namespace tuopin::personnel {
namespace {

TEST_F(ExitLogicTest, ProposeOnlyTheYearOfTheStandardInForce) {
  PutStandard(2016);
  PutStandard(2019);  // set ahead of its year
  // Neither an older standard (a lower line) nor one not yet in force.
  for (int year : {2016, 2017, 2019, 2020}) {
    auto a = Propose(proposer_, "hh-sc", year);
    EXPECT_EQ(a.status().code(), absl::StatusCode::kFailedPrecondition) << year;
    EXPECT_EQ(ReasonOf(a.status()), "STALE_STANDARD") << year;
    EXPECT_TRUE(absl::StrContains(a.status().message(), "2018 standard")) << a.status();
  }
  EXPECT_TRUE(exits_.applications.empty());
  // The year turns in China time: 16:00 UTC on 31 December is midnight in Beijing.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2018, 12, 31, 15, 59, 59), absl::UTCTimeZone()));
  EXPECT_EQ(ReasonOf(Propose(proposer_, "hh-sc", 2019).status()), "STALE_STANDARD");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ReasonOf(Propose(proposer_, "hh-sc", 2018).status()), "STALE_STANDARD");
  auto a = Propose(proposer_, "hh-sc", 2019);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->standard().year(), 2019);
}

TEST_F(ExitLogicTest, ARetryReplaysAcrossTheYearsEnd) {
  PutStandard(2019);
  clock_.Set(absl::FromCivil(absl::CivilSecond(2018, 12, 31, 15, 0, 0), absl::UTCTimeZone()));
  auto first = Propose(proposer_, "hh-sc", kYear, "propose-at-years-end");
  ASSERT_TRUE(first.ok()) << first.status();
  clock_.Advance(absl::Hours(2));  // 2019 in Beijing: 2018 is no longer proposed
  EXPECT_EQ(ReasonOf(Propose(proposer_, "hh-sc", kYear).status()), "STALE_STANDARD");
  auto again = Propose(proposer_, "hh-sc", kYear, "propose-at-years-end");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->SerializeAsString(), first->SerializeAsString());
}

TEST_F(ExitLogicTest, TheTownshipReviewNeedsATownshipScope) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_NOTICE);
  clock_.Advance(absl::Hours(24) * kNoticeDays);
  const Principal village_official =
      WithRole(tuopin::common::v1::ROLE_COUNTY_OFFICIAL, "village-official", kShuichengVillage);
  auto r = Review(village_official, a.id());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(r.status()), "NOT_TOWNSHIP_LEVEL");
  EXPECT_EQ(exits_.applications.at(a.id()).stage(), v1::EXIT_STAGE_NOTICE);
  // Nor may it reject in the township's place.
  EXPECT_EQ(ReasonOf(Review(village_official, a.id(), false, "no").status()), "NOT_TOWNSHIP_LEVEL");
  r = Review(township_, a.id());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stage(), v1::EXIT_STAGE_TOWNSHIP_REVIEWED);
}

TEST_F(ExitLogicTest, NoOneWhoTookAStepResolvesTheObjection) {
  auto a = Propose(proposer_, "hh-sc");
  ASSERT_TRUE(Review(shuicheng_, a->id()).ok());  // the county official took the village review
  ASSERT_TRUE(Object(township_, a->id()).ok());   // the township official recorded the objection
  for (const Principal* p : {&shuicheng_, &township_}) {
    auto r = Resolve(*p, a->id(), false);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << p->subject();
    EXPECT_EQ(ReasonOf(r.status()), "REVIEWER_INVOLVED") << p->subject();
  }
  EXPECT_EQ(exits_.applications.at(a->id()).stage(), v1::EXIT_STAGE_OBJECTED);
  EXPECT_TRUE(Resolve(prefecture_, a->id(), false).ok());
}

TEST_F(ExitLogicTest, TheConfirmationIsRecordedByOneWhoTookNoStep) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_COUNTY_APPROVED);
  auto c = Confirm(proposer_, a.id());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(c.status()), "OWN_PROPOSAL");
  for (const Principal* p : {&village_reviewer_, &township_, &shuicheng_}) {
    c = Confirm(*p, a.id());
    EXPECT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied) << p->subject();
    EXPECT_EQ(ReasonOf(c.status()), "REVIEWER_INVOLVED") << p->subject();
  }
  EXPECT_EQ(store_.data.households.at("hh-sc").status(), v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  c = Confirm(recorder_, a.id());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->stage(), v1::EXIT_STAGE_CONFIRMED);
}

TEST_F(ExitLogicTest, AnApplicationTakesAtMostTwentyObjections) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_NOTICE);
  v1::ExitApplication& stored = exits_.applications.at(a.id());
  for (int i = 0; i < 19; ++i) stored.add_objections(absl::StrCat("objection ", i));
  auto o = Object(inspector_, a.id());
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->objections_size(), 20);
  ASSERT_TRUE(Resolve(prefecture_, a.id(), false).ok());
  o = Object(inspector_, a.id());
  EXPECT_EQ(o.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(o.status()), "OBJECTION_LIMIT_REACHED");
  EXPECT_TRUE(absl::StrContains(o.status().message(), "township review rejects it")) << o.status();
  EXPECT_EQ(exits_.applications.at(a.id()).stage(), v1::EXIT_STAGE_NOTICE);
  // The township rejects it; the household may be proposed again.
  ASSERT_TRUE(Review(township_, a.id(), false, "too many objections").ok());
  EXPECT_TRUE(Propose(proposer_, "hh-sc").ok());
}

TEST_F(ExitLogicTest, OnlyTheAssessmentNamesAnAssessment) {
  At(v1::EXIT_STAGE_CONFIRMED);
  for (const Principal* p : {&inspector_, &admin_}) {
    auto h = Reverse(*p, "hh-sc", "assessments/as-1/visits/v-3");
    EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument) << p->subject();
    EXPECT_EQ(FieldOf(h.status()), "reference") << p->subject();
  }
  // Another service is not the assessment either.
  auto h = Reverse(WithRole(ROLE_SERVICE, "service:funds", "*"), "hh-sc", "assessments/as-1");
  EXPECT_EQ(FieldOf(h.status()), "reference");
  EXPECT_EQ(store_.data.households.at("hh-sc").status(), v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  h = Reverse(inspector_, "hh-sc", "findings/f-7");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->reversal_reference(), "findings/f-7");
}

// Proposed under 2018's line; 2019's higher one is in force by the time of the step.
absl::Time InTheNextYear() {
  return absl::FromCivil(absl::CivilSecond(2019, 1, 2, 0, 0, 0), absl::UTCTimeZone());
}

TEST_F(ExitLogicTest, TheVillageReviewJudgesByTheStandardInForce) {
  auto a = Propose(proposer_, "hh-sc");  // 4,200 yuan a head, over 2018's 3,750
  ASSERT_TRUE(a.ok()) << a.status();
  clock_.Set(InTheNextYear());
  PutStandard(2019, 450000);
  auto r = Review(village_reviewer_, a->id());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(r.status()), "EXIT_CRITERIA_UNMET");
  EXPECT_TRUE(absl::StrContains(r.status().message(), "income_per_head of the 2019 standard"))
      << r.status();
  EXPECT_EQ(exits_.applications.at(a->id()).stage(), v1::EXIT_STAGE_PROPOSED);
  store_.data.households.at("hh-sc").set_income_per_head_fen(460000);
  r = Review(village_reviewer_, a->id());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stage(), v1::EXIT_STAGE_NOTICE);
  EXPECT_EQ(r->standard().year(), kYear) << "the proposal's standard stays its record";
}

TEST_F(ExitLogicTest, TheConfirmationJudgesByTheStandardInForce) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_COUNTY_APPROVED);
  clock_.Set(InTheNextYear());
  PutStandard(2019, 450000);
  auto c = Confirm(recorder_, a.id());
  EXPECT_EQ(ReasonOf(c.status()), "EXIT_CRITERIA_UNMET");
  EXPECT_TRUE(absl::StrContains(c.status().message(), "income_per_head")) << c.status();
  EXPECT_EQ(store_.data.households.at("hh-sc").status(), v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  store_.data.households.at("hh-sc").set_income_per_head_fen(460000);
  c = Confirm(recorder_, a.id());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->standard().year(), kYear);
}

TEST_F(ExitLogicTest, NoApprovalWithoutAStandardInForce) {
  auto a = Propose(proposer_, "hh-sc");
  ASSERT_TRUE(a.ok()) << a.status();
  clock_.Set(absl::FromCivil(absl::CivilSecond(2017, 6, 1, 0, 0, 0), absl::UTCTimeZone()));
  auto r = Review(village_reviewer_, a->id());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(r.status()), "NO_POVERTY_STANDARD");
}

// Recording or resolving an objection is no review: the officials who did so still take the
// township review and the county approval, so objections cannot use them all up.
TEST_F(ExitLogicTest, ObjectionsUseUpNoReviewer) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_NOTICE);
  ASSERT_TRUE(Object(township_, a.id()).ok());
  ASSERT_TRUE(Resolve(shuicheng_, a.id(), false).ok());
  ASSERT_TRUE(Object(inspector_, a.id()).ok());
  // Whoever recorded an earlier objection may resolve a later one.
  auto r = Resolve(township_, a.id(), false);
  ASSERT_TRUE(r.ok()) << r.status();
  clock_.Advance(absl::Hours(24) * kNoticeDays);
  r = Review(township_, a.id());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stage(), v1::EXIT_STAGE_TOWNSHIP_REVIEWED);
  r = Review(shuicheng_, a.id());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stage(), v1::EXIT_STAGE_COUNTY_APPROVED);
}

TEST_F(ExitLogicTest, NobodyResolvesTheObjectionTheyRecorded) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_NOTICE);
  ASSERT_TRUE(Object(shuicheng_, a.id()).ok());
  auto r = Resolve(shuicheng_, a.id(), true);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(r.status()), "REVIEWER_INVOLVED");
  EXPECT_EQ(exits_.applications.at(a.id()).stage(), v1::EXIT_STAGE_OBJECTED);
  EXPECT_TRUE(Resolve(township_, a.id(), true).ok());
}

TEST_F(ExitLogicTest, AnEmptyScopeCoversNoLevel) {
  Principal blank = WithRole(tuopin::common::v1::ROLE_COUNTY_OFFICIAL, "blank", kShuichengVillage);
  blank.add_region_scopes("");
  v1::ExitApplication a = At(v1::EXIT_STAGE_NOTICE);
  clock_.Advance(absl::Hours(24) * kNoticeDays);
  EXPECT_EQ(ReasonOf(Review(blank, a.id()).status()), "NOT_TOWNSHIP_LEVEL");
  ASSERT_TRUE(Review(township_, a.id()).ok());
  EXPECT_EQ(ReasonOf(Review(blank, a.id()).status()), "NOT_COUNTY_LEVEL");
  EXPECT_EQ(exits_.applications.at(a.id()).stage(), v1::EXIT_STAGE_TOWNSHIP_REVIEWED);
}

TEST(ExitValidate, AReversalReferenceNamesAFindingOrAnAssessmentVisit) {
  const std::string id64(64, 'a');
  for (const std::string& good :
       {std::string("findings/f-2020.017"), std::string("assessments/as-1/visits/v:3_x"),
        "findings/" + id64, "assessments/" + id64 + "/visits/" + id64}) {
    v1::ReverseExitRequest req;
    req.set_reference(good);
    EXPECT_TRUE(Validate(req).ok()) << good;
  }
  for (const std::string& bad :
       {std::string("findings/"), std::string("findings"), std::string("finding/f-1"),
        std::string("/findings/f-1"), std::string("findings/f-1/"), std::string("findings/f 1"),
        std::string("findings/f-1/visits/v-1"), std::string("assessments/as-1"),
        std::string("assessments/as-1/visits/"), std::string("assessments/as-1/visit/v-1"),
        std::string("assessments//visits/v-1"), std::string("anything else"),
        "findings/" + id64 + "a"}) {
    v1::ReverseExitRequest req;
    req.set_reference(bad);
    absl::Status st = Validate(req);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(FieldOf(st), "reference") << bad;
  }
}

}  // namespace
}  // namespace tuopin::personnel
