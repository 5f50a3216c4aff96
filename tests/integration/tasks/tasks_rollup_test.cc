// The sector-progress roll-up against the scan it replaces, on a real MariaDB: random
// tasks over two counties, then random updates, new tasks, days passing and late
// commits; after each refresh every region's answer at every level (its totals and its
// children's rows) equals CountBySector's.

#include <random>

#include "absl/strings/str_cat.h"
#include "common/migrate.h"
#include "common/region_code.h"
#include "gtest/gtest.h"
#include "services/tasks/mysql_tasks_rollup.h"
#include "services/tasks/mysql_tasks_store.h"
#include "tests/support/test_db.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& TasksMigrations();
}

namespace tuopin::tasks {
namespace {

using common::DbSession;
using common::Query;

const absl::Time kStart =
    absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone());
constexpr absl::CivilDay kToday(2018, 9, 5);
constexpr int kStatuses[] = {v1::TASK_STATUS_OPEN, v1::TASK_STATUS_IN_PROGRESS,
                             v1::TASK_STATUS_COMPLETED, v1::TASK_STATUS_VERIFIED,
                             v1::TASK_STATUS_CANCELLED};

class SectorRollupTest : public ::testing::Test {
 protected:
  SectorRollupTest() : pool_(db_.NewPool(4)), store_(*pool_, ids_), rollup_(*pool_) {}
  void SetUp() override {
    ASSERT_TRUE(common::ApplyMigrations(*pool_, generated::TasksMigrations()).ok());
    // Two counties of one province, in two prefectures and one; three townships each,
    // four villages each.
    for (const char* county : {"520221", "520222", "520301"}) {
      for (int t = 1; t <= 3; ++t) {
        for (int v = 1; v <= 4; ++v) villages_.push_back(absl::StrCat(county, 100 + t, "00", v));
      }
    }
  }

  std::string Village() { return villages_[rng_() % villages_.size()]; }
  absl::CivilDay Deadline(absl::CivilDay around) {
    return around + static_cast<int>(rng_() % 21) - 10;
  }

  // A task written as the store writes it, with update time `at`.
  void Insert(absl::Time at) {
    std::string id = absl::StrCat("t", next_++);
    ASSERT_TRUE(common::WithConnection(*pool_, [&](DbSession& s) {
                  Query(s,
                        "INSERT INTO tasks (id, campaign_id, stage, sector, village_code,"
                        " household_id, title, description, assignee_cadre_id,"
                        " assignee_department, deadline, priority, rectification_order_id,"
                        " status, percent, completed_by, verified_by, reopen_count, version,"
                        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, '', 'x', '', '', 'd',"
                        " ?, 1, '', ?, 0, '', '', 0, 1, ?, ?)")
                      .Arg(id)
                      .Arg(rng_() % 2 ? "c1" : "c2")
                      .Arg(static_cast<int64_t>(1 + rng_() % 3))
                      .Arg(static_cast<int64_t>(1 + rng_() % 10))
                      .Arg(Village())
                      .Arg(common::ToSqlDate(Deadline(kToday)))
                      .Arg(static_cast<int64_t>(kStatuses[rng_() % 5]))
                      .Arg(common::ToSqlTime(at))
                      .Arg(common::ToSqlTime(at))
                      .Exec();
                  return absl::OkStatus();
                }).ok());
    ids_written_.push_back(id);
  }
  // What ChangeTask writes of a task: its status, deadline and update time.
  void Change(const std::string& id, absl::Time at, absl::CivilDay around) {
    ASSERT_TRUE(common::WithConnection(*pool_, [&](DbSession& s) {
                  Query(s, "UPDATE tasks SET status = ?, deadline = ?, updated_at = ? WHERE id = ?")
                      .Arg(static_cast<int64_t>(kStatuses[rng_() % 5]))
                      .Arg(common::ToSqlDate(Deadline(around)))
                      .Arg(common::ToSqlTime(at))
                      .Arg(id)
                      .Exec();
                  return absl::OkStatus();
                }).ok());
  }
  void ChangeSome(int n, absl::Time at, absl::CivilDay around) {
    for (int i = 0; i < n; ++i) Change(ids_written_[rng_() % ids_written_.size()], at, around);
  }

  static std::string Key(const SectorCount& c) {
    return absl::StrCat(c.sector, "/", c.region_code, ": ", c.total, " ", c.verified, " ",
                        c.in_progress, " ", c.overdue);
  }
  static std::vector<std::string> Keys(const std::vector<SectorCount>& v) {
    std::vector<std::string> out;
    for (const auto& c : v) out.push_back(Key(c));
    return out;
  }

  // Every region of every level, its totals and its children, each campaign and stage.
  // Whether the province's totals, every campaign and stage, are the scan's.
  bool ProvinceEqualsScan(absl::CivilDay today) {
    for (const char* campaign : {"c1", "c2"}) {
      for (int stage = 1; stage <= 3; ++stage) {
        auto scan = store_.CountBySector(campaign, stage, "52", 2, today);
        std::vector<SectorCount> rolled;
        auto as_of = rollup_.Read(campaign, stage, "52", 2, rolled);
        if (!scan.ok() || !as_of.ok() || Keys(rolled) != Keys(*scan)) return false;
      }
    }
    return true;
  }

