// Credentials (issue 18). The JWT verifier's edges: times that are not finite numbers of
// seconds in range are malformed rather than cast; a token may not live longer than the
// configured maximum (exp - iat, and exp - now); a JWKS naming one kid twice is refused at
// load. The other side of short lifetimes: a service picks up its re-minted token. And a
// secret that is a template's placeholder, or a key that is not random, is refused.

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/gateway_client.h"
#include "common/jwt.h"
#include "common/status.h"
#include "gtest/gtest.h"

namespace tuopin::common {
namespace {

constexpr char kSecret[] = "jwt-unit-test-secret-0123456789abcdef";
const absl::Time kNow = absl::FromUnixSeconds(1536112800);  // 2018-09-05

std::unique_ptr<JwtVerifier> Verifier(absl::Duration max_lifetime = absl::Hours(24)) {
  JwtConfig c;
  c.issuer = "tuopin-local";
  c.audience = "tuopin";
  c.hs256_secret = kSecret;
  c.max_lifetime = max_lifetime;
  auto v = JwtVerifier::Create(c);
  EXPECT_TRUE(v.ok()) << v.status();
  return std::move(*v);
}

// An HS256 token over a payload written by hand: `times` is spliced into the claims as is.
std::string Token(const std::string& times) {
  std::string payload = absl::StrCat(
      R"({"sub":"finance-shuicheng","iss":"tuopin-local","aud":"tuopin","roles":["admin"],)",
      R"("regions":["*"],)", times, "}");
  std::string input = absl::StrCat(Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})"), ".",
                                   Base64UrlEncode(payload));
  return absl::StrCat(input, ".", Base64UrlEncode(HmacSha256(kSecret, input)));
}

std::string Reason(const absl::StatusOr<VerifiedToken>& v) {
  return v.ok() ? "OK" : ReasonOf(ToGrpcStatus(v.status()));
}

int64_t Now(int64_t plus = 0) { return absl::ToUnixSeconds(kNow) + plus; }

TEST(JwtTimesTest, OutOfRangeTimesAreMalformedNotCast) {
  auto v = Verifier();
  const std::string good = absl::StrCat(R"("iat":)", Now(), R"(,"exp":)", Now(3600));
  ASSERT_EQ(Reason(v->Verify(Token(good), kNow)), "OK");
  // A fraction of a second is still a NumericDate.
  EXPECT_EQ(Reason(v->Verify(Token(absl::StrCat(R"("exp":)", Now(60), ".5")), kNow)), "OK");
  for (const std::string& times : {
           std::string(R"("exp":1e300)"),
           std::string(R"("exp":-1)"),
           std::string(R"("exp":1e400)"),
           std::string(R"("exp":NaN)"),
           std::string(R"("exp":"Infinity")"),
           std::string(R"("exp":null)"),
           absl::StrCat(R"("exp":")", Now(3600), R"(")"),
           std::string(R"("exp":253402300800)"),  // the first second of year 10000
           absl::StrCat(R"("exp":)", Now(3600), R"(,"nbf":1e300)"),
           absl::StrCat(R"("exp":)", Now(3600), R"(,"nbf":-1e300)"),
           // A string nbf was ignored: a token "not valid before 2100" was valid at once.
           absl::StrCat(R"("exp":)", Now(3600), R"(,"nbf":"4102444800")"),
           absl::StrCat(R"("exp":)", Now(3600), R"(,"iat":-5)"),
           absl::StrCat(R"("exp":)", Now(3600), R"(,"iat":1e19)"),
           absl::StrCat(R"("exp":)", Now(3600), R"(,"iat":{"seconds":1})"),
       }) {
    auto r = v->Verify(Token(times), kNow);
    EXPECT_EQ(Reason(r), "MALFORMED_TOKEN") << times;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << times;
    }
  }
}

TEST(JwtLifetimeTest, TokensLivingLongerThanTheMaximumAreRefused) {
  auto v = Verifier();  // 24 h
  auto reason = [&](const std::string& times) { return Reason(v->Verify(Token(times), kNow)); };
  // What tuopinctl mints with --ttl 24h: iat now, exp a day later.
  EXPECT_EQ(reason(absl::StrCat(R"("iat":)", Now(), R"(,"exp":)", Now(86400))), "OK");
  EXPECT_EQ(reason(absl::StrCat(R"("iat":)", Now(), R"(,"exp":)", Now(86401))),
            "TOKEN_LIFETIME_TOO_LONG");
  // Issued a year ago for two years: exp - iat, though only a year is left.
  EXPECT_EQ(reason(absl::StrCat(R"("iat":)", Now(-365 * 86400), R"(,"exp":)", Now(365 * 86400))),
            "TOKEN_LIFETIME_TOO_LONG");
  // No iat: what is left of it counts (with the leeway for the issuer's clock).
  EXPECT_EQ(reason(absl::StrCat(R"("exp":)", Now(86400 + 30))), "OK");
  EXPECT_EQ(reason(absl::StrCat(R"("exp":)", Now(86400 + 31))), "TOKEN_LIFETIME_TOO_LONG");
  EXPECT_EQ(reason(R"("exp":253402300799)"), "TOKEN_LIFETIME_TOO_LONG");
  // An iat in the future buys nothing: exp - now counts too.
  EXPECT_EQ(reason(absl::StrCat(R"("iat":)", Now(10 * 365 * 86400), R"(,"exp":)",
                                Now(10 * 365 * 86400 + 3600))),
            "TOKEN_LIFETIME_TOO_LONG");
  // The maximum is the deployment's: 30 days accepts what 24 h refuses.
  auto month = Verifier(absl::Hours(24 * 30));
  EXPECT_EQ(Reason(month->Verify(
                Token(absl::StrCat(R"("iat":)", Now(), R"(,"exp":)", Now(720 * 3600))), kNow)),
            "OK");
  JwtConfig none;
  none.audience = "tuopin";
  none.hs256_secret = kSecret;
  none.max_lifetime = absl::ZeroDuration();
  EXPECT_FALSE(JwtVerifier::Create(none).ok());
}

