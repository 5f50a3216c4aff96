#pragma once
// Checkpoints of the audit log in the C2SP tlog-checkpoint format, signed as a C2SP
// signed note with Ed25519:
//
//   <origin>\n<tree size>\n<base64 root hash>\n\n— <key name> <base64(key id || signature)>\n
//
// The key id is the first 4 bytes of SHA-256(key name || "\n" || 0x01 || public key);
// the verifier key is "<name>+<hex key id>+<base64(0x01 || public key)>".

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace tuopin::auditlog {

std::string CheckpointBody(absl::string_view origin, int64_t tree_size,
                           absl::string_view root_hash);

struct ParsedCheckpoint {
  std::string origin;
  int64_t tree_size = 0;
  std::string root_hash;
};
std::optional<ParsedCheckpoint> ParseCheckpointBody(absl::string_view body);

class NoteSigner {
 public:
  // An Ed25519 private key in PEM (as `openssl genpkey -algorithm ed25519` writes it).
  static absl::StatusOr<std::unique_ptr<NoteSigner>> FromPem(std::string name,
                                                             absl::string_view pem);
  ~NoteSigner();
  std::string SignNote(absl::string_view body) const;
  std::string VerifierKey() const;

 private:
  NoteSigner(std::string name, EVP_PKEY* key) : name_(std::move(name)), key_(key) {}
  std::string name_;
  EVP_PKEY* key_;
};

// Returns the note's body when a signature line verifies under the verifier key.
std::optional<std::string> VerifyNote(absl::string_view note, absl::string_view verifier_key);

}  // namespace tuopin::auditlog
