// Benchmark (not a test): ListTasks and GetSectorProgress over 100,000 tasks of one
// county campaign (20 townships, 200 villages, ten sectors, three stages), through a
// real gRPC server on loopback and a real MariaDB. Prints p50/p99 per query shape.
//
//   TUOPIN_TEST_DSN=mysql://root@...?socket=... tasks_bench

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/handler.h"
#include "common/migrate.h"
#include "services/tasks/mysql_tasks_store.h"
#include "services/tasks/tasks_service.h"
#include "tests/support/fake_directories.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& TasksMigrations();
}

namespace {

using namespace tuopin;
namespace v1 = tuopin::tasks::v1;

constexpr int kTasks = 100000, kVillages = 200;

absl::Status Load(common::ConnectionPool& pool) {
  return common::WithConnection(pool, [](common::DbSession& s) {
    s.ExecuteRaw(
        "INSERT INTO campaigns VALUES ('camp','520221','Shuicheng','2018-04-01',150,150,150,"
        "'2018-04-01 00:00:00')");
    std::string values;
    for (int i = 0; i < kTasks; ++i) {
      int village = i % kVillages;
      std::string code = absl::StrFormat("520221%03d%03d", 101 + village / 10, 1 + village % 10);
      int sector = 1 + (i / kVillages) % 10;
      int stage = 1 + i % 3 == 3 ? 2 : 1 + i % 2;  // mostly stages 1 and 2
      int status = 1 + (i * 7) % 5;
      absl::StrAppend(
          &values, values.empty() ? "" : ",",
          absl::StrFormat(
              "('t%06d','camp',%d,%d,'%s','','Task','','c%04d','','2018-%02d-15',2,'',%d,0,"
              "'','',0,1,'2018-04-01 00:00:00','2018-04-01 00:00:00')",
              i, stage, sector, code, i % 2000, 6 + i % 6, status));
      if ((i + 1) % 2000 == 0) {
        s.ExecuteRaw(
            absl::StrCat("INSERT INTO tasks (id, campaign_id, stage, sector, village_code, "
                         "household_id, title, description,"
                         " assignee_cadre_id, assignee_department, deadline, priority, "
                         "rectification_order_id, status,"
                         " percent, completed_by, verified_by, reopen_count, version, created_at, "
                         "updated_at) VALUES ",
                         values));
        values.clear();
      }
    }
    s.ExecuteRaw("ANALYZE TABLE tasks");
    return absl::OkStatus();
  });
}

template <typename Fn>
void Measure(const char* label, int n, Fn fn) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (!fn(i)) {
      std::fprintf(stderr, "%s failed\n", label);
      std::exit(1);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%-52s %5d %8.2f %8.2f %8.2f\n", label, n, ms[ms.size() / 2],
              ms[std::min(ms.size() - 1, ms.size() * 99 / 100)], ms.back());
}

}  // namespace

int main() {
  if (testing::TestRootDsn().empty()) {
    std::fprintf(stderr, "set TUOPIN_TEST_DSN (tests/bench/run does)\n");
    return 2;
  }
  testing::TestDatabase db;
  auto pool = db.NewPool(8);
  if (!common::ApplyMigrations(*pool, generated::TasksMigrations()).ok()) return 1;
  auto load_start = std::chrono::steady_clock::now();
  if (absl::Status st = Load(*pool); !st.ok()) {
    std::fprintf(stderr, "load failed: %s\n", st.ToString().c_str());
    return 1;
  }
  double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  common::RandomIdGenerator ids;
  common::PageTokenCodec tokens("bench-page-token-key-0123456789abcdef");
  common::FakeClock clock(
      absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone()));
  tasks::MysqlTasksStore store(*pool, ids);
  testing::FakePersonnelDirectory personnel;  // never asked: the benchmark reads only
  tasks::TasksLogic logic(store, personnel, clock, tokens);
  common::Authorizer authorizer(testing::kTestInternalKey,
                                common::FindService(v1::TaskService::service_full_name()));
  common::Handler handler("tasks", authorizer, clock);
  auto service = tasks::NewTasksService(logic, handler);
  testing::TestServer server({service.get()});
  auto stub = v1::TaskService::NewStub(server.channel());
  auto official =
      testing::MakePrincipal("official", {tuopin::common::v1::ROLE_COUNTY_OFFICIAL}, {"520221"});

  std::printf("tasks: %d in %d villages (bulk load %.1f s)\n", kTasks, kVillages, load_s);
  std::printf("%-52s %5s %8s %8s %8s\n", "query", "calls", "p50 ms", "p99 ms", "max ms");
  auto list = [&](std::function<void(v1::ListTasksRequest&)> shape) {
    return [&, shape](int i) {
      v1::ListTasksRequest req;
      req.set_region_code(i % 2 ? "520221" : absl::StrFormat("520221%03d", 101 + i % 20));
      shape(req);
      v1::ListTasksResponse resp;
      grpc::Status st = stub->ListTasks(testing::ContextAs(official).get(), req, &resp);
      if (!st.ok()) std::fprintf(stderr, "ListTasks: %s\n", st.error_message().c_str());
      return st.ok() && resp.tasks_size() > 0;
    };
  };
  Measure("ListTasks, county/township, first page of 50", 200, list([](auto&) {}));
  Measure("ListTasks, + campaign, sector, stage filters", 200, list([](auto& r) {
            r.set_campaign_id("camp");
            r.set_sector(tuopin::common::v1::SECTOR_DRINKING_WATER);
            r.set_stage(v1::STAGE_FIX_SHORTCOMINGS);
          }));
  Measure("ListTasks, overdue only", 200, list([](auto& r) { r.set_overdue_only(true); }));
  Measure("ListTasks, page size 1000", 50, list([](auto& r) { r.set_page_size(1000); }));
  Measure("ListTasks, 20 pages deep (keyset)", 20, [&](int) {
    v1::ListTasksRequest req;
    req.set_region_code("520221");
    v1::ListTasksResponse resp;
    for (int p = 0; p < 20; ++p) {
      if (!stub->ListTasks(testing::ContextAs(official).get(), req, &resp).ok()) return false;
      req.set_page_token(resp.next_page_token());
    }
    return resp.tasks_size() == 50;
  });
  Measure("GetSectorProgress, county (10 sectors x 20 townships)", 100, [&](int) {
    v1::GetSectorProgressRequest req;
    req.set_region_code("520221");
    req.set_campaign_id("camp");
    v1::SectorProgress resp;
    return stub->GetSectorProgress(testing::ContextAs(official).get(), req, &resp).ok() &&
           resp.rows_size() > 0;
  });
  Measure("GetSectorProgress, township (10 sectors x 10 villages)", 100, [&](int i) {
    v1::GetSectorProgressRequest req;
    req.set_region_code(absl::StrFormat("520221%03d", 101 + i % 20));
    req.set_campaign_id("camp");
    v1::SectorProgress resp;
    return stub->GetSectorProgress(testing::ContextAs(official).get(), req, &resp).ok() &&
           resp.rows_size() > 0;
  });
  return 0;
}
