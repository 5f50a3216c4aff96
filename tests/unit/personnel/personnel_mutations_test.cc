// Unit tests of the personnel mutations on the in-memory store: the rules each one applies
// inside its transaction (region parents and levels, imported villages, etags, unique
// employee numbers, one posting per cadre and one first secretary per village, the
// pairing limit, check-in rights and windows) and the mutation frame the store keeps
// (replays, reused request ids, nothing left behind by a refusal, one audit event each).

#include "tests/unit/personnel/personnel_fixture.h"

namespace tuopin::personnel {
namespace {

using tuopin::common::v1::ROLE_CADRE;
using tuopin::common::v1::ROLE_INSPECTOR;

std::string ReasonOf(const absl::Status& st) { return common::ReasonOf(common::ToGrpcStatus(st)); }

v1::Region RegionNamed(const std::string& code, const std::string& name) {
  v1::Region r;
  r.set_code(code);
  r.set_name(name);
  return r;
}

class MutationTest : public PersonnelLogicTest {
 protected:
  absl::Status Import(const Principal& p, std::initializer_list<v1::Region> regions,
                      v1::ImportRegionsResponse& out) {
    v1::ImportRegionsRequest req;
    for (const auto& r : regions) *req.add_regions() = r;
    return logic_.ImportRegions(Ctx(p, "ImportRegions", req), req, out);
  }
  absl::StatusOr<v1::Household> CreateHousehold(const std::string& village) {
    v1::CreateHouseholdRequest req;
    req.mutable_household()->set_village_code(village);
    req.mutable_household()->set_head_name("Wang");
    req.mutable_household()->set_member_count(3);
    req.mutable_household()->set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
    v1::Household out;
    TUOPIN_RETURN_IF_ERROR(
        logic_.CreateHousehold(Ctx(shuicheng_, "CreateHousehold", req), req, out));
    return out;
  }
  absl::Status CheckIn(const Principal& p, v1::CheckInMethod method, absl::Time when,
                       const std::string& village = kShuichengVillage) {
    v1::RecordCheckInRequest req;
    req.set_cadre_id("cadre-sc");
    req.set_village_code(village);
    *req.mutable_time() = common::ToTimestamp(when);
    req.set_method(method);
    v1::CheckIn out;
    return logic_.RecordCheckIn(Ctx(p, "RecordCheckIn", req), req, out);
  }
  const Principal cadre_sc_ = WithRole(ROLE_CADRE, "cadre-sc", "520221");
  const Principal inspector_ = WithRole(ROLE_INSPECTOR, "inspector-1", "520221");
};

TEST_F(MutationTest, ImportRegionsParentsFirstLevelsFromTheCode) {
  v1::ImportRegionsResponse out;
  ASSERT_TRUE(
      Import(shuicheng_,
             {RegionNamed("520221105", "Town"), RegionNamed("520221105001", "Village"),
              RegionNamed(kShuichengVillage, "Renamed"), RegionNamed("520221", "Region 520221")},
             out)
          .ok());
  EXPECT_EQ(out.created(), 2);
  EXPECT_EQ(out.updated(), 1);
  EXPECT_EQ(out.unchanged(), 1);
  const v1::Region& village = store_.data.regions.at("520221105001");
  EXPECT_EQ(village.level(), v1::REGION_LEVEL_VILLAGE);
  EXPECT_EQ(village.parent_code(), "520221105");
  EXPECT_EQ(store_.data.regions.at(kShuichengVillage).name(), "Renamed");
  ASSERT_EQ(store_.outbox.size(), 1u);
  EXPECT_EQ(store_.outbox[0].entities_size(), 3);  // the unchanged region is not named
}

TEST_F(MutationTest, ImportRegionsRefusesAnOrphanAndKeepsNothing) {
  v1::ImportRegionsResponse out;
  absl::Status st = Import(
      shuicheng_, {RegionNamed("520221106", "Town"), RegionNamed("520221107001", "Orphan")}, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("520221107"), std::string::npos) << st;
  EXPECT_FALSE(store_.data.regions.count("520221106"));
  EXPECT_TRUE(store_.outbox.empty());
  // Out of the caller's scope.
  EXPECT_EQ(Import(shuicheng_, {RegionNamed("520222102", "Town")}, out).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(MutationTest, CreateHouseholdOnlyInAnImportedVillage) {
  absl::StatusOr<v1::Household> h = CreateHousehold(kShuichengVillage);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->etag(), "v1");
  EXPECT_EQ(common::FromTimestamp(h->create_time()), clock_.Now());
  EXPECT_EQ(store_.data.households.at(h->id()).head_name(), "Wang");
  ASSERT_EQ(store_.outbox.size(), 1u);
  EXPECT_EQ(store_.outbox[0].entities(0).id(), h->id());
  // A township, and a village that was never imported.
  for (const char* code : {"520221104", "520221104099"}) {
    absl::Status st = CreateHousehold(code).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << code;
  }
  EXPECT_EQ(store_.data.households.size(), 3u);
}

TEST_F(MutationTest, UpdateHouseholdAppliesTheMaskUnderItsEtag) {
  v1::UpdateHouseholdRequest req;
  req.mutable_household()->set_id("hh-sc");
  req.mutable_household()->set_etag("v1");
  req.mutable_household()->set_member_count(6);
  req.mutable_household()->set_village_code(kNeighbourVillage);  // not in the mask
  req.mutable_update_mask()->add_paths("member_count");
  v1::Household out;
  ASSERT_TRUE(logic_.UpdateHousehold(Ctx(shuicheng_, "UpdateHousehold", req), req, out).ok());
  EXPECT_EQ(out.etag(), "v2");
  EXPECT_EQ(out.member_count(), 6);
  EXPECT_EQ(store_.data.households.at("hh-sc").village_code(), kShuichengVillage);
  // The same etag again is stale now.
  absl::Status st = logic_.UpdateHousehold(Ctx(shuicheng_, "UpdateHousehold", req), req, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(st), "ETAG_MISMATCH");
  EXPECT_EQ(store_.data.households.at("hh-sc").etag(), "v2");
}

TEST_F(MutationTest, CreateCadreRefusesATakenEmployeeNumber) {
  v1::CreateCadreRequest req;
  v1::Cadre& c = *req.mutable_cadre();
  c.set_employee_number("E-new");
  c.set_name("Li");
  c.set_origin_level(v1::ORIGIN_LEVEL_COUNTY);
  c.set_dispatching_unit("County office");
  c.set_home_region_code("520201100");
  c.set_managing_region_code("520221");
  v1::Cadre out;
  ASSERT_TRUE(logic_.CreateCadre(Ctx(shuicheng_, "CreateCadre", req), req, out).ok());
  EXPECT_EQ(store_.data.cadres.at(out.id()).employee_number(), "E-new");
  c.set_employee_number("E-cadre-nb");
  absl::Status st = logic_.CreateCadre(Ctx(shuicheng_, "CreateCadre", req), req, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(st), "EMPLOYEE_NUMBER_TAKEN");
  EXPECT_EQ(store_.data.cadres.size(), 3u);
}

TEST_F(MutationTest, UpdateCadreByTheManagingRegionOnly) {
  v1::UpdateCadreRequest req;
  req.mutable_cadre()->set_id("cadre-sc");
  req.mutable_cadre()->set_name("New name");
  req.mutable_update_mask()->add_paths("name");
  v1::Cadre out;
  // A cadre reads his or her own record from anywhere but does not change it.
  Principal self = WithRole(ROLE_CADRE, "cadre-sc", "520222");
  v1::GetCadreRequest get;
  get.set_id("cadre-sc");
  ASSERT_TRUE(logic_.GetCadre(self, get, out).ok());
  EXPECT_EQ(logic_.UpdateCadre(Ctx(self, "UpdateCadre", req), req, out).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(logic_.UpdateCadre(Ctx(shuicheng_, "UpdateCadre", req), req, out).ok());
  EXPECT_EQ(out.etag(), "v2");
  EXPECT_EQ(store_.data.cadres.at("cadre-sc").name(), "New name");
}

TEST_F(MutationTest, PostCadreOnePostingPerCadreOneFirstSecretaryPerVillage) {
  absl::StatusOr<v1::Posting> p =
      Post(prefecture_, "cadre-sc", kShuichengVillage, v1::POSTING_ROLE_FIRST_SECRETARY);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->active());
  EXPECT_EQ(ReasonOf(Post(prefecture_, "cadre-sc", kNeighbourVillage).status()),
            "CADRE_ALREADY_POSTED");
  EXPECT_EQ(
      ReasonOf(Post(prefecture_, "cadre-nb", kShuichengVillage, v1::POSTING_ROLE_FIRST_SECRETARY)
                   .status()),
      "FIRST_SECRETARY_SEAT_TAKEN");
  EXPECT_EQ(store_.data.postings.size(), 1u);
  EXPECT_EQ(store_.outbox.size(), 1u);
  // Not a village; a village of the cadre's home region needs a waiver.
  EXPECT_EQ(Post(prefecture_, "cadre-nb", "520221104").status().code(),
            absl::StatusCode::kInvalidArgument);
  store_.data.cadres.at("cadre-nb").set_home_region_code("520222101");
  EXPECT_EQ(ReasonOf(Post(prefecture_, "cadre-nb", kNeighbourVillage).status()),
            "HOME_VILLAGE_WAIVER_REQUIRED");
}

TEST_F(MutationTest, EndPostingOnceAndNotBeforeItsStart) {
  absl::StatusOr<v1::Posting> p = Post(shuicheng_, "cadre-sc", kShuichengVillage);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(EndPosting(shuicheng_, p->id(), absl::CivilDay(2018, 2, 1)).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(EndPosting(shuicheng_, p->id()).ok());
  const v1::Posting& row = store_.data.postings.at(p->id());
  EXPECT_FALSE(row.active());
  EXPECT_EQ(common::FromDate(row.end_date()), absl::CivilDay(2018, 9, 1));
  EXPECT_EQ(row.end_reason(), "Recalled");
  absl::Status again = EndPosting(shuicheng_, p->id());
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(again), "POSTING_ENDED");
  // Ended, the cadre may be posted again.
  EXPECT_TRUE(Post(shuicheng_, "cadre-sc", kShuichengVillage).ok());
}

TEST_F(MutationTest, PairingLimitAndOneCadrePerHousehold) {
  AddHousehold("hh-sc-2", kShuichengVillage);
  AddHousehold("hh-sc-3", kShuichengVillage);
  AddCadre("cadre-sc-2", "520221");
  ASSERT_TRUE(Pair(shuicheng_, "cadre-sc", "hh-sc").ok());
  EXPECT_EQ(ReasonOf(Pair(shuicheng_, "cadre-sc-2", "hh-sc").status()), "HOUSEHOLD_ALREADY_PAIRED");
  ASSERT_TRUE(Pair(shuicheng_, "cadre-sc", "hh-sc-2").ok());
  absl::Status full = Pair(shuicheng_, "cadre-sc", "hh-sc-3").status();
  EXPECT_EQ(full.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(full), "PAIRING_LIMIT_REACHED");
  EXPECT_EQ(store_.data.pairings.size(), static_cast<size_t>(kPairingLimit));
  absl::StatusOr<v1::Pairing> other = Pair(shuicheng_, "cadre-sc-2", "hh-sc-3");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->village_code(), kShuichengVillage);
  EXPECT_EQ(store_.outbox.back().entities_size(), 3);
}

TEST_F(MutationTest, UnpairCadreOnceThenTheHouseholdIsFree) {
  absl::StatusOr<v1::Pairing> p = Pair(shuicheng_, "cadre-sc", "hh-sc");
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(Unpair(shuicheng_, p->id()).ok());
  EXPECT_FALSE(store_.data.pairings.at(p->id()).active());
  EXPECT_EQ(common::FromTimestamp(store_.data.pairings.at(p->id()).end_time()), clock_.Now());
  EXPECT_EQ(ReasonOf(Unpair(shuicheng_, p->id())), "PAIRING_ENDED");
  EXPECT_TRUE(Pair(shuicheng_, "cadre-sc", "hh-sc").ok());
}

TEST_F(MutationTest, RecordCheckInWhoWhereAndWhen) {
  absl::Time now = clock_.Now();
  EXPECT_EQ(ReasonOf(CheckIn(cadre_sc_, v1::CHECK_IN_METHOD_SELF_REPORT, now)), "NOT_POSTED_HERE");
  ASSERT_TRUE(Post(shuicheng_, "cadre-sc", kShuichengVillage).ok());
  EXPECT_EQ(ReasonOf(CheckIn(WithRole(ROLE_CADRE, "cadre-nb", "520221"),
                             v1::CHECK_IN_METHOD_SELF_REPORT, now)),
            "NOT_SELF");
  EXPECT_EQ(ReasonOf(CheckIn(cadre_sc_, v1::CHECK_IN_METHOD_VERIFIED_BY_INSPECTION, now)),
            "NOT_INSPECTOR");
  EXPECT_EQ(CheckIn(cadre_sc_, v1::CHECK_IN_METHOD_SELF_REPORT, now + absl::Minutes(10)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckIn(cadre_sc_, v1::CHECK_IN_METHOD_SELF_REPORT, now - absl::Hours(24 * 32)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_.data.checkins.empty());
  // 2018-09-04 19:00 UTC is already the 5th in China.
  ASSERT_TRUE(CheckIn(cadre_sc_, v1::CHECK_IN_METHOD_SELF_REPORT, now - absl::Hours(7)).ok());
  ASSERT_TRUE(CheckIn(inspector_, v1::CHECK_IN_METHOD_VERIFIED_BY_INSPECTION, now).ok());
  ASSERT_EQ(store_.data.checkins.size(), 2u);
  EXPECT_EQ(store_.data.checkins[0].day, absl::CivilDay(2018, 9, 5));
  EXPECT_EQ(store_.data.checkins[1].checkin.recorded_by(), "inspector-1");
}

TEST_F(MutationTest, ARetryReplaysTheFirstAnswer) {
  v1::PairCadreWithHouseholdRequest req;
  req.set_cadre_id("cadre-sc");
  req.set_household_id("hh-sc");
  v1::Pairing first, again;
  MutationContext ctx = Ctx(shuicheng_, "PairCadreWithHousehold", req, "retry-1");
  ASSERT_TRUE(logic_.PairCadreWithHousehold(ctx, req, first).ok());
  ASSERT_TRUE(logic_.PairCadreWithHousehold(ctx, req, again).ok());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(store_.replays, 1);
  EXPECT_EQ(store_.data.pairings.size(), 1u);
  EXPECT_EQ(store_.outbox.size(), 1u);
  // The same id for another request is refused (ids are the subject's own).
  req.set_household_id("hh-nb");
  absl::Status st = logic_.PairCadreWithHousehold(
      Ctx(prefecture_, "PairCadreWithHousehold", req, "retry-1"), req, again);
  EXPECT_TRUE(st.ok()) << "request ids are per subject: " << st;
  AddHousehold("hh-sc-2", kShuichengVillage);
  req.set_household_id("hh-sc-2");
  st = logic_.PairCadreWithHousehold(Ctx(shuicheng_, "PairCadreWithHousehold", req, "retry-1"), req,
                                     again);
  EXPECT_EQ(ReasonOf(st), "REQUEST_ID_REUSED");
}

TEST_F(MutationTest, ARefusalRecordsNothingSoItsIdStaysFree) {
  AddHousehold("hh-sc-2", kShuichengVillage);
  ASSERT_TRUE(Pair(shuicheng_, "cadre-sc", "hh-sc").ok());
  v1::PairCadreWithHouseholdRequest req;
  req.set_cadre_id("cadre-sc");
  req.set_household_id("hh-sc");
  v1::Pairing out;
  auto ctx = Ctx(shuicheng_, "PairCadreWithHousehold", req, "after-refusal");
  EXPECT_EQ(ReasonOf(logic_.PairCadreWithHousehold(ctx, req, out)), "HOUSEHOLD_ALREADY_PAIRED");
  EXPECT_EQ(store_.outbox.size(), 1u);
  // The pairing ends; the same call with the same id now runs and succeeds.
  ASSERT_TRUE(Unpair(shuicheng_, store_.data.pairings.begin()->first).ok());
  EXPECT_TRUE(logic_.PairCadreWithHousehold(ctx, req, out).ok());
  EXPECT_EQ(store_.replays, 0);
  EXPECT_EQ(store_.outbox.back().request_id(), "after-refusal");
}

}  // namespace
}  // namespace tuopin::personnel
