// GetUtilization with from_summary and the roll-up's refresher, over a fake roll-up:
// which answers come from the roll-up and say when, the idle period it keeps, the first
// read of a new database, and the passes.

#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/funds/funds_logic.h"
#include "tests/support/fake_funds_store.h"
#include "tests/support/grpc_harness.h"

namespace tuopin::funds {
namespace {

using tuopin::testing::MakePrincipal;

struct FakeUtilizationRollup : UtilizationRollupStore {
  struct Pass {
    absl::Time now;
    absl::Duration idle_after, overlap;
    bool everything;
  };
  absl::Status Refresh(absl::Time now, absl::Duration idle_after, absl::Duration overlap,
                       bool everything) override {
    passes.push_back({now, idle_after, overlap, everything});
    as_of = now;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<absl::Time>> Read(const std::string& region_code, int sector,
                                                 bool by_sector, v1::Utilization& out) override {
    reads.push_back(absl::StrCat(region_code, " ", sector, " ", by_sector));
    out.Clear();
    out.set_appropriated_fen(1000);
    out.set_allocated_fen(400);
    out.set_disbursed_fen(100);
    out.set_idle_fen(300);
    if (by_sector) {
      auto* s = out.add_sectors();
      s->set_sector(tuopin::common::v1::SECTOR_DRINKING_WATER);
      s->set_allocated_fen(400);
      s->set_disbursed_fen(100);
      s->set_idle_fen(300);
    }
    return as_of;
  }
  std::vector<Pass> passes;
  std::vector<std::string> reads;
  std::optional<absl::Time> as_of;
};

class UtilizationRollupLogicTest : public ::testing::Test {
 protected:
  UtilizationRollupLogicTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone())),
        tokens_("funds-unit-test-page-token-key-012345"),
        logic_(store_, clock_, tokens_) {
    req_.set_region_code("520221");
    req_.set_by_sector(true);
    req_.set_idle_older_than_days(30);
    req_.set_from_summary(true);
  }
  void UseRollup() {
    logic_.SetUtilizationRollup(
        &rollup_,
        {.interval = absl::Seconds(10), .overlap = absl::Seconds(60), .full_every = absl::Hours(1)},
        30);
  }

  common::FakeClock clock_;
  common::PageTokenCodec tokens_;
  testing::FakeFundsStore store_;
  FundsLogic logic_;
  FakeUtilizationRollup rollup_;
  v1::GetUtilizationRequest req_;
  const Principal auditor_ =
      MakePrincipal("auditor-1", {tuopin::common::v1::ROLE_AUDITOR}, {"520221"});
};

TEST_F(UtilizationRollupLogicTest, FromSummaryReadsTheRollupWithRatesAndSaysWhen) {
  UseRollup();
  rollup_.as_of = clock_.Now() - absl::Seconds(4);
  v1::Utilization u;
  ASSERT_TRUE(logic_.GetUtilization(auditor_, req_, u).ok());
  EXPECT_EQ(rollup_.reads, std::vector<std::string>{"520221 0 1"});
  EXPECT_EQ(u.appropriated_fen(), 1000);
  EXPECT_EQ(u.idle_fen(), 300);
  EXPECT_EQ(u.disbursement_rate_bp(), 2500);
  ASSERT_EQ(u.sectors_size(), 1);
  EXPECT_EQ(u.sectors(0).disbursement_rate_bp(), 2500);
  EXPECT_EQ(common::FromTimestamp(u.as_of()), clock_.Now() - absl::Seconds(4));
  EXPECT_TRUE(rollup_.passes.empty());

  // Without an idle period nothing is idle, as summed at the call.
  req_.clear_idle_older_than_days();
  ASSERT_TRUE(logic_.GetUtilization(auditor_, req_, u).ok());
  EXPECT_EQ(u.idle_fen(), 0);
  EXPECT_EQ(u.sectors(0).idle_fen(), 0);
  EXPECT_EQ(u.allocated_fen(), 400);
}

TEST_F(UtilizationRollupLogicTest, AnotherIdlePeriodOrNoSummaryIsSummedAtTheCall) {
  UseRollup();
  rollup_.as_of = clock_.Now() - absl::Seconds(4);
  req_.set_idle_older_than_days(90);
  v1::Utilization u;
  ASSERT_TRUE(logic_.GetUtilization(auditor_, req_, u).ok());
  EXPECT_TRUE(rollup_.reads.empty());
  EXPECT_EQ(u.appropriated_fen(), 0) << "the (empty) store's sums";
  EXPECT_EQ(common::FromTimestamp(u.as_of()), clock_.Now());
  req_.set_idle_older_than_days(30);
  req_.set_from_summary(false);
  ASSERT_TRUE(logic_.GetUtilization(auditor_, req_, u).ok());
  EXPECT_TRUE(rollup_.reads.empty());
  EXPECT_FALSE(u.has_as_of());
}

TEST_F(UtilizationRollupLogicTest, AReadRefreshesNothingAndPassesKeepTheIdlePeriod) {
  UseRollup();
  v1::Utilization u;
  // Before the first pass: summed at the call, no pass run by a reader.
  ASSERT_TRUE(logic_.GetUtilization(auditor_, req_, u).ok());
  EXPECT_TRUE(rollup_.passes.empty());
  EXPECT_EQ(common::FromTimestamp(u.as_of()), clock_.Now());
  ASSERT_TRUE(logic_.RefreshUtilizationRollup().ok());
  ASSERT_EQ(rollup_.passes.size(), 1u);
  EXPECT_TRUE(rollup_.passes[0].everything);
  EXPECT_EQ(rollup_.passes[0].idle_after, absl::Hours(24 * 30));
  EXPECT_EQ(common::FromTimestamp(u.as_of()), clock_.Now());
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(logic_.RefreshUtilizationRollup().ok());
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(logic_.RefreshUtilizationRollup().ok());
  ASSERT_EQ(rollup_.passes.size(), 3u);
  EXPECT_FALSE(rollup_.passes[1].everything);
  EXPECT_EQ(rollup_.passes[1].overlap, absl::Seconds(60));
  EXPECT_TRUE(rollup_.passes[2].everything);
}

// A region outside the caller's scope is refused before the roll-up is read.
TEST_F(UtilizationRollupLogicTest, FromSummaryIsRefusedOutsideTheCallersScope) {
  UseRollup();
  rollup_.as_of = clock_.Now();
  const Principal neighbour =
      MakePrincipal("auditor-lz", {tuopin::common::v1::ROLE_AUDITOR}, {"520203"});
  v1::Utilization u;
  EXPECT_EQ(logic_.GetUtilization(neighbour, req_, u).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(rollup_.reads.empty());
}

}  // namespace
}  // namespace tuopin::funds
