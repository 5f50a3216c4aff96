// libFuzzer target: the gateway's JWT verifier on arbitrary tokens. It must never crash,
// and it must never accept a token not signed with the configured secret: the only
// accepted inputs are the well-formed tokens the seed corpus carries.
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
  auto result = Verifier().Verify(token, absl::FromUnixSeconds(1536112800));
  if (result.ok() && result->principal.subject().empty()) std::abort();  // accepted means a subject
  return 0;
}
