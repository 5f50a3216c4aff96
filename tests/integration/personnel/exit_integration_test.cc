// ExitService through a real gRPC server and a real MariaDB, beside PersonnelService on the
// same database: every RPC, the whole procedure on a FakeClock advanced past the public
// notice, the refusals, an idempotent retry, the audit events in the outbox, and the
// household's exit fields. The year's standard comes from an in-memory PovertyStandards
// (ExitCriteriaService's store is tested in exit_criteria_integration_test).

#include <cppconn/resultset.h>

#include <barrier>
#include <thread>

#include "absl/strings/match.h"
#include "services/personnel/exit_service.h"
#include "services/personnel/mysql_exit_store.h"
#include "tests/integration/personnel/personnel_fixture.h"
#include "tests/support/fake_poverty_standards.h"

namespace tuopin::personnel {
namespace {

using tuopin::common::v1::ROLE_SERVICE;

constexpr int kYear = 2018;
constexpr int kNoticeDays = 7;

class ExitTest : public PersonnelTest {
 protected:
  ExitTest()
      : exits_(*pool_, ids_, &pii_),
        exit_logic_(store_, exits_, standards_, clock_, tokens_),
        exit_authorizer_(testing::kTestInternalKey,
                         common::FindService(v1::ExitService::service_full_name())),
        exit_handler_("personnel", exit_authorizer_, clock_),
        exit_service_(NewExitService(exit_logic_, exit_handler_)),
        exit_server_({exit_service_.get()}),
        exit_stub_(v1::ExitService::NewStub(exit_server_.channel())) {
    v1::PovertyStandard s;
    s.set_year(kYear);
    s.set_province_code("52");
    s.set_poverty_line_fen(330000);
    s.set_village_incidence_max_bp(300);
    s.set_county_incidence_max_bp(300);
    s.set_notice_days(kNoticeDays);
    s.set_source("Guizhou 2018");
    standards_.Put(s);
  }

  // A registered poor household of village A that meets every criterion.
  v1::Household EligibleHousehold(const std::string& name) {
    v1::Household h;
    EXPECT_TRUE(CreateHousehold(official_, kVillageA, name, &h).ok());
    v1::UpdateHouseholdRequest up;
    up.set_request_id(NextId());
    up.mutable_household()->set_id(h.id());
    up.mutable_household()->set_income_per_head_fen(410000);
    auto* ind = up.mutable_household()->mutable_indicators();
    for (int i = 0; i < ind->GetDescriptor()->field_count(); ++i) {
      ind->GetReflection()->SetBool(ind, ind->GetDescriptor()->field(i), true);
    }
    up.mutable_update_mask()->add_paths("indicators");
    up.mutable_update_mask()->add_paths("income_per_head_fen");
    grpc::Status st = stub_->UpdateHousehold(ContextAs(official_).get(), up, &h);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return h;
  }

