// Benchmark (not a test): ListHouseholds over a county of 50,000 households, through a
// real gRPC server on loopback and a real MariaDB. Loads the county with bulk SQL, walks
// every page, checks that each household is seen exactly once, and prints per-page
// latency (p50/p90/p99/max) for page sizes 50 and 1000, early and deep pages alike.
//
//   TUOPIN_TEST_DSN=mysql://root@127.0.0.1:33306/mysql?socket=... list_households_bench

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/handler.h"
#include "common/migrate.h"
#include "services/personnel/mysql_personnel_store.h"
#include "services/personnel/personnel_service.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& PersonnelMigrations();
}

namespace {

using namespace tuopin;
namespace v1 = tuopin::personnel::v1;

constexpr int kTownships = 20, kVillagesPerTownship = 10, kHouseholdsPerVillage = 250;

absl::Status Load(common::ConnectionPool& pool) {
  return common::WithConnection(pool, [](common::DbSession& s) {
    s.ExecuteRaw(
        "INSERT INTO regions (code, name, level, parent_code) VALUES ('52','Guizhou',1,''),('5202','Liupanshui',2,'52'),"
        "('520221','Shuicheng County',3,'5202')");
    for (int t = 1; t <= kTownships; ++t) {
      std::string town = absl::StrFormat("520221%03d", 100 + t);
      common::Query(s, "INSERT INTO regions (code, name, level, parent_code) VALUES (?, ?, 4, '520221')").Arg(town).Arg(absl::StrCat("Town ", t)).Exec();
      std::string households_sql =
          "INSERT INTO households (id, village_code, head_name, member_count, status, ind_food,"
          " ind_clothing, ind_education, ind_medical, ind_housing, ind_water, income_per_head_fen,"
          " version, created_at, updated_at) VALUES ";
      for (int v = 1; v <= kVillagesPerTownship; ++v) {
        std::string village = absl::StrFormat("%s%03d", town, v);
        common::Query(s, "INSERT INTO regions (code, name, level, parent_code) VALUES (?, ?, 5, ?)").Arg(village).Arg(absl::StrCat("Village ", v)).Arg(town).Exec();
        std::string values;
        for (int h = 0; h < kHouseholdsPerVillage; ++h) {
          // Ids are not in village order, as in real life (UUIDv7 by creation time).
          absl::StrAppend(&values, values.empty() ? "" : ",",
                          absl::StrFormat("('h%05d%03d%03d','%s','Head',4,%d,1,1,1,1,0,0,300000,1,"
                                          "'2018-09-01 00:00:00','2018-09-01 00:00:00')",
                                          h, t, v, village, h % 5 == 0 ? 2 : 1));
        }
        s.ExecuteRaw(households_sql + values);
      }
    }
    return absl::OkStatus();
  });
}

struct Walk {
  int pages = 0;
  size_t rows = 0;
  bool unique = true;
  std::vector<double> ms;
};

Walk WalkAll(v1::PersonnelService::Stub& stub, const common::Principal& as, int page_size, int status) {
  Walk w;
  std::set<std::string> seen;
  v1::ListHouseholdsRequest req;
  req.set_region_code("520221");
  req.set_page_size(page_size);
  req.set_status(static_cast<v1::HouseholdStatus>(status));
  for (int guard = 0; guard < 100000; ++guard) {
    v1::ListHouseholdsResponse page;
    auto start = std::chrono::steady_clock::now();
    grpc::Status st = stub.ListHouseholds(testing::ContextAs(as).get(), req, &page);
    w.ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    if (!st.ok()) {
      std::fprintf(stderr, "ListHouseholds failed: %s\n", st.error_message().c_str());
      std::exit(1);
    }
    ++w.pages;
    for (const auto& h : page.households()) w.unique &= seen.insert(h.id()).second;
    w.rows += page.households_size();
    if (page.next_page_token().empty()) break;
    req.set_page_token(page.next_page_token());
  }
  return w;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

}  // namespace

int main() {
  if (testing::TestRootDsn().empty()) {
    std::fprintf(stderr, "set TUOPIN_TEST_DSN to a MariaDB root DSN (tests/bench/run does)\n");
    return 2;
  }
  testing::TestDatabase db;
  auto pool = db.NewPool(8);
  if (!common::ApplyMigrations(*pool, generated::PersonnelMigrations()).ok()) return 1;
  auto load_start = std::chrono::steady_clock::now();
  if (absl::Status st = Load(*pool); !st.ok()) {
    std::fprintf(stderr, "load failed: %s\n", st.ToString().c_str());
    return 1;
  }
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  common::RandomIdGenerator ids;
  common::PageTokenCodec tokens("bench-page-token-key-0123456789abcdef");
  personnel::MysqlPersonnelStore store(*pool, ids);
  personnel::PersonnelLogic logic(store, *common::SystemClock::Get(), tokens);
  common::Authorizer authorizer(testing::kTestInternalKey,
                                common::FindService(v1::PersonnelService::service_full_name()));
  common::Handler handler("personnel", authorizer, *common::SystemClock::Get());
  auto service = personnel::NewPersonnelService(logic, handler);
  testing::TestServer server({service.get()});
  auto stub = v1::PersonnelService::NewStub(server.channel());
  auto official = testing::MakePrincipal("official", {tuopin::common::v1::ROLE_COUNTY_OFFICIAL}, {"520221"});

  const int total = kTownships * kVillagesPerTownship * kHouseholdsPerVillage;
  std::printf("households: %d in %d villages (bulk load %.1f s)\n", total,
              kTownships * kVillagesPerTownship, load_s);
  std::printf("%-28s %6s %7s %6s %8s %8s %8s %8s\n", "walk", "pages", "rows", "exact", "p50 ms",
              "p90 ms", "p99 ms", "max ms");
  bool all_ok = true;
  for (auto [page_size, status, label] : std::vector<std::tuple<int, int, const char*>>{
           {50, 0, "county, page_size 50"},
           {1000, 0, "county, page_size 1000"},
           {50, 1, "registered poor, size 50"}}) {
    Walk w = WalkAll(*stub, official, page_size, status);
    size_t expected = status == 0 ? total : total - total / 5;
    bool exact = w.unique && w.rows == expected;
    all_ok &= exact;
    std::printf("%-28s %6d %7zu %6s %8.2f %8.2f %8.2f %8.2f\n", label, w.pages, w.rows,
                exact ? "yes" : "NO", Percentile(w.ms, 0.5), Percentile(w.ms, 0.9),
                Percentile(w.ms, 0.99), *std::max_element(w.ms.begin(), w.ms.end()));
    if (page_size == 50 && status == 0) {
      // Keyset paging: the last tenth of the walk costs what the first tenth costs.
      size_t tenth = w.ms.size() / 10;
      std::vector<double> first(w.ms.begin(), w.ms.begin() + tenth), last(w.ms.end() - tenth, w.ms.end());
      std::printf("  deep pages: p50 first tenth %.2f ms, last tenth %.2f ms (ratio %.2f)\n",
                  Percentile(first, 0.5), Percentile(last, 0.5), Percentile(last, 0.5) / Percentile(first, 0.5));
    }
  }
  return all_ok ? 0 : 1;
}