std::string OkpKey(const std::string& kid, char fill) {
  return absl::StrCat(R"({"kty":"OKP","crv":"Ed25519","kid":")", kid, R"(","x":")",
                      Base64UrlEncode(std::string(32, fill)), R"("})");
}

TEST(JwksTest, ADuplicateKidIsRefusedAtLoad) {
  JwtConfig c;
  c.audience = "tuopin";
  c.jwks_json = absl::StrCat(R"({"keys":[)", OkpKey("idp-1", 'a'), ",", OkpKey("idp-2", 'b'), "]}");
  EXPECT_TRUE(JwtVerifier::Create(c).ok());
  // The second key would silently have replaced the first.
  c.jwks_json = absl::StrCat(R"({"keys":[)", OkpKey("idp-1", 'a'), ",", OkpKey("idp-1", 'b'), "]}");
  auto v = JwtVerifier::Create(c);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("idp-1 appears twice"), std::string::npos) << v.status();
  // No key at all and no HS256 secret (the production template's '{"keys": []}'): nothing
  // could be verified, refused at load; beside an HS256 secret it is allowed.
  c.jwks_json = R"({"keys": []})";
  EXPECT_FALSE(JwtVerifier::Create(c).ok());
  c.hs256_secret = kSecret;
  EXPECT_TRUE(JwtVerifier::Create(c).ok());
}

TEST(ServiceTokenTest, ARotatedTokenFileIsPickedUpWithoutARestart) {
  std::string path = ::testing::TempDir() + "/service-token-rotation.jwt";
  auto write = [&](const std::string& token) { std::ofstream(path, std::ios::trunc) << token; };
  write("token-1\n");
  GatewayClient client("127.0.0.1:1", "token-1");
  EXPECT_EQ(client.Token(), "token-1");
  client.WatchTokenFile(path, absl::ZeroDuration());
  write("token-2\n");
  EXPECT_EQ(client.Token(), "token-2");
  // An empty or missing file (a Secret being swapped) keeps the last good token.
  write("");
  EXPECT_EQ(client.Token(), "token-2");
  std::remove(path.c_str());
  EXPECT_EQ(client.Token(), "token-2");
  // Not watched: the token given at start, whatever the file says.
  write("token-3");
  GatewayClient fixed("127.0.0.1:1", "token-1");
  EXPECT_EQ(fixed.Token(), "token-1");
  std::remove(path.c_str());
}

TEST(SecretsTest, PlaceholdersAndHandMadeKeysAreRefused) {
  // The production template's placeholders, as an operator might leave them.
  for (const char* placeholder :
       {"REPLACE-WITH-48-RANDOM-BYTES-BASE64", "REPLACE-WITH-THE-SERVICE-JWT",
        "mysql://tuopin_funds:REPLACE@mysql.example.internal:3306/tuopin_funds?pool=16",
        "changeme-changeme-changeme-changeme", "a-placeholder-key-for-the-internal-key"}) {
    EXPECT_FALSE(CheckNotPlaceholder(placeholder).ok()) << placeholder;
    EXPECT_FALSE(CheckKey(placeholder, 32).ok()) << placeholder;
  }
  for (const std::string& weak :
       {std::string(48, 'a'), std::string(64, '0'), std::string("0123456789abcdef0123456789abcdef"),
        std::string("secretsecretsecretsecretsecretsecret"),
        std::string("ab") + std::string(40, 'x')}) {
    EXPECT_FALSE(CheckKey(weak, 32).ok()) << weak;
  }
  EXPECT_FALSE(CheckKey("short-but-random-9f3k", 32).ok());
  // Real keys: random bytes as base64 or hex, and the test suites' own.
  for (int i = 0; i < 200; ++i) {
    std::string bytes = RandomBytes(32);
    EXPECT_TRUE(CheckKey(HexEncode(bytes), 32).ok()) << HexEncode(bytes);
    std::string b64 = Base64UrlEncode(RandomBytes(48));
    EXPECT_TRUE(CheckKey(b64, 32).ok()) << b64;
  }
  EXPECT_TRUE(CheckKey(kSecret, 32).ok());
  EXPECT_TRUE(CheckKey("test-internal-key-0123456789abcdef0123456789", 32).ok());
  EXPECT_TRUE(CheckNotPlaceholder("mysql://tuopin_funds:9fK2xLq@db:3306/tuopin_funds").ok());
}

}  // namespace
}  // namespace tuopin::common
