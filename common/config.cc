#include "common/config.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace tuopin::common {

std::string EnvNameForFlag(const std::string& flag_name) {
  return absl::StrCat("TUOPIN_", absl::AsciiStrToUpper(flag_name));
}

std::vector<char*> ParseFlags(int argc, char** argv, const char* usage) {
  absl::SetProgramUsageMessage(usage);
  for (auto& [name, flag] : absl::GetAllFlags()) {
    const char* value = std::getenv(EnvNameForFlag(std::string(name)).c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      std::fprintf(stderr, "%s: invalid value for %s (flag --%s): %s\n", argv[0],
                   EnvNameForFlag(std::string(name)).c_str(), std::string(name).c_str(),
                   error.c_str());
      std::exit(2);
    }
  }
  // Unknown flags are a configuration error like any other: exit 2 with the name (absl
  // itself would exit 1).
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg.size() < 3 || arg.substr(0, 2) != "--") continue;
    absl::string_view name = arg.substr(
        2, arg.find('=') == absl::string_view::npos ? absl::string_view::npos : arg.find('=') - 2);
    bool known =
        absl::FindCommandLineFlag(name) != nullptr ||
        (absl::StartsWith(name, "no") && absl::FindCommandLineFlag(name.substr(2)) != nullptr) ||
        name == "help" || name == "helpfull" || name == "helpshort" || name == "helppackage" ||
        name == "helpmatch" || name == "version" || name == "only_check_args";
    if (!known) {
      std::fprintf(stderr, "%s: unknown flag --%s (see --help)\n", argv[0],
                   std::string(name).c_str());
      std::exit(2);
    }
  }
  return absl::ParseCommandLine(argc, argv);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read file ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  auto content = ReadFile(path);
  if (!content.ok()) return content.status();
  std::string s = std::move(*content);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty())
    return absl::FailedPreconditionError(absl::StrCat("secret file ", path, " is empty"));
  return s;
}

}  // namespace tuopin::common
