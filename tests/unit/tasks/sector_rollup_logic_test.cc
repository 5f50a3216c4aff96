// GetSectorProgress with from_summary and the roll-up's refresher, over a fake roll-up:
// which answers come from the roll-up and say when, the first read of a new database,
// and which passes are full.

#include "tests/support/grpc_harness.h"
#include "tests/unit/tasks/tasks_logic_fixture.h"

namespace tuopin::tasks {
namespace {

using testing::MakePrincipal;

struct FakeSectorRollup : SectorRollupStore {
  struct Pass {
    absl::Time now;
    absl::CivilDay today;
    absl::Duration overlap;
    bool everything;
  };
  absl::Status Refresh(absl::Time now, absl::CivilDay today, absl::Duration overlap,
                       bool everything) override {
    passes.push_back({now, today, overlap, everything});
    as_of = now;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<absl::Time>> Read(const std::string& campaign_id, int stage,
                                                 const std::string& region_prefix, size_t child_len,
                                                 std::vector<SectorCount>& out) override {
    reads.push_back(absl::StrCat(campaign_id, " ", stage, " ", region_prefix, " ", child_len));
    out = rows;
    return as_of;
  }
  std::vector<Pass> passes;
  std::vector<std::string> reads;
  std::vector<SectorCount> rows;
  std::optional<absl::Time> as_of;
};

class SectorRollupLogicTest : public TasksLogicFixture {
 protected:
  void SetUp() override {
    v1::Task t;
    t.set_id("t1");
    t.set_campaign_id("camp-sc");
    t.set_village_code(kShuichengVillage);
    t.set_status(v1::TASK_STATUS_OPEN);
    t.set_sector(tuopin::common::v1::SECTOR_HOUSING_SAFETY);
    t.set_stage(v1::STAGE_FIX_SHORTCOMINGS);
    *t.mutable_deadline() = common::ToDate(absl::CivilDay(2018, 10, 1));
    store_.Put(t);
    rollup_.rows = {{.sector = tuopin::common::v1::SECTOR_DRINKING_WATER,
                     .region_code = "520221",
                     .total = 8,
                     .verified = 2,
                     .in_progress = 3,
                     .overdue = 1}};
    req_.set_campaign_id("camp-sc");
    req_.set_region_code("520221");
    req_.set_totals_only(true);
  }
  void UseRollup() {
    logic_.SetSectorRollup(&rollup_, {.interval = absl::Seconds(10),
                                      .overlap = absl::Seconds(60),
                                      .full_every = absl::Hours(1)});
  }

