// Unit tests of common's pure logic: encodings, statuses, page tokens, validators and
// the forwarded principal.

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/time/clock.h"
#include "common/audit_event.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/log.h"
#include "common/mutation.h"
#include "common/outbox.h"
#include "common/page_token.h"
#include "common/server.h"
#include "common/status.h"
#include "common/validate.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tuopin/funds/v1/funds.pb.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::common {
namespace {

using google::protobuf::util::TimeUtil;

TEST(CryptoTest, KnownAnswers) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4648 test vectors.
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(*Base64Decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(*Base64UrlDecode("-_8"), "\xfb\xff");
  EXPECT_FALSE(Base64Decode("Zm9=").has_value());
  EXPECT_FALSE(Base64UrlDecode("a").has_value());
  EXPECT_FALSE(Base64UrlDecode("-_9").has_value()) << "non-canonical trailing bits";
  EXPECT_EQ(*HexDecode("00ff10"), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(HexDecode("0g").has_value());
  EXPECT_FALSE(HexDecode("abc").has_value());
}

// Ids come from a per-thread generator: any length, no repeats within or across threads,
// and the time-ordered id layout kept.
TEST(CryptoTest, UniqueBytesDoNotRepeatAcrossThreads) {
  for (size_t n : {0, 1, 7, 8, 9, 16, 33}) EXPECT_EQ(UniqueBytes(n).size(), n);
  std::vector<std::string> a, b;
  std::thread other([&b] {
    for (int i = 0; i < 10000; ++i) b.push_back(UniqueBytes(16));
  });
  for (int i = 0; i < 10000; ++i) a.push_back(UniqueBytes(16));
  other.join();
  std::set<std::string> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  EXPECT_EQ(all.size(), 20000u);
  std::string id = RandomIdGenerator().NewId();
  ASSERT_EQ(id.size(), 32u);
  EXPECT_EQ(id[12], '7') << id;  // UUIDv7 version nibble
  EXPECT_NE(id, RandomIdGenerator().NewId());
}

TEST(StatusTest, FieldViolationsTravelInGrpcDetails) {
  FieldViolations v;
  v.Add("household.village_code", "must be 12 digits");
  v.Add("request_id", "is required");
  grpc::Status g = ToGrpcStatus(v.ToStatus());
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto violations = FieldViolationsOf(g);
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].first, "household.village_code");
  EXPECT_EQ(violations[1].first, "request_id");
  EXPECT_EQ(ReasonOf(g), "INVALID_ARGUMENT");
  EXPECT_TRUE(FieldViolations().ToStatus().ok());
}

// A status without a reason names its code: the first sixteen ErrorReason values are
// numbered as the codes (errors.proto), which this pins for every code.
TEST(StatusTest, AStatusWithoutAReasonCarriesItsCodesName) {
  for (int c = 1; c <= 16; ++c) {
    auto code = static_cast<absl::StatusCode>(c);
    std::string expected = absl::StatusCodeToString(code);
    for (char& ch : expected) ch = ch == ' ' ? '_' : static_cast<char>(std::toupper(ch));
    EXPECT_EQ(ReasonOf(ToGrpcStatus(absl::Status(code, "x"))), expected) << c;
  }
  EXPECT_EQ(ReasonOf(ToGrpcStatus(NotFound("household", "h1"))), "NOT_FOUND");
  EXPECT_EQ(NotFound("household", "h1").message(), "household h1 not found");
}

TEST(StatusTest, ReasonsSurviveARoundTrip) {
  absl::Status s =
      WithReason(absl::PermissionDeniedError("no"), common::ErrorReason::OUT_OF_REGION);
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(ReasonOf(g), "OUT_OF_REGION");
  absl::Status back = FromGrpcStatus(g);
  EXPECT_EQ(back.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(ToGrpcStatus(back)), "OUT_OF_REGION");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

class PageTokenTest : public ::testing::Test {
 protected:
  PageTokenCodec codec_{"0123456789abcdef0123456789abcdef"};
  tuopin::personnel::v1::ListHouseholdsRequest Request(const std::string& region) {
    tuopin::personnel::v1::ListHouseholdsRequest r;
    r.set_region_code(region);
    r.set_page_size(10);
    return r;
  }
};

TEST_F(PageTokenTest, RoundTripsAndIgnoresPageSize) {
  auto req = Request("520221");
  std::string token = codec_.Encode(req, {"520221001001", "h-42"});
  req.set_page_size(99);
  req.set_page_token(token);
  auto key = codec_.Decode(req, token);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, (std::vector<std::string>{"520221001001", "h-42"}));
  EXPECT_TRUE(codec_.Decode(req, "")->empty());
}

