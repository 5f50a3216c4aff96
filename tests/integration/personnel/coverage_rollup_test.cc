// counts_only coverage from the per-region roll-up: at every level (province to village)
// the counts equal those the full answer computes from the entities, and a change shows
// at every level once the summary is refreshed.

#include "tests/integration/personnel/personnel_fixture.h"

namespace tuopin::personnel {
namespace {

using CountField = int32_t (v1::Coverage::*)() const;
const std::vector<CountField> kCounts = {&v1::Coverage::villages,
                                         &v1::Coverage::registered_poor_households,
                                         &v1::Coverage::households_without_cadre_count,
                                         &v1::Coverage::villages_without_first_secretary_count,
                                         &v1::Coverage::home_village_postings_count,
                                         &v1::Coverage::cadres_without_recent_check_in_count,
                                         &v1::Coverage::cadres_over_pairing_limit_count};

class CoverageRollupTest : public PersonnelTest {
 protected:
  void ExpectCountsEqualTheFullAnswer(int registered_poor_in_county) {
    for (const char* region : {"52", "5202", "520221", "520221104", kVillageA, kVillageB}) {
      v1::GetCoverageRequest req;
      req.set_region_code(region);
      v1::Coverage full, counts;
      ASSERT_TRUE(stub_->GetCoverage(ContextAs(admin_).get(), req, &full).ok());
      req.set_counts_only(true);
      ASSERT_TRUE(stub_->GetCoverage(ContextAs(admin_).get(), req, &counts).ok());
      EXPECT_TRUE(counts.has_as_of()) << region;
      for (CountField f : kCounts) EXPECT_EQ((counts.*f)(), (full.*f)()) << region;
      if (std::string(region).size() <= 6) {
        EXPECT_EQ(counts.registered_poor_households(), registered_poor_in_county) << region;
      }
    }
  }
};

TEST_F(CoverageRollupTest, EveryLevelEqualsTheFullAnswer) {
  v1::Household h;
  ASSERT_TRUE(CreateHousehold(official_, kVillageA, "One", &h).ok());
  ASSERT_TRUE(CreateHousehold(official_, kVillageB, "Two", &h).ok());
  ASSERT_TRUE(logic_.RefreshCoverageSummary().ok());
  ExpectCountsEqualTheFullAnswer(2);
  ASSERT_TRUE(CreateHousehold(official_, kVillageB, "Three", &h).ok());
  ASSERT_TRUE(logic_.RefreshCoverageSummary().ok());
  ExpectCountsEqualTheFullAnswer(3);
}

// What lets a refresh be skipped: whether a mutation was made since a time, read from the
// idempotency records every mutation leaves.
TEST_F(CoverageRollupTest, WrittenSinceSeesEveryMutation) {
  auto written = [&](absl::Time since) {
    absl::StatusOr<bool> w = store_.coverage().WrittenSince(since);
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() && *w;
  };
  v1::Household h;
  ASSERT_TRUE(CreateHousehold(official_, kVillageA, "One", &h).ok());
  EXPECT_TRUE(written(clock_.Now() - absl::Seconds(1)));
  EXPECT_TRUE(written(clock_.Now()));
  EXPECT_FALSE(written(clock_.Now() + absl::Seconds(1))) << "nothing after the last mutation";
}

}  // namespace
}  // namespace tuopin::personnel
