#pragma once
// The audit log's Merkle tree, as RFC 6962 (and RFC 9162) defines it: SHA-256, leaf hash
// H(0x00 || leaf), node hash H(0x01 || left || right), and the inclusion and consistency
// proofs. The tree is stored as the hashes of its complete subtrees, so any root or proof
// reads O(log n) stored hashes and nothing is rebuilt per request.

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace tuopin::auditlog {

std::string LeafHash(absl::string_view leaf);
std::string NodeHash(absl::string_view left, absl::string_view right);

// A complete subtree: level L, index i covers leaves [i * 2^L, (i + 1) * 2^L).
struct NodeId {
  int level;
  int64_t index;
  bool operator<(const NodeId& o) const {
    return level != o.level ? level < o.level : index < o.index;
  }
  bool operator==(const NodeId& o) const { return level == o.level && index == o.index; }
};

// The complete subtrees whose hashes are stored once leaf `index` is appended:
// (0, index) and each parent the leaf completes.
std::vector<NodeId> NodesCompletedBy(int64_t index);

// Reads a stored complete-subtree hash.
using NodeLookup = std::function<std::string(const NodeId&)>;

// MTH(D[begin:end]) for a range whose start is aligned to a power of two at least as
// large as the range (every range the RFC's recursions produce is).
std::string RangeHash(int64_t begin, int64_t end, const NodeLookup& lookup);
// RFC 6962 PATH(m, D[n]) and PROOF(m, D[n]).
std::vector<std::string> InclusionProof(int64_t leaf_index, int64_t tree_size,
                                        const NodeLookup& lookup);
std::vector<std::string> ConsistencyProof(int64_t first_size, int64_t second_size,
                                          const NodeLookup& lookup);

// The stored hashes a root or proof needs, so they can be read in one query.
std::set<NodeId> NodesForRoot(int64_t tree_size);
std::set<NodeId> NodesForInclusion(int64_t leaf_index, int64_t tree_size);
std::set<NodeId> NodesForConsistency(int64_t first_size, int64_t second_size);

// RFC 9162 2.1.3.2 and 2.1.4.2.
bool VerifyInclusion(absl::string_view leaf_hash, int64_t leaf_index, int64_t tree_size,
                     const std::vector<std::string>& proof, absl::string_view root);
bool VerifyConsistency(int64_t first_size, int64_t second_size, absl::string_view first_root,
                       absl::string_view second_root, const std::vector<std::string>& proof);

}  // namespace tuopin::auditlog
