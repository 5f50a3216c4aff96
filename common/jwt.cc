#include "common/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/audit_event.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/status.h"
#include "common/validate.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace tuopin::common {
namespace {

constexpr size_t kMaxTokenBytes = 8192;
// 9999-12-31T23:59:59Z: the last second absl and every clock downstream can represent.
constexpr double kMaxNumericDate = 253402300799.0;

absl::Status Unauthenticated(absl::string_view why, ErrorReason reason) {
  return WithReason(absl::UnauthenticatedError(absl::StrCat("invalid token: ", why)), reason);
}

std::optional<google::protobuf::Struct> ParseJson(absl::string_view json) {
  google::protobuf::Struct s;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &s).ok()) return std::nullopt;
  return s;
}

const google::protobuf::Value* Field(const google::protobuf::Struct& s, const char* name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

std::string StringField(const google::protobuf::Struct& s, const char* name) {
  const auto* v = Field(s, name);
  return v != nullptr && v->kind_case() == google::protobuf::Value::kStringValue ? v->string_value()
                                                                                 : "";
}

std::optional<std::vector<std::string>> StringList(const google::protobuf::Struct& s,
                                                   const char* name) {
  const auto* v = Field(s, name);
  if (v == nullptr) return std::vector<std::string>{};
  if (v->kind_case() != google::protobuf::Value::kListValue) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& item : v->list_value().values()) {
    if (item.kind_case() != google::protobuf::Value::kStringValue) return std::nullopt;
    out.push_back(item.string_value());
  }
  return out;
}

// A NumericDate claim into `out`, left unset when the claim is absent. Anything but a
// finite number of seconds from 0 to year 9999 (a string, null, NaN, 1e300, -1) is
// malformed: a cast of such a double to an integer is undefined.
absl::Status TimeField(const google::protobuf::Struct& s, const char* name,
                       std::optional<absl::Time>& out) {
  const auto* v = Field(s, name);
  if (v == nullptr) return absl::OkStatus();
  if (v->kind_case() != google::protobuf::Value::kNumberValue) {
    return Unauthenticated(absl::StrCat(name, " is not a number"), ErrorReason::MALFORMED_TOKEN);
  }
  double d = v->number_value();
  if (!std::isfinite(d) || d < 0 || d > kMaxNumericDate) {
    return Unauthenticated(absl::StrCat(name, " is out of range"), ErrorReason::MALFORMED_TOKEN);
  }
  out = absl::FromUnixSeconds(static_cast<int64_t>(d));
  return absl::OkStatus();
}

EVP_PKEY* Ed25519Key(const std::string& x) {
  return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                     reinterpret_cast<const unsigned char*>(x.data()), x.size());
}

EVP_PKEY* RsaKey(const std::string& n, const std::string& e) {
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), n.size(), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), e.size(), nullptr);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* pkey = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx) <= 0 ||
      EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
    pkey = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn_n);
  BN_free(bn_e);
  return pkey;
}

bool VerifySignature(EVP_PKEY* key, const EVP_MD* md, absl::string_view data,
                     absl::string_view sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string ClaimsJson(const JwtClaims& c) {
  auto list = [](const std::vector<std::string>& v) {
    std::vector<std::string> quoted;
    for (const auto& s : v) quoted.push_back(JsonQuote(s));
    return absl::StrCat("[", absl::StrJoin(quoted, ","), "]");
  };
  std::string json = absl::StrCat(
      "{\"sub\":", JsonQuote(c.subject), ",\"iss\":", JsonQuote(c.issuer),
      ",\"aud\":", JsonQuote(c.audience), ",\"iat\":", absl::ToUnixSeconds(c.issued_at),
      ",\"exp\":", absl::ToUnixSeconds(c.expires), ",\"roles\":", list(c.roles),
      ",\"regions\":", list(c.regions));
  if (c.not_before) absl::StrAppend(&json, ",\"nbf\":", absl::ToUnixSeconds(*c.not_before));
  return json + "}";
}

}  // namespace

std::string AssembleJwt(absl::string_view header_json, absl::string_view payload_json,
                        absl::string_view signature) {
  return absl::StrCat(Base64UrlEncode(header_json), ".", Base64UrlEncode(payload_json), ".",
                      Base64UrlEncode(signature));
}

std::string SignJwtHs256(const JwtClaims& claims, absl::string_view secret) {
  std::string signing_input = absl::StrCat(Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})"), ".",
                                           Base64UrlEncode(ClaimsJson(claims)));
  return absl::StrCat(signing_input, ".", Base64UrlEncode(HmacSha256(secret, signing_input)));
}

