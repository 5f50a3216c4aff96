// libFuzzer target: the proof verifiers and the checkpoint note parser on arbitrary
// input. Input layout: 8 bytes first index/size, 8 bytes second size, then 32-byte hashes
// (leaf or first root, root, proof...). Nothing may crash or read out of bounds.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "services/auditlog/checkpoint.h"
#include "services/auditlog/merkle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tuopin::auditlog;
  std::string note(reinterpret_cast<const char*>(data), size);
  (void)ParseCheckpointBody(note);
  (void)VerifyNote(note, "tuopin.local+6f5d1a2b+AeXn0Ff2P1Jm2y9a5qGx0n0J9sX9w2Y1nQ8f0e1a3b4c");
  if (size < 16) return 0;
  uint32_t a, b, c, d;
  std::memcpy(&a, data, 4);
  std::memcpy(&b, data + 4, 4);
  std::memcpy(&c, data + 8, 4);
  std::memcpy(&d, data + 12, 4);
  std::vector<std::string> hashes;
  for (size_t off = 16; off + 32 <= size && hashes.size() < 80; off += 32) {
    hashes.emplace_back(reinterpret_cast<const char*>(data + off), 32);
  }
  if (hashes.size() < 2) return 0;
  std::vector<std::string> proof(hashes.begin() + 2, hashes.end());
  (void)VerifyInclusion(hashes[0], a, b, proof, hashes[1]);
  (void)VerifyConsistency(c, d, hashes[0], hashes[1], proof);
  return 0;
}
