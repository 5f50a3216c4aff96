#include "services/auditlog/checkpoint.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto.h"

namespace tuopin::auditlog {
namespace {

constexpr char kSignaturePrefix[] = "\xe2\x80\x94 ";  // "— "

std::string KeyId(absl::string_view name, absl::string_view public_key) {
  return common::Sha256(absl::StrCat(name, "\n\x01", public_key)).substr(0, 4);
}

}  // namespace

std::string CheckpointBody(absl::string_view origin, int64_t tree_size,
                           absl::string_view root_hash) {
  return absl::StrCat(origin, "\n", tree_size, "\n", common::Base64Encode(root_hash), "\n");
}

std::optional<ParsedCheckpoint> ParseCheckpointBody(absl::string_view body) {
  std::vector<absl::string_view> lines = absl::StrSplit(body, '\n');
  if (lines.size() < 4 || !lines.back().empty()) return std::nullopt;
  ParsedCheckpoint c;
  c.origin = std::string(lines[0]);
  auto root = common::Base64Decode(lines[2]);
  if (c.origin.empty() || !absl::SimpleAtoi(lines[1], &c.tree_size) || c.tree_size < 0 || !root ||
      root->size() != 32) {
    return std::nullopt;
  }
  c.root_hash = *root;
  return c;
}

absl::StatusOr<std::unique_ptr<NoteSigner>> NoteSigner::FromPem(std::string name,
                                                                absl::string_view pem) {
  if (name.empty() || name.find_first_of(" +\n") != std::string::npos) {
    return absl::InvalidArgumentError("the key name must be non-empty without spaces or '+'");
  }
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    if (key) EVP_PKEY_free(key);
    return absl::InvalidArgumentError(
        "the checkpoint signing key must be an Ed25519 private key in PEM");
  }
  return std::unique_ptr<NoteSigner>(new NoteSigner(std::move(name), key));
}

NoteSigner::~NoteSigner() { EVP_PKEY_free(key_); }

std::string NoteSigner::SignNote(absl::string_view body) const {
  std::string sig(64, '\0');
  size_t len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_);
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(body.data()), body.size());
  EVP_MD_CTX_free(ctx);
  std::string pub(32, '\0');
  size_t pub_len = pub.size();
  EVP_PKEY_get_raw_public_key(key_, reinterpret_cast<unsigned char*>(pub.data()), &pub_len);
  return absl::StrCat(body, "\n", kSignaturePrefix, name_, " ",
                      common::Base64Encode(KeyId(name_, pub) + sig), "\n");
}

std::string NoteSigner::VerifierKey() const {
  std::string pub(32, '\0');
  size_t pub_len = pub.size();
  EVP_PKEY_get_raw_public_key(key_, reinterpret_cast<unsigned char*>(pub.data()), &pub_len);
  return absl::StrCat(name_, "+", common::HexEncode(KeyId(name_, pub)), "+",
                      common::Base64Encode(std::string("\x01") + pub));
}

std::optional<std::string> VerifyNote(absl::string_view note, absl::string_view verifier_key) {
  // name+keyid+key: the base64 key may itself contain '+'.
  std::vector<std::string> vk = absl::StrSplit(verifier_key, absl::MaxSplits('+', 2));
  if (vk.size() != 3) return std::nullopt;
  auto key_bytes = common::Base64Decode(vk[2]);
  if (!key_bytes || key_bytes->size() != 33 || (*key_bytes)[0] != '\x01') return std::nullopt;
  std::string pub = key_bytes->substr(1);
  std::string id = KeyId(vk[0], pub);
  if (common::HexEncode(id) != vk[1]) return std::nullopt;
  size_t split = note.find("\n\n");
  if (split == absl::string_view::npos) return std::nullopt;
  absl::string_view body = note.substr(0, split + 1);
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(pub.data()), pub.size());
  bool ok = false;
  for (absl::string_view line : absl::StrSplit(note.substr(split + 2), '\n', absl::SkipEmpty())) {
    std::string prefix = absl::StrCat(kSignaturePrefix, vk[0], " ");
    if (line.substr(0, prefix.size()) != prefix) continue;
    auto sig = common::Base64Decode(line.substr(prefix.size()));
    if (!sig || sig->size() != 68 || sig->substr(0, 4) != id) continue;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
         EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data() + 4), 64,
                          reinterpret_cast<const unsigned char*>(body.data()), body.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (ok) break;
  }
  EVP_PKEY_free(key);
  if (!ok) return std::nullopt;
  return std::string(body);
}

}  // namespace tuopin::auditlog
