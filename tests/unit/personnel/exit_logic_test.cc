// Unit tests of the household exit procedure (ExitLogic) on in-memory stores: every stage,
// every refusal (scope, status, open application, standard, criteria, roles, four eyes,
// notice period, county level, objections, reversal), the frame (one audit event naming
// the application and the household, replays) and the household status rules of
// PersonnelService that route exits through ExitService.

#include "tests/unit/personnel/exit_fixture.h"

namespace tuopin::personnel {
namespace {

TEST_F(ExitLogicTest, HappyPathThroughEveryStage) {
  auto a = Propose(proposer_, "hh-sc");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->stage(), v1::EXIT_STAGE_PROPOSED);
  EXPECT_EQ(a->village_code(), kShuichengVillage);
  EXPECT_EQ(a->standard().poverty_line_fen(), 375000);  // copied
  EXPECT_EQ(a->proposed_by(), "cadre-sc");
  std::string etag = a->etag();

  absl::Time posted = clock_.Now();
  a = Review(village_reviewer_, a->id());
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->stage(), v1::EXIT_STAGE_NOTICE);
  EXPECT_EQ(common::FromTimestamp(a->notice_end_time()), posted + absl::Hours(24 * kNoticeDays));
  EXPECT_NE(a->etag(), etag);
  etag = a->etag();

  clock_.Advance(absl::Hours(24 * kNoticeDays));
  a = Review(township_, a->id());
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->stage(), v1::EXIT_STAGE_TOWNSHIP_REVIEWED);
  EXPECT_NE(a->etag(), etag);

  a = Review(shuicheng_, a->id());
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->stage(), v1::EXIT_STAGE_COUNTY_APPROVED);
  EXPECT_TRUE(store_.data.households.at("hh-sc").status() == v1::HOUSEHOLD_STATUS_REGISTERED_POOR);

  a = Confirm(recorder_, a->id());
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->stage(), v1::EXIT_STAGE_CONFIRMED);
  const v1::Household& h = store_.data.households.at("hh-sc");
  EXPECT_EQ(h.status(), v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  EXPECT_EQ(h.exit_application_id(), a->id());
  EXPECT_EQ(h.etag(), "v2");

  ASSERT_EQ(a->steps_size(), 5);
  EXPECT_EQ(a->steps(0).to_stage(), v1::EXIT_STAGE_PROPOSED);
  EXPECT_EQ(a->steps(2).from_stage(), v1::EXIT_STAGE_NOTICE);
  EXPECT_EQ(a->steps(2).to_stage(), v1::EXIT_STAGE_TOWNSHIP_REVIEWED);
  EXPECT_EQ(a->steps(2).actor(), township_.subject());
  EXPECT_EQ(a->steps(4).note(), "signed by the head, file 2019-041");
  EXPECT_EQ(exits_.applications.at(a->id()).SerializeAsString(), a->SerializeAsString());
  EXPECT_TRUE(exits_.open_by_household.empty());

  // One event per step, naming the application and the household in the village.
  ASSERT_EQ(exits_.mutations.events.size(), 5u);
  for (const auto& e : exits_.mutations.events) {
    ASSERT_EQ(e.entities_size(), 2);
    EXPECT_EQ(e.entities(0).type(), "exit_application");
    EXPECT_EQ(e.entities(0).id(), a->id());
    EXPECT_EQ(e.entities(1).type(), "household");
    EXPECT_EQ(e.entities(1).region_code(), kShuichengVillage);
  }
}

