// Campaigns and progress through real servers: stages that follow the clock, overdue
// tasks and escalations, lagging sectors and the stage gate.

#include "tests/integration/tasks/tasks_fixture.h"

namespace tuopin::tasks {
namespace {

TEST_F(TasksTest, CampaignStagesFollowTheClock) {
  std::string id = Campaign();
  v1::GetCampaignRequest get;
  get.set_id(id);
  v1::Campaign c;
  ASSERT_TRUE(stub_->GetCampaign(ContextAs(official_).get(), get, &c).ok());
  EXPECT_EQ(c.current_stage(), v1::STAGE_FIX_SHORTCOMINGS);
  EXPECT_EQ(c.day_of_stage(), 8);
  ASSERT_EQ(c.stage_days_size(), 3);
  EXPECT_EQ(c.stage_days(0), 150);
  clock_.Advance(absl::Hours(24 * 150));
  ASSERT_TRUE(stub_
                  ->GetCampaign(
                      ContextAs(MakePrincipal("cadre-x", {ROLE_CADRE}, {kVillageA})).get(), get, &c)
                  .ok());
  EXPECT_EQ(c.current_stage(), v1::STAGE_FINAL_VICTORY);

  v1::CreateCampaignRequest bad;
  bad.set_request_id(NextId());
  bad.mutable_campaign()->set_region_code(kVillageA);
  bad.mutable_campaign()->set_name("x");
  *bad.mutable_campaign()->mutable_start_date() = common::ToDate(absl::CivilDay(2018, 4, 1));
  v1::Campaign out;
  EXPECT_EQ(ViolatedField(stub_->CreateCampaign(ContextAs(official_).get(), bad, &out)),
            "campaign.region_code");
  bad.mutable_campaign()->set_region_code("520221");
  bad.mutable_campaign()->add_stage_days(150);
  EXPECT_EQ(ViolatedField(stub_->CreateCampaign(ContextAs(official_).get(), bad, &out)),
            "campaign.stage_days");
  get.set_id(id);
  EXPECT_EQ(stub_->GetCampaign(ContextAs(outsider_).get(), get, &c).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(TasksTest, ListsOverdueAndEscalations) {
  std::string campaign = Campaign();
  v1::Task soon =
      Create(TaskRequest(campaign, SECTOR_RURAL_ROADS, kVillageA, absl::CivilDay(2018, 9, 30)));
  v1::Task late10 =
      Create(TaskRequest(campaign, SECTOR_DRINKING_WATER, kVillageA, absl::CivilDay(2018, 8, 26)));
  v1::Task late40 =
      Create(TaskRequest(campaign, SECTOR_HOUSING_SAFETY, kVillageB, absl::CivilDay(2018, 7, 27)));
  v1::Task late3 =
      Create(TaskRequest(campaign, SECTOR_HOUSING_SAFETY, kVillageB, absl::CivilDay(2018, 9, 2)));

  v1::ListTasksRequest list;
  list.set_region_code("520221");
  list.set_page_size(2);
  std::set<std::string> all;
  for (int guard = 0; guard < 5; ++guard) {
    v1::ListTasksResponse page;
    ASSERT_TRUE(stub_->ListTasks(ContextAs(official_).get(), list, &page).ok());
    for (const auto& t : page.tasks()) all.insert(t.id());
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(all.size(), 4u);
  v1::ListTasksRequest overdue;
  overdue.set_region_code("520221");
  overdue.set_overdue_only(true);
  v1::ListTasksResponse page;
  ASSERT_TRUE(stub_->ListTasks(ContextAs(official_).get(), overdue, &page).ok());
  EXPECT_EQ(page.tasks_size(), 3);
  for (const auto& t : page.tasks()) EXPECT_TRUE(t.overdue());
  overdue.set_sector(SECTOR_HOUSING_SAFETY);
  ASSERT_TRUE(stub_->ListTasks(ContextAs(official_).get(), overdue, &page).ok());
  EXPECT_EQ(page.tasks_size(), 2);

  v1::ListEscalationsRequest esc;
  esc.set_region_code("520221");
  v1::ListEscalationsResponse escalations;
  ASSERT_TRUE(stub_->ListEscalations(ContextAs(official_).get(), esc, &escalations).ok());
  ASSERT_EQ(escalations.escalations_size(), 2) << "3 days late is not escalated yet";
  for (const auto& e : escalations.escalations()) {
    if (e.task().id() == late10.id()) {
      EXPECT_EQ(e.level(), v1::ESCALATION_LEVEL_TOWNSHIP);
      EXPECT_EQ(e.days_overdue(), 10);
      EXPECT_EQ(e.escalated_to_region_code(), "520221104");
    } else {
      EXPECT_EQ(e.task().id(), late40.id());
      EXPECT_EQ(e.level(), v1::ESCALATION_LEVEL_COUNTY);
      EXPECT_EQ(e.escalated_to_region_code(), "520221");
    }
  }
  (void)soon;
  (void)late3;
}

TEST_F(TasksTest, SectorProgressFindsLaggingSectorsAndStageGate) {
  std::string campaign = Campaign();
  // Day 75 of stage two: half the stage has passed.
  clock_.Advance(absl::Hours(24 * 67));
  std::vector<v1::Task> housing, water;
  for (int i = 0; i < 4; ++i)
    housing.push_back(Create(
        TaskRequest(campaign, SECTOR_HOUSING_SAFETY, kVillageA, absl::CivilDay(2019, 1, 20))));
  for (int i = 0; i < 2; ++i)
    water.push_back(Create(
        TaskRequest(campaign, SECTOR_DRINKING_WATER, kVillageA, absl::CivilDay(2019, 1, 20))));
  Create(TaskRequest(campaign, SECTOR_RURAL_ROADS, kVillageB, absl::CivilDay(2018, 8, 1),
                     v1::STAGE_IMPLEMENT));
  v1::Task out;
  auto finish = [&](const v1::Task& t) {
    ASSERT_TRUE(Act(Cadre(cadre_), t.id(), "complete", &out).ok());
    ASSERT_TRUE(Act(inspector_, t.id(), "verify", &out).ok());
  };
  finish(housing[0]);
  finish(water[0]);
  finish(water[1]);
  ASSERT_TRUE(Act(Cadre(cadre_), housing[1].id(), "report", &out).ok());

  v1::GetSectorProgressRequest req;
  req.set_region_code("520221");
  req.set_campaign_id(campaign);
  v1::SectorProgress progress;
  ASSERT_TRUE(stub_->GetSectorProgress(ContextAs(official_).get(), req, &progress).ok());
  EXPECT_EQ(progress.stage(), v1::STAGE_FIX_SHORTCOMINGS);
  std::map<int, v1::SectorProgressRow> rows;
  for (const auto& r : progress.rows()) rows[r.sector()] = r;
  ASSERT_EQ(rows.size(), 2u) << "only tasks of the current stage count";
  const auto& h = rows[SECTOR_HOUSING_SAFETY];
  EXPECT_EQ(h.region_code(), "520221104");
  EXPECT_EQ(h.total(), 4);
  EXPECT_EQ(h.verified(), 1);
  EXPECT_EQ(h.in_progress(), 1);
  EXPECT_EQ(h.verified_share_bp(), 2500);
  EXPECT_EQ(h.elapsed_share_bp(), 5000);
  EXPECT_TRUE(h.lagging());
  EXPECT_FALSE(rows[SECTOR_DRINKING_WATER].lagging());
  // With a tolerance of 30 points, 25 % against 50 % is not lagging.
  req.set_tolerance_points(30);
  ASSERT_TRUE(stub_->GetSectorProgress(ContextAs(official_).get(), req, &progress).ok());
  for (const auto& r : progress.rows()) EXPECT_FALSE(r.lagging());
  // The county's own totals, one row per sector (what the scorecard reads): the same
  // counts, summed over the child regions.
  req.set_tolerance_points(0);
  req.set_totals_only(true);
  ASSERT_TRUE(stub_->GetSectorProgress(ContextAs(official_).get(), req, &progress).ok());
  ASSERT_EQ(progress.rows_size(), 2);
  for (const auto& r : progress.rows()) {
    EXPECT_EQ(r.region_code(), "520221");
    EXPECT_EQ(r.total(), rows[r.sector()].total());
    EXPECT_EQ(r.verified(), rows[r.sector()].verified());
    EXPECT_EQ(r.overdue(), rows[r.sector()].overdue());
    EXPECT_EQ(r.lagging(), rows[r.sector()].lagging());
  }

  v1::GetStageGateRequest gate_req;
  gate_req.set_campaign_id(campaign);
  v1::StageGate gate;
  ASSERT_TRUE(stub_->GetStageGate(ContextAs(official_).get(), gate_req, &gate).ok());
  EXPECT_FALSE(gate.may_advance());
  EXPECT_EQ(gate.unverified_tasks(), 4);  // 3 housing of stage 2, 1 road of stage 1
  EXPECT_EQ(gate.blockers_size(), 2);
  EXPECT_NE(gate.blockers(0).find("rural-roads tasks of stage 1"), std::string::npos)
      << gate.blockers(0);
}

}  // namespace
}  // namespace tuopin::tasks
