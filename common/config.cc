#include "common/config.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

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
  absl::Status real = CheckNotPlaceholder(s);
  if (!real.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("secret file ", path, ": ", real.message()));
  }
  return s;
}

absl::Status CheckNotPlaceholder(absl::string_view secret) {
  const std::string upper = absl::AsciiStrToUpper(secret);
  for (absl::string_view marker :
       {"REPLACE", "CHANGEME", "CHANGE_ME", "CHANGE-ME", "PLACEHOLDER"}) {
    if (absl::StrContains(upper, marker)) {
      return absl::FailedPreconditionError(
          absl::StrCat("holds the placeholder \"", marker, "\" of a template, not a real secret"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckKey(absl::string_view key, size_t min_bytes) {
  if (key.size() < min_bytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("the key must be at least ", min_bytes, " bytes"));
  }
  TUOPIN_RETURN_IF_ERROR(CheckNotPlaceholder(key));
  std::set<char> distinct(key.begin(), key.end());
  // The smallest period: key[i] == key[i - period] for every i.
  size_t period = 1;
  for (; period < key.size(); ++period) {
    size_t i = period;
    while (i < key.size() && key[i] == key[i - period]) ++i;
    if (i == key.size()) break;
  }
  if (distinct.size() < 10 || period <= key.size() / 2) {
    return absl::FailedPreconditionError(
        "the key is not random (too few distinct characters, or a shorter string repeated): "
        "make one with head -c 48 /dev/urandom | base64");
  }
  return absl::OkStatus();
}

}  // namespace tuopin::common