TEST_F(ExitLogicTest, ProposeOutsideScopeLooksLikeMissing) {
  auto out_of_scope = Propose(neighbour_, "hh-sc");
  auto missing = Propose(neighbour_, "no-such-household");
  EXPECT_EQ(out_of_scope.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(exits_.applications.empty());
}

TEST_F(ExitLogicTest, ProposeOnlyARegisteredPoorHousehold) {
  store_.data.households.at("hh-sc").set_status(v1::HOUSEHOLD_STATUS_NOT_POOR);
  auto a = Propose(proposer_, "hh-sc");
  EXPECT_EQ(a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(a.status()), "ILLEGAL_TRANSITION");
  EXPECT_TRUE(absl::StrContains(a.status().message(), "NOT_POOR")) << a.status();
}

TEST_F(ExitLogicTest, OneOpenApplicationPerHousehold) {
  auto first = Propose(proposer_, "hh-sc");
  ASSERT_TRUE(first.ok());
  auto second = Propose(shuicheng_, "hh-sc");
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(second.status()), "EXIT_ALREADY_OPEN");
  EXPECT_EQ(exits_.applications.size(), 1u);
  // Once rejected, the household may be proposed again.
  ASSERT_TRUE(Review(village_reviewer_, first->id(), false, "income not stable").ok());
  EXPECT_TRUE(Propose(shuicheng_, "hh-sc").ok());
}

TEST_F(ExitLogicTest, ProposeNeedsAStandardInForce) {
  clock_.Set(absl::FromCivil(absl::CivilSecond(2017, 12, 31, 12, 0, 0), absl::UTCTimeZone()));
  auto a = Propose(proposer_, "hh-sc", 2017);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(a.status()), "NO_POVERTY_STANDARD");
  EXPECT_TRUE(exits_.applications.empty());
}

TEST_F(ExitLogicTest, ProposeNamesTheFirstUnmetCriterion) {
  store_.data.households.at("hh-sc").mutable_indicators()->set_housing_safety(false);
  auto a = Propose(proposer_, "hh-sc");
  EXPECT_EQ(a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(a.status()), "EXIT_CRITERIA_UNMET");
  EXPECT_TRUE(absl::StrContains(a.status().message(), "indicators.housing_safety"));
  store_.data.households.at("hh-sc").set_income_per_head_fen(375000);  // not above the line
  a = Propose(proposer_, "hh-sc");
  EXPECT_TRUE(absl::StrContains(a.status().message(), "income_per_head")) << a.status();
}

TEST_F(ExitLogicTest, TheProposerNeverReviews) {
  auto a = Propose(proposer_, "hh-sc");
  ASSERT_TRUE(a.ok());
  auto r = Review(proposer_, a->id());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(r.status()), "OWN_PROPOSAL");
}

TEST_F(ExitLogicTest, AReviewerNeverReviewsTwice) {
  // An official takes the village review, then tries the township review.
  auto a = Propose(proposer_, "hh-sc");
  ASSERT_TRUE(Review(township_, a->id()).ok());
  clock_.Advance(absl::Hours(24 * kNoticeDays));
  auto r = Review(township_, a->id());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(r.status()), "REVIEWER_INVOLVED");
  ASSERT_TRUE(Review(shuicheng_, a->id()).ok());
  r = Review(shuicheng_, a->id());
  EXPECT_EQ(ReasonOf(r.status()), "REVIEWER_INVOLVED");
}

TEST_F(ExitLogicTest, ACadreTakesOnlyTheVillageReview) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_NOTICE);
  clock_.Advance(absl::Hours(24 * kNoticeDays));
  const Principal other_cadre = WithRole(ROLE_CADRE, "cadre-3", "520221");
  auto r = Review(other_cadre, a.id());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(r.status()), "ROLE_NOT_ALLOWED");
  ASSERT_TRUE(Review(township_, a.id()).ok());
  r = Review(other_cadre, a.id());
  EXPECT_EQ(ReasonOf(r.status()), "ROLE_NOT_ALLOWED");
}

TEST_F(ExitLogicTest, TheTownshipWaitsForTheNoticeToEnd) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_NOTICE);
  clock_.Advance(absl::Hours(24 * kNoticeDays) - absl::Seconds(1));
  auto r = Review(township_, a.id());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(r.status()), "NOTICE_PERIOD_RUNNING");
  EXPECT_TRUE(absl::StrContains(r.status().message(), "2018-09-12")) << r.status();
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(Review(township_, a.id()).ok());
}