TEST_F(PageTokenTest, RejectsTokensForOtherFilters) {
  std::string token = codec_.Encode(Request("520221"), {"k"});
  auto key = codec_.Decode(Request("520222"), token);
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(ToGrpcStatus(key.status()))[0].first, "page_token");
}

TEST_F(PageTokenTest, RejectsTamperedAndForeignTokens) {
  auto req = Request("520221");
  std::string token = codec_.Encode(req, {"520221001001"});
  for (size_t i = 0; i < token.size(); ++i) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(codec_.Decode(req, t).ok()) << "accepted a token altered at " << i;
  }
  PageTokenCodec other("another key, another deployment!!");
  EXPECT_FALSE(other.Decode(req, token).ok());
  EXPECT_FALSE(codec_.Decode(req, "not base64 at all!").ok());
  EXPECT_FALSE(codec_.Decode(req, std::string(5000, 'A')).ok());
}

TEST(EtagTest, NextVersionChecksThePrecondition) {
  EXPECT_EQ(EtagOf(7), "v7");
  EXPECT_EQ(*NextVersion("", "v3", "task"), 4) << "no precondition";
  EXPECT_EQ(*NextVersion("v3", "v3", "task"), 4);
  auto stale = NextVersion("v2", "v3", "task");
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(ToGrpcStatus(stale.status())), "ETAG_MISMATCH");
  EXPECT_NE(stale.status().message().find("task"), std::string::npos);
  EXPECT_EQ(NextVersion("", "x9", "task").status().code(), absl::StatusCode::kDataLoss);
}

TEST(PageSizeTest, DefaultsAndLimits) {
  FieldViolations v;
  EXPECT_EQ(ResolvePageSize(0, v), kDefaultPageSize);
  EXPECT_EQ(ResolvePageSize(1000, v), 1000);
  EXPECT_TRUE(v.empty());
  ResolvePageSize(1001, v);
  ResolvePageSize(-1, v);
  EXPECT_EQ(v.violations().size(), 2u);
}

TEST(ValidateTest, Utf8) {
  EXPECT_TRUE(IsValidUtf8("水城县 Shuicheng"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));  // emoji
}

// Replaces the first occurrence of `marker` in `wire` by bytes of the same length.
std::string Patch(std::string wire, const std::string& marker, const std::string& bytes) {
  EXPECT_EQ(marker.size(), bytes.size());  // the length prefixes stay right
  size_t at = wire.find(marker);
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos) wire.replace(at, marker.size(), bytes);
  return wire;
}

TEST(ValidateTest, FindInvalidUtf8NamesTheFieldAtAnyDepth) {
  tuopin::funds::v1::CreateTransfersRequest t;
  t.set_request_id("req-1");
  t.add_transfers()->set_memo("fine 水城");
  t.add_transfers()->set_memo("MEMO");
  t.mutable_transfers(1)->set_amount_fen(100);
  const auto* type = t.GetDescriptor();
  std::string wire = t.SerializeAsString();
  EXPECT_EQ(FindInvalidUtf8(type, wire), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8(type, Patch(wire, "MEMO", "\xff\xfeMO")), "transfers[1].memo");
  EXPECT_EQ(FindInvalidUtf8(type, Patch(wire, "req-1", "req\xc0\xaf")), "request_id");

  tuopin::personnel::v1::CreateHouseholdRequest h;
  h.mutable_household()->set_head_name("NAME");
  h.mutable_household()->set_village_code("520221100001");
  EXPECT_EQ(
      FindInvalidUtf8(h.GetDescriptor(), Patch(h.SerializeAsString(), "NAME", "N\xed\xa0\x80")),
      "household.head_name");
  // Malformed bytes are left to the parser; an empty message is fine.
  EXPECT_EQ(FindInvalidUtf8(type, std::string("\x0a\xff\xff\xff\xff\x0f", 6)), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8(type, ""), std::nullopt);
}

