#pragma once
// The fixture of the assessment logic's unit tests: the logic over the in-memory store and
// personnel directory (tests/support), with Shuicheng county (520221) in the register and
// an inspector of its prefecture, Liupanshui (5202), as the independent assessor.
//
// The register: villages V1 (rural 600; 20 registered, 60 lifted out, 10 at risk people:
// 510 non-registered), V2 (rural 400; 20 registered, 40 lifted out: 340 non-registered)
// and V3 (no profile: rural 0); the county: rural 1000, 40 registered, 100 lifted out and
// 10 at risk. Households: V1 E1a, E1b (exited), R1a (registered), N1a, N1b (not poor); V2
// E2a, R2a, N2a; V3 E3a, N3a; and one of another county.

#include <optional>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/accountability/assessment_logic.h"
#include "tests/support/fake_assessment_store.h"
#include "tests/support/fake_directories.h"

namespace tuopin::accountability {

namespace pv1 = tuopin::personnel::v1;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_INSPECTOR;

inline constexpr char kCounty[] = "520221";
inline constexpr char kV1[] = "520221104001";
inline constexpr char kV2[] = "520221104002";
inline constexpr char kV3[] = "520221104003";
inline constexpr char kSeed[] = "a seed nobody could guess, 2019-11";
inline constexpr int64_t kLine = 375000;  // 3,750 yuan a head

inline std::string Reason(const absl::Status& st) {
  return common::ReasonOf(common::ToGrpcStatus(st));
}

inline common::Principal Who(const std::string& subject, std::vector<std::string> scopes,
                             tuopin::common::v1::Role role = ROLE_INSPECTOR) {
  common::Principal p;
  p.set_subject(subject);
  p.add_roles(role);
  for (auto& s : scopes) p.add_region_scopes(s);
  return p;
}

inline pv1::RegisterCounts Counts(int64_t registered, int64_t lifted, int64_t at_risk) {
  pv1::RegisterCounts c;
  c.set_registered_poor_people(registered);
  c.set_lifted_out_people(lifted);
  c.set_at_risk_people(at_risk);
  return c;
}

inline void AddVillage(pv1::ExitStatus& es, const std::string& code, int32_t rural,
                       const pv1::RegisterCounts& counts) {
  auto* v = es.add_villages();
  v->set_village_code(code);
  v->set_rural_population(rural);
  *v->mutable_counts() = counts;
}

// The register of the file comment, in a fake personnel directory, for `year`.
inline void SeedRegister(testing::FakePersonnelDirectory& personnel, int year = 2019) {
  personnel.regions = {kCounty, "520203"};
  pv1::PovertyStandard& st = personnel.standards[{year, "52"}];
  st.set_year(year);
  st.set_province_code("52");
  st.set_poverty_line_fen(kLine);
  st.set_village_incidence_max_bp(300);
  st.set_county_incidence_max_bp(300);
  st.set_wrongful_exit_max_bp(200);
  st.set_missed_max_bp(200);
  st.set_approval_min_bp(9000);
  st.set_notice_days(7);
  st.set_source("Guizhou poverty alleviation office, 2019");
  pv1::ExitStatus& es = personnel.exit_statuses[{kCounty, year}];
  es.set_region_code(kCounty);
  es.set_year(year);
  es.set_rural_population(1000);
  *es.mutable_counts() = Counts(40, 100, 10);
  AddVillage(es, kV1, 600, Counts(20, 60, 10));
  AddVillage(es, kV2, 400, Counts(20, 40, 0));
  AddVillage(es, kV3, 0, Counts(0, 0, 0));
  if (year != 2019) return;  // the households once
  personnel.AddHousehold("E1a", kV1, pv1::HOUSEHOLD_STATUS_LIFTED_OUT, 4);
  personnel.AddHousehold("E1b", kV1, pv1::HOUSEHOLD_STATUS_AT_RISK_OF_RETURN, 3);
  personnel.AddHousehold("R1a", kV1, pv1::HOUSEHOLD_STATUS_REGISTERED_POOR, 5);
  personnel.AddHousehold("N1a", kV1, pv1::HOUSEHOLD_STATUS_NOT_POOR, 4);
  personnel.AddHousehold("N1b", kV1, pv1::HOUSEHOLD_STATUS_NOT_POOR, 2);
  personnel.AddHousehold("E2a", kV2, pv1::HOUSEHOLD_STATUS_LIFTED_OUT, 4);
  personnel.AddHousehold("R2a", kV2, pv1::HOUSEHOLD_STATUS_REGISTERED_POOR, 3);
  personnel.AddHousehold("N2a", kV2, pv1::HOUSEHOLD_STATUS_NOT_POOR, 5);
  personnel.AddHousehold("E3a", kV3, pv1::HOUSEHOLD_STATUS_LIFTED_OUT, 2);
  personnel.AddHousehold("N3a", kV3, pv1::HOUSEHOLD_STATUS_NOT_POOR, 3);
  personnel.AddHousehold("X1", "520203101001", pv1::HOUSEHOLD_STATUS_LIFTED_OUT, 4);
}

// The server nonce the fixture's logic draws: bytes 0, 1, ..., n-1.
inline std::string CountingBytes(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(i));
  return out;
}

// Indicators all assured but `unmet` ("indicators.<name>"), if it names one.
inline pv1::Indicators IndicatorsBut(const std::string& unmet) {
  pv1::Indicators ind;
  for (int i = 0; i < ind.GetDescriptor()->field_count(); ++i) {
    const auto* f = ind.GetDescriptor()->field(i);
    ind.GetReflection()->SetBool(&ind, f, unmet != "indicators." + f->name());
  }
  return ind;
}

