// libFuzzer target: the gateway's JWT verifier on arbitrary tokens. It must never crash,
// and it must never accept a token not signed with the configured secret: the only
// accepted inputs are the well-formed tokens the seed corpus carries. An accepted token
// never outlives the maximum lifetime (24 h, plus the 30 s leeway).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/jwt.h"

namespace {
const tuopin::common::JwtVerifier& Verifier() {
  static const auto* v = [] {
    tuopin::common::JwtConfig c;
    c.issuer = "tuopin-local";
    c.audience = "tuopin";
    c.hs256_secret = "fuzz-hs256-secret-0123456789abcdef0123";
    return tuopin::common::JwtVerifier::Create(c)->release();
  }();
  return *v;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string token(reinterpret_cast<const char*>(data), size);
  const absl::Time now = absl::FromUnixSeconds(1536112800);
  auto result = Verifier().Verify(token, now);
  if (result.ok() && result->principal.subject().empty()) std::abort();  // accepted means a subject
  if (result.ok() && result->expires > now + absl::Hours(24) + absl::Seconds(30)) std::abort();
  return 0;
}
