#pragma once
// Hashing and encoding helpers over OpenSSL, shared by tokens, idempotency and the log.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace tuopin::common {

// Raw 32-byte SHA-256 digest.
std::string Sha256(absl::string_view data);
// Raw 32-byte HMAC-SHA256.
std::string HmacSha256(absl::string_view key, absl::string_view data);
// Constant-time comparison of two byte strings.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

std::string HexEncode(absl::string_view bytes);
std::optional<std::string> HexDecode(absl::string_view hex);

// RFC 4648 base64 (standard alphabet, padded) and base64url (unpadded).
std::string Base64Encode(absl::string_view bytes);
std::optional<std::string> Base64Decode(absl::string_view text);
std::string Base64UrlEncode(absl::string_view bytes);
std::optional<std::string> Base64UrlDecode(absl::string_view text);

// Cryptographically secure random bytes (keys, secrets).
std::string RandomBytes(size_t n);

// Random bytes for identifiers that must not collide but need not stay secret (request
// and entity ids): a per-thread generator seeded from the OS, so an id costs no lock and
// no system call (OpenSSL's RAND_bytes takes a lock and calls getpid on each use).
std::string UniqueBytes(size_t n);

}  // namespace tuopin::common
