#pragma once
// JSON Web Tokens as the gateway accepts them: HS256 with a shared secret (local
// development), EdDSA (Ed25519) and RS256 with keys from a JWKS document (production).
// Checks the algorithm against an allow-list, the signature, `exp` and `nbf` (with a
// leeway), the token's lifetime against a maximum, `iss` and `aud`. Times (`exp`, `nbf`,
// `iat`) must be JSON numbers of seconds from 0 to the end of year 9999. Claims: `sub`,
// `roles` (names such as "county_official"), `regions` (region codes, "*" for all).

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace tuopin::common {

struct JwtConfig {
  std::string issuer;
  std::string audience;
  std::set<std::string> algorithms = {"HS256", "EdDSA", "RS256"};
  // Empty: HS256 tokens are refused.
  std::string hs256_secret;
  // A JWKS document ({"keys": [...]}) with OKP/Ed25519 and RSA keys, each `kid` once; may
  // be empty. Without an HS256 secret it must hold a key.
  std::string jwks_json;
  absl::Duration leeway = absl::Seconds(30);
  // The longest a token may live: exp - iat, and exp - now (so a token issued "in the
  // future" gains nothing; this one with the leeway). Longer ones are refused
  // (TOKEN_LIFETIME_TOO_LONG), so a stolen token is worth a day at most.
  absl::Duration max_lifetime = absl::Hours(24);
};

struct VerifiedToken {
  Principal principal;
  absl::Time expires;
};

class JwtVerifier {
 public:
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(JwtConfig config);
  ~JwtVerifier();
  // UNAUTHENTICATED, with a reason, for any defect.
  absl::StatusOr<VerifiedToken> Verify(absl::string_view token, absl::Time now) const;

 private:
  struct Key {
    std::string alg;  // "EdDSA" or "RS256"
    EVP_PKEY* pkey;
  };
  explicit JwtVerifier(JwtConfig config) : config_(std::move(config)) {}
  JwtConfig config_;
  std::map<std::string, Key> keys_;  // by kid
};

struct JwtClaims {
  std::string subject;
  std::vector<std::string> roles;
  std::vector<std::string> regions;
  std::string issuer;
  std::string audience;
  absl::Time issued_at;
  absl::Time expires;
  std::optional<absl::Time> not_before;
};

// Signing, for tuopinctl's development tokens and for tests.
std::string SignJwtHs256(const JwtClaims& claims, absl::string_view secret);
// `private_key_pem` is an Ed25519 (alg EdDSA) or RSA (alg RS256) private key in PEM.
absl::StatusOr<std::string> SignJwt(const JwtClaims& claims, absl::string_view alg,
                                    absl::string_view kid, absl::string_view private_key_pem);
// Encodes arbitrary header and payload JSON with a given signature (tests of malformed
// tokens).
std::string AssembleJwt(absl::string_view header_json, absl::string_view payload_json,
                        absl::string_view signature);

}  // namespace tuopin::common
