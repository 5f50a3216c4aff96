// Benchmark (not a test): the audit log on a real MariaDB through a real gRPC server.
//  1. Appends: 60,000 events through AppendEvents in batches of 500, 2 clients; events/s.
//  2. Proofs at 1,000,000 leaves: the tree is bulk-loaded (leaves and complete-subtree
//     hashes computed by the log's own code), a checkpoint is signed, then 1,000 inclusion
//     and 1,000 consistency proofs are fetched and verified; p50/p99 per call.
//
//   TUOPIN_TEST_DSN=mysql://root@...?socket=... audit_log_bench

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/handler.h"
#include "common/migrate.h"
#include "common/mutation.h"
#include "common/validate.h"
#include "services/auditlog/auditlog_service.h"
#include "services/auditlog/mysql_auditlog_store.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& AuditLogMigrations();
}

namespace {

using namespace tuopin;
using namespace tuopin::auditlog;
using Clock = std::chrono::steady_clock;

constexpr int64_t kLeaves = 1'000'000;

tuopin::common::v1::AuditEvent Event(const std::string& id) {
  tuopin::common::v1::AuditEvent e;
  e.set_event_id(id);
  e.set_service("funds");
  e.set_method("/tuopin.funds.v1.FundsService/CreateTransfers");
  e.set_actor_subject("finance-shuicheng");
  e.set_request_sha256(std::string(32, 'r'));
  auto* ref = e.add_entities();
  ref->set_type("transfer");
  ref->set_id(id);
  ref->set_region_code("520221104001");
  *e.mutable_occurred_at() = common::ToTimestamp(absl::Now());
  return e;
}

void Report(const char* label, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  std::printf("%-44s %6zu %8.2f %8.2f %8.2f\n", label, ms.size(), ms[ms.size() / 2],
              ms[ms.size() * 99 / 100], ms.back());
}

// Bulk-loads leaves [0, n) with their subtree hashes, in multi-row inserts.
absl::Status BulkLoad(common::ConnectionPool& pool, int64_t n) {
  return common::WithConnection(pool, [&](common::DbSession& s) {
    std::map<NodeId, std::string> pending;  // left siblings still needed
    std::string leaves_sql, nodes_sql;
    int leaf_rows = 0, node_rows = 0;
    auto flush = [&](bool force) {
      if (leaf_rows >= 2000 || (force && leaf_rows > 0)) {
        s.ExecuteRaw(
            "INSERT INTO leaves (leaf_index, event_id, leaf_value, appended_at, content_sha256)"
            " VALUES " +
            leaves_sql);
        leaves_sql.clear();
        leaf_rows = 0;
      }
      if (node_rows >= 4000 || (force && node_rows > 0)) {
        s.ExecuteRaw("INSERT INTO nodes (level, idx, hash) VALUES " + nodes_sql);
        nodes_sql.clear();
        node_rows = 0;
      }
    };
    for (int64_t i = 0; i < n; ++i) {
      std::string value = common::DeterministicBytes(Event(absl::StrCat("bulk-", i)));
      absl::StrAppend(&leaves_sql, leaf_rows++ ? "," : "", "(", i, ",'bulk-", i, "',x'",
                      common::HexEncode(value), "','2018-09-05 00:00:00',x'",
                      common::HexEncode(common::Sha256(value)), "')");
      for (const NodeId& id : NodesCompletedBy(i)) {
        std::string hash;
        if (id.level == 0) {
          hash = LeafHash(value);
        } else {
          NodeId left{id.level - 1, 2 * id.index}, right{id.level - 1, 2 * id.index + 1};
          hash = NodeHash(pending.at(left), pending.at(right));
          pending.erase(left);
          pending.erase(right);
        }
        pending[id] = hash;
        absl::StrAppend(&nodes_sql, node_rows++ ? "," : "", "(", id.level, ",", id.index, ",x'",
                        common::HexEncode(hash), "')");
      }
      flush(false);
    }
    flush(true);
    s.ExecuteRaw(absl::StrCat("UPDATE log_state SET tree_size = ", n, " WHERE id = 1"));
    return absl::OkStatus();
  });
}

}  // namespace

