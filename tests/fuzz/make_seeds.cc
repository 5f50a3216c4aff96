// Writes the seed corpora of the fuzz targets: one well-formed input per target (a signed
// token, a page token, a proof that verifies, requests that pass validation) and a few
// near misses. The seeds come from the real encoders so they follow the code as it changes.
// Usage: fuzz_make_seeds <out-dir>  (creates <out-dir>/<target>/...)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/crypto.h"
#include "common/field_limits.h"
#include "common/jwt.h"
#include "common/page_token.h"
#include "services/auditlog/checkpoint.h"
#include "services/auditlog/merkle.h"
#include "tests/fuzz/validators_table.h"

namespace {
namespace fs = std::filesystem;
using namespace tuopin;

int failures = 0;

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

void Expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "seed is not well formed: %s\n", what);
    ++failures;
  }
}

// The selector byte of a request type in fuzz_validators.
char Selector(const google::protobuf::Descriptor* type) {
#define TUOPIN_NAME(ns, Req, method) ns::v1::Req::descriptor()->full_name(),
  static const std::string kNames[] = {TUOPIN_VALIDATED_REQUESTS(TUOPIN_NAME)};
#undef TUOPIN_NAME
  for (size_t i = 0; i < sizeof(kNames) / sizeof(kNames[0]); ++i) {
    if (kNames[i] == type->full_name()) return static_cast<char>(i);
  }
  std::fprintf(stderr, "not in validators_table.h: %s\n", type->full_name().c_str());
  std::exit(1);
}

// The generated table holds the request of every method the binary's contracts declare.
void ExpectTableCoversContracts() {
  for (const auto* service : common::ContractServices()) {
    for (int i = 0; i < service->method_count(); ++i) Selector(service->method(i)->input_type());
  }
}

std::string Seed(const google::protobuf::Message& m) {
  return std::string(1, Selector(m.GetDescriptor())) + m.SerializeAsString();
}