TEST_F(ExitLogicTest, TheCountyApprovalNeedsACountyScope) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_TOWNSHIP_REVIEWED);
  auto r =
      Review(WithRole(tuopin::common::v1::ROLE_COUNTY_OFFICIAL, "town-2", "520221104"), a.id());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(r.status()), "NOT_COUNTY_LEVEL");
  // The prefecture covers the whole county.
  r = Review(prefecture_, a.id());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stage(), v1::EXIT_STAGE_COUNTY_APPROVED);
}

TEST_F(ExitLogicTest, ARejectionNeedsANote) {
  auto a = Propose(proposer_, "hh-sc");
  // The request's rule (exit_validate), run by the frame before the logic.
  v1::ReviewExitRequest req;
  req.set_request_id("reject-1");
  req.set_application_id(a->id());
  req.set_approve(false);
  absl::Status refused = Validate(req);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(refused), "note");
  req.set_note("income not stable");
  EXPECT_TRUE(Validate(req).ok());
  auto r = Review(village_reviewer_, a->id(), false, "income not stable");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stage(), v1::EXIT_STAGE_REJECTED);
  EXPECT_EQ(r->steps(1).note(), "income not stable");
  // A rejected application takes no more steps.
  r = Review(shuicheng_, a->id());
  EXPECT_EQ(ReasonOf(r.status()), "ILLEGAL_TRANSITION");
}

TEST_F(ExitLogicTest, EveryApprovingStepRechecksTheCriteria) {
  auto a = Propose(proposer_, "hh-sc");
  store_.data.households.at("hh-sc").mutable_indicators()->set_drinking_water_safety(false);
  auto r = Review(village_reviewer_, a->id());
  EXPECT_EQ(ReasonOf(r.status()), "EXIT_CRITERIA_UNMET");
  EXPECT_TRUE(absl::StrContains(r.status().message(), "indicators.drinking_water_safety"));
  EXPECT_EQ(exits_.applications.at(a->id()).stage(), v1::EXIT_STAGE_PROPOSED);

  MakeEligible("hh-sc");
  ASSERT_TRUE(Review(village_reviewer_, a->id()).ok());
  clock_.Advance(absl::Hours(24 * kNoticeDays));
  store_.data.households.at("hh-sc").set_income_per_head_fen(1000);
  EXPECT_EQ(ReasonOf(Review(township_, a->id()).status()), "EXIT_CRITERIA_UNMET");
  MakeEligible("hh-sc");
  ASSERT_TRUE(Review(township_, a->id()).ok());
  store_.data.households.at("hh-sc").mutable_indicators()->set_food(false);
  EXPECT_EQ(ReasonOf(Review(shuicheng_, a->id()).status()), "EXIT_CRITERIA_UNMET");
  MakeEligible("hh-sc");
  ASSERT_TRUE(Review(shuicheng_, a->id()).ok());
  store_.data.households.at("hh-sc").mutable_indicators()->set_clothing(false);
  auto c = Confirm(recorder_, a->id());
  EXPECT_EQ(ReasonOf(c.status()), "EXIT_CRITERIA_UNMET");
  // Nothing of the refused confirmation stays.
  EXPECT_EQ(store_.data.households.at("hh-sc").status(), v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  EXPECT_EQ(exits_.applications.at(a->id()).stage(), v1::EXIT_STAGE_COUNTY_APPROVED);
}

TEST_F(ExitLogicTest, AnObjectionStopsTheNotice) {
  auto a = Propose(proposer_, "hh-sc");
  // Not before the notice is posted.
  EXPECT_EQ(ReasonOf(Object(inspector_, a->id()).status()), "ILLEGAL_TRANSITION");
  ASSERT_TRUE(Review(village_reviewer_, a->id()).ok());
  auto o = Object(inspector_, a->id());
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->stage(), v1::EXIT_STAGE_OBJECTED);
  ASSERT_EQ(o->objections_size(), 1);
  EXPECT_EQ(o->objections(0), "a neighbour says the house leaks");
  EXPECT_TRUE(exits_.open_by_household.count("hh-sc"));  // still open
  // The clock stopped: no township review, even after the period.
  clock_.Advance(absl::Hours(24 * kNoticeDays));
  EXPECT_EQ(ReasonOf(Review(township_, a->id()).status()), "ILLEGAL_TRANSITION");
}