int main() {
  if (testing::TestRootDsn().empty()) {
    std::fprintf(stderr, "set TUOPIN_TEST_DSN (tests/bench/run does)\n");
    return 2;
  }
  auto signer = std::move(*NoteSigner::FromPem("tuopin.bench", testing::Ed25519PrivateKeyPem()));
  auto serve = [&](common::ConnectionPool& pool, auto&& body) {
    MysqlAuditLogStore store(pool);
    common::PageTokenCodec tokens("bench-page-key");
    AuditLogLogic logic(store, *signer, "tuopin.bench/audit-log", *common::SystemClock::Get(),
                        tokens);
    common::Authorizer auth(testing::kTestInternalKey,
                            common::FindService(v1::AuditLog::service_full_name()));
    common::Handler handler("auditlog", auth, *common::SystemClock::Get());
    auto service = NewAuditLogService(logic, handler);
    testing::TestServer server({service.get()});
    body(logic, server);
  };
  auto service_principal =
      testing::MakePrincipal("service:funds", {tuopin::common::v1::ROLE_SERVICE}, {"*"});
  auto auditor = testing::MakePrincipal("auditor", {tuopin::common::v1::ROLE_AUDITOR}, {"*"});
  std::printf("%-44s %6s %8s %8s %8s\n", "figure", "calls", "p50 ms", "p99 ms", "max ms");

  {  // 1. appends
    testing::TestDatabase db;
    auto pool = db.NewPool(8);
    if (!common::ApplyMigrations(*pool, generated::AuditLogMigrations()).ok()) return 1;
    serve(*pool, [&](AuditLogLogic&, testing::TestServer& server) {
      constexpr int kClients = 2, kBatches = 60, kBatch = 500;
      std::vector<std::vector<double>> ms(kClients);
      auto start = Clock::now();
      std::vector<std::thread> threads;
      for (int c = 0; c < kClients; ++c) {
        threads.emplace_back([&, c] {
          auto stub = v1::AuditLog::NewStub(server.channel());
          for (int b = 0; b < kBatches; ++b) {
            v1::AppendEventsRequest req;
            for (int i = 0; i < kBatch; ++i)
              *req.add_events() = Event(absl::StrCat("a-", c, "-", b, "-", i));
            v1::AppendEventsResponse resp;
            auto t0 = Clock::now();
            grpc::Status st =
                stub->AppendEvents(testing::ContextAs(service_principal).get(), req, &resp);
            if (!st.ok()) {
              std::fprintf(stderr, "AppendEvents: %s\n", st.error_message().c_str());
              std::exit(1);
            }
            ms[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          }
        });
      }
      for (auto& t : threads) t.join();
      double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      std::vector<double> all;
      for (auto& v : ms) all.insert(all.end(), v.begin(), v.end());
      Report("AppendEvents, batches of 500, 2 clients", all);
      std::printf("appends: %d events in %.1f s = %.0f events/s (goal >= 5000)\n",
                  kClients * kBatches * kBatch, seconds, kClients * kBatches * kBatch / seconds);
    });
  }

  {  // 2. proofs at a million leaves
    testing::TestDatabase db;
    auto pool = db.NewPool(8);
    if (!common::ApplyMigrations(*pool, generated::AuditLogMigrations()).ok()) return 1;
    auto t0 = Clock::now();
    if (!BulkLoad(*pool, kLeaves).ok()) return 1;
    std::printf("bulk-loaded %lld leaves in %.1f s\n", static_cast<long long>(kLeaves),
                std::chrono::duration<double>(Clock::now() - t0).count());
    serve(*pool, [&](AuditLogLogic& logic, testing::TestServer& server) {
      if (!logic.PublishCheckpoint().ok()) std::exit(1);
      auto stub = v1::AuditLog::NewStub(server.channel());
      v1::Checkpoint cp;
      if (!stub->GetCheckpoint(testing::ContextAs(auditor).get(), v1::GetCheckpointRequest(), &cp)
               .ok())
        std::exit(1);
      std::mt19937_64 rng(2018);
      std::vector<double> inclusion, consistency;
      int verified = 0;
      for (int i = 0; i < 1000; ++i) {
        v1::GetInclusionProofRequest req;
        req.set_leaf_index(static_cast<int64_t>(rng() % kLeaves));
        v1::InclusionProof proof;
        auto s = Clock::now();
        if (!stub->GetInclusionProof(testing::ContextAs(auditor).get(), req, &proof).ok())
          std::exit(1);
        inclusion.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
        std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
        verified +=
            VerifyInclusion(proof.leaf_hash(), req.leaf_index(), kLeaves, hashes, cp.root_hash());
      }
      for (int i = 0; i < 1000; ++i) {
        v1::GetConsistencyProofRequest req;
        req.set_first_size(1 + static_cast<int64_t>(rng() % (kLeaves - 1)));
        req.set_second_size(kLeaves);
        v1::ConsistencyProof proof;
        auto s = Clock::now();
        if (!stub->GetConsistencyProof(testing::ContextAs(auditor).get(), req, &proof).ok())
          std::exit(1);
        consistency.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
      }
      Report("GetInclusionProof at 1,000,000 leaves", inclusion);
      Report("GetConsistencyProof at 1,000,000 leaves", consistency);
      std::printf("inclusion proofs verified against the signed root: %d of 1000\n", verified);
    });
  }
  return 0;
}
