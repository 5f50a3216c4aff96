#pragma once
// Flags with environment overrides: every flag --foo_bar can also be set as
// TUOPIN_FOO_BAR; the command line wins over the environment.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tuopin::common {

// Parses the environment, then the command line. Exits with status 2 and a clear
// message on an unknown flag or a value that does not parse. Returns positional args.
std::vector<char*> ParseFlags(int argc, char** argv, const char* usage);

// The environment variable that overrides a flag: "db_dsn" -> "TUOPIN_DB_DSN".
std::string EnvNameForFlag(const std::string& flag_name);

// Reads a secret (a key, a password, a DSN, a token) from a file, without its trailing
// newline. FAILED_PRECONDITION when it is empty or a template's placeholder
// (CheckNotPlaceholder): a deployment never starts on one.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

// Refuses a secret that holds a template's placeholder text, in any case: "REPLACE" (the
// production secrets template's), "CHANGEME", "CHANGE_ME", "CHANGE-ME", "PLACEHOLDER".
absl::Status CheckNotPlaceholder(absl::string_view secret);

// Refuses key material that is too short (under `min_bytes`), a placeholder, or plainly not
// random: fewer than 10 distinct bytes, or a shorter string repeated ("aaaa…",
// "0123456789abcdef0123456789abcdef"). Random keys of 32+ characters, hex or base64,
// always pass.
absl::Status CheckKey(absl::string_view key, size_t min_bytes);

// Reads a whole file.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace tuopin::common
