#include "tools/tuopinctl/households.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/export.h"
#include "common/gateway_client.h"
#include "tools/tuopinctl/rpc_command.h"
#include "tuopin/personnel/v1/personnel.grpc.pb.h"

namespace tuopin::ctl {
namespace {

namespace pv1 = tuopin::personnel::v1;

// The import's page: the contract's max_items of ImportHouseholdsRequest.rows.
constexpr int kPageRows = 1000;

constexpr char kUsage[] =
    "tuopinctl households: a register file (CSV, as `tuopinctl personnel list-households\n"
    "--view HOUSEHOLD_VIEW_FULL --format csv` writes it) imported or compared.\n"
    "\n"
    "  tuopinctl households import --file F.csv [--dry_run]\n"
    "      A dry run of the whole file first (progress on stderr, every refused row on\n"
    "      stdout: row, field, why), then, unless --dry_run, the file applied page by page\n"
    "      (1000 rows), every page. A page's request id is the file's digest, the page and a\n"
    "      nonce of this run (a retry within the run replays); a re-run is a new import, which\n"
    "      writes only rows that differ from the register (the rest are unchanged).\n"
    "      Prints created/updated/unchanged/refused. Exits 1 when rows were refused.\n"
    "  tuopinctl households diff --file F.csv --region_code R\n"
    "      Compares the file with the register of region R, writing nothing: each row SAME,\n"
    "      CHANGED (naming the fields), MISSING or REFUSED, then the households of R that no\n"
    "      row names (EXTRA). Exits 0 when identical, 1 when anything differs.\n"
    "\n"
    "Flags of both:\n"
    "  --gateway HOST:PORT    default $TUOPIN_GATEWAY or 127.0.0.1:50051\n"
    "  --token TOKEN          default $TUOPIN_TOKEN (or --token_file F)\n";

int Fail(const std::string& message) {
  std::fprintf(stderr, "tuopinctl households: %s\n", message.c_str());
  return 2;
}

struct Options {
  std::string file, region_code, gateway, token;
  bool dry_run = false;
};

// A file's households and the line each begins on.
struct RegisterFile {
  std::string digest;
  std::vector<pv1::Household> rows;
  std::vector<int> lines;
};

absl::StatusOr<RegisterFile> ReadRegisterFile(const std::string& path) {
  auto text = common::ReadFile(path);
  if (!text.ok()) return text.status();
  auto table = common::ParseExportTable(pv1::Household::descriptor(), *text);
  if (!table.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", table.status().message()));
  }
  RegisterFile file;
  file.digest = common::HexEncode(common::Sha256(*text));
  for (auto& row : *table) {
    file.rows.emplace_back().CopyFrom(*row.message);
    file.lines.push_back(row.line);
  }
  return file;
}

template <typename Request>
void FillPage(const RegisterFile& file, int first, Request& req) {
  req.set_first_row_number(first + 1);
  const int end = std::min<int>(first + kPageRows, file.rows.size());
  for (int i = first; i < end; ++i) *req.add_rows() = file.rows[i];
}

std::string Where(const RegisterFile& file, int row_number) {
  const int line = row_number >= 1 && row_number <= static_cast<int>(file.lines.size())
                       ? file.lines[row_number - 1]
                       : 0;
  return absl::StrCat("row ", row_number, " (line ", line, ")");
}

// A call retried with the same request on the failures that may not have reached the
// service: the request id makes a repeat that did reach it a replay.
template <typename Call>
grpc::Status WithRetries(Call call) {
  grpc::Status st;
  for (int attempt = 0; attempt < 3; ++attempt) {
    st = call();
    if (st.error_code() != grpc::StatusCode::UNAVAILABLE &&
        st.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED)
      break;
  }
  return st;
}

int Import(const Options& o, const RegisterFile& file, pv1::PersonnelService::Stub& stub,
           const common::GatewayClient& client) {
  const int total = file.rows.size();
  pv1::ImportHouseholdsResponse sums;
  for (int first = 0; first < total; first += kPageRows) {
    pv1::ImportHouseholdsRequest req;
    req.set_dry_run(true);
    // A dry run claims no request id, but the contract requires one.
    req.set_request_id(absl::StrCat("dry-", file.digest.substr(0, 24), "-p", first / kPageRows));
    FillPage(file, first, req);
    pv1::ImportHouseholdsResponse resp;
    grpc::Status st = WithRetries([&] {
      return stub.ImportHouseholds(client.Context(absl::Seconds(120)).get(), req, &resp);
    });
    if (!st.ok()) return PrintError(st) + 1;
    for (const auto& r : resp.results()) {
      for (const auto& v : r.violations()) {
        std::printf("REFUSED %s %s: %s\n", Where(file, r.row_number()).c_str(), v.field().c_str(),
                    v.description().c_str());
      }
    }
    sums.set_created(sums.created() + resp.created());
    sums.set_updated(sums.updated() + resp.updated());
    sums.set_unchanged(sums.unchanged() + resp.unchanged());
    sums.set_refused(sums.refused() + resp.refused());
    std::fprintf(stderr, "dry run: %d of %d rows\n", std::min(first + kPageRows, total), total);
  }
  if (o.dry_run) {
    std::printf("dry run: would create %d, update %d; unchanged %d, refused %d\n", sums.created(),
                sums.updated(), sums.unchanged(), sums.refused());
    return sums.refused() > 0 ? 1 : 0;
  }
  // Every page is applied, even one whose dry run planned no writes: the register may have
  // changed since, and a number repeated on a later page must end with that page's row. A
  // run's ids are its own: an id of an earlier run would replay that run's answer and write
  // nothing, though the register changed since. Within the run a retry of a page keeps its
  // id, so a lost answer is replayed, not applied twice; a re-run after a failure writes
  // again only the rows that differ (the import is idempotent by national number).
  const std::string nonce = common::HexEncode(common::UniqueBytes(8));
  pv1::ImportHouseholdsResponse applied;
  for (int page = 0, first = 0; first < total; ++page, first += kPageRows) {
    pv1::ImportHouseholdsResponse resp;
    pv1::ImportHouseholdsRequest req;
    FillPage(file, first, req);
    req.set_request_id(absl::StrCat("import-", file.digest.substr(0, 24), "-p", page, "-", nonce));
    grpc::Status st = WithRetries([&] {
      return stub.ImportHouseholds(client.Context(absl::Seconds(120)).get(), req, &resp);
    });
    if (!st.ok()) {
      std::fprintf(stderr, "page %d (rows %d-%d) failed; re-run the same file to resume\n",
                   page + 1, first + 1, std::min(first + kPageRows, total));
      return PrintError(st) + 1;
    }
    applied.set_created(applied.created() + resp.created());
    applied.set_updated(applied.updated() + resp.updated());
    applied.set_unchanged(applied.unchanged() + resp.unchanged());
    applied.set_refused(applied.refused() + resp.refused());
    std::fprintf(stderr, "applied: %d of %d rows\n", std::min(first + kPageRows, total), total);
  }
  std::printf("created %d, updated %d, unchanged %d, refused %d\n", applied.created(),
              applied.updated(), applied.unchanged(), applied.refused());
  return applied.refused() > 0 ? 1 : 0;
}

int Diff(const Options& o, const RegisterFile& file, pv1::PersonnelService::Stub& stub,
         const common::GatewayClient& client) {
  const int total = file.rows.size();
  pv1::DiffHouseholdsResponse sums;
  for (int first = 0; first < total; first += kPageRows) {
    pv1::DiffHouseholdsRequest req;
    req.set_region_code(o.region_code);
    FillPage(file, first, req);
    pv1::DiffHouseholdsResponse resp;
    grpc::Status st = WithRetries(
        [&] { return stub.DiffHouseholds(client.Context(absl::Seconds(120)).get(), req, &resp); });
    if (!st.ok()) return PrintError(st) + 1;
    for (const auto& r : resp.results()) {
      const std::string where = Where(file, r.row_number());
      const char* number = r.national_household_number().c_str();
      switch (r.outcome()) {
        case pv1::DIFF_OUTCOME_SAME:
          break;
        case pv1::DIFF_OUTCOME_CHANGED: {
          std::string fields;
          for (const auto& d : r.differences())
            absl::StrAppend(&fields, fields.empty() ? "" : ", ", d);
          std::printf("CHANGED %s %s household %s: %s\n", where.c_str(), number,
                      r.household_id().c_str(), fields.c_str());
          break;
        }
        case pv1::DIFF_OUTCOME_MISSING:
          std::printf("MISSING %s %s\n", where.c_str(), number);
          break;
        default:
          for (const auto& v : r.violations()) {
            std::printf("REFUSED %s %s: %s\n", where.c_str(), v.field().c_str(),
                        v.description().c_str());
          }
      }
    }
    sums.set_same(sums.same() + resp.same());
    sums.set_changed(sums.changed() + resp.changed());
    sums.set_missing(sums.missing() + resp.missing());
    sums.set_refused(sums.refused() + resp.refused());
    std::fprintf(stderr, "compared: %d of %d rows\n", std::min(first + kPageRows, total), total);
  }
  // The households of the region that no row names.
  std::set<std::string> named;
  for (const auto& row : file.rows) named.insert(row.national_household_number());
  int extra = 0;
  pv1::ListHouseholdsRequest list;
  list.set_region_code(o.region_code);
  list.set_view(pv1::HOUSEHOLD_VIEW_BASIC);
  list.set_page_size(1000);
  do {
    pv1::ListHouseholdsResponse page;
    grpc::Status st = WithRetries(
        [&] { return stub.ListHouseholds(client.Context(absl::Seconds(60)).get(), list, &page); });
    if (!st.ok()) return PrintError(st) + 1;
    for (const auto& h : page.households()) {
      if (!h.national_household_number().empty() && named.count(h.national_household_number()))
        continue;
      std::printf("EXTRA household %s %s\n", h.id().c_str(), h.national_household_number().c_str());
      ++extra;
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  std::printf("same %d, changed %d, missing %d, refused %d, extra %d\n", sums.same(),
              sums.changed(), sums.missing(), sums.refused(), extra);
  return sums.changed() + sums.missing() + sums.refused() + extra > 0 ? 1 : 0;
}

}  // namespace

int RunHouseholdsCommand(int argc, char** argv, int first) {
  if (first >= argc || std::string(argv[first]) == "--help" || std::string(argv[first]) == "-h") {
    std::fputs(kUsage, first >= argc ? stderr : stdout);
    return first >= argc ? 2 : 0;
  }
  const std::string verb = argv[first];
  if (verb != "import" && verb != "diff") return Fail(absl::StrCat("unknown command '", verb, "'"));
  Options o;
  const char* env = std::getenv("TUOPIN_GATEWAY");
  o.gateway = env ? env : "127.0.0.1:50051";
  env = std::getenv("TUOPIN_TOKEN");
  o.token = env ? env : "";
  for (int i = first + 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--dry_run" && verb == "import") {
      o.dry_run = true;
      continue;
    }
    std::string name, value, error;
    if (!ReadFlag(argc, argv, i, name, value, error)) return Fail(error);
    if (name == "file") {
      o.file = value;
    } else if (name == "region_code" && verb == "diff") {
      o.region_code = value;
    } else if (name == "gateway") {
      o.gateway = value;
    } else if (name == "token") {
      o.token = value;
    } else if (name == "token_file") {
      auto t = common::ReadSecretFile(value);
      if (!t.ok()) return Fail(std::string(t.status().message()));
      o.token = *t;
    } else {
      return Fail(absl::StrCat("unknown flag --", name, " (see --help)"));
    }
  }
  if (o.file.empty()) return Fail("--file is required");
  if (verb == "diff" && o.region_code.empty()) return Fail("--region_code is required");
  if (o.token.empty())
    return Fail("no token: set --token, --token_file or TUOPIN_TOKEN (see 'tuopinctl token mint')");
  auto file = ReadRegisterFile(o.file);
  if (!file.ok()) return Fail(std::string(file.status().message()));
  if (file->rows.empty()) return Fail(absl::StrCat(o.file, ": the file has no rows"));
  common::GatewayClient client(o.gateway, o.token);
  auto stub = pv1::PersonnelService::NewStub(client.channel());
  return verb == "import" ? Import(o, *file, *stub, client) : Diff(o, *file, *stub, client);
}

}  // namespace tuopin::ctl
