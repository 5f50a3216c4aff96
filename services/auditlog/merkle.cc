#include "services/auditlog/merkle.h"

#include "absl/strings/str_cat.h"
#include "common/crypto.h"

namespace tuopin::auditlog {
namespace {

int64_t LargestPowerOfTwoBelow(int64_t n) {  // n > 1
  int64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// The perfect subtrees of [begin, end), largest first.
std::vector<NodeId> RangeNodes(int64_t begin, int64_t end) {
  std::vector<NodeId> out;
  int64_t size = end - begin;
  for (int level = 62; level >= 0; --level) {
    int64_t width = int64_t{1} << level;
    if (size & width) {
      out.push_back({level, begin >> level});
      begin += width;
    }
  }
  return out;
}

void Path(int64_t m, int64_t lo, int64_t hi, const NodeLookup& lookup,
          std::vector<std::string>& out) {
  int64_t n = hi - lo;
  if (n <= 1) return;
  int64_t k = LargestPowerOfTwoBelow(n);
  if (m < lo + k) {
    Path(m, lo, lo + k, lookup, out);
    out.push_back(RangeHash(lo + k, hi, lookup));
  } else {
    Path(m, lo + k, hi, lookup, out);
    out.push_back(RangeHash(lo, lo + k, lookup));
  }
}

void SubProof(int64_t m, int64_t lo, int64_t hi, bool b, const NodeLookup& lookup,
              std::vector<std::string>& out) {
  int64_t n = hi - lo;
  if (m == n) {
    if (!b) out.push_back(RangeHash(lo, hi, lookup));
    return;
  }
  int64_t k = LargestPowerOfTwoBelow(n);
  if (m <= k) {
    SubProof(m, lo, lo + k, b, lookup, out);
    out.push_back(RangeHash(lo + k, hi, lookup));
  } else {
    SubProof(m - k, lo + k, hi, false, lookup, out);
    out.push_back(RangeHash(lo, lo + k, lookup));
  }
}

// Runs a computation with a lookup that records what it reads and answers zeros.
std::set<NodeId> Record(const std::function<void(const NodeLookup&)>& run) {
  std::set<NodeId> ids;
  run([&](const NodeId& id) {
    ids.insert(id);
    return std::string(32, '\0');
  });
  return ids;
}

}  // namespace

std::string LeafHash(absl::string_view leaf) {
  return common::Sha256(absl::StrCat(std::string(1, '\0'), leaf));
}

std::string NodeHash(absl::string_view left, absl::string_view right) {
  return common::Sha256(absl::StrCat("\x01", left, right));
}

std::vector<NodeId> NodesCompletedBy(int64_t index) {
  std::vector<NodeId> out = {{0, index}};
  for (int level = 1; level < 63 && ((index + 1) % (int64_t{1} << level)) == 0; ++level) {
    out.push_back({level, index >> level});
  }
  return out;
}

std::string RangeHash(int64_t begin, int64_t end, const NodeLookup& lookup) {
  if (end <= begin) return common::Sha256("");  // the empty tree
  std::vector<NodeId> nodes = RangeNodes(begin, end);
  std::string hash = lookup(nodes.back());
  for (int i = static_cast<int>(nodes.size()) - 2; i >= 0; --i)
    hash = NodeHash(lookup(nodes[i]), hash);
  return hash;
}

std::vector<std::string> InclusionProof(int64_t leaf_index, int64_t tree_size,
                                        const NodeLookup& lookup) {
  std::vector<std::string> out;
  Path(leaf_index, 0, tree_size, lookup, out);
  return out;
}

std::vector<std::string> ConsistencyProof(int64_t first_size, int64_t second_size,
                                          const NodeLookup& lookup) {
  std::vector<std::string> out;
  if (first_size > 0 && first_size < second_size)
    SubProof(first_size, 0, second_size, true, lookup, out);
  return out;
}

std::set<NodeId> NodesForRoot(int64_t tree_size) {
  return Record([&](const NodeLookup& l) { RangeHash(0, tree_size, l); });
}
std::set<NodeId> NodesForInclusion(int64_t leaf_index, int64_t tree_size) {
  return Record([&](const NodeLookup& l) { InclusionProof(leaf_index, tree_size, l); });
}
std::set<NodeId> NodesForConsistency(int64_t first_size, int64_t second_size) {
  return Record([&](const NodeLookup& l) { ConsistencyProof(first_size, second_size, l); });
}

bool VerifyInclusion(absl::string_view leaf_hash, int64_t leaf_index, int64_t tree_size,
                     const std::vector<std::string>& proof, absl::string_view root) {
  if (leaf_index < 0 || leaf_index >= tree_size) return false;
  uint64_t fn = leaf_index, sn = tree_size - 1;
  std::string r(leaf_hash);
  for (const auto& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = NodeHash(p, r);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(int64_t first_size, int64_t second_size, absl::string_view first_root,
                       absl::string_view second_root, const std::vector<std::string>& proof) {
  if (first_size < 1 || first_size > second_size) return false;
  if (first_size == second_size) return proof.empty() && first_root == second_root;
  std::vector<std::string> path = proof;
  if ((first_size & (first_size - 1)) == 0) path.insert(path.begin(), std::string(first_root));
  if (path.empty()) return false;
  uint64_t fn = first_size - 1, sn = second_size - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  std::string fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const std::string& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == first_root && sr == second_root && sn == 0;
}

}  // namespace tuopin::auditlog