  grpc::Status Propose(const common::Principal& as, const std::string& household,
                       v1::ExitApplication* out, int year = kYear,
                       const std::string& request_id = "") {
    v1::ProposeExitRequest req;
    req.set_request_id(request_id.empty() ? NextId() : request_id);
    req.set_household_id(household);
    req.set_year(year);
    return exit_stub_->ProposeExit(ContextAs(as).get(), req, out);
  }
  grpc::Status Review(const common::Principal& as, const std::string& id, v1::ExitApplication* out,
                      bool approve = true, const std::string& note = "",
                      const std::string& request_id = "") {
    v1::ReviewExitRequest req;
    req.set_request_id(request_id.empty() ? NextId() : request_id);
    req.set_application_id(id);
    req.set_approve(approve);
    req.set_note(note);
    return exit_stub_->ReviewExit(ContextAs(as).get(), req, out);
  }
  grpc::Status Confirm(const common::Principal& as, const std::string& id,
                       v1::ExitApplication* out) {
    v1::ConfirmExitRequest req;
    req.set_request_id(NextId());
    req.set_application_id(id);
    req.set_confirmation("signed by the head on 2018-09-20");
    return exit_stub_->ConfirmExit(ContextAs(as).get(), req, out);
  }
  grpc::Status Reverse(const common::Principal& as, const std::string& household,
                       v1::Household* out,
                       const std::string& reference = "assessments/a-1/visits/v-7") {
    v1::ReverseExitRequest req;
    req.set_request_id(NextId());
    req.set_household_id(household);
    req.set_reference(reference);
    return exit_stub_->ReverseExit(ContextAs(as).get(), req, out);
  }
  grpc::Status Object(const common::Principal& as, const std::string& id,
                      v1::ExitApplication* out) {
    v1::ObjectToExitRequest req;
    req.set_request_id(NextId());
    req.set_application_id(id);
    req.set_objection("villagers say the family still lacks safe water");
    return exit_stub_->ObjectToExit(ContextAs(as).get(), req, out);
  }
  grpc::Status Resolve(const common::Principal& as, const std::string& id, bool upheld,
                       v1::ExitApplication* out) {
    v1::ResolveObjectionRequest req;
    req.set_request_id(NextId());
    req.set_application_id(id);
    req.set_upheld(upheld);
    req.set_note("checked the well");
    return exit_stub_->ResolveObjection(ContextAs(as).get(), req, out);
  }

  // The outbox's events of ExitService's methods, in order.
  std::vector<tuopin::common::v1::AuditEvent> ExitEvents() {
    std::vector<tuopin::common::v1::AuditEvent> out;
    EXPECT_TRUE(common::WithConnection(*pool_, [&](common::DbSession& s) {
                  auto rs = common::Query(s, "SELECT event FROM outbox ORDER BY seq").Rows();
                  while (rs->next()) {
                    tuopin::common::v1::AuditEvent e;
                    EXPECT_TRUE(e.ParseFromString(rs->getString(1).asStdString()));
                    if (absl::StartsWith(e.method(), "/tuopin.personnel.v1.ExitService/")) {
                      out.push_back(std::move(e));
                    }
                  }
                  return absl::OkStatus();
                }).ok());
    return out;
  }

  static std::string Reason(const grpc::Status& st) { return common::ReasonOf(st); }

  testing::FakePovertyStandards standards_;
  MysqlExitStore exits_;
  ExitLogic exit_logic_;
  common::Authorizer exit_authorizer_;
  common::Handler exit_handler_;
  std::unique_ptr<v1::ExitService::Service> exit_service_;
  testing::TestServer exit_server_;
  std::unique_ptr<v1::ExitService::Stub> exit_stub_;