absl::StatusOr<std::string> SignJwt(const JwtClaims& claims, absl::string_view alg,
                                    absl::string_view kid, absl::string_view private_key_pem) {
  BIO* bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return absl::InvalidArgumentError("cannot read the private key");
  std::string signing_input =
      absl::StrCat(Base64UrlEncode(absl::StrCat("{\"alg\":", JsonQuote(alg),
                                                ",\"kid\":", JsonQuote(kid), ",\"typ\":\"JWT\"}")),
                   ".", Base64UrlEncode(ClaimsJson(claims)));
  const EVP_MD* md = alg == "RS256" ? EVP_sha256() : nullptr;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  bool ok = EVP_DigestSignInit(ctx, nullptr, md, nullptr, key) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len,
                           reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(signing_input.data()),
                        signing_input.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (!ok) return absl::InternalError("signing failed");
  return absl::StrCat(signing_input, ".", Base64UrlEncode(sig));
}

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(JwtConfig config) {
  if (config.audience.empty()) return absl::InvalidArgumentError("a JWT audience is required");
  for (const auto& alg : config.algorithms) {
    if (alg != "HS256" && alg != "EdDSA" && alg != "RS256") {
      return absl::InvalidArgumentError(absl::StrCat("unsupported JWT algorithm ", alg));
    }
  }
  std::unique_ptr<JwtVerifier> v(new JwtVerifier(config));
  if (v->config_.hs256_secret.size() > 0 && v->config_.hs256_secret.size() < 32) {
    return absl::InvalidArgumentError("the HS256 secret must be at least 32 bytes");
  }
  if (!config.jwks_json.empty()) {
    auto jwks = ParseJson(config.jwks_json);
    const google::protobuf::Value* keys = jwks ? Field(*jwks, "keys") : nullptr;
    if (keys == nullptr || keys->kind_case() != google::protobuf::Value::kListValue) {
      return absl::InvalidArgumentError("the JWKS document has no \"keys\" list");
    }
    for (const auto& k : keys->list_value().values()) {
      if (k.kind_case() != google::protobuf::Value::kStructValue) continue;
      const auto& s = k.struct_value();
      std::string kid = StringField(s, "kid"), kty = StringField(s, "kty");
      if (kid.empty()) return absl::InvalidArgumentError("every JWKS key needs a kid");
      Key key{"", nullptr};
      if (kty == "OKP" && StringField(s, "crv") == "Ed25519") {
        auto x = Base64UrlDecode(StringField(s, "x"));
        if (x && x->size() == 32) key = {"EdDSA", Ed25519Key(*x)};
      } else if (kty == "RSA") {
        auto n = Base64UrlDecode(StringField(s, "n")), e = Base64UrlDecode(StringField(s, "e"));
        if (n && e && n->size() >= 256) key = {"RS256", RsaKey(*n, *e)};
      }
      if (key.pkey == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("JWKS key ", kid, " is not an Ed25519 or RSA (>= 2048 bit) public key"));
      }
      // Which of two keys would verify a token must not depend on their order.
      if (!v->keys_.emplace(kid, key).second) {
        EVP_PKEY_free(key.pkey);
        return absl::InvalidArgumentError(absl::StrCat("JWKS key id ", kid, " appears twice"));
      }
    }
    if (v->keys_.empty() && v->config_.hs256_secret.empty()) {
      return absl::InvalidArgumentError(
          "the JWKS document has no keys and no HS256 secret is set: no token could be verified");
    }
  }
  if (v->config_.max_lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the maximum token lifetime must be positive");
  }
  return v;
}

JwtVerifier::~JwtVerifier() {
  for (auto& [kid, key] : keys_) EVP_PKEY_free(key.pkey);
}