TEST(ValidateTest, TextRegionIdEnumDate) {
  FieldViolations v;
  ValidateText("name", "Robert'); DROP TABLE cadres;--", 1, 64, v);
  EXPECT_TRUE(v.empty()) << "SQL metacharacters are valid text";
  ValidateText("name", "", 1, 64, v);
  ValidateText("name", std::string(65, 'x'), 1, 64, v);
  ValidateText("name",
               "a\x01"
               "b",
               1, 64, v);
  EXPECT_EQ(v.violations().size(), 3u);

  EXPECT_TRUE(IsRegionCode("52"));
  EXPECT_TRUE(IsRegionCode("520221001001"));
  EXPECT_FALSE(IsRegionCode("5202210"));
  EXPECT_FALSE(IsRegionCode("52022a"));
  FieldViolations r;
  ValidateRegionCode("village_code", "520221", r, 12, 12);
  ASSERT_EQ(r.violations().size(), 1u);
  EXPECT_EQ(r.violations()[0].first, "village_code");

  EXPECT_TRUE(IsValidId("a.b_c:d-1"));
  EXPECT_FALSE(IsValidId("a b"));
  EXPECT_FALSE(IsValidId(std::string(65, 'a')));

  FieldViolations e;
  ValidateEnum("status", 0, tuopin::personnel::v1::HouseholdStatus_descriptor(), e);
  ValidateEnum("status", 99, tuopin::personnel::v1::HouseholdStatus_descriptor(), e);
  ValidateEnum("status", 1, tuopin::personnel::v1::HouseholdStatus_descriptor(), e);
  EXPECT_EQ(e.violations().size(), 2u);

  FieldViolations d;
  tuopin::common::v1::Date date;
  date.set_year(2018);
  date.set_month(2);
  date.set_day(29);
  EXPECT_FALSE(ValidateDate("start_date", date, d).has_value());
  date.set_day(28);
  EXPECT_EQ(*ValidateDate("start_date", date, d), absl::CivilDay(2018, 2, 28));
  date.set_year(1999);
  EXPECT_FALSE(ValidateDate("start_date", date, d).has_value());
  EXPECT_EQ(d.violations().size(), 2u);
}

TEST(AuthTest, SignedPrincipalVerifiesAndResistsForgery) {
  FakeClock clock(absl::FromUnixSeconds(1536710400));
  Principal p;
  p.set_subject("official-1");
  p.add_roles(tuopin::common::v1::ROLE_COUNTY_OFFICIAL);
  p.add_region_scopes("520221");
  *p.mutable_expires_at() = TimeUtil::SecondsToTimestamp(1536710400 + 60);
  const std::string key = "k-0123456789abcdef0123456789abcdef";
  const std::string method = "/tuopin.personnel.v1.PersonnelService/GetRegion";
  SignedPrincipal sp = SignPrincipal(p, method, key);
  auto ok = VerifySignedPrincipal(sp.bytes, sp.signature, method, key, clock);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->subject(), "official-1");

  // A client forging a wider scope without the key.
  Principal forged = p;
  forged.set_region_scopes(0, "*");
  EXPECT_EQ(VerifySignedPrincipal(forged.SerializeAsString(), sp.signature, method, key, clock)
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(VerifySignedPrincipal(sp.bytes, sp.signature, method, "another key", clock).ok());
  EXPECT_FALSE(VerifySignedPrincipal("", "", method, key, clock).ok());
  // Attack: a principal captured on one hop, replayed on another method or service.
  for (const char* other : {"/tuopin.personnel.v1.PersonnelService/UpdateHousehold",
                            "/tuopin.funds.v1.FundsService/GetRegion", ""}) {
    auto replayed = VerifySignedPrincipal(sp.bytes, sp.signature, other, key, clock);
    EXPECT_EQ(replayed.status().code(), absl::StatusCode::kUnauthenticated) << other;
  }
  clock.Advance(absl::Seconds(61));
  EXPECT_FALSE(VerifySignedPrincipal(sp.bytes, sp.signature, method, key, clock).ok());
}