std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <out-dir>\n", argv[0]);
    return 2;
  }
  const fs::path out(argv[1]);

  // fuzz_jwt: the secret, issuer and audience are those of tests/fuzz/fuzz_jwt.cc.
  {
    common::JwtClaims c;
    c.subject = "cadre-shuicheng-0001";
    c.roles = {"ROLE_CADRE"};
    c.regions = {"520221"};
    c.issuer = "tuopin-local";
    c.audience = "tuopin";
    c.issued_at = absl::FromUnixSeconds(1536112800 - 60);
    c.expires = absl::FromUnixSeconds(1536112800 + 3600);
    const std::string secret = "fuzz-hs256-secret-0123456789abcdef0123";
    common::JwtConfig config;
    config.issuer = c.issuer;
    config.audience = c.audience;
    config.hs256_secret = secret;
    auto verifier = common::JwtVerifier::Create(config);
    Expect(verifier.ok(), "jwt verifier");
    std::string valid = common::SignJwtHs256(c, secret);
    auto verified = (*verifier)->Verify(valid, absl::FromUnixSeconds(1536112800));
    if (!verified.ok()) std::fprintf(stderr, "%s\n", verified.status().ToString().c_str());
    Expect(verified.ok(), "signed token");
    Write(out / "jwt", "valid", valid);
    c.expires = absl::FromUnixSeconds(1536112800 - 10);
    Write(out / "jwt", "expired", common::SignJwtHs256(c, secret));
    Write(out / "jwt", "wrong_secret", common::SignJwtHs256(c, "another-secret"));
    Write(out / "jwt", "alg_none", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
    // Signed near misses on the claims' times: out of range, not a number, too long-lived.
    auto signed_payload = [&](const std::string& times) {
      std::string input =
          absl::StrCat(common::Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})"), ".",
                       common::Base64UrlEncode(absl::StrCat(
                           R"({"sub":"cadre-shuicheng-0001","iss":"tuopin-local","aud":"tuopin",)",
                           R"("roles":["cadre"],"regions":["520221"],)", times, "}")));
      return absl::StrCat(input, ".", common::Base64UrlEncode(common::HmacSha256(secret, input)));
    };
    for (const auto& [name, times] : std::vector<std::pair<std::string, std::string>>{
             {"exp_out_of_range", R"("exp":1e300)"},
             {"nbf_not_a_number", R"("exp":1536116400,"nbf":"4102444800")"},
             {"lifetime_too_long", R"("iat":1536112800,"exp":1538704800)"}}) {
      std::string token = signed_payload(times);
      Expect(!(*verifier)->Verify(token, absl::FromUnixSeconds(1536112800)).ok(),
             "a near miss on times is refused");
      Write(out / "jwt", name, token);
    }
  }

  // fuzz_page_token: the key and request filters of tests/fuzz/fuzz_page_token.cc.
  {
    common::PageTokenCodec codec("fuzz-page-token-key-0123456789abcdef");
    personnel::v1::ListHouseholdsRequest req;
    req.set_region_code("520221");
    std::string token = codec.Encode(req, {"520221100001", "hh-000042"});
    Expect(codec.Decode(req, token).ok(), "page token");
    Write(out / "page_token", "valid", token);
    Write(out / "page_token", "truncated", token.substr(0, token.size() / 2));
  }

  // fuzz_proofs: a 2-leaf tree, leaf 0 included, consistent from size 1 to 2; and a
  // checkpoint body.
  {
    using namespace auditlog;
    std::string h0 = LeafHash("transfer fen-1"), h1 = LeafHash("transfer fen-2");
    std::string root = NodeHash(h0, h1);
    Expect(VerifyInclusion(h0, 0, 2, {h1}, root), "inclusion proof");
    Expect(VerifyConsistency(1, 2, h0, root, {h1}), "consistency proof");
    Write(out / "proofs", "two_leaves", Le32(0) + Le32(2) + Le32(1) + Le32(2) + h0 + root + h1);
    Write(out / "proofs", "checkpoint", CheckpointBody("tuopin.local/log", 2, root));
  }

  // fuzz_validators: first byte picks the request, the rest is the serialized message.
  {
    ExpectTableCoversContracts();
    funds::v1::CreateTransfersRequest t;
    t.set_request_id("req-20180905-0001");
    auto* tr = t.add_transfers();
    tr->set_id("tr-000001");
    tr->set_debit_account_id("acct-county-fund");
    tr->set_credit_account_id("acct-township-fagong");
    tr->set_amount_fen(1250000);
    tr->set_kind(static_cast<funds::v1::TransferKind>(1));
    Expect(common::ValidateRequest(t, &funds::Validate).ok(), "CreateTransfersRequest");
    Write(out / "validators", "transfers", Seed(t));

    personnel::v1::CreateHouseholdRequest h;
    h.set_request_id("req-20180905-0002");
    h.mutable_household()->set_village_code("520221100001");
    h.mutable_household()->set_head_name("王某某");
    h.mutable_household()->set_member_count(4);
    h.mutable_household()->set_status(static_cast<personnel::v1::HouseholdStatus>(1));
    h.mutable_household()->set_income_per_head_fen(320000);
    Expect(common::ValidateRequest(h, &personnel::Validate).ok(), "CreateHouseholdRequest");
    Write(out / "validators", "household", Seed(h));

    tasks::v1::CreateTaskRequest k;
    k.set_request_id("req-20180905-0003");
    k.mutable_task()->set_campaign_id("campaign-2018");
    k.mutable_task()->set_stage(static_cast<tasks::v1::Stage>(1));
    k.mutable_task()->set_village_code("520221100001");
    k.mutable_task()->set_title("补齐饮水安全设施");
    k.mutable_task()->set_assignee_department("水务局");
    Write(out / "validators", "task", Seed(k));

    // An empty message of every request type, so the fuzzer starts from each.
#define TUOPIN_EMPTY(ns, Req, method) \
  Write(out / "validators", "empty_" #ns "_" #Req, Seed(ns::v1::Req()));
    TUOPIN_VALIDATED_REQUESTS(TUOPIN_EMPTY)
#undef TUOPIN_EMPTY

    personnel::v1::GetAttendanceRequest a;
    a.set_cadre_id("cadre-0001");
    Write(out / "validators", "attendance", Seed(a));
  }
  return failures == 0 ? 0 : 1;
}
