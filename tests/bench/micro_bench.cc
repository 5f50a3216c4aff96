// Micro-benchmarks (Google Benchmark) of the hot paths: Merkle hashing and proofs, JWT
// verification, the page-token codec and request validation. Not tests.
//
//   build/tests/micro_bench

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "common/field_limits.h"
#include "common/jwt.h"
#include "common/page_token.h"
#include "common/validate.h"
#include "services/auditlog/merkle.h"
#include "services/funds/funds_validate.h"
#include "services/personnel/personnel_validate.h"

namespace {

using namespace tuopin;

void BM_LeafHash(benchmark::State& state) {
  std::string leaf(state.range(0), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(auditlog::LeafHash(leaf));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LeafHash)->Arg(200)->Arg(2000);

// A million-leaf tree's complete-subtree hashes stand in a map, as the store holds them.
struct Tree {
  std::map<auditlog::NodeId, std::string> nodes;
  explicit Tree(int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      for (const auto& id : auditlog::NodesCompletedBy(i)) {
        nodes[id] = id.level == 0 ? auditlog::LeafHash(absl::StrCat(i))
                                  : auditlog::NodeHash(nodes.at({id.level - 1, 2 * id.index}),
                                                       nodes.at({id.level - 1, 2 * id.index + 1}));
      }
    }
  }
  auditlog::NodeLookup Lookup() const {
    return [this](const auditlog::NodeId& id) { return nodes.at(id); };
  }
};
const Tree& Million() {
  static const Tree* t = new Tree(1 << 20);
  return *t;
}

void BM_InclusionProofAndVerify(benchmark::State& state) {
  const Tree& t = Million();
  const int64_t n = 1'000'000;
  std::string root = auditlog::RangeHash(0, n, t.Lookup());
  int64_t i = 0;
  for (auto _ : state) {
    int64_t m = (i++ * 7919) % n;
    auto proof = auditlog::InclusionProof(m, n, t.Lookup());
    benchmark::DoNotOptimize(auditlog::VerifyInclusion(t.nodes.at({0, m}), m, n, proof, root));
  }
}
BENCHMARK(BM_InclusionProofAndVerify);

void BM_ConsistencyProofAndVerify(benchmark::State& state) {
  const Tree& t = Million();
  const int64_t n = 1'000'000;
  std::string root = auditlog::RangeHash(0, n, t.Lookup());
  int64_t i = 0;
  for (auto _ : state) {
    int64_t m = 1 + (i++ * 7919) % (n - 1);
    auto proof = auditlog::ConsistencyProof(m, n, t.Lookup());
    benchmark::DoNotOptimize(
        auditlog::VerifyConsistency(m, n, auditlog::RangeHash(0, m, t.Lookup()), root, proof));
  }
}
BENCHMARK(BM_ConsistencyProofAndVerify);

void BM_JwtVerifyHs256(benchmark::State& state) {
  common::JwtConfig config;
  config.issuer = "tuopin-local";
  config.audience = "tuopin";
  config.hs256_secret = "micro-bench-secret-0123456789abcdef0123";
  auto verifier = std::move(*common::JwtVerifier::Create(config));
  common::JwtClaims c;
  c.subject = "official-1";
  c.roles = {"county_official"};
  c.regions = {"520221"};
  c.issuer = "tuopin-local";
  c.audience = "tuopin";
  c.issued_at = absl::Now();
  c.expires = absl::Now() + absl::Hours(1);
  std::string token = common::SignJwtHs256(c, config.hs256_secret);
  absl::Time now = absl::Now();
  for (auto _ : state) benchmark::DoNotOptimize(verifier->Verify(token, now));
}
BENCHMARK(BM_JwtVerifyHs256);

void BM_PageTokenRoundTrip(benchmark::State& state) {
  common::PageTokenCodec codec("micro-bench-page-token-key-0123456789");
  personnel::v1::ListHouseholdsRequest req;
  req.set_region_code("520221");
  for (auto _ : state) {
    std::string token = codec.Encode(req, {"520221104001", "01a21d83b86a768ba8f2c6cc3d52fd94"});
    benchmark::DoNotOptimize(codec.Decode(req, token));
  }
}
BENCHMARK(BM_PageTokenRoundTrip);

personnel::v1::CreateHouseholdRequest HouseholdRequest() {
  personnel::v1::CreateHouseholdRequest r;
  r.set_request_id("req-0001");
  r.mutable_household()->set_village_code("520221104001");
  r.mutable_household()->set_head_name("Long Xiuying 龙秀英");
  r.mutable_household()->set_member_count(5);
  r.mutable_household()->set_status(personnel::v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  return r;
}

funds::v1::CreateTransfersRequest Transfers100() {
  funds::v1::CreateTransfersRequest r;
  r.set_request_id("req-0001");
  for (int i = 0; i < 100; ++i) {
    auto* t = r.add_transfers();
    t->set_id(absl::StrCat("t-", i));
    t->set_debit_account_id("01a21d83b86a768ba8f2c6cc3d52fd94");
    t->set_credit_account_id("01a21d83b86a768ba8f2c6cc3d52fd95");
    t->set_amount_fen(12345);
    t->set_kind(funds::v1::TRANSFER_KIND_ALLOCATION);
    t->set_memo("东西部协作资金 counterpart aid");
  }
  return r;
}

void BM_ValidateCreateHousehold(benchmark::State& state) {
  auto r = HouseholdRequest();
  for (auto _ : state) benchmark::DoNotOptimize(common::ValidateRequest(r, &personnel::Validate));
}
BENCHMARK(BM_ValidateCreateHousehold);

void BM_ValidateCreateTransfers100(benchmark::State& state) {
  auto r = Transfers100();
  for (auto _ : state) benchmark::DoNotOptimize(common::ValidateRequest(r, &funds::Validate));
}
BENCHMARK(BM_ValidateCreateTransfers100);

// The gateway's scan of a request's wire form for strings that are not UTF-8.
void BM_Utf8ScanCreateHousehold(benchmark::State& state) {
  auto r = HouseholdRequest();
  std::string wire = r.SerializeAsString();
  for (auto _ : state) benchmark::DoNotOptimize(common::FindInvalidUtf8(r.GetDescriptor(), wire));
}
BENCHMARK(BM_Utf8ScanCreateHousehold);

void BM_Utf8ScanCreateTransfers100(benchmark::State& state) {
  auto r = Transfers100();
  std::string wire = r.SerializeAsString();
  for (auto _ : state) benchmark::DoNotOptimize(common::FindInvalidUtf8(r.GetDescriptor(), wire));
}
BENCHMARK(BM_Utf8ScanCreateTransfers100);

}  // namespace

BENCHMARK_MAIN();
