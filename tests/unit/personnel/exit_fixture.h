#pragma once
// The fixture of the exit procedure's unit tests (exit_logic_test, exit_rules_test): the
// personnel fixture's register plus an in-memory exit store, the province's standard of
// the fixture's year, and the people who take each step.

#include <string>

#include "absl/strings/match.h"
#include "common/status.h"
#include "services/personnel/exit_logic.h"
#include "services/personnel/exit_validate.h"
#include "tests/support/fake_exit_store.h"
#include "tests/support/fake_poverty_standards.h"
#include "tests/unit/personnel/personnel_fixture.h"

namespace tuopin::personnel {

using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_CADRE;
using tuopin::common::v1::ROLE_INSPECTOR;
using tuopin::common::v1::ROLE_SERVICE;

inline std::string ReasonOf(const absl::Status& st) {
  return common::ReasonOf(common::ToGrpcStatus(st));
}
inline std::string FieldOf(const absl::Status& st) {
  auto v = common::FieldViolationsOf(common::ToGrpcStatus(st));
  return v.empty() ? "" : v[0].first;
}

// The fixture's clock is in September 2018: the standard in force is 2018's.
inline constexpr int kYear = 2018;
inline constexpr int kNoticeDays = 7;

class ExitLogicTest : public PersonnelLogicTest {
 protected:
  ExitLogicTest() : exits_(store_), exit_logic_(store_, exits_, standards_, clock_, tokens_) {
    PutStandard(kYear);
    MakeEligible("hh-sc");
  }

  void PutStandard(int year, int64_t poverty_line_fen = 375000) {
    v1::PovertyStandard s;
    s.set_year(year);
    s.set_province_code("52");
    s.set_poverty_line_fen(poverty_line_fen);
    s.set_village_incidence_max_bp(300);
    s.set_county_incidence_max_bp(300);
    s.set_notice_days(kNoticeDays);
    s.set_source(absl::StrCat("Guizhou ", year));
    standards_.Put(s);
  }

  void MakeEligible(const std::string& id) {
    v1::Household& h = store_.data.households.at(id);
    h.set_income_per_head_fen(420000);
    auto* ind = h.mutable_indicators();
    for (int i = 0; i < ind->GetDescriptor()->field_count(); ++i) {
      ind->GetReflection()->SetBool(ind, ind->GetDescriptor()->field(i), true);
    }
  }

  MutationContext ExitCtx(const Principal& p, absl::string_view method,
                          const google::protobuf::Message& req, std::string request_id = "") {
    if (request_id.empty()) request_id = absl::StrCat("exit-req-", ++requests_);
    return common::ContextFor("personnel",
                              absl::StrCat("/tuopin.personnel.v1.ExitService/", method), p,
                              std::move(request_id), clock_.Now(), req);
  }

  absl::StatusOr<v1::ExitApplication> Propose(const Principal& p, const std::string& household,
                                              int year = kYear, std::string request_id = "") {
    v1::ProposeExitRequest req;
    req.set_household_id(household);
    req.set_year(year);
    req.set_note("income above the line two years running");
    v1::ExitApplication out;
    TUOPIN_RETURN_IF_ERROR(
        exit_logic_.ProposeExit(ExitCtx(p, "ProposeExit", req, std::move(request_id)), req, out));
    return out;
  }
  absl::StatusOr<v1::ExitApplication> Review(const Principal& p, const std::string& id,
                                             bool approve = true, const std::string& note = "") {
    v1::ReviewExitRequest req;
    req.set_application_id(id);
    req.set_approve(approve);
    req.set_note(note);
    v1::ExitApplication out;
    TUOPIN_RETURN_IF_ERROR(exit_logic_.ReviewExit(ExitCtx(p, "ReviewExit", req), req, out));
    return out;
  }
  absl::StatusOr<v1::ExitApplication> Object(const Principal& p, const std::string& id) {
    v1::ObjectToExitRequest req;
    req.set_application_id(id);
    req.set_objection("a neighbour says the house leaks");
    v1::ExitApplication out;
    TUOPIN_RETURN_IF_ERROR(exit_logic_.ObjectToExit(ExitCtx(p, "ObjectToExit", req), req, out));
    return out;
  }
  absl::StatusOr<v1::ExitApplication> Resolve(const Principal& p, const std::string& id,
                                              bool upheld) {
    v1::ResolveObjectionRequest req;
    req.set_application_id(id);
    req.set_upheld(upheld);
    req.set_note("visited the house");
    v1::ExitApplication out;
    TUOPIN_RETURN_IF_ERROR(
        exit_logic_.ResolveObjection(ExitCtx(p, "ResolveObjection", req), req, out));
    return out;
  }
  absl::StatusOr<v1::ExitApplication> Confirm(const Principal& p, const std::string& id) {
    v1::ConfirmExitRequest req;
    req.set_application_id(id);
    req.set_confirmation("signed by the head, file 2019-041");
    v1::ExitApplication out;
    TUOPIN_RETURN_IF_ERROR(exit_logic_.ConfirmExit(ExitCtx(p, "ConfirmExit", req), req, out));
    return out;
  }
  absl::StatusOr<v1::Household> Reverse(const Principal& p, const std::string& household,
                                        const std::string& reference = "findings/f-1") {
    v1::ReverseExitRequest req;
    req.set_household_id(household);
    req.set_reference(reference);
    v1::Household out;
    TUOPIN_RETURN_IF_ERROR(exit_logic_.ReverseExit(ExitCtx(p, "ReverseExit", req), req, out));
    return out;
  }

  // An application of hh-sc walked to `stage` (NOTICE, TOWNSHIP_REVIEWED, COUNTY_APPROVED or
  // CONFIRMED) by the usual people; the clock is past the notice for the later stages.
  v1::ExitApplication At(v1::ExitStage stage) {
    auto a = Propose(proposer_, "hh-sc");
    EXPECT_TRUE(a.ok()) << a.status();
    a = Review(village_reviewer_, a->id());
    EXPECT_TRUE(a.ok()) << a.status();
    if (stage == v1::EXIT_STAGE_NOTICE) return *a;
    clock_.Advance(absl::Hours(24) * kNoticeDays);
    a = Review(township_, a->id());
    EXPECT_TRUE(a.ok()) << a.status();
    if (stage == v1::EXIT_STAGE_TOWNSHIP_REVIEWED) return *a;
    a = Review(shuicheng_, a->id());
    EXPECT_TRUE(a.ok()) << a.status();
    if (stage == v1::EXIT_STAGE_COUNTY_APPROVED) return *a;
    a = Confirm(recorder_, a->id());
    EXPECT_TRUE(a.ok()) << a.status();
    return *a;
  }

  testing::FakePovertyStandards standards_;
  testing::FakeExitStore exits_;
  ExitLogic exit_logic_;
  const Principal proposer_ = WithRole(ROLE_CADRE, "cadre-sc", kShuichengVillage);
  const Principal village_reviewer_ = WithRole(ROLE_CADRE, "cadre-2", kShuichengVillage);
  // The work-team member who records the household's confirmation.
  const Principal recorder_ = WithRole(ROLE_CADRE, "cadre-4", kShuichengVillage);
  const Principal township_ = Official("520221104");
  const Principal admin_ = WithRole(ROLE_ADMIN, "admin-1", "*");
  const Principal inspector_ = WithRole(ROLE_INSPECTOR, "inspector-1", "5202");
  const Principal accountability_ = WithRole(ROLE_SERVICE, "service:accountability", "*");
};

}  // namespace tuopin::personnel