TEST_F(ExitLogicTest, NoObjectionAfterTheNotice) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_NOTICE);
  clock_.Advance(absl::Hours(24 * kNoticeDays));
  auto o = Object(inspector_, a.id());
  EXPECT_EQ(o.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(o.status()), "NOTICE_ENDED");
}

TEST_F(ExitLogicTest, ADismissedObjectionPostsTheNoticeAgain) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_NOTICE);
  clock_.Advance(absl::Hours(48));
  ASSERT_TRUE(Object(inspector_, a.id()).ok());
  clock_.Advance(absl::Hours(24));
  auto r = Resolve(township_, a.id(), false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stage(), v1::EXIT_STAGE_NOTICE);
  EXPECT_EQ(common::FromTimestamp(r->notice_end_time()),
            clock_.Now() + absl::Hours(24 * kNoticeDays));
  // Only an objected application is resolved.
  EXPECT_EQ(ReasonOf(Resolve(township_, a.id(), false).status()), "ILLEGAL_TRANSITION");
}

TEST_F(ExitLogicTest, AnUpheldObjectionRejects) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_NOTICE);
  ASSERT_TRUE(Object(inspector_, a.id()).ok());
  auto r = Resolve(shuicheng_, a.id(), true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stage(), v1::EXIT_STAGE_REJECTED);
  EXPECT_TRUE(exits_.open_by_household.empty());
}

TEST_F(ExitLogicTest, TheProposerNeverResolvesAnObjection) {
  auto a = Propose(shuicheng_, "hh-sc");
  ASSERT_TRUE(Review(village_reviewer_, a->id()).ok());
  ASSERT_TRUE(Object(inspector_, a->id()).ok());
  auto r = Resolve(shuicheng_, a->id(), false);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(r.status()), "OWN_PROPOSAL");
}

TEST_F(ExitLogicTest, ConfirmOnlyAnApprovedExit) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_TOWNSHIP_REVIEWED);
  auto c = Confirm(recorder_, a.id());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(c.status()), "ILLEGAL_TRANSITION");
  EXPECT_EQ(store_.data.households.at("hh-sc").status(), v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
}

TEST_F(ExitLogicTest, ReverseReturnsTheHouseholdAndReversesItsApplication) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_CONFIRMED);
  size_t events = exits_.mutations.events.size();
  auto h = Reverse(accountability_, "hh-sc", "assessments/as-1/visits/v-3");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->status(), v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  EXPECT_EQ(h->reversal_reference(), "assessments/as-1/visits/v-3");
  EXPECT_EQ(h->etag(), "v3");
  const v1::ExitApplication& stored = exits_.applications.at(a.id());
  EXPECT_EQ(stored.stage(), v1::EXIT_STAGE_REVERSED);
  EXPECT_EQ(stored.reversal_reference(), "assessments/as-1/visits/v-3");
  EXPECT_EQ(stored.steps(stored.steps_size() - 1).actor(), "service:accountability");
  ASSERT_EQ(exits_.mutations.events.size(), events + 1);
  const auto& e = exits_.mutations.events.back();
  ASSERT_EQ(e.entities_size(), 2);
  EXPECT_EQ(e.entities(0).type(), "household");
  EXPECT_EQ(e.entities(1).type(), "exit_application");
  // Back on the register, it can be proposed again; reversed again it cannot be.
  EXPECT_EQ(ReasonOf(Reverse(accountability_, "hh-sc").status()), "NOT_EXITED");
  EXPECT_TRUE(Propose(proposer_, "hh-sc").ok());
}

