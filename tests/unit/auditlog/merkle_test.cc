// The audit log's Merkle tree against a reference written straight from RFC 6962's
// definitions (MTH, PATH, PROOF over the list of leaves), for every tree size up to 70
// and every leaf and earlier size, plus the verifiers of RFC 9162 and tampering.

#include "services/auditlog/merkle.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "gtest/gtest.h"

namespace tuopin::auditlog {
namespace {

using Leaves = std::vector<std::string>;

// --- RFC 6962 section 2.1, literally ---
int64_t K(int64_t n) {
  int64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
std::string Mth(const Leaves& d, int64_t lo, int64_t hi) {
  int64_t n = hi - lo;
  if (n == 0) return common::Sha256("");
  if (n == 1) return common::Sha256(std::string(1, '\0') + d[lo]);
  int64_t k = K(n);
  return common::Sha256("\x01" + Mth(d, lo, lo + k) + Mth(d, lo + k, hi));
}
Leaves RefPath(int64_t m, const Leaves& d, int64_t lo, int64_t hi) {
  int64_t n = hi - lo;
  if (n == 1) return {};
  int64_t k = K(n);
  Leaves out;
  if (m < k) {
    out = RefPath(m, d, lo, lo + k);
    out.push_back(Mth(d, lo + k, hi));
  } else {
    out = RefPath(m - k, d, lo + k, hi);
    out.push_back(Mth(d, lo, lo + k));
  }
  return out;
}
Leaves RefSubproof(int64_t m, const Leaves& d, int64_t lo, int64_t hi, bool b) {
  int64_t n = hi - lo;
  if (m == n) return b ? Leaves{} : Leaves{Mth(d, lo, hi)};
  int64_t k = K(n);
  Leaves out;
  if (m <= k) {
    out = RefSubproof(m, d, lo, lo + k, b);
    out.push_back(Mth(d, lo + k, hi));
  } else {
    out = RefSubproof(m - k, d, lo + k, hi, false);
    out.push_back(Mth(d, lo, lo + k));
  }
  return out;
}

// The stored form: complete-subtree hashes, as appends produce them.
struct Store {
  std::map<NodeId, std::string> nodes;
  void Append(int64_t index, const std::string& leaf) {
    for (const NodeId& id : NodesCompletedBy(index)) {
      nodes[id] = id.level == 0 ? LeafHash(leaf)
                                : NodeHash(nodes.at({id.level - 1, 2 * id.index}),
                                           nodes.at({id.level - 1, 2 * id.index + 1}));
    }
  }
  NodeLookup Lookup() const {
    return [this](const NodeId& id) { return nodes.at(id); };
  }
};

TEST(MerkleTest, KnownAnswers) {
  // The empty tree, and one empty leaf (the Certificate Transparency test vectors).
  EXPECT_EQ(common::HexEncode(RangeHash(0, 0, nullptr)),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(common::HexEncode(LeafHash("")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(NodesCompletedBy(6).size(), 1u);
  EXPECT_EQ(NodesCompletedBy(7).size(), 4u);  // leaf 7 completes subtrees of 2, 4 and 8
}

TEST(MerkleTest, RootsAndProofsMatchTheRfcDefinitions) {
  Leaves leaves;
  Store store;
  for (int64_t n = 1; n <= 70; ++n) {
    leaves.push_back(absl::StrCat("event-", n - 1));
    store.Append(n - 1, leaves.back());
    std::string root = RangeHash(0, n, store.Lookup());
    ASSERT_EQ(root, Mth(leaves, 0, n)) << "size " << n;
    for (int64_t m = 0; m < n; ++m) {
      auto proof = InclusionProof(m, n, store.Lookup());
      ASSERT_EQ(proof, RefPath(m, leaves, 0, n)) << "inclusion " << m << " of " << n;
      ASSERT_TRUE(VerifyInclusion(LeafHash(leaves[m]), m, n, proof, root)) << m << " of " << n;
      EXPECT_EQ(NodesForInclusion(m, n).size() <= 2 * 7 * 7, true);
    }
    for (int64_t m = 1; m <= n; ++m) {
      auto proof = ConsistencyProof(m, n, store.Lookup());
      if (m < n) {
        ASSERT_EQ(proof, RefSubproof(m, leaves, 0, n, true)) << "consistency " << m << " -> " << n;
      }
      ASSERT_TRUE(VerifyConsistency(m, n, Mth(leaves, 0, m), root, proof)) << m << " -> " << n;
    }
  }
}

TEST(MerkleTest, VerifiersRefuseAlteredInput) {
  Leaves leaves;
  Store store;
  for (int i = 0; i < 21; ++i) {
    leaves.push_back(absl::StrCat("leaf ", i));
    store.Append(i, leaves.back());
  }
  std::string root = RangeHash(0, 21, store.Lookup());
  auto proof = InclusionProof(13, 21, store.Lookup());
  EXPECT_TRUE(VerifyInclusion(LeafHash(leaves[13]), 13, 21, proof, root));
  EXPECT_FALSE(VerifyInclusion(LeafHash("leaf 13, rewritten"), 13, 21, proof, root));
  EXPECT_FALSE(VerifyInclusion(LeafHash(leaves[13]), 12, 21, proof, root));
  // (Sizes 21 and 22 give leaf 13 the same path: the signed checkpoint binds the size.)
  EXPECT_FALSE(VerifyInclusion(LeafHash(leaves[13]), 13, 14, proof, root));
  auto bad = proof;
  bad[1][0] ^= 1;
  EXPECT_FALSE(VerifyInclusion(LeafHash(leaves[13]), 13, 21, bad, root));
  bad = proof;
  bad.pop_back();
  EXPECT_FALSE(VerifyInclusion(LeafHash(leaves[13]), 13, 21, bad, root));

  auto cons = ConsistencyProof(6, 21, store.Lookup());
  std::string old_root = Mth(leaves, 0, 6);
  EXPECT_TRUE(VerifyConsistency(6, 21, old_root, root, cons));
  // A log that rewrote leaf 2 after publishing size 6 cannot prove consistency.
  Leaves rewritten = leaves;
  rewritten[2] = "leaf 2, rewritten";
  EXPECT_FALSE(VerifyConsistency(6, 21, Mth(rewritten, 0, 6), root, cons));
  EXPECT_FALSE(VerifyConsistency(6, 21, old_root, Mth(rewritten, 0, 21), cons));
  EXPECT_FALSE(VerifyConsistency(7, 21, old_root, root, cons));
  EXPECT_FALSE(VerifyConsistency(0, 21, old_root, root, cons));
}

TEST(MerkleTest, ProofsReadLogarithmicallyManyNodes) {
  // At a million leaves a proof reads a few dozen stored hashes, not the tree.
  EXPECT_LE(NodesForInclusion(123457, 1'000'000).size(), 40u);
  EXPECT_LE(NodesForConsistency(654321, 1'000'000).size(), 40u);
  EXPECT_LE(NodesForRoot(1'000'000).size(), 20u);
}

}  // namespace
}  // namespace tuopin::auditlog