absl::StatusOr<VerifiedToken> JwtVerifier::Verify(absl::string_view token, absl::Time now) const {
  if (token.empty()) return Unauthenticated("no bearer token", ErrorReason::NO_TOKEN);
  if (token.size() > kMaxTokenBytes)
    return Unauthenticated("too long", ErrorReason::MALFORMED_TOKEN);
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3)
    return Unauthenticated("not a JWS compact token", ErrorReason::MALFORMED_TOKEN);
  auto header_json = Base64UrlDecode(parts[0]);
  auto payload_json = Base64UrlDecode(parts[1]);
  auto signature = Base64UrlDecode(parts[2]);
  if (!header_json || !payload_json || !signature) {
    return Unauthenticated("bad base64url", ErrorReason::MALFORMED_TOKEN);
  }
  auto header = ParseJson(*header_json);
  if (!header) return Unauthenticated("header is not JSON", ErrorReason::MALFORMED_TOKEN);
  std::string alg = StringField(*header, "alg");
  if (config_.algorithms.count(alg) == 0) {
    return Unauthenticated(absl::StrCat("algorithm '", alg, "' is not accepted"),
                           ErrorReason::ALGORITHM_NOT_ALLOWED);
  }
  absl::string_view signing_input(token.data(), parts[0].size() + 1 + parts[1].size());
  if (alg == "HS256") {
    if (config_.hs256_secret.empty()) {
      return Unauthenticated("HS256 is not configured", ErrorReason::ALGORITHM_NOT_ALLOWED);
    }
    if (!ConstantTimeEquals(HmacSha256(config_.hs256_secret, signing_input), *signature)) {
      return Unauthenticated("bad signature", ErrorReason::BAD_SIGNATURE);
    }
  } else {
    std::string kid = StringField(*header, "kid");
    auto it = keys_.find(kid);
    // The key's own algorithm must match the header's: no RS256 key used as EdDSA.
    if (it == keys_.end() || it->second.alg != alg) {
      return Unauthenticated("unknown key id for this algorithm", ErrorReason::UNKNOWN_KEY);
    }
    const EVP_MD* md = alg == "RS256" ? EVP_sha256() : nullptr;
    if (!VerifySignature(it->second.pkey, md, signing_input, *signature)) {
      return Unauthenticated("bad signature", ErrorReason::BAD_SIGNATURE);
    }
  }
  auto claims = ParseJson(*payload_json);
  if (!claims) return Unauthenticated("payload is not JSON", ErrorReason::MALFORMED_TOKEN);
  std::optional<absl::Time> exp, nbf, iat;
  TUOPIN_RETURN_IF_ERROR(TimeField(*claims, "exp", exp));
  TUOPIN_RETURN_IF_ERROR(TimeField(*claims, "nbf", nbf));
  TUOPIN_RETURN_IF_ERROR(TimeField(*claims, "iat", iat));
  if (!exp) return Unauthenticated("no exp claim", ErrorReason::MALFORMED_TOKEN);
  if (now > *exp + config_.leeway) return Unauthenticated("expired", ErrorReason::TOKEN_EXPIRED);
  if (nbf && now + config_.leeway < *nbf) {
    return Unauthenticated("not valid yet (nbf)", ErrorReason::TOKEN_NOT_YET_VALID);
  }
  if (*exp - now > config_.max_lifetime + config_.leeway ||
      (iat && *exp - *iat > config_.max_lifetime)) {
    return Unauthenticated(absl::StrCat("lives longer than the maximum of ",
                                        absl::FormatDuration(config_.max_lifetime)),
                           ErrorReason::TOKEN_LIFETIME_TOO_LONG);
  }
  if (!config_.issuer.empty() && StringField(*claims, "iss") != config_.issuer) {
    return Unauthenticated("wrong issuer", ErrorReason::WRONG_ISSUER);
  }
  bool audience_ok = StringField(*claims, "aud") == config_.audience;
  if (!audience_ok) {
    auto auds = StringList(*claims, "aud");
    if (auds) {
      for (const auto& a : *auds) audience_ok |= a == config_.audience;
    }
  }
  if (!audience_ok) return Unauthenticated("wrong audience", ErrorReason::WRONG_AUDIENCE);
  std::string sub = StringField(*claims, "sub");
  // The subject is copied into every audit event the caller causes: it must be one the log
  // accepts.
  if (!IsValidSubject(sub)) {
    return Unauthenticated(
        "sub must be 1-128 bytes of UTF-8 without control characters or surrounding spaces",
        ErrorReason::MALFORMED_TOKEN);
  }
  auto roles = StringList(*claims, "roles");
  auto regions = StringList(*claims, "regions");
  if (!roles || !regions)
    return Unauthenticated("roles and regions must be lists", ErrorReason::MALFORMED_TOKEN);
  VerifiedToken out;
  out.expires = *exp;
  out.principal.set_subject(sub);
  for (const auto& r : *roles) {
    Role role = RoleFromName(r);
    if (role != tuopin::common::v1::ROLE_UNSPECIFIED) out.principal.add_roles(role);
  }
  for (const auto& r : *regions) {
    if (r != "*" && !IsRegionCode(r)) {
      return Unauthenticated(absl::StrCat("region '", r, "' is not a region code"),
                             ErrorReason::MALFORMED_TOKEN);
    }
    out.principal.add_region_scopes(r);
  }
  return out;
}

}  // namespace tuopin::common
