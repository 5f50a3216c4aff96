#pragma once
// Envelope encryption of personal data at rest (id-card numbers, phones). A key-encryption
// key (KEK) comes from the service's key file; each row gets a fresh random data key that
// encrypts the row's fields and is itself stored wrapped under the KEK, beside the id of
// the KEK. Everything is AES-256-GCM with the row's id as associated data, so a ciphertext
// copied to another row (or another field) does not decrypt. Rotation: a new KEK is
// appended to the key file; rows keep the id of the KEK that wrapped their data key, so
// older rows still read, and every row written from then on uses the new key.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tuopin::common {

// AES-256-GCM with a random 96-bit nonce: returns nonce || ciphertext || tag. `key` is 32
// bytes.
std::string AesGcmSeal(absl::string_view key, absl::string_view plaintext, absl::string_view aad);
// The inverse; DATA_LOSS when the key, the associated data or the bytes do not match
// (the message never holds the plaintext or the key).
absl::StatusOr<std::string> AesGcmOpen(absl::string_view key, absl::string_view sealed,
                                       absl::string_view aad);

// One row's encrypted fields, as stored.
struct SealedRow {
  // The id of the KEK that wrapped the data key.
  std::string key_id;
  // The data key sealed under that KEK.
  std::string wrapped_key;
  // Each field sealed under the data key (same order as given).
  std::vector<std::string> fields;
};

class PiiKeyRing {
 public:
  // Parses a key file: lines "<key id> <64 hex digits>" (ids of 1-32 characters of
  // [A-Za-z0-9._-], unique; blank lines and lines starting with '#' skipped). The last key
  // is the current one. INVALID_ARGUMENT naming the line (never the key) otherwise.
  static absl::StatusOr<PiiKeyRing> Parse(absl::string_view text);
  static absl::StatusOr<PiiKeyRing> FromFile(const std::string& path);

  const std::string& current_key_id() const { return keys_.back().first; }

  // A keyed digest (64 hex digits) of a personal value, standing for it wherever a digest of
  // a whole request is kept outside personnel's sealed rows (idempotency records, audit
  // events): without this key, a digest of a request whose other fields are known no longer
  // gives the value back by trying its few candidates. The key is HMAC-SHA256(the ring's
  // first key, "tuopin pii digest v1"), so it stays the same across rotations (which append).
  std::string Pseudonym(absl::string_view value) const;

  // Seals `fields` of the row `row_id` under a fresh data key wrapped with the current KEK.
  SealedRow Seal(absl::string_view row_id, const std::vector<std::string>& fields) const;
  // Opens a row sealed by Seal under any key of the ring: NOT_FOUND for an unknown key id,
  // DATA_LOSS when anything was altered or belongs to another row.
  absl::StatusOr<std::vector<std::string>> Open(absl::string_view row_id,
                                                const SealedRow& row) const;

 private:
  const std::string* Find(absl::string_view id) const;
  std::vector<std::pair<std::string, std::string>> keys_;  // (id, 32 raw bytes)
  std::string pseudonym_key_;
};

// Masks for callers who may not read the full values: an id-card number keeps its last two
// characters ("****************3X"), a phone its last four ("*******5678"). The region
// prefix is not kept: with the birth year and sex a caller sees, it would leave a few dozen
// candidates for the number. Values too short to keep anything are masked whole.
std::string MaskIdCardNumber(absl::string_view id);
std::string MaskPhone(absl::string_view phone);

}  // namespace tuopin::common
