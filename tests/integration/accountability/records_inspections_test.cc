// Inspections through real servers: a committed seed (the sample is recomputed here from
// the published algorithm), findings, actions, bad input and region scope.

#include <cppconn/resultset.h>

#include "absl/strings/str_join.h"
#include "tests/integration/accountability/records_fixture.h"
#include "tests/support/same_refusal.h"

namespace tuopin::accountability {
namespace {

// The published draw, written again here from its description in accountability.proto.
std::vector<std::string> Redraw(const std::string& seed, std::vector<std::string> ids, size_t k) {
  for (size_t i = 0; i < k && i < ids.size(); ++i) {
    std::string ctr(8, '\0');
    for (int b = 0; b < 8; ++b) ctr[7 - b] = static_cast<char>(i >> (8 * b));
    std::string h = common::Sha256(seed + ctr);
    uint64_t x = 0;
    for (int b = 0; b < 8; ++b) x = x << 8 | static_cast<uint8_t>(h[b]);
    std::swap(ids[i], ids[i + x % (ids.size() - i)]);
  }
  ids.resize(std::min(k, ids.size()));
  return ids;
}

TEST_F(RecordsTest, CommitRevealSampleIsFrozenAndReproducible) {
  const std::string seed = "secret seed of group 3, 2018-08-20";
  v1::Inspection in = Inspect(seed, 5);
  EXPECT_EQ(in.population_size(), 30);
  EXPECT_FALSE(in.revealed());
  // A household registered after the commitment does not enter the draw.
  AddHousehold(99);

  v1::RevealSampleRequest reveal;
  reveal.set_request_id(NextId());
  reveal.set_inspection_id(in.id());
  reveal.set_seed_hex(common::HexEncode("not the committed seed"));
  v1::Sample sample;
  grpc::Status st = stub_->RevealSample(ContextAs(inspector_).get(), reveal, &sample);
  EXPECT_EQ(ViolatedField(st), "seed_hex");
  EXPECT_EQ(common::ReasonOf(st), "SEED_MISMATCH");

  reveal.set_request_id(NextId());
  reveal.set_seed_hex(common::HexEncode(seed));
  ASSERT_TRUE(stub_->RevealSample(ContextAs(inspector_).get(), reveal, &sample).ok());
  std::vector<std::string> population(household_ids_.begin(), household_ids_.begin() + 30);
  std::sort(population.begin(), population.end());
  EXPECT_EQ(std::vector<std::string>(sample.household_ids().begin(), sample.household_ids().end()),
            Redraw(seed, population, 5));
  EXPECT_EQ(common::HexEncode(common::Sha256(absl::StrJoin(population, "\n"))),
            in.population_digest());
  reveal.set_request_id(NextId());
  EXPECT_EQ(stub_->RevealSample(ContextAs(inspector_).get(), reveal, &sample).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Visits: inside and outside the drawn sample.
  auto visit = [&](const std::string& household) {
    v1::RecordVisitRequest req;
    req.set_request_id(NextId());
    req.set_inspection_id(in.id());
    req.set_household_id(household);
    req.set_observations("Roof beams rotten; no repair since the 2017 survey.");
    *req.mutable_visit_time() = common::ToTimestamp(
        absl::FromCivil(absl::CivilSecond(2018, 8, 25, 3, 0, 0), absl::UTCTimeZone()));
    v1::Visit out;
    EXPECT_TRUE(stub_->RecordVisit(ContextAs(inspector_).get(), req, &out).ok());
    return out;
  };
  v1::Visit first = visit(sample.household_ids(0));
  EXPECT_FALSE(first.outside_sample());
  // The visit and its household are tagged with the village in the audit event, so only
  // that region's auditors read them (they were untagged: readable by any auditor).
  EXPECT_EQ(first.region_code(), kVillage);
  std::string event_bytes;
  ASSERT_TRUE(common::WithConnection(*apool_, [&](common::DbSession& s) {
                auto rs = common::Query(s, "SELECT event FROM outbox WHERE event LIKE ?")
                              .Arg(absl::StrCat("%", first.id(), "%"))
                              .Rows();
                if (rs->next()) event_bytes = rs->getString(1).asStdString();
                return absl::OkStatus();
              }).ok());
  tuopin::common::v1::AuditEvent visit_event;
  ASSERT_TRUE(visit_event.ParseFromString(event_bytes));
  for (const auto& e : visit_event.entities()) {
    if (e.type() == "visit" || e.type() == "household") {
      EXPECT_EQ(e.region_code(), kVillage);
    }
  }
  std::string outsider;
  for (const auto& h : population) {
    if (std::find(sample.household_ids().begin(), sample.household_ids().end(), h) ==
        sample.household_ids().end())
      outsider = h;
  }
  EXPECT_TRUE(visit(outsider).outside_sample());

  v1::GetInspectionRequest get;
  get.set_id(in.id());
  v1::Inspection read;
  ASSERT_TRUE(stub_->GetInspection(ContextAs(auditor_).get(), get, &read).ok());
  EXPECT_TRUE(read.revealed());
  EXPECT_EQ(stub_->GetInspection(ContextAs(other_inspector_).get(), get, &read).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RecordsTest, FindingsValidateAndStayInScope) {
  v1::Inspection in = Inspect("seed-findings-0123456789", 0);
  v1::Finding f = Find(in.id(), v1::FINDING_CATEGORY_INACCURATE_BASIC_DATA);
  EXPECT_FALSE(f.id().empty());
  v1::CreateFindingRequest bad;
  bad.set_request_id(NextId());
  *bad.mutable_finding() = f;
  bad.mutable_finding()->set_category(v1::FINDING_CATEGORY_UNSPECIFIED);
  v1::Finding out;
  EXPECT_EQ(ViolatedField(stub_->CreateFinding(ContextAs(inspector_).get(), bad, &out)),
            "finding.category");
  *bad.mutable_finding() = f;
  bad.mutable_finding()->set_region_code("5202");
  EXPECT_EQ(ViolatedField(stub_->CreateFinding(ContextAs(inspector_).get(), bad, &out)),
            "finding.region_code");
  *bad.mutable_finding() = f;
  bad.mutable_finding()->mutable_subject()->set_cadre_id("ghost");
  // A cadre that does not exist: the operator is told which field; anyone else is refused
  // as for another county's cadre (issue 18).
  EXPECT_EQ(ViolatedField(stub_->CreateFinding(ContextAs(admin_).get(), bad, &out)),
            "finding.subject.cadre_id");
  EXPECT_EQ(stub_->CreateFinding(ContextAs(inspector_).get(), bad, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  *bad.mutable_finding() = f;
  bad.mutable_finding()->clear_subject();
  EXPECT_EQ(ViolatedField(stub_->CreateFinding(ContextAs(inspector_).get(), bad, &out)),
            "finding.subject");
  *bad.mutable_finding() = f;
  EXPECT_EQ(stub_->CreateFinding(ContextAs(auditor_).get(), bad, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::ListFindingsRequest list;
  list.set_region_code("520221");
  list.set_subject_cadre_id(cadre_.id());
  v1::ListFindingsResponse listed;
  ASSERT_TRUE(stub_->ListFindings(ContextAs(auditor_).get(), list, &listed).ok());
  EXPECT_EQ(listed.findings_size(), 1);
  EXPECT_EQ(stub_->ListFindings(ContextAs(other_inspector_).get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Issue 18, point 1: every cadre, household and campaign a record names is checked against
// the caller's scope (a cadre by its managing region), not only the record's region; point
// 8: a missing one answers exactly as one of another county.
TEST_F(RecordsTest, NamedCadresHouseholdsAndCampaignsAreInTheCallersScope) {
  constexpr char kLiuzhiVillage[] = "520203100001";
  pv1::ImportRegionsRequest import;
  import.set_request_id("liuzhi");
  for (auto [code, name] : std::vector<std::pair<const char*, const char*>>{
           {"520203", "Liuzhi"}, {"520203100", "Pingzhai"}, {kLiuzhiVillage, "Yanjiao"}}) {
    auto* r = import.add_regions();
    r->set_code(code);
    r->set_name(name);
  }
  pv1::ImportRegionsResponse ir;
  ASSERT_TRUE(people_->ImportRegions(ContextAs(admin_).get(), import, &ir).ok());
  pv1::CreateCadreRequest c;
  c.set_request_id("liuzhi-cadre");
  c.mutable_cadre()->set_employee_number("LZ-9");
  c.mutable_cadre()->set_name("Liuzhi cadre");
  c.mutable_cadre()->set_origin_level(pv1::ORIGIN_LEVEL_COUNTY);
  c.mutable_cadre()->set_dispatching_unit("Liuzhi Special District Government");
  c.mutable_cadre()->set_home_region_code("520203100");
  c.mutable_cadre()->set_managing_region_code("520203");
  pv1::Cadre liuzhi_cadre;
  ASSERT_TRUE(people_->CreateCadre(ContextAs(admin_).get(), c, &liuzhi_cadre).ok());
  pv1::CreateHouseholdRequest h;
  h.set_request_id("liuzhi-household");
  h.mutable_household()->set_village_code(kLiuzhiVillage);
  h.mutable_household()->set_head_name("Wu Guiying");
  h.mutable_household()->set_member_count(3);
  h.mutable_household()->set_status(pv1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  pv1::Household liuzhi_household;
  ASSERT_TRUE(people_->CreateHousehold(ContextAs(admin_).get(), h, &liuzhi_household).ok());
  tv1::CreateCampaignRequest camp;
  camp.set_request_id("liuzhi-campaign");
  camp.mutable_campaign()->set_region_code("520203");
  camp.mutable_campaign()->set_name("Liuzhi 450 days");
  *camp.mutable_campaign()->mutable_start_date() = common::ToDate(absl::CivilDay(2018, 4, 1));
  tv1::Campaign liuzhi_campaign;
  ASSERT_TRUE(task_stub_->CreateCampaign(ContextAs(admin_).get(), camp, &liuzhi_campaign).ok());

  // Shuicheng's inspector, on Shuicheng's own records.
  const common::Principal county = MakePrincipal("inspector-sc", {ROLE_INSPECTOR}, {"520221"});
  int64_t records_before = testing::QueryInt(*apool_, "SELECT COUNT(*) FROM outbox");
  auto inspect = [&](const std::string& leader) {
    v1::CreateInspectionRequest req;
    req.set_request_id(NextId());
    auto* in = req.mutable_inspection();
    in->set_kind(v1::INSPECTION_KIND_UNANNOUNCED_VISIT);
    in->set_group_name("Investigation group 4");
    in->add_leader_cadre_ids(leader);
    in->add_target_region_codes("520221104");
    *in->mutable_start_date() = common::ToDate(absl::CivilDay(2018, 8, 21));
    *in->mutable_end_date() = common::ToDate(absl::CivilDay(2018, 9, 3));
    in->set_seed_commitment(common::HexEncode(common::Sha256("seed-of-group-4")));
    v1::Inspection out;
    return stub_->CreateInspection(ContextAs(county).get(), req, &out);
  };
  testing::ExpectSameRefusal(inspect(liuzhi_cadre.id()), liuzhi_cadre.id(),
                             inspect("no-such-cadre"), "no-such-cadre");
  v1::Inspection in = Inspect("seed-scope-0123456789", 0);
  auto visit = [&](const std::string& household) {
    v1::RecordVisitRequest req;
    req.set_request_id(NextId());
    req.set_inspection_id(in.id());
    req.set_household_id(household);
    req.set_observations("Nobody home.");
    *req.mutable_visit_time() = common::ToTimestamp(
        absl::FromCivil(absl::CivilSecond(2018, 8, 25, 3, 0, 0), absl::UTCTimeZone()));
    v1::Visit out;
    return stub_->RecordVisit(ContextAs(county).get(), req, &out);
  };
  testing::ExpectSameRefusal(visit(liuzhi_household.id()), liuzhi_household.id(),
                             visit("no-such-household"), "no-such-household");
  auto find = [&](const std::string& subject) {
    v1::CreateFindingRequest req;
    req.set_request_id(NextId());
    auto* f = req.mutable_finding();
    f->set_inspection_id(in.id());
    f->set_category(v1::FINDING_CATEGORY_ABSENCE_FROM_POST);
    f->set_sector(tuopin::common::v1::SECTOR_HOUSING_SAFETY);
    f->set_region_code(kVillage);
    f->mutable_subject()->set_cadre_id(subject);
    f->set_severity(v1::SEVERITY_MODERATE);
    f->set_description("The first secretary was not in the village on three visits.");
    v1::Finding out;
    return stub_->CreateFinding(ContextAs(county).get(), req, &out);
  };
  testing::ExpectSameRefusal(find(liuzhi_cadre.id()), liuzhi_cadre.id(), find("no-such-cadre"),
                             "no-such-cadre");
  v1::Finding finding = Find(in.id(), v1::FINDING_CATEGORY_SECTOR_LAGGING);
  auto issue = [&](const std::string& responsible, const std::string& campaign) {
    v1::IssueRectificationOrderRequest req;
    req.set_request_id(NextId());
    req.add_finding_ids(finding.id());
    req.mutable_responsible()->set_cadre_id(responsible);
    *req.mutable_deadline() = common::ToDate(absl::CivilDay(2018, 10, 31));
    req.set_campaign_id(campaign);
    v1::RectificationOrder out;
    return stub_->IssueRectificationOrder(ContextAs(county).get(), req, &out);
  };
  testing::ExpectSameRefusal(issue(liuzhi_cadre.id(), campaign_.id()), liuzhi_cadre.id(),
                             issue("no-such-cadre", campaign_.id()), "no-such-cadre");
  testing::ExpectSameRefusal(issue(cadre_.id(), liuzhi_campaign.id()), liuzhi_campaign.id(),
                             issue(cadre_.id(), "no-such-campaign"), "no-such-campaign");
  auto act = [&](const std::string& subject) {
    v1::RecordAccountabilityActionRequest req;
    req.set_request_id(NextId());
    auto* a = req.mutable_action();
    a->mutable_subject()->set_cadre_id(subject);
    a->set_kind(v1::ACTION_KIND_WARNING);
    a->add_finding_ids(finding.id());
    a->set_decided_by("Shuicheng County Commission for Discipline Inspection");
    *a->mutable_decision_date() = common::ToDate(absl::CivilDay(2018, 9, 5));
    v1::AccountabilityAction out;
    return stub_->RecordAccountabilityAction(ContextAs(county).get(), req, &out);
  };
  testing::ExpectSameRefusal(act(liuzhi_cadre.id()), liuzhi_cadre.id(), act("no-such-cadre"),
                             "no-such-cadre");
  // Nothing refused was recorded: only the inspection and finding made by Inspect/Find.
  EXPECT_EQ(testing::QueryInt(*apool_, "SELECT COUNT(*) FROM outbox"), records_before + 2);
  EXPECT_EQ(testing::QueryInt(*tpool_, "SELECT COUNT(*) FROM tasks"), 0);
  // The county's own objects pass.
  grpc::Status own = issue(cadre_.id(), campaign_.id());
  EXPECT_TRUE(own.ok()) << own.error_message();
  // Reading another county's inspection or order is no oracle either.
  v1::GetInspectionRequest get;
  get.set_id(in.id());
  v1::Inspection read;
  grpc::Status theirs = stub_->GetInspection(ContextAs(other_inspector_).get(), get, &read);
  get.set_id("no-such-inspection");
  testing::ExpectSameRefusal(theirs, in.id(),
                             stub_->GetInspection(ContextAs(other_inspector_).get(), get, &read),
                             "no-such-inspection");
}

TEST_F(RecordsTest, ActionsRestOnFindings) {
  v1::Inspection in = Inspect("seed-actions-0123456789", 0);
  v1::Finding f = Find(in.id(), v1::FINDING_CATEGORY_ABSENCE_FROM_POST);
  v1::RecordAccountabilityActionRequest req;
  req.set_request_id(NextId());
  auto* a = req.mutable_action();
  a->mutable_subject()->set_cadre_id(cadre_.id());
  a->set_kind(v1::ACTION_KIND_ADMONITION_TALK);
  a->add_finding_ids(f.id());
  a->set_decided_by("Shuicheng County Commission for Discipline Inspection");
  *a->mutable_decision_date() = common::ToDate(absl::CivilDay(2018, 9, 5));
  v1::AccountabilityAction out;
  ASSERT_TRUE(stub_->RecordAccountabilityAction(ContextAs(inspector_).get(), req, &out).ok());
  EXPECT_EQ(out.region_code(), kVillage);
  req.set_request_id(NextId());
  req.mutable_action()->set_kind(v1::ACTION_KIND_UNSPECIFIED);
  EXPECT_EQ(
      ViolatedField(stub_->RecordAccountabilityAction(ContextAs(inspector_).get(), req, &out)),
      "action.kind");
  v1::ListAccountabilityActionsRequest list;
  list.set_region_code("520221");
  list.set_subject_cadre_id(cadre_.id());
  v1::ListAccountabilityActionsResponse listed;
  ASSERT_TRUE(stub_->ListAccountabilityActions(ContextAs(auditor_).get(), list, &listed).ok());
  ASSERT_EQ(listed.actions_size(), 1);
  EXPECT_EQ(listed.actions(0).kind(), v1::ACTION_KIND_ADMONITION_TALK);
  // Every record mutation left its audit event.
  EXPECT_EQ(testing::QueryInt(*apool_, "SELECT COUNT(*) FROM outbox"),
            3);  // inspection, finding, action
}

}  // namespace
}  // namespace tuopin::accountability
