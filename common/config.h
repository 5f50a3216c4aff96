#pragma once
// Flags with environment overrides: every flag --foo_bar can also be set as
// TUOPIN_FOO_BAR; the command line wins over the environment.

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tuopin::common {

// Parses the environment, then the command line. Exits with status 2 and a clear
// message on an unknown flag or a value that does not parse. Returns positional args.
std::vector<char*> ParseFlags(int argc, char** argv, const char* usage);

// The environment variable that overrides a flag: "db_dsn" -> "TUOPIN_DB_DSN".
std::string EnvNameForFlag(const std::string& flag_name);

// Reads a secret (a key, a password) from a file, without its trailing newline.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

// Reads a whole file.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace tuopin::common