  const common::Principal cadre_ = MakePrincipal("cadre-1", {ROLE_CADRE}, {kVillageA});
  const common::Principal cadre2_ = MakePrincipal("cadre-2", {ROLE_CADRE}, {kVillageA});
  // Records the household's confirmation: took no earlier step.
  const common::Principal cadre3_ = MakePrincipal("cadre-3", {ROLE_CADRE}, {kVillageA});
  const common::Principal township_ =
      MakePrincipal("official-mugang", {ROLE_COUNTY_OFFICIAL}, {"520221104"});
  const common::Principal accountability_ =
      MakePrincipal("service:accountability", {ROLE_SERVICE}, {"*"});
};

TEST_F(ExitTest, AnExitThroughEveryStageThenReversed) {
  v1::Household h = EligibleHousehold("Long Xiuying");
  v1::ExitApplication a;
  ASSERT_TRUE(Propose(cadre_, h.id(), &a).ok());
  EXPECT_EQ(a.stage(), v1::EXIT_STAGE_PROPOSED);
  EXPECT_EQ(a.standard().poverty_line_fen(), 330000);
  EXPECT_EQ(a.etag(), "v1");
  ASSERT_TRUE(Review(cadre2_, a.id(), &a).ok());
  EXPECT_EQ(a.stage(), v1::EXIT_STAGE_NOTICE);
  EXPECT_EQ(TimeUtil::TimestampToSeconds(a.notice_end_time()),
            absl::ToUnixSeconds(kSymposium + absl::Hours(24 * kNoticeDays)));

  grpc::Status st = Review(township_, a.id(), &a);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(st), "NOTICE_PERIOD_RUNNING");
  clock_.Advance(absl::Hours(24 * kNoticeDays));
  ASSERT_TRUE(Review(township_, a.id(), &a).ok());
  EXPECT_EQ(a.stage(), v1::EXIT_STAGE_TOWNSHIP_REVIEWED);
  st = Review(MakePrincipal("official-2", {ROLE_COUNTY_OFFICIAL}, {"520221104"}), a.id(), &a);
  EXPECT_EQ(Reason(st), "NOT_COUNTY_LEVEL");
  ASSERT_TRUE(Review(official_, a.id(), &a).ok());
  EXPECT_EQ(a.stage(), v1::EXIT_STAGE_COUNTY_APPROVED);
  EXPECT_EQ(Reason(Confirm(cadre_, a.id(), &a)), "OWN_PROPOSAL");
  EXPECT_EQ(Reason(Confirm(official_, a.id(), &a)), "REVIEWER_INVOLVED");
  ASSERT_TRUE(Confirm(cadre3_, a.id(), &a).ok());
  EXPECT_EQ(a.stage(), v1::EXIT_STAGE_CONFIRMED);
  EXPECT_EQ(a.steps_size(), 5);
  EXPECT_EQ(a.etag(), "v5");

  v1::GetHouseholdRequest get;
  get.set_id(h.id());
  v1::Household lifted;
  ASSERT_TRUE(stub_->GetHousehold(ContextAs(auditor_).get(), get, &lifted).ok());
  EXPECT_EQ(lifted.status(), v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  EXPECT_EQ(lifted.exit_application_id(), a.id());

  v1::Household back;
  ASSERT_TRUE(Reverse(accountability_, h.id(), &back).ok());
  EXPECT_EQ(back.status(), v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  EXPECT_EQ(back.reversal_reference(), "assessments/a-1/visits/v-7");
  v1::GetExitApplicationRequest ga;
  ga.set_id(a.id());
  v1::ExitApplication reversed;
  ASSERT_TRUE(exit_stub_->GetExitApplication(ContextAs(auditor_).get(), ga, &reversed).ok());
  EXPECT_EQ(reversed.stage(), v1::EXIT_STAGE_REVERSED);
  EXPECT_EQ(reversed.reversal_reference(), "assessments/a-1/visits/v-7");
  EXPECT_EQ(reversed.steps_size(), 6);
  st = Reverse(accountability_, h.id(), &back);
  EXPECT_EQ(Reason(st), "NOT_EXITED");
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM households WHERE id = '", h.id(),
                               "' AND reversal_reference = 'assessments/a-1/visits/v-7'")),
            1);

  // The audit trail: one event per step, naming the application and the household.
  auto events = ExitEvents();
  ASSERT_EQ(events.size(), 6u);
  for (const auto& e : events) {
    ASSERT_EQ(e.entities_size(), 2) << e.method();
    for (const auto& ref : e.entities()) EXPECT_EQ(ref.region_code(), kVillageA);
  }
  EXPECT_EQ(events[4].method(), "/tuopin.personnel.v1.ExitService/ConfirmExit");
  EXPECT_EQ(events[5].actor_subject(), "service:accountability");
  EXPECT_EQ(events[5].entities(0).type(), "household");
  EXPECT_EQ(events[5].entities(1).id(), a.id());

