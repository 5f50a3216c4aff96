#include "common/pii_crypto.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/config.h"
#include "common/crypto.h"

namespace tuopin::common {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* U(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// The associated data of a row's data key and of its field `i`: bound to the row, and
// each field to its place, so nothing decrypts anywhere else.
std::string KeyAad(absl::string_view row_id) { return absl::StrCat("dek\x1f", row_id); }
std::string FieldAad(absl::string_view row_id, size_t i) {
  return absl::StrCat("field\x1f", row_id, "\x1f", i);
}

bool ValidKeyId(absl::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

std::string Mask(absl::string_view v, size_t head, size_t tail) {
  if (v.size() <= head + tail) return std::string(v.size(), '*');
  return absl::StrCat(v.substr(0, head), std::string(v.size() - head - tail, '*'),
                      v.substr(v.size() - tail));
}

}  // namespace

std::string AesGcmSeal(absl::string_view key, absl::string_view plaintext, absl::string_view aad) {
  std::string out = RandomBytes(kNonceBytes);
  out.resize(kNonceBytes + plaintext.size() + kTagBytes);
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  int total = 0;
  bool ok =
      ctx != nullptr && key.size() == kKeyBytes &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key), dst) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), dst + kNonceBytes, &len, U(plaintext),
                        static_cast<int>(plaintext.size())) == 1 &&
      (total = len, EVP_EncryptFinal_ex(ctx.get(), dst + kNonceBytes + total, &len) == 1) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          dst + kNonceBytes + plaintext.size()) == 1;
  // Only a programming error (a key of the wrong size) or an exhausted process gets here.
  if (!ok) std::abort();
  return out;
}

absl::StatusOr<std::string> AesGcmOpen(absl::string_view key, absl::string_view sealed,
                                       absl::string_view aad) {
  absl::Status refused = absl::DataLossError("personal data does not decrypt");
  if (key.size() != kKeyBytes || sealed.size() < kNonceBytes + kTagBytes) return refused;
  size_t n = sealed.size() - kNonceBytes - kTagBytes;
  std::string plain(n, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(plain.data());
  std::string tag(sealed.substr(kNonceBytes + n));
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key), U(sealed)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), dst, &len, U(sealed) + kNonceBytes, static_cast<int>(n)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), dst + len, &len) == 1;
  if (!ok) return refused;
  return plain;
}

absl::StatusOr<PiiKeyRing> PiiKeyRing::Parse(absl::string_view text) {
  PiiKeyRing ring;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": ", why));
    };
    if (parts.size() != 2) return bad("expected \"<key id> <64 hex digits>\"");
    if (!ValidKeyId(parts[0])) return bad("the key id must be 1-32 of [A-Za-z0-9._-]");
    if (ring.Find(parts[0]) != nullptr) return bad("the key id is used twice");
    std::optional<std::string> key = HexDecode(absl::AsciiStrToLower(parts[1]));
    if (parts[1].size() != 2 * kKeyBytes || !key.has_value()) {
      return bad("the key must be 64 hex digits (32 random bytes)");
    }
    if (absl::Status st = CheckKey(*key, kKeyBytes); !st.ok()) return bad("the key is not random");
    ring.keys_.emplace_back(std::string(parts[0]), *std::move(key));
  }
  if (ring.keys_.empty()) return absl::InvalidArgumentError("no key");
  ring.pseudonym_key_ = HmacSha256(ring.keys_.front().second, "tuopin pii digest v1");
  return ring;
}

absl::StatusOr<PiiKeyRing> PiiKeyRing::FromFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<PiiKeyRing> ring = Parse(*text);
  if (!ring.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", ring.status().message()));
  }
  return ring;
}

const std::string* PiiKeyRing::Find(absl::string_view id) const {
  for (const auto& [key_id, key] : keys_) {
    if (key_id == id) return &key;
  }
  return nullptr;
}

std::string PiiKeyRing::Pseudonym(absl::string_view value) const {
  return HexEncode(HmacSha256(pseudonym_key_, value));
}

SealedRow PiiKeyRing::Seal(absl::string_view row_id, const std::vector<std::string>& fields) const {
  std::string data_key = RandomBytes(kKeyBytes);
  SealedRow row;
  row.key_id = keys_.back().first;
  row.wrapped_key = AesGcmSeal(keys_.back().second, data_key, KeyAad(row_id));
  row.fields.reserve(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    row.fields.push_back(AesGcmSeal(data_key, fields[i], FieldAad(row_id, i)));
  }
  return row;
}

absl::StatusOr<std::vector<std::string>> PiiKeyRing::Open(absl::string_view row_id,
                                                          const SealedRow& row) const {
  const std::string* kek = Find(row.key_id);
  if (kek == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("personal data key ", row.key_id, " is not in the key file"));
  }
  absl::StatusOr<std::string> data_key = AesGcmOpen(*kek, row.wrapped_key, KeyAad(row_id));
  if (!data_key.ok()) return data_key.status();
  std::vector<std::string> fields;
  fields.reserve(row.fields.size());
  for (size_t i = 0; i < row.fields.size(); ++i) {
    absl::StatusOr<std::string> f = AesGcmOpen(*data_key, row.fields[i], FieldAad(row_id, i));
    if (!f.ok()) return f.status();
    fields.push_back(*std::move(f));
  }
  return fields;
}

std::string MaskIdCardNumber(absl::string_view id) { return Mask(id, 0, 2); }
std::string MaskPhone(absl::string_view phone) { return Mask(phone, 0, 4); }

}  // namespace tuopin::common
