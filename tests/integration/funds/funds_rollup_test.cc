// The utilisation roll-up against the scan it replaces (MysqlFundsStore::Utilization), on a
// real MariaDB: random accounts of every kind at county, township and village codes of
// two counties, then random balance changes, new accounts, time passing (projects
// becoming idle without a write) and late commits; after each refresh every region's
// answer at every level, per sector and for each sector, equals the scan's.

#include <random>

#include "absl/strings/str_cat.h"
#include "common/migrate.h"
#include "common/region_code.h"
#include "gtest/gtest.h"
#include "services/funds/mysql_funds_rollup.h"
#include "services/funds/mysql_funds_store.h"
#include "tests/support/test_db.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& FundsMigrations();
}

namespace tuopin::funds {
namespace {

using common::DbSession;
using common::Query;

constexpr absl::Duration kIdle = absl::Hours(24 * 30);
constexpr absl::Duration kOverlap = absl::Seconds(60);

class UtilizationRollupTest : public ::testing::Test {
 protected:
  UtilizationRollupTest() : pool_(db_.NewPool(4)), store_(*pool_, ids_), rollup_(*pool_) {}
  void SetUp() override {
    ASSERT_TRUE(common::ApplyMigrations(*pool_, generated::FundsMigrations()).ok());
    // The database stamps updated_at: the test's times are the database's.
    now_ = absl::Now();
    for (const char* county : {"520221", "520222", "520301"}) {
      codes_.push_back(county);
      for (int t = 1; t <= 3; ++t) {
        codes_.push_back(absl::StrCat(county, 100 + t));
        for (int v = 1; v <= 4; ++v) codes_.push_back(absl::StrCat(county, 100 + t, "00", v));
      }
    }
  }

  int64_t Rand(int64_t n) { return static_cast<int64_t>(rng_() % n); }
  // A time around the idle cut-off of `at`: some idle, some not, some never moved.
  std::optional<std::string> Around(absl::Time at) {
    if (Rand(5) == 0) return std::nullopt;
    return common::ToSqlTime(at - kIdle + absl::Minutes(Rand(600) - 300));
  }
  static void Bind(Query& q, const std::optional<std::string>& t) {
    if (t) {
      q.Arg(*t);
    } else {
      q.Null();
    }
  }

  // `stamped`: the update time the database would have stamped earlier (now when unset).
  void Insert(absl::Time around, std::optional<absl::Time> stamped = std::nullopt) {
    std::string id = absl::StrCat("a", next_++);
    int64_t credits = Rand(10000), debits = Rand(10000), pending = Rand(3000);
    ASSERT_TRUE(common::WithConnection(*pool_, [&](DbSession& s) {
                  Query q(s,
                          "INSERT INTO accounts (id, code, kind, name, region_code, source_level,"
                          " sector, task_id, guarded, debits_pending, debits_posted,"
                          " credits_pending, credits_posted, appropriated_in, allocated_in,"
                          " disbursed_out, last_credit_at, last_debit_at, created_at,"
                          " updated_at) VALUES (?, ?, ?, 'x', ?, 0, ?, '', 0, ?, ?, 0, ?, ?, ?,"
                          " ?, ?, ?, NOW(6), COALESCE(?, NOW(6)))");
                  q.Arg(id).Arg(id).Arg(1 + Rand(4)).Arg(codes_[Rand(codes_.size())]);
                  q.Arg(1 + Rand(10)).Arg(pending).Arg(debits).Arg(credits);
                  q.Arg(Rand(5000)).Arg(Rand(5000)).Arg(Rand(5000));
                  Bind(q, Around(around));
                  Bind(q, Around(around));
                  Bind(q, stamped ? std::optional(common::ToSqlTime(*stamped)) : std::nullopt);
                  q.Exec();
                  return absl::OkStatus();
                }).ok());
    ids_written_.push_back(id);
  }
  // What a posting or a pending transfer changes of an account; `stamped` sets the
  // update time as the database would have stamped it earlier.
  void Change(const std::string& id, absl::Time around,
              std::optional<absl::Time> stamped = std::nullopt) {
    ASSERT_TRUE(common::WithConnection(*pool_, [&](DbSession& s) {
                  Query q(s, absl::StrCat("UPDATE accounts SET credits_posted = ?,"
                                          " debits_pending = ?, allocated_in = ?,"
                                          " disbursed_out = ?, last_credit_at = ?",
                                          stamped ? ", updated_at = ?" : "", " WHERE id = ?"));
                  q.Arg(Rand(20000)).Arg(Rand(3000)).Arg(Rand(5000)).Arg(Rand(5000));
                  Bind(q, Around(around));
                  if (stamped) q.Arg(common::ToSqlTime(*stamped));
                  q.Arg(id).Exec();
                  return absl::OkStatus();
                }).ok());
  }
  void ChangeSome(int n, absl::Time around, std::optional<absl::Time> stamped = std::nullopt) {
    for (int i = 0; i < n; ++i) Change(ids_written_[Rand(ids_written_.size())], around, stamped);
  }

  static std::string Text(const v1::Utilization& u) {
    std::string out = absl::StrCat(u.appropriated_fen(), " ", u.allocated_fen(), " ",
                                   u.disbursed_fen(), " ", u.idle_fen());
    for (const auto& s : u.sectors()) {
      absl::StrAppend(&out, " | ", s.sector(), ": ", s.allocated_fen(), " ", s.disbursed_fen(), " ",
                      s.idle_fen());
    }
    return out;
  }