  // The household's history: the confirmation and the reversal are versions naming their
  // audit events (the log's leaves).
  v1::GetHouseholdHistoryRequest hist;
  hist.set_household_id(h.id());
  v1::GetHouseholdHistoryResponse history;
  ASSERT_TRUE(stub_->GetHouseholdHistory(ContextAs(auditor_).get(), hist, &history).ok());
  ASSERT_EQ(history.versions_size(), 4);  // created, updated, confirmed, reversed
  const v1::HouseholdVersion& confirmed = history.versions(2);
  EXPECT_EQ(confirmed.household().status(), v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  EXPECT_EQ(confirmed.method(), "/tuopin.personnel.v1.ExitService/ConfirmExit");
  EXPECT_EQ(confirmed.event_id(), events[4].event_id());
  EXPECT_EQ(confirmed.request_id(), events[4].request_id());
  EXPECT_EQ(history.versions(1).household().status(), v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  EXPECT_EQ(history.versions(3).event_id(), events[5].event_id());
  EXPECT_EQ(history.versions(3).household().status(), v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
}

TEST_F(ExitTest, ProposalRefusals) {
  v1::Household h = EligibleHousehold("Wu Daqing");
  v1::ExitApplication a;
  // The clock is in 2018: 2018's standard is in force, 2019 is not yet.
  grpc::Status st = Propose(cadre_, h.id(), &a, 2019);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(st), "STALE_STANDARD");
  st = Propose(liuzhi_official_, h.id(), &a);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  st = Propose(auditor_, h.id(), &a);  // not a role of the contract
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::Household poor;
  ASSERT_TRUE(CreateHousehold(official_, kVillageA, "Not Yet", &poor).ok());
  st = Propose(cadre_, poor.id(), &a);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(st), "EXIT_CRITERIA_UNMET");
  EXPECT_TRUE(absl::StrContains(st.error_message(), "income_per_head")) << st.error_message();

  ASSERT_TRUE(Propose(cadre_, h.id(), &a, kYear, "propose-wu").ok());
  v1::ExitApplication replay;
  ASSERT_TRUE(Propose(cadre_, h.id(), &replay, kYear, "propose-wu").ok());
  EXPECT_EQ(replay.SerializeAsString(), a.SerializeAsString());
  st = Propose(official_, h.id(), &replay);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Reason(st), "EXIT_ALREADY_OPEN");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM exit_applications"), 1);
  EXPECT_EQ(ExitEvents().size(), 1u);
}