TEST(AuthTest, RegionScopesAndRoles) {
  EXPECT_TRUE(RegionCovers("520221", "520221001001"));
  EXPECT_TRUE(RegionCovers("520221", "520221"));
  EXPECT_FALSE(RegionCovers("520221", "520222001001"));
  EXPECT_FALSE(RegionCovers("520221001", "520221"));
  EXPECT_TRUE(RegionCovers("*", "11"));
  EXPECT_FALSE(RegionCovers("", "52"));
  Principal p;
  p.add_region_scopes("520221");
  p.add_roles(tuopin::common::v1::ROLE_CADRE);
  EXPECT_TRUE(RequireRegion(p, "520221104001", "household h1").ok());
  absl::Status denied = RequireRegion(p, "520203001001", "household h2");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(denied.message().find("might not exist"), std::string::npos);
  EXPECT_EQ(RoleName(tuopin::common::v1::ROLE_COUNTY_OFFICIAL), "county_official");
  EXPECT_EQ(RoleFromName("finance_officer"), tuopin::common::v1::ROLE_FINANCE_OFFICER);
  EXPECT_EQ(RoleFromName("emperor"), tuopin::common::v1::ROLE_UNSPECIFIED);
  EXPECT_FALSE(RequireAnyRole(p, {tuopin::common::v1::ROLE_ADMIN}, "x").ok());
}

TEST(AuthTest, PoliciesComeFromTheContract) {
  MethodPolicies policies;
  policies.AddService(FindService("tuopin.personnel.v1.PersonnelService"));
  const auto* create = policies.Find("/tuopin.personnel.v1.PersonnelService/CreateHousehold");
  ASSERT_NE(create, nullptr);
  EXPECT_TRUE(create->mutating());
  const auto* get = policies.Find("/tuopin.personnel.v1.PersonnelService/GetHousehold");
  ASSERT_NE(get, nullptr);
  EXPECT_FALSE(get->mutating());
  EXPECT_EQ(policies.Find("/tuopin.personnel.v1.PersonnelService/Nope"), nullptr);
}

}  // namespace
}  // namespace tuopin::common

namespace tuopin::common {
namespace {

// Sends stderr to a file while alive, and counts whole log lines with a message there.
class StderrToFile {
 public:
  explicit StderrToFile(const std::string& name) : path_(::testing::TempDir() + "/" + name) {
    fflush(stderr);
    saved_ = dup(fileno(stderr));
    redirected_ = freopen(path_.c_str(), "w", stderr) != nullptr;
  }
  ~StderrToFile() {
    fflush(stderr);
    dup2(saved_, fileno(stderr));
    close(saved_);
  }
  bool ok() const { return redirected_; }
  int Lines(const std::string& msg) const {
    std::ifstream in(path_);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      if (line.find("\"msg\":\"" + msg + "\"") != std::string::npos && line.back() == '}') ++n;
    }
    return n;
  }

 private:
  std::string path_;
  int saved_ = -1;
  bool redirected_ = false;
};

TEST(LogTest, TimesMatchAbslFormattingAcrossCenturiesAndLeapDays) {
  // The log's own calendar arithmetic against Abseil's time zone library.
  absl::BitGen gen;
  std::vector<absl::Time> times = {
      absl::UnixEpoch(), absl::UnixEpoch() - absl::Microseconds(1),
      absl::FromCivil(absl::CivilSecond(2000, 2, 29, 23, 59, 59), absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilSecond(2100, 3, 1, 0, 0, 0), absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilSecond(1969, 12, 31, 23, 59, 59), absl::UTCTimeZone()) +
          absl::Microseconds(999999)};
  for (int i = 0; i < 20000; ++i) {
    times.push_back(absl::FromUnixMicros(
        absl::Uniform<int64_t>(gen, -2'000'000'000'000'000, 7'000'000'000'000'000)));
  }
  for (absl::Time t : times) {
    ASSERT_EQ(FormatLogTime(t), absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone()))
        << absl::ToUnixMicros(t);
    ASSERT_EQ(ToSqlTime(t), absl::FormatTime("%Y-%m-%d %H:%M:%E6S", t, absl::UTCTimeZone()))
        << absl::ToUnixMicros(t);
  }
}

