// tuopinctl: the operators' and auditors' command-line client of Tuopin.
//
//   tuopinctl token mint --role admin --region '*' [--subject S] [--ttl 8h]
//   tuopinctl log verify --verifier_key KEY [--event ID]... [--since FILE] [--save FILE]
//   tuopinctl bundle verify FILE --verifier_key KEY
//   tuopinctl <service> <method> [flags]   (every public RPC; see --help)

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/audit_event.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/gateway_client.h"
#include "common/jwt.h"
#include "common/mutation.h"
#include "google/protobuf/util/json_util.h"
#include "services/auditlog/checkpoint.h"
#include "services/auditlog/merkle.h"
#include "tools/tuopinctl/households.h"
#include "tools/tuopinctl/rpc_command.h"
#include "tuopin/auditlog/v1/auditlog.grpc.pb.h"
#include "tuopin/auditquery/v1/auditquery.pb.h"

namespace {

constexpr char kUsage[] =
    "tuopinctl: the command-line client of Tuopin.\n"
    "\n"
    "Commands:\n"
    "  personnel | exit | exit-criteria | funds | tasks | accountability | assessment | log |\n"
    "  auditquery <method> [flags]\n"
    "               Call any RPC of that service ('tuopinctl personnel --help' lists them).\n"
    "  token mint   Mint a development token (HS256 with the local secret).\n"
    "  log verify   Verify the audit log: checkpoint signature, inclusion, consistency.\n"
    "  log digest   The keyed digest of a request, to check an audit event's request_sha256.\n"
    "  households import|diff --file F.csv\n"
    "               Import a register file (CSV) or compare it with the register.\n"
    "  bundle verify FILE\n"
    "               Verify an exported audit bundle offline (no access to the suite).\n"
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
    "  --ttl DURATION    lifetime, e.g. 30m, 8h (default 8h); the gateway refuses\n"
    "                    tokens living longer than its --jwt_max_lifetime (24h)\n"
    "  --secret_file F   HS256 secret (default $TUOPIN_JWT_SECRET_FILE or "
    ".tuopin/keys/jwt-hs256.secret)\n"
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
      for (absl::string_view part : absl::StrSplit(v, ',', absl::SkipEmpty()))
        out.emplace_back(part);
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

constexpr char kVerifyUsage[] =
    "tuopinctl log verify: check the audit log against a verifier key you trust.\n"
    "\n"
    "Fetches the latest checkpoint through the gateway and checks its Ed25519 signature;\n"
    "for each --event, fetches its leaf and inclusion proof and checks them against the\n"
    "signed root; with --since, checks that the log grew from the checkpoint saved then\n"
    "without rewriting it. Exits 1 on any mismatch, 2 on usage errors.\n"
    "\n"
    "Flags:\n"
    "  --verifier_key KEY     the log's C2SP verifier key (or --verifier_key_file F)\n"
    "  --event ID             an audit event id to prove included (repeatable)\n"
    "  --since FILE           a signed checkpoint note saved by an earlier --save\n"
    "  --save FILE            save the verified checkpoint note for a later --since\n"
    "  --gateway HOST:PORT    default $TUOPIN_GATEWAY or 127.0.0.1:50051\n"
    "  --token TOKEN          default $TUOPIN_TOKEN (or --token_file F)\n";

constexpr char kDigestUsage[] =
    "tuopinctl log digest: the digest an audit event holds of a request (or response).\n"
    "\n"
    "Audit events carry HMAC-SHA256 digests under the deployment's digest key, so nobody\n"
    "without the key can test guesses of personal data against them. A holder of the key\n"
    "and of the request computes the digest here and compares it with the event's\n"
    "request_sha256 (printed in hex and base64; exits 1 when --expect is given and differs).\n"
    "\n"
    "Flags:\n"
    "  --digest_key_file F    the deployment's digest key (or --internal_key_file F when the\n"
    "                         deployment derives it from the internal key)\n"
    "  --method M             full method, e.g. "
    "/tuopin.personnel.v1.PersonnelService/UpdateHousehold\n"
    "  --json J               the request as JSON (or --json_file F)\n"
    "  --response             J is the method's response, not its request\n"
    "  --expect D             the event's digest, hex or base64\n";

constexpr char kBundleUsage[] =
    "tuopinctl bundle verify FILE: check an audit bundle offline.\n"
    "\n"
    "FILE is the answer of ExportAuditBundle, as JSON (tuopinctl auditquery\n"
    "export-audit-bundle ... --json > FILE) or as binary protobuf. Checks the checkpoint's\n"
    "Ed25519 signature under the key you trust, that each event's shown fields are exactly\n"
    "its signed leaf bytes, and each event's inclusion proof against the signed root. Needs\n"
    "no network. Exits 1 on any mismatch, 2 on usage errors.\n"
    "\n"
    "Flags:\n"
    "  --verifier_key KEY     the log's C2SP verifier key (or --verifier_key_file F); it must\n"
    "                         come from a source you trust, not from the bundle itself\n";

int Fail(const std::string& message) {
  std::fprintf(stderr, "tuopinctl: %s\n", message.c_str());
  return 2;
}

int TokenMint(const Args& args) {
  if (args.help) {
    std::fputs(kMintUsage, stdout);
    return 0;
  }
  const std::set<std::string> known = {"role",        "region", "subject", "ttl",
                                       "secret_file", "issuer", "audience"};
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

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : v;
}

int LogVerify(const Args& args) {
  namespace acc = tuopin::auditlog;
  namespace lv1 = tuopin::auditlog::v1;
  if (args.help) {
    std::fputs(kVerifyUsage, stdout);
    return 0;
  }
  const std::set<std::string> known = {"verifier_key", "verifier_key_file", "event", "since",
                                       "save",         "gateway",           "token", "token_file"};
  for (const auto& [k, v] : args.flags) {
    if (!known.count(k)) return Fail(absl::StrCat("unknown flag --", k, " (see --help)"));
  }
  std::string key = args.One("verifier_key", "");
  if (key.empty() && !args.One("verifier_key_file", "").empty()) {
    auto k = tuopin::common::ReadSecretFile(args.One("verifier_key_file", ""));
    if (!k.ok()) return Fail(std::string(k.status().message()));
    key = *k;
  }
  if (key.empty())
    return Fail("--verifier_key is required: trust a key you obtained, not the server's word");
  std::string token = args.One("token", EnvOr("TUOPIN_TOKEN", ""));
  if (token.empty() && !args.One("token_file", "").empty()) {
    auto t = tuopin::common::ReadSecretFile(args.One("token_file", ""));
    if (!t.ok()) return Fail(std::string(t.status().message()));
    token = *t;
  }
  tuopin::common::GatewayClient client(
      args.One("gateway", EnvOr("TUOPIN_GATEWAY", "127.0.0.1:50051")), token);
  auto stub = lv1::AuditLog::NewStub(client.channel());
  int failures = 0;
  auto fail = [&](const std::string& what) {
    std::printf("FAIL  %s\n", what.c_str());
    ++failures;
  };

  lv1::Checkpoint cp;
  grpc::Status st = stub->GetCheckpoint(client.Context().get(), lv1::GetCheckpointRequest(), &cp);
  if (!st.ok()) return Fail(absl::StrCat("GetCheckpoint: ", st.error_message()));
  auto body = acc::VerifyNote(cp.signed_note(), key);
  auto parsed = body ? acc::ParseCheckpointBody(*body) : std::nullopt;
  if (!parsed) {
    fail("the checkpoint's signature does not verify under the verifier key");
    return 1;
  }
  std::printf("ok    checkpoint %s size %lld root %s (signature verified)\n",
              parsed->origin.c_str(), static_cast<long long>(parsed->tree_size),
              tuopin::common::Base64Encode(parsed->root_hash).c_str());

  for (const auto& id : args.All("event")) {
    lv1::GetInclusionProofByEventIdRequest req;
    req.set_event_id(id);
    req.set_tree_size(parsed->tree_size);
    lv1::InclusionProof proof;
    st = stub->GetInclusionProofByEventId(client.Context().get(), req, &proof);
    if (!st.ok()) {
      fail(absl::StrCat("event ", id, ": ", st.error_message()));
      continue;
    }
    lv1::GetLeavesByRangeRequest lreq;
    lreq.set_start(proof.leaf_index());
    lreq.set_count(1);
    lv1::GetLeavesByRangeResponse leaves;
    st = stub->GetLeavesByRange(client.Context().get(), lreq, &leaves);
    if (st.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      fail(absl::StrCat("event ", id,
                        ": this caller may not read leaves directly (auditors read events through "
                        "audit-query: verify those with `tuopinctl bundle verify`)"));
      continue;
    }
    if (!st.ok() || leaves.leaves_size() != 1) {
      fail(absl::StrCat("event ", id, ": its leaf could not be read"));
      continue;
    }
    // The leaf hash is computed here from the leaf's bytes, and the event id read from those
    // same bytes: nothing the server parsed for us is trusted.
    const std::string& leaf_value = leaves.leaves(0).leaf_value();
    tuopin::common::v1::AuditEvent leaf_event;
    std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
    bool included = acc::VerifyInclusion(acc::LeafHash(leaf_value), proof.leaf_index(),
                                         parsed->tree_size, hashes, parsed->root_hash) &&
                    leaf_event.ParseFromString(leaf_value) && leaf_event.event_id() == id;
    if (included) {
      std::printf("ok    event %s is leaf %lld, included\n", id.c_str(),
                  static_cast<long long>(proof.leaf_index()));
    } else {
      fail(absl::StrCat("event ", id, " (leaf ", proof.leaf_index(),
                        ") does not verify against the signed root"));
    }
  }

  if (!args.One("since", "").empty()) {
    auto old_note = tuopin::common::ReadFile(args.One("since", ""));
    auto old_body = old_note.ok() ? acc::VerifyNote(*old_note, key) : std::nullopt;
    auto old = old_body ? acc::ParseCheckpointBody(*old_body) : std::nullopt;
    if (!old) {
      fail("--since: not a checkpoint signed by this key");
    } else if (old->tree_size > parsed->tree_size) {
      fail("the log shrank since the saved checkpoint");
    } else if (old->tree_size > 0) {
      lv1::GetConsistencyProofRequest req;
      req.set_first_size(old->tree_size);
      req.set_second_size(parsed->tree_size);
      lv1::ConsistencyProof proof;
      st = stub->GetConsistencyProof(client.Context().get(), req, &proof);
      std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
      if (st.ok() && acc::VerifyConsistency(old->tree_size, parsed->tree_size, old->root_hash,
                                            parsed->root_hash, hashes)) {
        std::printf("ok    consistent with the saved checkpoint of size %lld\n",
                    static_cast<long long>(old->tree_size));
      } else {
        fail(absl::StrCat("the log is not consistent with the saved checkpoint of size ",
                          old->tree_size));
      }
    }
  }
  if (!args.One("save", "").empty() && failures == 0) {
    std::ofstream(args.One("save", "")) << cp.signed_note();
  }
  return failures == 0 ? 0 : 1;
}

int LogDigest(const Args& args) {
  if (args.help) {
    std::fputs(kDigestUsage, stdout);
    return 0;
  }
  const std::set<std::string> known = {"digest_key_file", "internal_key_file", "method", "json",
                                       "json_file",       "response",          "expect"};
  for (const auto& [k, v] : args.flags) {
    if (!known.count(k)) return Fail(absl::StrCat("unknown flag --", k, " (see --help)"));
  }
  std::optional<tuopin::common::DigestKey> key;
  if (!args.One("digest_key_file", "").empty()) {
    auto k = tuopin::common::ReadSecretFile(args.One("digest_key_file", ""));
    if (!k.ok()) return Fail(std::string(k.status().message()));
    key = tuopin::common::DigestKeyFromSecret(*k);
  } else if (!args.One("internal_key_file", "").empty()) {
    auto k = tuopin::common::ReadSecretFile(args.One("internal_key_file", ""));
    if (!k.ok()) return Fail(std::string(k.status().message()));
    key = tuopin::common::DeriveDigestKey(*k);
  } else {
    return Fail("--digest_key_file (or --internal_key_file) is required");
  }
  std::string method = args.One("method", "");
  std::string dotted = method;
  if (!dotted.empty() && dotted[0] == '/') dotted = dotted.substr(1);
  std::replace(dotted.begin(), dotted.end(), '/', '.');
  const auto* m = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted);
  if (m == nullptr) return Fail(absl::StrCat("--method: no method ", method));
  const auto* type = args.One("response", "").empty() ? m->input_type() : m->output_type();
  std::string json = args.One("json", "");
  if (!args.One("json_file", "").empty()) {
    auto j = tuopin::common::ReadFile(args.One("json_file", ""));
    if (!j.ok()) return Fail(std::string(j.status().message()));
    json = *j;
  }
  std::unique_ptr<google::protobuf::Message> message(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
  auto parsed = google::protobuf::util::JsonStringToMessage(json, message.get());
  if (!parsed.ok()) return Fail(absl::StrCat("--json: ", parsed.ToString()));
  std::string digest =
      tuopin::common::KeyedDigest(*key, tuopin::common::DeterministicBytes(*message));
  std::printf("key %s\nhex %s\nbase64 %s\n", key->id.c_str(),
              tuopin::common::HexEncode(digest).c_str(),
              tuopin::common::Base64Encode(digest).c_str());
  std::string expect = args.One("expect", "");
  if (expect.empty()) return 0;
  bool same =
      expect == tuopin::common::HexEncode(digest) || expect == tuopin::common::Base64Encode(digest);
  std::printf("%s  the digest %s the expected one\n", same ? "ok  " : "FAIL",
              same ? "equals" : "differs from");
  return same ? 0 : 1;
}

int BundleVerify(const Args& args, const std::string& file) {
  namespace acc = tuopin::auditlog;
  if (args.help) {
    std::fputs(kBundleUsage, stdout);
    return 0;
  }
  for (const auto& [k, v] : args.flags) {
    if (k != "verifier_key" && k != "verifier_key_file")
      return Fail(absl::StrCat("unknown flag --", k, " (see --help)"));
  }
  std::string key = args.One("verifier_key", "");
  if (key.empty() && !args.One("verifier_key_file", "").empty()) {
    auto k = tuopin::common::ReadSecretFile(args.One("verifier_key_file", ""));
    if (!k.ok()) return Fail(std::string(k.status().message()));
    key = *k;
  }
  if (key.empty()) return Fail("--verifier_key is required: trust a key you obtained yourself");
  auto content = tuopin::common::ReadFile(file);
  if (!content.ok()) return Fail(std::string(content.status().message()));
  tuopin::auditquery::v1::AuditBundle bundle;
  size_t first = content->find_first_not_of(" \t\r\n");
  bool parsed_ok = first != std::string::npos && (*content)[first] == '{'
                       ? google::protobuf::util::JsonStringToMessage(*content, &bundle).ok()
                       : bundle.ParseFromString(*content);
  if (!parsed_ok) return Fail(absl::StrCat(file, " is not an audit bundle (JSON or binary)"));

  int failures = 0;
  auto fail = [&](const std::string& what) {
    std::printf("FAIL  %s\n", what.c_str());
    ++failures;
  };
  if (!bundle.verifier_key().empty() && bundle.verifier_key() != key) {
    fail("the bundle names a different verifier key than the one you trust");
  }
  auto body = acc::VerifyNote(bundle.checkpoint().signed_note(), key);
  auto cp = body ? acc::ParseCheckpointBody(*body) : std::nullopt;
  if (!cp) {
    fail("the checkpoint's signature does not verify under the verifier key");
    return 1;
  }
  if (cp->tree_size != bundle.checkpoint().tree_size() ||
      cp->root_hash != bundle.checkpoint().root_hash()) {
    fail("the checkpoint's fields differ from its signed note");
  }
  std::printf("ok    checkpoint %s size %lld root %s (signature verified)\n", cp->origin.c_str(),
              static_cast<long long>(cp->tree_size),
              tuopin::common::Base64Encode(cp->root_hash).c_str());
  int proven = 0;
  for (const auto& e : bundle.events()) {
    const auto& leaf = e.leaf();
    std::string what =
        absl::StrCat("event ", leaf.event().event_id(), " (leaf ", leaf.index(), ")");
    // What the bundle shows must be exactly what was signed: the leaf's bytes.
    if (tuopin::common::DeterministicBytes(leaf.event()) != leaf.leaf_value()) {
      fail(absl::StrCat(what, ": the shown event differs from its leaf bytes"));
      continue;
    }
    std::vector<std::string> hashes(e.proof().hashes().begin(), e.proof().hashes().end());
    if (e.proof().leaf_index() != leaf.index() || e.proof().tree_size() != cp->tree_size ||
        !acc::VerifyInclusion(acc::LeafHash(leaf.leaf_value()), leaf.index(), cp->tree_size, hashes,
                              cp->root_hash)) {
      fail(absl::StrCat(what, ": not included under the signed root"));
      continue;
    }
    ++proven;
  }
  std::printf("%s  %d of %d events proven included\n", failures == 0 ? "ok  " : "FAIL", proven,
              bundle.events_size());
  return failures == 0 ? 0 : 1;
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
  if (command == "log" && argc >= 3 && std::string(argv[2]) == "verify") {
    Args args = Args::Parse(argc, argv, 3);
    if (!args.error.empty()) return Fail(args.error);
    return LogVerify(args);
  }
  if (command == "log" && argc >= 3 && std::string(argv[2]) == "digest") {
    Args args = Args::Parse(argc, argv, 3);
    if (!args.error.empty()) return Fail(args.error);
    return LogDigest(args);
  }
  if (command == "bundle") {
    if (argc >= 3 && (std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h")) {
      std::fputs(kBundleUsage, stdout);
      return 0;
    }
    if (argc < 4 || std::string(argv[2]) != "verify" || std::string(argv[3]).rfind("--", 0) == 0) {
      if (argc >= 4 && std::string(argv[3]) == "--help") {
        std::fputs(kBundleUsage, stdout);
        return 0;
      }
      std::fputs(kBundleUsage, stderr);
      return 2;
    }
    Args args = Args::Parse(argc, argv, 4);
    if (!args.error.empty()) return Fail(args.error);
    return BundleVerify(args, argv[3]);
  }
  if (command == "households") return tuopin::ctl::RunHouseholdsCommand(argc, argv, 2);
  for (const auto& [name, full] : tuopin::ctl::Services()) {
    if (command == name) return tuopin::ctl::RunRpcCommand(name, argc, argv, 2);
  }
  return Fail(absl::StrCat("unknown command '", command, "'\n\n", kUsage));
}