TEST_F(ExitTest, ConcurrentProposalsExactlyOneOpens) {
  constexpr int kRacers = 6;
  v1::Household h = EligibleHousehold("Luo Xingwen");
  std::vector<grpc::Status> results(kRacers);
  std::barrier go(kRacers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      v1::ExitApplication a;
      go.arrive_and_wait();
      results[i] =
          Propose(MakePrincipal(absl::StrCat("cadre-r", i), {ROLE_CADRE}, {kVillageA}), h.id(), &a);
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0;
  for (const auto& st : results) {
    if (st.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(Reason(st), "EXIT_ALREADY_OPEN") << st.error_message();
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM exit_applications"), 1);
}

TEST_F(ExitTest, ReviewRefusalsAndAnIdempotentRetry) {
  v1::Household h = EligibleHousehold("Zhao Guiying");
  v1::ExitApplication a, out;
  ASSERT_TRUE(Propose(cadre_, h.id(), &a).ok());
  EXPECT_EQ(Reason(Review(cadre_, a.id(), &out)), "OWN_PROPOSAL");
  grpc::Status st = Review(cadre2_, a.id(), &out, false);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "note");
  ASSERT_TRUE(Review(cadre2_, a.id(), &out, true, "", "review-once").ok());
  v1::ExitApplication replay;
  ASSERT_TRUE(Review(cadre2_, a.id(), &replay, true, "", "review-once").ok());
  EXPECT_EQ(replay.SerializeAsString(), out.SerializeAsString());
  EXPECT_EQ(replay.steps_size(), 2);
  clock_.Advance(absl::Hours(24 * kNoticeDays));
  EXPECT_EQ(Reason(Review(cadre2_, a.id(), &out)), "ROLE_NOT_ALLOWED");
  ASSERT_TRUE(Review(official_, a.id(), &out).ok());
  EXPECT_EQ(Reason(Review(official_, a.id(), &out)), "REVIEWER_INVOLVED");
  // The county rejects, with a note: the household's slot is free again.
  ASSERT_TRUE(Review(admin_, a.id(), &out, false, "income not stable").ok());
  EXPECT_EQ(out.stage(), v1::EXIT_STAGE_REJECTED);
  EXPECT_EQ(Reason(Review(inspector_, a.id(), &out)), "ROLE_NOT_ALLOWED");  // not a contract role
  EXPECT_EQ(Reason(Confirm(cadre_, a.id(), &out)), "ILLEGAL_TRANSITION");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM exit_applications WHERE open_household_id IS NULL"), 1);
  ASSERT_TRUE(Propose(cadre_, h.id(), &out).ok());
}

TEST_F(ExitTest, ObjectionsDuringTheNotice) {
  v1::Household h = EligibleHousehold("Yang Shumei");
  v1::ExitApplication a, out;
  ASSERT_TRUE(Propose(cadre_, h.id(), &a).ok());
  EXPECT_EQ(Reason(Object(inspector_, a.id(), &out)), "ILLEGAL_TRANSITION");
  ASSERT_TRUE(Review(cadre2_, a.id(), &a).ok());
  ASSERT_TRUE(Object(inspector_, a.id(), &out).ok());
  EXPECT_EQ(out.stage(), v1::EXIT_STAGE_OBJECTED);
  EXPECT_EQ(out.objections_size(), 1);
  EXPECT_EQ(Reason(Resolve(cadre_, a.id(), false, &out)), "ROLE_NOT_ALLOWED");  // officials do
  clock_.Advance(absl::Hours(24));
  ASSERT_TRUE(Resolve(official_, a.id(), false, &out).ok());
  EXPECT_EQ(out.stage(), v1::EXIT_STAGE_NOTICE);
  EXPECT_EQ(TimeUtil::TimestampToSeconds(out.notice_end_time()),
            absl::ToUnixSeconds(clock_.Now() + absl::Hours(24 * kNoticeDays)));
  clock_.Advance(absl::Hours(24 * kNoticeDays));
  EXPECT_EQ(Reason(Object(inspector_, a.id(), &out)), "NOTICE_ENDED");

  // An upheld objection rejects another household's application.
  v1::Household h2 = EligibleHousehold("Tao Lan");
  ASSERT_TRUE(Propose(official_, h2.id(), &a).ok());
  ASSERT_TRUE(Review(cadre2_, a.id(), &a).ok());
  ASSERT_TRUE(Object(cadre_, a.id(), &out).ok());
  EXPECT_EQ(Reason(Resolve(official_, a.id(), true, &out)), "OWN_PROPOSAL");
  ASSERT_TRUE(Resolve(admin_, a.id(), true, &out).ok());
  EXPECT_EQ(out.stage(), v1::EXIT_STAGE_REJECTED);
}

TEST_F(ExitTest, ListAndGetInScope) {
  v1::Household h1 = EligibleHousehold("A One"), h2 = EligibleHousehold("A Two");
  v1::ExitApplication a1, a2;
  ASSERT_TRUE(Propose(cadre_, h1.id(), &a1).ok());
  ASSERT_TRUE(Propose(cadre_, h2.id(), &a2).ok());
  ASSERT_TRUE(Review(cadre2_, a2.id(), &a2).ok());

  v1::ListExitApplicationsRequest list;
  list.set_region_code(kShuicheng);
  list.set_page_size(1);
  std::set<std::string> ids;
  for (int guard = 0; guard < 5; ++guard) {
    v1::ListExitApplicationsResponse page;
    ASSERT_TRUE(exit_stub_->ListExitApplications(ContextAs(auditor_).get(), list, &page).ok());
    for (const auto& x : page.applications()) ids.insert(x.id());
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(ids, (std::set<std::string>{a1.id(), a2.id()}));
  v1::ListExitApplicationsRequest notice;
  notice.set_region_code(kVillageA);
  notice.set_stage(v1::EXIT_STAGE_NOTICE);
  v1::ListExitApplicationsResponse page;
  ASSERT_TRUE(exit_stub_->ListExitApplications(ContextAs(official_).get(), notice, &page).ok());
  ASSERT_EQ(page.applications_size(), 1);
  EXPECT_EQ(page.applications(0).id(), a2.id());
  EXPECT_EQ(exit_stub_->ListExitApplications(ContextAs(liuzhi_official_).get(), notice, &page)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::GetExitApplicationRequest get;
  get.set_id(a1.id());
  v1::ExitApplication got;
  EXPECT_EQ(
      exit_stub_->GetExitApplication(ContextAs(liuzhi_official_).get(), get, &got).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  get.set_id("no-such-application");
  EXPECT_EQ(exit_stub_->GetExitApplication(ContextAs(admin_).get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ExitTest, HouseholdsExitOnlyThroughExitService) {
  v1::Household h;
  grpc::Status st =
      CreateHousehold(official_, kVillageA, "Imported", &h, v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Reason(st), "ROLE_NOT_ALLOWED");
  ASSERT_TRUE(
      CreateHousehold(admin_, kVillageA, "Imported", &h, v1::HOUSEHOLD_STATUS_LIFTED_OUT).ok());
  v1::GetHouseholdRequest get;
  get.set_id(h.id());
  v1::Household read;
  ASSERT_TRUE(stub_->GetHousehold(ContextAs(auditor_).get(), get, &read).ok());
  EXPECT_EQ(read.prior_exit().year(), 2017);
  EXPECT_EQ(read.prior_exit().reference(), "GZ-2017-Imported");
  // An imported exit is reversed without an application.
  v1::Household back;
  // An inspector names a finding, never an assessment.
  st = Reverse(inspector_, h.id(), &back);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "reference");
  ASSERT_TRUE(Reverse(inspector_, h.id(), &back, "findings/f-1").ok());
  EXPECT_EQ(back.status(), v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  EXPECT_EQ(back.prior_exit().reference(), "GZ-2017-Imported");
  ASSERT_EQ(ExitEvents().back().entities_size(), 1);
  // Another service may not reverse an exit.
  EXPECT_EQ(
      Reverse(MakePrincipal("service:tasks", {ROLE_SERVICE}, {"*"}), h.id(), &back).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  v1::UpdateHouseholdRequest up;
  up.set_request_id(NextId());
  up.mutable_household()->set_id(h.id());
  up.mutable_household()->set_status(v1::HOUSEHOLD_STATUS_LIFTED_OUT);
  up.mutable_update_mask()->add_paths("status");
  st = stub_->UpdateHousehold(ContextAs(official_).get(), up, &read);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(st), "ILLEGAL_TRANSITION");
  EXPECT_TRUE(absl::StrContains(st.error_message(), "ExitService"));
}

// A proposal locks the household's village before the household, as a merger does, so a
// merger holding the village never waits for a proposal that holds one of its households.
TEST_F(ExitTest, ProposeExitLocksTheVillageBeforeTheHousehold) {
  v1::Household h = EligibleHousehold("Wang Fang");
  grpc::Status proposed;
  absl::Status free = HouseholdFreeWhileVillageHeld(kVillageA, h.id(), [&] {
    v1::ExitApplication a;
    proposed = Propose(official_, h.id(), &a);
  });
  EXPECT_TRUE(free.ok()) << free;
  EXPECT_TRUE(proposed.ok()) << proposed.error_message();
}

}  // namespace
}  // namespace tuopin::personnel