  // Whether the province's answer is the scan's.
  bool ProvinceEqualsScan(absl::Time at) {
    auto scan = store_.Utilization("52", 0, true, at - kIdle);
    v1::Utilization rolled;
    auto as_of = rollup_.Read("52", 0, true, rolled);
    return scan.ok() && as_of.ok() && Text(rolled) == Text(*scan);
  }

  void ExpectRollupEqualsScan(absl::Time at) {
    std::set<std::string> regions;
    for (const std::string& c : codes_) {
      for (int level = common::kProvinceLevel; level <= common::RegionLevelOf(c); ++level) {
        regions.insert(c.substr(0, common::RegionCodeLength(level)));
      }
    }
    int nonzero = 0;
    for (const std::string& r : regions) {
      for (int sector : {0, 3}) {
        for (bool by_sector : {true, false}) {
          if (sector != 0 && by_sector) continue;
          auto scan = store_.Utilization(r, sector, by_sector, at - kIdle);
          ASSERT_TRUE(scan.ok()) << scan.status();
          v1::Utilization rolled;
          auto as_of = rollup_.Read(r, sector, by_sector, rolled);
          ASSERT_TRUE(as_of.ok()) << as_of.status();
          ASSERT_TRUE(as_of->has_value());
          EXPECT_EQ(Text(rolled), Text(*scan)) << r << " sector " << sector;
          nonzero += scan->idle_fen() > 0;
        }
      }
    }
    EXPECT_GT(nonzero, 10) << "idle money in many regions";
  }

  testing::TestDatabase db_;
  std::unique_ptr<common::ConnectionPool> pool_;
  common::RandomIdGenerator ids_;
  MysqlFundsStore store_;
  MysqlUtilizationRollupStore rollup_;
  std::vector<std::string> codes_, ids_written_;
  std::mt19937 rng_{20181105};
  int next_ = 0;
  absl::Time now_;
};

TEST_F(UtilizationRollupTest, EqualsTheScanAfterWritesAndTimePassing) {
  // Written an hour before the first pass: later passes do not see them as written.
  for (int i = 0; i < 500; ++i) Insert(now_, now_ - absl::Hours(1));
  ASSERT_TRUE(rollup_.Refresh(now_, kIdle, kOverlap, false).ok());
  ExpectRollupEqualsScan(now_);

  // Writes after the pass, and new accounts: an incremental pass finds them.
  ChangeSome(120, now_);
  for (int i = 0; i < 40; ++i) Insert(now_);
  absl::Time later = absl::Now();
  ASSERT_TRUE(rollup_.Refresh(later, kIdle, kOverlap, false).ok());
  ExpectRollupEqualsScan(later);

  // Four hours pass without a write (a pass past the overlap first, so that the next
  // one sees no write): projects last moved in between become idle.
  ASSERT_TRUE(rollup_.Refresh(later + 2 * kOverlap, kIdle, kOverlap, false).ok());
  absl::Time hours_later = later + absl::Hours(4);
  ASSERT_TRUE(rollup_.Refresh(hours_later, kIdle, kOverlap, false).ok());
  ExpectRollupEqualsScan(hours_later);
}

TEST_F(UtilizationRollupTest, LateCommitsWithinTheOverlapAreCountedOthersAtTheFullPass) {
  for (int i = 0; i < 300; ++i) Insert(now_, now_ - absl::Hours(1));
  ASSERT_TRUE(rollup_.Refresh(now_, kIdle, kOverlap, false).ok());
  // Stamped before that pass, committed after it.
  ChangeSome(40, now_, now_ - absl::Seconds(30));
  absl::Time later = now_ + absl::Seconds(10);
  ASSERT_TRUE(rollup_.Refresh(later, kIdle, kOverlap, false).ok());
  ExpectRollupEqualsScan(later);

  // Stamped further back than the overlap: an incremental pass misses them (the documented
  // bound), the next full pass counts them.
  ChangeSome(40, now_, now_ - absl::Minutes(3));
  absl::Time missed = now_ + absl::Seconds(20);
  ASSERT_TRUE(rollup_.Refresh(missed, kIdle, kOverlap, false).ok());
  EXPECT_FALSE(ProvinceEqualsScan(missed)) << "the changes should not have been seen";
  absl::Time full = now_ + absl::Seconds(30);
  ASSERT_TRUE(rollup_.Refresh(full, kIdle, kOverlap, true).ok());
  ExpectRollupEqualsScan(full);
}

TEST_F(UtilizationRollupTest, ReadsNothingBeforeTheFirstPass) {
  v1::Utilization u;
  auto as_of = rollup_.Read("520221", 0, true, u);
  ASSERT_TRUE(as_of.ok());
  EXPECT_FALSE(as_of->has_value());
  ASSERT_TRUE(rollup_.Refresh(now_, kIdle, kOverlap, false).ok());
  as_of = rollup_.Read("520221", 0, true, u);
  ASSERT_TRUE(as_of.ok());
  EXPECT_EQ(**as_of, absl::FromUnixMicros(absl::ToUnixMicros(now_)));
}

}  // namespace
}  // namespace tuopin::funds