TEST_F(ExitLogicTest, ReverseOnlyAnExitedHousehold) {
  auto h = Reverse(admin_, "hh-sc");
  EXPECT_EQ(h.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(h.status()), "NOT_EXITED");
  // An exit imported with prior_exit has no application: only the household changes.
  AddHousehold("hh-prior", kShuichengVillage, v1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN);
  h = Reverse(inspector_, "hh-prior");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->status(), v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  EXPECT_EQ(exits_.mutations.events.back().entities_size(), 1);
  // Scope: an inspector of another prefecture is refused.
  AddHousehold("hh-prior-2", kShuichengVillage, v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  EXPECT_EQ(Reverse(WithRole(ROLE_INSPECTOR, "inspector-9", "5203"), "hh-prior-2").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ExitLogicTest, ARetryReplaysTheAnswer) {
  auto first = Propose(proposer_, "hh-sc", kYear, "propose-once");
  auto again = Propose(proposer_, "hh-sc", kYear, "propose-once");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(first->SerializeAsString(), again->SerializeAsString());
  EXPECT_EQ(exits_.applications.size(), 1u);
  EXPECT_EQ(exits_.mutations.events.size(), 1u);
}

TEST_F(ExitLogicTest, GetAndListInScope) {
  v1::ExitApplication a = At(v1::EXIT_STAGE_NOTICE);
  AddHousehold("hh-sc-2", kShuichengVillage);
  MakeEligible("hh-sc-2");
  MakeEligible("hh-nb");
  ASSERT_TRUE(Propose(proposer_, "hh-sc-2").ok());
  ASSERT_TRUE(Propose(neighbour_, "hh-nb").ok());

  v1::GetExitApplicationRequest get;
  get.set_id(a.id());
  v1::ExitApplication got;
  ASSERT_TRUE(exit_logic_.GetExitApplication(shuicheng_, get, got).ok());
  EXPECT_EQ(got.SerializeAsString(), exits_.applications.at(a.id()).SerializeAsString());
  EXPECT_EQ(exit_logic_.GetExitApplication(neighbour_, get, got).code(),
            absl::StatusCode::kPermissionDenied);
  get.set_id("missing");
  EXPECT_EQ(exit_logic_.GetExitApplication(neighbour_, get, got).code(),
            absl::StatusCode::kPermissionDenied);

  v1::ListExitApplicationsRequest list;
  list.set_region_code("520221");
  list.set_page_size(1);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    v1::ListExitApplicationsResponse page;
    ASSERT_TRUE(exit_logic_.ListExitApplications(shuicheng_, list, page).ok());
    for (const auto& x : page.applications()) ids.push_back(x.id());
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(ids.size(), 2u);
  v1::ListExitApplicationsRequest by_stage;
  by_stage.set_region_code("5202");
  by_stage.set_stage(v1::EXIT_STAGE_PROPOSED);
  v1::ListExitApplicationsResponse page;
  ASSERT_TRUE(exit_logic_.ListExitApplications(prefecture_, by_stage, page).ok());
  EXPECT_EQ(page.applications_size(), 2);
  EXPECT_EQ(exit_logic_.ListExitApplications(neighbour_, list, page).code(),
            absl::StatusCode::kPermissionDenied);
}

// Households: exits go through ExitService.

class HouseholdStatusTest : public ExitLogicTest {
 protected:
  absl::StatusOr<v1::Household> Create(const Principal& p, v1::HouseholdStatus status,
                                       bool prior_exit) {
    v1::CreateHouseholdRequest req;
    auto* h = req.mutable_household();
    h->set_village_code(kShuichengVillage);
    h->set_head_name("Li");
    h->set_member_count(3);
    h->set_status(status);
    if (prior_exit) {
      h->mutable_prior_exit()->set_year(2018);
      h->mutable_prior_exit()->set_reference("GZ-2018-520221-0041");
    }
    v1::Household out;
    TUOPIN_RETURN_IF_ERROR(logic_.CreateHousehold(Ctx(p, "CreateHousehold", req), req, out));
    return out;
  }
  absl::StatusOr<v1::Household> SetStatus(const std::string& id, v1::HouseholdStatus status,
                                          const std::string& path = "status") {
    v1::UpdateHouseholdRequest req;
    req.mutable_household()->set_id(id);
    req.mutable_household()->set_status(status);
    req.mutable_household()->mutable_prior_exit()->set_year(2017);
    req.mutable_update_mask()->add_paths(path);
    v1::Household out;
    TUOPIN_RETURN_IF_ERROR(logic_.UpdateHousehold(Ctx(admin_, "UpdateHousehold", req), req, out));
    return out;
  }
};

TEST_F(HouseholdStatusTest, CreateRegisteredPoorOrNotPoor) {
  EXPECT_TRUE(Create(shuicheng_, v1::HOUSEHOLD_STATUS_REGISTERED_POOR, false).ok());
  EXPECT_TRUE(Create(shuicheng_, v1::HOUSEHOLD_STATUS_NOT_POOR, false).ok());
  auto h = Create(admin_, v1::HOUSEHOLD_STATUS_REGISTERED_POOR, true);
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(h.status()), "household.prior_exit");
}

TEST_F(HouseholdStatusTest, CreateExitedOnlyByAnAdminWithPriorExit) {
  auto h = Create(shuicheng_, v1::HOUSEHOLD_STATUS_LIFTED_OUT, true);
  EXPECT_EQ(h.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(h.status()), "ROLE_NOT_ALLOWED");
  h = Create(admin_, v1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN, false);
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(h.status()), "household.prior_exit");
  h = Create(admin_, v1::HOUSEHOLD_STATUS_LIFTED_OUT, true);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(store_.data.households.at(h->id()).prior_exit().reference(), "GZ-2018-520221-0041");
}

