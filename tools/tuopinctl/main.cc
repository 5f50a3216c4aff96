// tuopinctl: the operators' and auditors' command-line client of Tuopin.
//
//   tuopinctl token mint --role admin --region '*' [--subject S] [--ttl 8h]
//
// Issue 8 adds a subcommand for every public RPC and the log verifiers.

#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/config.h"
#include "common/jwt.h"

namespace {

constexpr char kUsage[] =
    "tuopinctl: the command-line client of Tuopin.\n"
    "\n"
    "Commands:\n"
    "  token mint   Mint a development token (HS256 with the local secret).\n"
    "\n"
    "Run 'tuopinctl <command> --help' for a command's flags.\n";

constexpr char kMintUsage[] =
    "tuopinctl token mint: mint an HS256 development token.\n"
    "\n"
    "Flags:\n"
    "  --role R          a role (repeatable, or comma-separated): admin, county_official,\n"
    "                    finance_officer, cadre, inspector, auditor, service\n"
    "  --region CODE     a region scope (repeatable, or comma-separated); '*' for all\n"
    "  --subject S       the token's sub (default: <first role>-dev)\n"
    "  --ttl DURATION    lifetime, e.g. 30m, 8h (default 8h)\n"
    "  --secret_file F   HS256 secret (default $TUOPIN_JWT_SECRET_FILE or .tuopin/keys/jwt-hs256.secret)\n"
    "  --issuer I        (default tuopin-local)\n"
    "  --audience A      (default tuopin)\n";

// Reads "--name value" and "--name=value" flags after the subcommand words.
struct Args {
  std::vector<std::pair<std::string, std::string>> flags;
  bool help = false;
  std::string error;

  static Args Parse(int argc, char** argv, int first) {
    Args a;
    for (int i = first; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        a.help = true;
        continue;
      }
      if (arg.rfind("--", 0) != 0) {
        a.error = absl::StrCat("unexpected argument '", arg, "'");
        return a;
      }
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        a.flags.emplace_back(arg.substr(2, eq - 2), arg.substr(eq + 1));
      } else if (i + 1 < argc) {
        a.flags.emplace_back(arg.substr(2), argv[++i]);
      } else {
        a.error = absl::StrCat("flag ", arg, " needs a value");
        return a;
      }
    }
    return a;
  }
  std::vector<std::string> All(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : flags) {
      if (k != name) continue;
      for (absl::string_view part : absl::StrSplit(v, ',', absl::SkipEmpty())) out.emplace_back(part);
    }
    return out;
  }
  std::string One(const std::string& name, const std::string& fallback) const {
    for (const auto& [k, v] : flags) {
      if (k == name) return v;
    }
    return fallback;
  }
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "tuopinctl: %s\n", message.c_str());
  return 2;
}

int TokenMint(const Args& args) {
  if (args.help) {
    std::fputs(kMintUsage, stdout);
    return 0;
  }
  const std::set<std::string> known = {"role", "region", "subject", "ttl", "secret_file", "issuer", "audience"};
  for (const auto& [k, v] : args.flags) {
    if (!known.count(k)) return Fail(absl::StrCat("unknown flag --", k, " (see --help)"));
  }
  tuopin::common::JwtClaims claims;
  claims.roles = args.All("role");
  claims.regions = args.All("region");
  if (claims.roles.empty()) return Fail("--role is required");
  for (const auto& r : claims.roles) {
    if (tuopin::common::RoleFromName(r) == tuopin::common::v1::ROLE_UNSPECIFIED) {
      return Fail(absl::StrCat("unknown role '", r, "'"));
    }
  }
  if (claims.regions.empty()) return Fail("--region is required ('*' for all)");
  claims.subject = args.One("subject", absl::StrCat(claims.roles[0], "-dev"));
  claims.issuer = args.One("issuer", "tuopin-local");
  claims.audience = args.One("audience", "tuopin");
  absl::Duration ttl;
  if (!absl::ParseDuration(args.One("ttl", "8h"), &ttl) || ttl <= absl::ZeroDuration()) {
    return Fail("--ttl must be a positive duration such as 30m or 8h");
  }
  claims.issued_at = absl::Now();
  claims.expires = claims.issued_at + ttl;
  const char* env = std::getenv("TUOPIN_JWT_SECRET_FILE");
  std::string secret_file = args.One("secret_file", env ? env : ".tuopin/keys/jwt-hs256.secret");
  auto secret = tuopin::common::ReadSecretFile(secret_file);
  if (!secret.ok()) return Fail(absl::StrCat("--secret_file: ", secret.status().message()));
  std::printf("%s\n", tuopin::common::SignJwtHs256(claims, *secret).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  if (command == "token") {
    if (argc < 3 || std::string(argv[2]) != "mint") {
      std::fputs(kMintUsage, stderr);
      return 2;
    }
    Args args = Args::Parse(argc, argv, 3);
    if (!args.error.empty()) return Fail(args.error);
    return TokenMint(args);
  }
  return Fail(absl::StrCat("unknown command '", command, "'\n\n", kUsage));
}
