// Cadres through a real gRPC server and a real MariaDB: the posting and pairing rules
// (including a race for a first-secretary seat), check-ins and coverage.

#include <barrier>
#include <thread>

#include "tests/integration/personnel/personnel_fixture.h"
#include "tests/support/same_refusal.h"

namespace tuopin::personnel {
namespace {

TEST_F(PersonnelTest, CadresCreateUniqueGetListUpdate) {
  v1::Cadre c = CreateCadre("GZ-2018-0001");
  v1::CreateCadreRequest dup;
  dup.set_request_id(NextId());
  *dup.mutable_cadre() = c;
  dup.mutable_cadre()->clear_id();
  v1::Cadre out;
  EXPECT_EQ(stub_->CreateCadre(ContextAs(official_).get(), dup, &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  v1::GetCadreRequest get;
  get.set_id(c.id());
  ASSERT_TRUE(stub_->GetCadre(ContextAs(inspector_).get(), get, &out).ok());
  EXPECT_EQ(out.employee_number(), "GZ-2018-0001");
  // The cadre may read his or her own record whatever the region scope says.
  EXPECT_TRUE(
      stub_->GetCadre(ContextAs(MakePrincipal(c.id(), {ROLE_CADRE}, {kVillageB})).get(), get, &out)
          .ok());
  EXPECT_EQ(stub_->GetCadre(ContextAs(liuzhi_official_).get(), get, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  CreateCadre("GZ-2018-0002");
  v1::ListCadresRequest list;
  list.set_region_code(kShuicheng);
  v1::ListCadresResponse listed;
  ASSERT_TRUE(stub_->ListCadres(ContextAs(official_).get(), list, &listed).ok());
  EXPECT_EQ(listed.cadres_size(), 2);

  v1::UpdateCadreRequest up;
  up.set_request_id(NextId());
  up.mutable_cadre()->set_id(c.id());
  up.mutable_cadre()->set_etag(c.etag());
  up.mutable_cadre()->set_dispatching_unit("Liupanshui Municipal Poverty Alleviation Office");
  up.mutable_update_mask()->add_paths("dispatching_unit");
  ASSERT_TRUE(stub_->UpdateCadre(ContextAs(official_).get(), up, &out).ok());
  EXPECT_EQ(out.dispatching_unit(), "Liupanshui Municipal Poverty Alleviation Office");
  EXPECT_EQ(out.employee_number(), c.employee_number());

  v1::CreateCadreRequest bad;
  bad.set_request_id(NextId());
  bad.mutable_cadre()->set_employee_number("has space");
  EXPECT_EQ(ViolatedField(stub_->CreateCadre(ContextAs(official_).get(), bad, &out)),
            "cadre.employee_number");
}

TEST_F(PersonnelTest, PostingRules) {
  v1::Cadre a = CreateCadre("A-1"), b = CreateCadre("B-1");
  v1::Cadre local = CreateCadre("L-1", /*home=*/"520221104");
  v1::Posting p;
  ASSERT_TRUE(Post(a.id(), kVillageA, v1::POSTING_ROLE_FIRST_SECRETARY, &p).ok());
  EXPECT_TRUE(p.active());
  EXPECT_FALSE(p.home_village());

  v1::Posting other;
  grpc::Status st = Post(b.id(), kVillageA, v1::POSTING_ROLE_FIRST_SECRETARY, &other);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(common::ReasonOf(st), "FIRST_SECRETARY_SEAT_TAKEN");
  // One active posting per cadre.
  st = Post(a.id(), kVillageB, v1::POSTING_ROLE_TEAM_MEMBER, &other);
  EXPECT_EQ(common::ReasonOf(st), "CADRE_ALREADY_POSTED");
  ASSERT_TRUE(Post(b.id(), kVillageA, v1::POSTING_ROLE_TEAM_LEADER, &other).ok());

  // Home village: a waiver is required, and the posting is flagged.
  st = Post(local.id(), kVillageB, v1::POSTING_ROLE_TEAM_MEMBER, &other);
  EXPECT_EQ(ViolatedField(st), "home_waiver");
  ASSERT_TRUE(Post(local.id(), kVillageB, v1::POSTING_ROLE_TEAM_MEMBER, &other,
                   "Approved by the county organisation department, 2018-02-20")
                  .ok());
  EXPECT_TRUE(other.home_village());

  // Ending: not before the start; then the seat is free again.
  v1::EndPostingRequest end;
  end.set_request_id(NextId());
  end.set_posting_id(p.id());
  end.set_reason("Rotated to county office");
  *end.mutable_end_date() = common::ToDate(absl::CivilDay(2018, 2, 1));
  v1::Posting ended;
  EXPECT_EQ(ViolatedField(stub_->EndPosting(ContextAs(official_).get(), end, &ended)), "end_date");
  *end.mutable_end_date() = common::ToDate(absl::CivilDay(2018, 9, 1));
  ASSERT_TRUE(stub_->EndPosting(ContextAs(official_).get(), end, &ended).ok());
  EXPECT_FALSE(ended.active());
  end.set_request_id(NextId());
  EXPECT_EQ(stub_->EndPosting(ContextAs(official_).get(), end, &ended).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::Cadre c = CreateCadre("C-1");
  ASSERT_TRUE(Post(c.id(), kVillageA, v1::POSTING_ROLE_FIRST_SECRETARY, &other).ok());

  v1::ListPostingsRequest list;
  list.set_region_code("520221104");
  list.set_active_only(true);
  v1::ListPostingsResponse listed;
  ASSERT_TRUE(stub_->ListPostings(ContextAs(inspector_).get(), list, &listed).ok());
  EXPECT_EQ(listed.postings_size(), 3);
  list.set_cadre_id(a.id());
  list.set_active_only(false);
  ASSERT_TRUE(stub_->ListPostings(ContextAs(inspector_).get(), list, &listed).ok());
  ASSERT_EQ(listed.postings_size(), 1);
  EXPECT_EQ(listed.postings(0).end_reason(), "Rotated to county office");

  // Out of region: a Liuzhi official cannot post into Shuicheng.
  v1::PostCadreRequest req;
  req.set_request_id(NextId());
  req.set_cadre_id(c.id());
  req.set_village_code(kVillageB);
  req.set_role(v1::POSTING_ROLE_TEAM_MEMBER);
  *req.mutable_start_date() = common::ToDate(absl::CivilDay(2018, 3, 1));
  EXPECT_EQ(stub_->PostCadre(ContextAs(liuzhi_official_).get(), req, &other).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(PersonnelTest, ConcurrentFirstSecretaryPostingsExactlyOneWins) {
  constexpr int kRacers = 8;
  std::vector<v1::Cadre> cadres;
  for (int i = 0; i < kRacers; ++i) cadres.push_back(CreateCadre(absl::StrCat("R-", i)));
  std::vector<grpc::Status> results(kRacers);
  std::barrier go(kRacers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      v1::Posting p;
      go.arrive_and_wait();
      results[i] = Post(cadres[i].id(), kVillageB, v1::POSTING_ROLE_FIRST_SECRETARY, &p);
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0;
  for (const auto& st : results) {
    if (st.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(common::ReasonOf(st), "FIRST_SECRETARY_SEAT_TAKEN") << st.error_message();
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM postings WHERE active = 1 AND role = 1"
                               " AND village_code = '",
                               kVillageB, "'")),
            1);
}

TEST_F(PersonnelTest, PairingRulesAndLimit) {
  v1::Cadre c = CreateCadre("P-1"), d = CreateCadre("P-2");
  std::vector<v1::Household> hs(5);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(CreateHousehold(official_, kVillageA, absl::StrCat("H", i), &hs[i]).ok());
  auto pair = [&](const std::string& cadre, const std::string& household, v1::Pairing* out) {
    v1::PairCadreWithHouseholdRequest req;
    req.set_request_id(NextId());
    req.set_cadre_id(cadre);
    req.set_household_id(household);
    return stub_->PairCadreWithHousehold(ContextAs(official_).get(), req, out);
  };
  v1::Pairing p;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pair(c.id(), hs[i].id(), &p).ok());
  grpc::Status st = pair(c.id(), hs[3].id(), &p);
  EXPECT_EQ(common::ReasonOf(st), "PAIRING_LIMIT_REACHED");
  st = pair(d.id(), hs[0].id(), &p);
  EXPECT_EQ(common::ReasonOf(st), "HOUSEHOLD_ALREADY_PAIRED");

  v1::ListPairingsRequest list;
  list.set_cadre_id(c.id());
  list.set_active_only(true);
  v1::ListPairingsResponse listed;
  ASSERT_TRUE(stub_->ListPairings(ContextAs(official_).get(), list, &listed).ok());
  ASSERT_EQ(listed.pairings_size(), 3);

  v1::UnpairCadreRequest unpair;
  unpair.set_request_id(NextId());
  unpair.set_pairing_id(listed.pairings(0).id());
  v1::Pairing ended;
  ASSERT_TRUE(stub_->UnpairCadre(ContextAs(official_).get(), unpair, &ended).ok());
  EXPECT_FALSE(ended.active());
  ASSERT_TRUE(pair(d.id(), listed.pairings(0).household_id(), &p).ok());
  ASSERT_TRUE(pair(c.id(), hs[3].id(), &p).ok());

  list.set_household_id(listed.pairings(0).household_id());
  list.set_active_only(false);
  ASSERT_TRUE(stub_->ListPairings(ContextAs(official_).get(), list, &listed).ok());
  EXPECT_EQ(listed.pairings_size(), 2);
}

// Issue 18, point 1: posting and pairing check the cadre's county as well as the village or
// household; either side ends what was done, so the owning county can always recall its
// cadre. Point 8: a missing cadre or posting answers exactly as another county's.
TEST_F(PersonnelTest, AnotherCountysCadreIsPostedOnlyByWhoCoversBoth) {
  v1::Cadre c = CreateCadre("X-1");  // managed by Shuicheng
  v1::Household liuzhi_household;
  ASSERT_TRUE(CreateHousehold(admin_, kLiuzhiVillage, "Yang", &liuzhi_household).ok());
  const common::Principal prefecture =
      MakePrincipal("official-liupanshui", {ROLE_COUNTY_OFFICIAL}, {"5202"});
  auto post = [&](const common::Principal& as, const std::string& cadre, v1::Posting* out) {
    v1::PostCadreRequest req;
    req.set_request_id(NextId());
    req.set_cadre_id(cadre);
    req.set_village_code(kLiuzhiVillage);
    req.set_role(v1::POSTING_ROLE_TEAM_MEMBER);
    *req.mutable_start_date() = common::ToDate(absl::CivilDay(2018, 3, 1));
    return stub_->PostCadre(ContextAs(as).get(), req, out);
  };
  v1::Posting posting;
  grpc::Status theirs = post(liuzhi_official_, c.id(), &posting);
  testing::ExpectSameRefusal(theirs, c.id(), post(liuzhi_official_, "no-such-cadre", &posting),
                             "no-such-cadre");
  EXPECT_NE(theirs.error_message().find("cadres/"), std::string::npos) << theirs.error_message();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM postings"), 0) << "Liuzhi posted Shuicheng's cadre";

  // Someone over both counties posts; Shuicheng, the cadre's county, recalls the cadre
  // from the Liuzhi village it cannot otherwise touch.
  ASSERT_TRUE(post(prefecture, c.id(), &posting).ok());
  auto end = [&](const common::Principal& as, const std::string& id) {
    v1::EndPostingRequest req;
    req.set_request_id(NextId());
    req.set_posting_id(id);
    req.set_reason("Recalled by the managing county");
    *req.mutable_end_date() = common::ToDate(absl::CivilDay(2018, 9, 1));
    v1::Posting out;
    return stub_->EndPosting(ContextAs(as).get(), req, &out);
  };
  const common::Principal third =
      MakePrincipal("official-other", {ROLE_COUNTY_OFFICIAL}, {"520201"});
  testing::ExpectSameRefusal(end(third, posting.id()), posting.id(), end(third, "no-such-posting"),
                             "no-such-posting");
  grpc::Status recalled = end(official_, posting.id());
  EXPECT_TRUE(recalled.ok()) << recalled.error_message();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM postings WHERE active = 1"), 0);

  // Pairings: the same two sides.
  auto pair = [&](const common::Principal& as, const std::string& cadre, v1::Pairing* out) {
    v1::PairCadreWithHouseholdRequest req;
    req.set_request_id(NextId());
    req.set_cadre_id(cadre);
    req.set_household_id(liuzhi_household.id());
    return stub_->PairCadreWithHousehold(ContextAs(as).get(), req, out);
  };
  v1::Pairing pairing;
  testing::ExpectSameRefusal(pair(liuzhi_official_, c.id(), &pairing), c.id(),
                             pair(liuzhi_official_, "no-such-cadre", &pairing), "no-such-cadre");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM pairings"), 0);
  ASSERT_TRUE(pair(prefecture, c.id(), &pairing).ok());
  v1::UnpairCadreRequest unpair;
  unpair.set_request_id(NextId());
  unpair.set_pairing_id(pairing.id());
  v1::Pairing ended;
  grpc::Status unpaired = stub_->UnpairCadre(ContextAs(official_).get(), unpair, &ended);
  EXPECT_TRUE(unpaired.ok()) << unpaired.error_message();
  EXPECT_FALSE(ended.active());

  // Reads: another county's household and a missing one look the same.
  v1::GetHouseholdRequest get;
  get.set_id(liuzhi_household.id());
  v1::Household h;
  grpc::Status other = stub_->GetHousehold(ContextAs(official_).get(), get, &h);
  get.set_id("no-such-household");
  testing::ExpectSameRefusal(other, liuzhi_household.id(),
                             stub_->GetHousehold(ContextAs(official_).get(), get, &h),
                             "no-such-household");
  // An operator (every region) is told it is missing.
  EXPECT_EQ(stub_->GetHousehold(ContextAs(admin_).get(), get, &h).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(PersonnelTest, CheckInsAndAttendance) {
  v1::Cadre c = CreateCadre("K-1"), other = CreateCadre("K-2");
  v1::Posting p;
  ASSERT_TRUE(Post(c.id(), kVillageA, v1::POSTING_ROLE_FIRST_SECRETARY, &p).ok());
  auto checkin = [&](const common::Principal& as, const std::string& cadre,
                     const std::string& village, absl::Time when, v1::CheckInMethod method) {
    v1::RecordCheckInRequest req;
    req.set_request_id(NextId());
    req.set_cadre_id(cadre);
    req.set_village_code(village);
    *req.mutable_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(when));
    req.set_method(method);
    v1::CheckIn out;
    return stub_->RecordCheckIn(ContextAs(as).get(), req, &out);
  };
  common::Principal self = MakePrincipal(c.id(), {ROLE_CADRE}, {kVillageA});
  for (int day = 0; day < 4; ++day) {
    ASSERT_TRUE(checkin(self, c.id(), kVillageA, kSymposium - absl::Hours(24 * day),
                        v1::CHECK_IN_METHOD_SELF_REPORT)
                    .ok());
  }
  ASSERT_TRUE(checkin(inspector_, c.id(), kVillageA, kSymposium - absl::Hours(24),
                      v1::CHECK_IN_METHOD_VERIFIED_BY_INSPECTION)
                  .ok());
  EXPECT_EQ(checkin(self, other.id(), kVillageA, kSymposium, v1::CHECK_IN_METHOD_SELF_REPORT)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(checkin(self, c.id(), kVillageA, kSymposium, v1::CHECK_IN_METHOD_VERIFIED_BY_INSPECTION)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      checkin(admin_, c.id(), kVillageB, kSymposium, v1::CHECK_IN_METHOD_SELF_REPORT).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  grpc::Status future = checkin(self, c.id(), kVillageA, kSymposium + absl::Hours(2),
                                v1::CHECK_IN_METHOD_SELF_REPORT);
  EXPECT_EQ(ViolatedField(future), "time");

  v1::GetAttendanceRequest att;
  att.set_cadre_id(c.id());
  *att.mutable_from_date() = common::ToDate(absl::CivilDay(2018, 9, 1));
  *att.mutable_to_date() = common::ToDate(absl::CivilDay(2018, 9, 7));
  v1::Attendance a;
  ASSERT_TRUE(stub_->GetAttendance(ContextAs(self).get(), att, &a).ok());
  EXPECT_EQ(a.days_present(), 4);
  EXPECT_EQ(a.verified_days(), 1);
  EXPECT_EQ(a.days_required(), 5);
  // Another cadre may not read this attendance.
  EXPECT_EQ(stub_
                ->GetAttendance(
                    ContextAs(MakePrincipal(other.id(), {ROLE_CADRE}, {kVillageB})).get(), att, &a)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(PersonnelTest, CoverageFindsTheGaps) {
  v1::Cadre fs = CreateCadre("F-1"), local = CreateCadre("F-2", "520221104002");
  v1::Posting p;
  ASSERT_TRUE(Post(fs.id(), kVillageA, v1::POSTING_ROLE_FIRST_SECRETARY, &p).ok());
  ASSERT_TRUE(Post(local.id(), kVillageB, v1::POSTING_ROLE_TEAM_MEMBER, &p, "waiver on file").ok());
  v1::Household paired, unpaired, lifted;
  ASSERT_TRUE(CreateHousehold(official_, kVillageA, "Paired", &paired).ok());
  ASSERT_TRUE(CreateHousehold(official_, kVillageB, "Unpaired", &unpaired).ok());
  ASSERT_TRUE(
      CreateHousehold(admin_, kVillageB, "Lifted", &lifted, v1::HOUSEHOLD_STATUS_LIFTED_OUT).ok());
  v1::PairCadreWithHouseholdRequest pair;
  pair.set_request_id(NextId());
  pair.set_cadre_id(fs.id());
  pair.set_household_id(paired.id());
  v1::Pairing pairing;
  ASSERT_TRUE(stub_->PairCadreWithHousehold(ContextAs(official_).get(), pair, &pairing).ok());
  v1::RecordCheckInRequest ci;
  ci.set_request_id(NextId());
  ci.set_cadre_id(fs.id());
  ci.set_village_code(kVillageA);
  *ci.mutable_time() =
      TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(kSymposium - absl::Hours(30)));
  ci.set_method(v1::CHECK_IN_METHOD_SELF_REPORT);
  v1::CheckIn c;
  ASSERT_TRUE(stub_
                  ->RecordCheckIn(
                      ContextAs(MakePrincipal(fs.id(), {ROLE_CADRE}, {kVillageA})).get(), ci, &c)
                  .ok());

  v1::GetCoverageRequest req;
  req.set_region_code(kShuicheng);
  v1::Coverage cov;
  ASSERT_TRUE(stub_->GetCoverage(ContextAs(inspector_).get(), req, &cov).ok());
  EXPECT_EQ(cov.villages(), 2);
  EXPECT_EQ(std::vector<std::string>(cov.villages_without_first_secretary().begin(),
                                     cov.villages_without_first_secretary().end()),
            std::vector<std::string>{kVillageB});
  EXPECT_EQ(cov.registered_poor_households(), 2);
  EXPECT_EQ(cov.households_without_cadre_count(), 1);
  ASSERT_EQ(cov.households_without_cadre_size(), 1);
  EXPECT_EQ(cov.households_without_cadre(0), unpaired.id());
  EXPECT_EQ(cov.home_village_posting_ids_size(), 1);
  ASSERT_EQ(cov.cadres_without_recent_check_in_size(), 1);
  EXPECT_EQ(cov.cadres_without_recent_check_in(0), local.id());
  EXPECT_EQ(cov.cadres_over_pairing_limit_size(), 0);
  EXPECT_EQ(cov.villages_without_first_secretary_count(), 1);
  EXPECT_EQ(cov.home_village_postings_count(), 1);
  EXPECT_EQ(cov.cadres_without_recent_check_in_count(), 1);
  EXPECT_FALSE(cov.has_as_of());

  // counts_only: the same counts from the per-village summary (computed by the service's
  // refresh), without lists; a later change shows once the summary is refreshed.
  req.set_counts_only(true);
  ASSERT_TRUE(logic_.RefreshCoverageSummary().ok());
  v1::Coverage counts;
  ASSERT_TRUE(stub_->GetCoverage(ContextAs(inspector_).get(), req, &counts).ok());
  EXPECT_TRUE(counts.has_as_of());
  EXPECT_EQ(counts.households_without_cadre_size(), 0);
  using Count = int32_t (v1::Coverage::*)() const;
  const std::vector<Count> count_fields = {&v1::Coverage::villages,
                                           &v1::Coverage::registered_poor_households,
                                           &v1::Coverage::households_without_cadre_count,
                                           &v1::Coverage::villages_without_first_secretary_count,
                                           &v1::Coverage::home_village_postings_count,
                                           &v1::Coverage::cadres_without_recent_check_in_count,
                                           &v1::Coverage::cadres_over_pairing_limit_count};
  for (Count f : count_fields) {
    EXPECT_EQ((counts.*f)(), (cov.*f)());
  }
  v1::Household another;
  ASSERT_TRUE(CreateHousehold(official_, kVillageB, "Another", &another).ok());
  ASSERT_TRUE(stub_->GetCoverage(ContextAs(inspector_).get(), req, &counts).ok());
  EXPECT_EQ(counts.households_without_cadre_count(), 1) << "not refreshed yet";
  ASSERT_TRUE(logic_.RefreshCoverageSummary().ok());
  ASSERT_TRUE(stub_->GetCoverage(ContextAs(inspector_).get(), req, &counts).ok());
  EXPECT_EQ(counts.households_without_cadre_count(), 2);
  EXPECT_EQ(counts.registered_poor_households(), 3);
  req.set_stale_check_in_days(30);
  EXPECT_EQ(ViolatedField(stub_->GetCoverage(ContextAs(admin_).get(), req, &counts)),
            "stale_check_in_days");
  req.set_stale_check_in_days(0);
  req.set_counts_only(false);

  req.set_region_code("520203");
  EXPECT_EQ(stub_->GetCoverage(ContextAs(official_).get(), req, &cov).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  req.set_stale_check_in_days(91);
  EXPECT_EQ(ViolatedField(stub_->GetCoverage(ContextAs(admin_).get(), req, &cov)),
            "stale_check_in_days");
}

}  // namespace
}  // namespace tuopin::personnel