  void ExpectRollupEqualsScan(absl::CivilDay today) {
    std::set<std::string> regions;
    for (const std::string& v : villages_) {
      for (int level = common::kProvinceLevel; level <= common::kVillageLevel; ++level) {
        regions.insert(v.substr(0, common::RegionCodeLength(level)));
      }
    }
    int compared = 0;
    for (const std::string& r : regions) {
      for (size_t child_len : {r.size(), common::ChildCodeLength(r.size())}) {
        for (const char* campaign : {"c1", "c2"}) {
          for (int stage = 1; stage <= 3; ++stage) {
            auto scan = store_.CountBySector(campaign, stage, r, child_len, today);
            ASSERT_TRUE(scan.ok()) << scan.status();
            std::vector<SectorCount> rolled;
            auto as_of = rollup_.Read(campaign, stage, r, child_len, rolled);
            ASSERT_TRUE(as_of.ok()) << as_of.status();
            ASSERT_TRUE(as_of->has_value());
            EXPECT_EQ(Keys(rolled), Keys(*scan)) << r << " children of " << child_len << " digits, "
                                                 << campaign << " stage " << stage;
            compared += !scan->empty();
          }
        }
      }
    }
    EXPECT_GT(compared, 100);
  }

  testing::TestDatabase db_;
  std::unique_ptr<common::ConnectionPool> pool_;
  common::RandomIdGenerator ids_;
  MysqlTasksStore store_;
  MysqlSectorRollupStore rollup_;
  std::vector<std::string> villages_, ids_written_;
  std::mt19937 rng_{20181105};
  int next_ = 0;
};

TEST_F(SectorRollupTest, EqualsTheScanAfterWritesUpdatesAndDays) {
  for (int i = 0; i < 600; ++i) Insert(kStart - absl::Minutes(5));
  ASSERT_TRUE(rollup_.Refresh(kStart, kToday, absl::Seconds(60), false).ok());
  ExpectRollupEqualsScan(kToday);

  // Updates and new tasks after the pass: an incremental pass finds them.
  absl::Time later = kStart + absl::Seconds(10);
  ChangeSome(150, later, kToday);
  for (int i = 0; i < 50; ++i) Insert(later);
  ASSERT_TRUE(rollup_.Refresh(later + absl::Seconds(1), kToday, absl::Seconds(60), false).ok());
  ExpectRollupEqualsScan(kToday);

  // Days pass without a write (a pass past the overlap first, so that the next one sees
  // no write): tasks due in between become overdue.
  ASSERT_TRUE(rollup_.Refresh(later + absl::Minutes(2), kToday, absl::Seconds(60), false).ok());
  absl::Time next_week = later + absl::Hours(24 * 7);
  ASSERT_TRUE(rollup_.Refresh(next_week, kToday + 7, absl::Seconds(60), false).ok());
  ExpectRollupEqualsScan(kToday + 7);
}

TEST_F(SectorRollupTest, LateCommitsWithinTheOverlapAreCountedOthersAtTheFullPass) {
  for (int i = 0; i < 300; ++i) Insert(kStart - absl::Minutes(5));
  ASSERT_TRUE(rollup_.Refresh(kStart, kToday, absl::Seconds(60), false).ok());
  // Writes stamped before that pass but committed after it (a transaction's update time
  // is taken before it commits).
  ChangeSome(40, kStart - absl::Seconds(30), kToday);
  ASSERT_TRUE(rollup_.Refresh(kStart + absl::Seconds(10), kToday, absl::Seconds(60), false).ok());
  ExpectRollupEqualsScan(kToday);

  // Stamped further back than the overlap: an incremental pass misses them (the documented
  // bound), the next full pass counts them.
  ChangeSome(40, kStart - absl::Minutes(3), kToday);
  ASSERT_TRUE(rollup_.Refresh(kStart + absl::Seconds(20), kToday, absl::Seconds(60), false).ok());
  EXPECT_FALSE(ProvinceEqualsScan(kToday)) << "the changes should not have been seen";
  ASSERT_TRUE(rollup_.Refresh(kStart + absl::Seconds(30), kToday, absl::Seconds(60), true).ok());
  ExpectRollupEqualsScan(kToday);
}

TEST_F(SectorRollupTest, ReadsNothingBeforeTheFirstPassAndItsTimeAfter) {
  std::vector<SectorCount> rows;
  auto as_of = rollup_.Read("c1", 1, "520221", 6, rows);
  ASSERT_TRUE(as_of.ok());
  EXPECT_FALSE(as_of->has_value());
  ASSERT_TRUE(rollup_.Refresh(kStart, kToday, absl::Seconds(60), false).ok());
  as_of = rollup_.Read("c1", 1, "520221", 6, rows);
  ASSERT_TRUE(as_of.ok());
  EXPECT_EQ(**as_of, kStart);
}

}  // namespace
}  // namespace tuopin::tasks