  FakeSectorRollup rollup_;
  v1::GetSectorProgressRequest req_;
  const Principal official_ =
      MakePrincipal("official-sc", {tuopin::common::v1::ROLE_COUNTY_OFFICIAL}, {"520221"});
};

TEST_F(SectorRollupLogicTest, FromSummaryReadsTheRollupAndSaysWhen) {
  UseRollup();
  rollup_.as_of = clock_.Now() - absl::Seconds(7);
  req_.set_from_summary(true);
  v1::SectorProgress out;
  ASSERT_TRUE(logic_.GetSectorProgress(official_, req_, out).ok());
  EXPECT_EQ(rollup_.reads, std::vector<std::string>{"camp-sc 2 520221 6"});
  ASSERT_EQ(out.rows_size(), 1);
  EXPECT_EQ(out.rows(0).sector(), tuopin::common::v1::SECTOR_DRINKING_WATER);
  EXPECT_EQ(out.rows(0).total(), 8);
  EXPECT_EQ(out.rows(0).overdue(), 1);
  EXPECT_EQ(out.rows(0).verified_share_bp(), 2500);
  EXPECT_EQ(common::FromTimestamp(out.as_of()), clock_.Now() - absl::Seconds(7));
  EXPECT_TRUE(rollup_.passes.empty()) << "a refreshed roll-up is read as it is";

  // Children: the township rows.
  req_.set_totals_only(false);
  out.Clear();
  ASSERT_TRUE(logic_.GetSectorProgress(official_, req_, out).ok());
  EXPECT_EQ(rollup_.reads.back(), "camp-sc 2 520221 9");

  // Without from_summary: counted at the call, no as-of time.
  req_.set_from_summary(false);
  req_.set_totals_only(true);
  out.Clear();
  ASSERT_TRUE(logic_.GetSectorProgress(official_, req_, out).ok());
  ASSERT_EQ(out.rows_size(), 1);
  EXPECT_EQ(out.rows(0).sector(), tuopin::common::v1::SECTOR_HOUSING_SAFETY);
  EXPECT_FALSE(out.has_as_of());
  EXPECT_EQ(rollup_.reads.size(), 2u);
}

// Before the first pass a read is counted at the call and runs no pass: only the timer
// refreshes, so readers cannot make the service rebuild its roll-up at will.
TEST_F(SectorRollupLogicTest, BeforeTheFirstPassAReadIsCountedAtTheCallAndRefreshesNothing) {
  UseRollup();
  req_.set_from_summary(true);
  v1::SectorProgress out;
  ASSERT_TRUE(logic_.GetSectorProgress(official_, req_, out).ok());
  EXPECT_TRUE(rollup_.passes.empty());
  EXPECT_EQ(rollup_.reads.size(), 1u);
  ASSERT_EQ(out.rows_size(), 1) << "the scan's counts";
  EXPECT_EQ(out.rows(0).sector(), tuopin::common::v1::SECTOR_HOUSING_SAFETY);
  EXPECT_EQ(common::FromTimestamp(out.as_of()), clock_.Now());
  // After a pass, the roll-up answers, as of the pass.
  absl::Time pass_at = clock_.Now();
  ASSERT_TRUE(logic_.RefreshSectorRollup().ok());
  clock_.Advance(absl::Seconds(5));
  v1::SectorProgress later;
  ASSERT_TRUE(logic_.GetSectorProgress(official_, req_, later).ok());
  EXPECT_EQ(rollup_.passes.size(), 1u);
  EXPECT_EQ(rollup_.reads.size(), 2u);
  EXPECT_EQ(common::FromTimestamp(later.as_of()), pass_at);
}

TEST_F(SectorRollupLogicTest, WithoutARollupFromSummaryIsCountedNow) {
  req_.set_from_summary(true);
  v1::SectorProgress out;
  ASSERT_TRUE(logic_.GetSectorProgress(official_, req_, out).ok());
  ASSERT_EQ(out.rows_size(), 1);
  EXPECT_EQ(out.rows(0).sector(), tuopin::common::v1::SECTOR_HOUSING_SAFETY);
  EXPECT_EQ(common::FromTimestamp(out.as_of()), clock_.Now());
}

TEST_F(SectorRollupLogicTest, PassesAreFullFirstThenEveryInterval) {
  UseRollup();
  ASSERT_TRUE(logic_.RefreshSectorRollup().ok());
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(logic_.RefreshSectorRollup().ok());
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(logic_.RefreshSectorRollup().ok());
  ASSERT_EQ(rollup_.passes.size(), 3u);
  EXPECT_TRUE(rollup_.passes[0].everything);
  EXPECT_FALSE(rollup_.passes[1].everything);
  EXPECT_TRUE(rollup_.passes[2].everything);
  // The day of the pass is China's: 02:00 UTC on 5 September is 10:00 there.
  EXPECT_EQ(rollup_.passes[1].today, absl::CivilDay(2018, 9, 5));
  EXPECT_EQ(rollup_.passes[1].overlap, absl::Seconds(60));
  clock_.Advance(absl::Hours(15));  // 18:00 UTC: the next day in China
  ASSERT_TRUE(logic_.RefreshSectorRollup().ok());
  EXPECT_EQ(rollup_.passes[3].today, absl::CivilDay(2018, 9, 6));
}

// The roll-up answers only what the scan would: a region outside the caller's scope, or a
// campaign of another county, is refused before anything is read.
TEST_F(SectorRollupLogicTest, FromSummaryIsRefusedOutsideTheCallersScope) {
  UseRollup();
  rollup_.as_of = clock_.Now();
  req_.set_from_summary(true);
  const Principal neighbour =
      MakePrincipal("official-lz", {tuopin::common::v1::ROLE_COUNTY_OFFICIAL}, {"520203"});
  v1::SectorProgress out;
  EXPECT_EQ(logic_.GetSectorProgress(neighbour, req_, out).code(),
            absl::StatusCode::kPermissionDenied);
  req_.set_region_code("520203");  // its own county, Shuicheng's campaign
  EXPECT_NE(logic_.GetSectorProgress(neighbour, req_, out).code(), absl::StatusCode::kOk);
  EXPECT_TRUE(rollup_.reads.empty());
}

}  // namespace
}  // namespace tuopin::tasks