TEST_F(HouseholdStatusTest, UpdateMovesOnlyOntoTheRegisterOrWhileMonitored) {
  auto h = SetStatus("hh-sc", v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  EXPECT_EQ(h.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(h.status()), "ILLEGAL_TRANSITION");
  EXPECT_TRUE(absl::StrContains(h.status().message(), "ExitService"));
  EXPECT_EQ(ReasonOf(SetStatus("hh-sc", v1::HOUSEHOLD_STATUS_NOT_POOR).status()),
            "ILLEGAL_TRANSITION");
  EXPECT_TRUE(SetStatus("hh-sc", v1::HOUSEHOLD_STATUS_REGISTERED_POOR).ok());  // no change

  AddHousehold("hh-np", kShuichengVillage, v1::HOUSEHOLD_STATUS_NOT_POOR);
  EXPECT_TRUE(SetStatus("hh-np", v1::HOUSEHOLD_STATUS_REGISTERED_POOR).ok());

  AddHousehold("hh-lo", kShuichengVillage, v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  EXPECT_TRUE(SetStatus("hh-lo", v1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN).ok());
  EXPECT_EQ(ReasonOf(SetStatus("hh-lo", v1::HOUSEHOLD_STATUS_REGISTERED_POOR).status()),
            "ILLEGAL_TRANSITION");
  EXPECT_TRUE(SetStatus("hh-lo", v1::HOUSEHOLD_STATUS_LIFTED_OUT).ok());
  EXPECT_EQ(store_.data.households.at("hh-lo").status(), v1::HOUSEHOLD_STATUS_LIFTED_OUT);
}

TEST_F(HouseholdStatusTest, PriorExitIsNotAnUpdatePath) {
  auto h = SetStatus("hh-sc", v1::HOUSEHOLD_STATUS_REGISTERED_POOR, "prior_exit");
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(h.status()), "update_mask");
}

}  // namespace
}  // namespace tuopin::personnel
