#pragma once
// The personnel logic over an in-memory store: two counties of one prefecture
// (Shuicheng 520221 and its neighbour 520222), a township and a village in each, one
// cadre and one household managed by each, and principals of each county and above.

#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/mutation.h"
#include "common/page_token.h"
#include "common/region_code.h"
#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/personnel/personnel_logic.h"
#include "tests/support/fake_personnel_store.h"

namespace tuopin::personnel {

inline constexpr char kShuichengVillage[] = "520221104001";
inline constexpr char kNeighbourVillage[] = "520222101001";

class PersonnelLogicTest : public ::testing::Test {
 protected:
  static constexpr int kPairingLimit = 2;

  PersonnelLogicTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone())),
        tokens_("personnel-unit-test-page-token-key-01"),
        logic_(store_, clock_, tokens_, PersonnelConfig{.pairing_limit = kPairingLimit}) {
    for (const char* code : {"52", "5202", "520221", "520221104", kShuichengVillage, "520222",
                             "520222101", kNeighbourVillage}) {
      AddRegion(code);
    }
    AddCadre("cadre-sc", "520221");
    AddCadre("cadre-nb", "520222");
    AddHousehold("hh-sc", kShuichengVillage);
    AddHousehold("hh-nb", kNeighbourVillage);
  }

  void AddRegion(const std::string& code) {
    v1::Region& r = store_.data.regions[code];
    r.set_code(code);
    r.set_name(absl::StrCat("Region ", code));
    r.set_level(static_cast<v1::RegionLevel>(common::RegionLevelOf(code)));
    r.set_parent_code(common::ParentRegionCode(code));
  }
  void AddCadre(const std::string& id, const std::string& managing) {
    v1::Cadre& c = store_.data.cadres[id];
    c.set_id(id);
    c.set_employee_number(absl::StrCat("E-", id));
    c.set_name(absl::StrCat("Cadre ", id));
    c.set_origin_level(v1::ORIGIN_LEVEL_PROVINCIAL);
    c.set_managing_region_code(managing);
    c.set_home_region_code("520201100");
    c.set_etag(common::EtagOf(1));
  }
  void AddHousehold(const std::string& id, const std::string& village,
                    v1::HouseholdStatus status = v1::HOUSEHOLD_STATUS_REGISTERED_POOR) {
    v1::Household& h = store_.data.households[id];
    h.set_id(id);
    h.set_village_code(village);
    h.set_head_name(absl::StrCat("Head of ", id));
    h.set_member_count(4);
    h.set_status(status);
    h.set_etag(common::EtagOf(1));
  }

  static Principal WithRole(tuopin::common::v1::Role role, const std::string& subject,
                            const std::string& scope) {
    Principal p;
    p.set_subject(subject);
    p.add_roles(role);
    p.add_region_scopes(scope);
    return p;
  }
  static Principal Official(const std::string& scope) {
    return WithRole(tuopin::common::v1::ROLE_COUNTY_OFFICIAL, absl::StrCat("official-", scope),
                    scope);
  }

  // The context the handler would make for `method` of the personnel service.
  MutationContext Ctx(const Principal& p, absl::string_view method,
                      const google::protobuf::Message& req, std::string request_id = "") {
    if (request_id.empty()) request_id = absl::StrCat("req-", ++requests_);
    return common::ContextFor("personnel",
                              absl::StrCat("/tuopin.personnel.v1.PersonnelService/", method), p,
                              std::move(request_id), clock_.Now(), req);
  }

  absl::StatusOr<v1::Posting> Post(const Principal& p, const std::string& cadre,
                                   const std::string& village,
                                   v1::PostingRole role = v1::POSTING_ROLE_TEAM_MEMBER) {
    v1::PostCadreRequest req;
    req.set_cadre_id(cadre);
    req.set_village_code(village);
    req.set_role(role);
    *req.mutable_start_date() = common::ToDate(absl::CivilDay(2018, 3, 1));
    v1::Posting out;
    TUOPIN_RETURN_IF_ERROR(logic_.PostCadre(Ctx(p, "PostCadre", req), req, out));
    return out;
  }
  absl::Status EndPosting(const Principal& p, const std::string& id,
                          absl::CivilDay end = absl::CivilDay(2018, 9, 1)) {
    v1::EndPostingRequest req;
    req.set_posting_id(id);
    req.set_reason("Recalled");
    *req.mutable_end_date() = common::ToDate(end);
    v1::Posting out;
    return logic_.EndPosting(Ctx(p, "EndPosting", req), req, out);
  }
  absl::StatusOr<v1::Pairing> Pair(const Principal& p, const std::string& cadre,
                                   const std::string& household) {
    v1::PairCadreWithHouseholdRequest req;
    req.set_cadre_id(cadre);
    req.set_household_id(household);
    v1::Pairing out;
    TUOPIN_RETURN_IF_ERROR(
        logic_.PairCadreWithHousehold(Ctx(p, "PairCadreWithHousehold", req), req, out));
    return out;
  }
  absl::Status Unpair(const Principal& p, const std::string& id) {
    v1::UnpairCadreRequest req;
    req.set_pairing_id(id);
    v1::Pairing out;
    return logic_.UnpairCadre(Ctx(p, "UnpairCadre", req), req, out);
  }

  common::FakeClock clock_;
  common::PageTokenCodec tokens_;
  testing::FakePersonnelStore store_;
  PersonnelLogic logic_;
  int requests_ = 0;
  const Principal shuicheng_ = Official("520221");
  const Principal neighbour_ = Official("520222");
  const Principal liuzhi_ = Official("520203");
  const Principal prefecture_ = Official("5202");
};

}  // namespace tuopin::personnel