class AssessmentLogicTest : public ::testing::Test {
 protected:
  AssessmentLogicTest()
      : tokens_("assessment-unit-test-page-token-key-01"),
        logic_(store_, personnel_, tokens_, CountingBytes) {
    // One assessment per county and year: tests that need several use other years.
    for (int year = 2019; year <= 2022; ++year) SeedRegister(personnel_, year);
  }

  MutationContext Ctx(const std::string& request_id, const common::Principal& who) const {
    MutationContext m;
    m.service = "accountability";
    m.method = "/tuopin.accountability.v1.AssessmentService/Test";
    m.principal = who;
    m.request_id = request_id;
    m.request_sha256 = request_id;
    m.now = now_;
    return m;
  }

  v1::CreateAssessmentRequest CreateRequest(int villages = 2, int per_stratum = 1,
                                            int year = 2019) const {
    v1::CreateAssessmentRequest req;
    req.set_request_id(year == 2019 ? "create-1" : absl::StrCat("create-", year));
    v1::Assessment* a = req.mutable_assessment();
    a->set_county_code(kCounty);
    a->set_year(year);
    a->set_assessor_organisation("Guizhou University assessment team 2");
    a->set_village_sample_size(villages);
    a->set_exited_per_village(per_stratum);
    a->set_registered_per_village(per_stratum);
    a->set_non_registered_per_village(per_stratum);
    a->set_seed_commitment(common::HexEncode(common::Sha256(kSeed)));
    return req;
  }

  absl::StatusOr<v1::Assessment> Create(const common::Principal& who,
                                        v1::CreateAssessmentRequest req) {
    v1::Assessment out;
    TUOPIN_RETURN_IF_ERROR(logic_.CreateAssessment(Ctx(req.request_id(), who), req, out));
    return out;
  }
  absl::StatusOr<v1::Assessment> Create() { return Create(assessor_, CreateRequest()); }

  absl::StatusOr<v1::AssessmentSample> Reveal(const std::string& id,
                                              const std::string& seed = kSeed,
                                              const std::string& request_id = "reveal-1",
                                              const common::Principal* who = nullptr) {
    v1::RevealAssessmentSampleRequest req;
    req.set_request_id(request_id);
    req.set_assessment_id(id);
    req.set_seed_hex(common::HexEncode(seed));
    v1::AssessmentSample out;
    TUOPIN_RETURN_IF_ERROR(
        logic_.RevealAssessmentSample(Ctx(request_id, who ? *who : assessor_), req, out));
    return out;
  }

  // A visit that finds the household meeting the standard (income above the line, every
  // indicator), unless `unmet` names "income_per_head" or an indicator that fails; dated
  // now (the reveal's time, as the fixture's clock stands still) unless `when` is given.
  absl::StatusOr<v1::AssessmentVisit> Visit(const std::string& id, const std::string& household,
                                            const std::string& unmet = "", bool approves = true,
                                            int32_t people = 4,
                                            const common::Principal* who = nullptr,
                                            std::optional<absl::Time> when = std::nullopt) {
    v1::RecordAssessmentVisitRequest req;
    req.set_request_id(absl::StrCat("visit-", household));
    req.set_assessment_id(id);
    req.set_household_id(household);
    *req.mutable_observed_indicators() = IndicatorsBut(unmet);
    req.set_observed_income_per_head_fen(unmet == "income_per_head" ? kLine : kLine + 1);
    req.set_observed_people(people);
    req.set_approves(approves);
    *req.mutable_visit_time() = common::ToTimestamp(when.value_or(now_));
    v1::AssessmentVisit out;
    TUOPIN_RETURN_IF_ERROR(
        logic_.RecordAssessmentVisit(Ctx(req.request_id(), who ? *who : assessor_), req, out));
    return out;
  }

  absl::StatusOr<v1::Assessment> Finalize(const std::string& id,
                                          const std::string& request_id = "finalize-1",
                                          const common::Principal* who = nullptr) {
    v1::FinalizeAssessmentRequest req;
    req.set_request_id(request_id);
    req.set_assessment_id(id);
    v1::Assessment out;
    TUOPIN_RETURN_IF_ERROR(
        logic_.FinalizeAssessment(Ctx(request_id, who ? *who : assessor_), req, out));
    return out;
  }

  // Visits every sampled household of a revealed assessment, meeting the standard
  // except where `unmet` names the household's failed criterion.
  // The assessors find `people` in every household (not what the register says).
  void VisitAll(const std::string& id, const std::map<std::string, std::string>& unmet = {},
                int32_t people = 4) {
    for (const auto& h : store_.samples[id].households()) {
      auto it = unmet.find(h.household_id());
      auto v = Visit(id, h.household_id(), it == unmet.end() ? "" : it->second, true, people);
      ASSERT_TRUE(v.ok()) << v.status();
    }
  }

  // The fixture's clock: every call happens at this instant unless a test moves it.
  absl::Time now_ = absl::FromCivil(absl::CivilSecond(2019, 11, 20, 2, 0, 0), absl::UTCTimeZone());
  common::PageTokenCodec tokens_;
  testing::FakeAssessmentStore store_;
  testing::FakePersonnelDirectory personnel_;
  AssessmentLogic logic_;
  // Independent of Shuicheng: the prefecture's inspector, and an operator.
  const common::Principal assessor_ = Who("inspector-lps", {"5202"});
  const common::Principal admin_ = Who("admin-1", {"*"}, ROLE_ADMIN);
  // Shuicheng's own inspector and a township official; another prefecture's inspector.
  const common::Principal own_ = Who("inspector-sc", {kCounty});
  const common::Principal township_ = Who("inspector-mg", {"520221104"});
  const common::Principal other_ = Who("inspector-lz", {"5203"});
};

}  // namespace tuopin::accountability