TEST(LogTest, JsonQuoteEscapesWhatJsonRequires) {
  EXPECT_EQ(JsonQuote(""), "\"\"");
  EXPECT_EQ(JsonQuote("plain 中文"), "\"plain 中文\"");
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\re\tf"), "\"a\\\"b\\\\c\\nd\\re\\tf\"");
  EXPECT_EQ(JsonQuote(std::string("x\x01y\0z", 5)), "\"x\\u0001y\\u0000z\"");
}

TEST(LogTest, AsyncLinesArriveWholeAndNoneAreDropped) {
  StderrToFile err("async-log.txt");
  ASSERT_TRUE(err.ok());
  for (int i = 0; i < 200; ++i) LogAsync(LogLevel::kInfo, "access", {{"n", std::to_string(i)}});
  int lines = 0;
  for (int attempt = 0; attempt < 100 && lines < 200; ++attempt) {
    absl::SleepFor(absl::Milliseconds(20));
    lines = err.Lines("access");
  }
  EXPECT_EQ(lines, 200);
  EXPECT_EQ(DroppedAsyncLogLines(), 0u);
}

// A stopping server flushes the access log: every line queued before the flush is written
// when it returns, without waiting for the writer's next batch.
TEST(LogTest, FlushWritesEveryQueuedLineAtOnce) {
  StderrToFile err("async-log-flush.txt");
  ASSERT_TRUE(err.ok());
  for (int i = 0; i < 10; ++i) LogAsync(LogLevel::kInfo, "flushed", {{"n", std::to_string(i)}});
  FlushAsyncLog();
  EXPECT_EQ(err.Lines("flushed"), 10);
}

}  // namespace
}  // namespace tuopin::common

// The limits of the audit path agree by construction, checked by walking the contracts:
// every mutating method declares how many entities its event names when its request has a
// repeated field, every declared bound fits the log's limit, the worst event of each bound
// (longest ids, types and regions) validates and fits kMaxEventBytes, and a relay batch
// fits the gateway's message limit.
namespace tuopin::common {
namespace {

TEST(AuditEventContract, EveryMutatingMethodsLargestEventIsOneTheLogAccepts) {
  int mutating = 0;
  for (const char* name :
       {"tuopin.personnel.v1.PersonnelService", "tuopin.funds.v1.FundsService",
        "tuopin.tasks.v1.TaskService", "tuopin.accountability.v1.AccountabilityService",
        "tuopin.auditquery.v1.AuditQueryService"}) {
    const auto* service = FindService(name);
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* m = service->method(i);
      const auto& policy = m->options().GetExtension(tuopin::common::v1::policy);
      if (!policy.mutating()) continue;
      ++mutating;
      std::string full = absl::StrCat("/", service->full_name(), "/", m->name());
      const auto* input = m->input_type();
      for (int f = 0; f < input->field_count(); ++f) {
        if (input->field(f)->is_repeated()) {
          EXPECT_GT(policy.max_event_entities(), 0)
              << full << " takes a repeated " << input->field(f)->name()
              << ": its policy must declare max_event_entities";
        }
      }
      int bound = MaxEventEntitiesOf(full);
      EXPECT_LE(bound, kMaxEventEntities) << full;
      tuopin::common::v1::AuditEvent worst;
      worst.set_event_id(std::string(64, 'e'));
      worst.set_service("accountability");
      worst.set_method(full);
      worst.set_actor_subject(std::string(128, 's'));
      worst.add_actor_roles(tuopin::common::v1::ROLE_ADMIN);
      *worst.mutable_occurred_at() = ToTimestamp(absl::FromUnixSeconds(1534809600));
      worst.set_request_sha256(std::string(32, 'r'));
      worst.set_response_sha256(std::string(32, 'r'));
      worst.set_request_id(std::string(64, 'q'));
      worst.set_digest_key_id(std::string(16, 'a'));
      for (int k = 0; k < bound; ++k) {
        *worst.add_entities() =
            Entity("rectification_order", std::string(64, 'i'), std::string(12, '5'));
      }
      FieldViolations v;
      ValidateAuditEvent("event", worst, v);
      EXPECT_TRUE(v.empty()) << full << ": " << v.ToStatus();
      EXPECT_TRUE(CheckLoggable(worst).ok()) << full;
      // One more than declared is refused before it could reach an outbox.
      *worst.add_entities() = worst.entities(0);
      EXPECT_FALSE(CheckLoggable(worst).ok()) << full;
    }
  }
  EXPECT_GE(mutating, 30) << "the walk must see every service's mutations";
  // A relay batch is at most RelayOptions::batch_bytes of events plus a few bytes of
  // framing each; the gateway takes messages of up to ServerOptions::max_receive_message_bytes.
  RelayOptions relay;
  EXPECT_LT(kMaxEventBytes, relay.batch_bytes);
  EXPECT_LE(relay.batch_bytes + static_cast<size_t>(relay.batch_size) * 8 + 128,
            static_cast<size_t>(ServerOptions().max_receive_message_bytes));
}

TEST(AuditEventContract, SubjectsAndEntityTypesAreExact) {
  EXPECT_TRUE(IsValidSubject("official-520221"));
  EXPECT_TRUE(IsValidSubject("县扶贫办-张三"));
  EXPECT_FALSE(IsValidSubject(""));
  EXPECT_FALSE(IsValidSubject("official\x01"));
  EXPECT_FALSE(IsValidSubject("official\n"));
  EXPECT_FALSE(IsValidSubject(" official"));
  EXPECT_FALSE(IsValidSubject("official "));
  EXPECT_FALSE(IsValidSubject(std::string(129, 'a')));
  EXPECT_TRUE(IsEntityType("household"));
  EXPECT_FALSE(IsEntityType("household "));
  EXPECT_FALSE(IsEntityType("Household"));
  EXPECT_TRUE(std::is_sorted(EntityTypes().begin(), EntityTypes().end()));
}

TEST(AuditEventContract, DigestsAreKeyedAndNamedByTheirKey) {
  DigestKey a = DigestKeyFromSecret(std::string(32, 'a'));
  DigestKey b = DigestKeyFromSecret(std::string(32, 'b'));
  EXPECT_EQ(a.id.size(), 16u);
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(KeyedDigest(a, "request"), KeyedDigest(b, "request"));
  EXPECT_NE(KeyedDigest(a, "request"), Sha256("request")) << "not the unkeyed digest";
  EXPECT_EQ(KeyedDigest(a, "request").size(), 32u);
  EXPECT_EQ(DeriveDigestKey("internal").id, DeriveDigestKey("internal").id);
}

}  // namespace
}  // namespace tuopin::common

namespace tuopin::common {
namespace {

// Least privilege for services: the contract's role list admits people by role, and a
// service principal only when the policy names its service.
TEST(AuthTest, APolicyAdmitsServicesByName) {
  tuopin::common::v1::MethodPolicy policy;
  policy.add_roles(tuopin::common::v1::ROLE_COUNTY_OFFICIAL);
  policy.add_roles(tuopin::common::v1::ROLE_SERVICE);
  policy.add_services("tasks");
  const std::string m = "/tuopin.personnel.v1.PersonnelService/UpdateHousehold";
  auto service = [](const std::string& subject) {
    Principal p;
    p.set_subject(subject);
    p.add_roles(tuopin::common::v1::ROLE_SERVICE);
    return p;
  };
  EXPECT_TRUE(CheckPolicy(service("service:tasks"), policy, m).ok());
  absl::Status st = CheckPolicy(service("service:auditquery"), policy, m);
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(st.ToString().find("SERVICE_NOT_ALLOWED"), std::string::npos) << st;
  EXPECT_FALSE(CheckPolicy(service("batch-job"), policy, m).ok()) << "names no service";
  EXPECT_FALSE(CheckPolicy(service("service:tasks "), policy, m).ok());
  Principal official;
  official.set_subject("service:tasks");  // a person's subject that looks like a service's
  official.add_roles(tuopin::common::v1::ROLE_COUNTY_OFFICIAL);
  EXPECT_TRUE(CheckPolicy(official, policy, m).ok());
  Principal cadre;
  cadre.set_subject("cadre-1");
  cadre.add_roles(tuopin::common::v1::ROLE_CADRE);
  EXPECT_EQ(CheckPolicy(cadre, policy, m).code(), absl::StatusCode::kPermissionDenied);
  policy.clear_services();
  EXPECT_FALSE(CheckPolicy(service("service:tasks"), policy, m).ok());
}

}  // namespace
}  // namespace tuopin::common
