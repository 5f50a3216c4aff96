// The descriptor-driven limits (common/field_limits.h): each kind of limit refuses with the
// field's path, updates are checked under their mask, a method's rules add to the limits
// without repeating a field, and every field a user fills in every request of every
// service declares its limits (so a new field without one fails here, not in production).

#include "common/field_limits.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "common/validate.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "tuopin/accountability/v1/accountability.pb.h"
#include "tuopin/common/v1/common.pb.h"
#include "tuopin/funds/v1/funds.pb.h"
#include "tuopin/personnel/v1/personnel.pb.h"
#include "tuopin/tasks/v1/tasks.pb.h"

namespace tuopin::common {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

std::set<std::string> Fields(const absl::Status& st) {
  std::set<std::string> out;
  for (const auto& [field, description] : FieldViolationsOf(ToGrpcStatus(st))) out.insert(field);
  return out;
}

std::set<std::string> Refused(const google::protobuf::Message& m) {
  return Fields(ValidateLimits(m));
}

personnel::v1::CreateHouseholdRequest GoodHousehold() {
  personnel::v1::CreateHouseholdRequest r;
  r.set_request_id("req-1");
  auto* h = r.mutable_household();
  h->set_village_code("520221100001");
  h->set_head_name("王某某");
  h->set_member_count(4);
  h->set_status(personnel::v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  h->set_income_per_head_fen(320000);
  return r;
}

TEST(FieldLimitsTest, AValidRequestPasses) {
  EXPECT_TRUE(ValidateLimits(GoodHousehold()).ok());
  // Output-only fields are not the client's to fill: a value is ignored, not refused.
  auto r = GoodHousehold();
  r.mutable_household()->set_id("not an id!");
  EXPECT_TRUE(ValidateLimits(r).ok());
}

TEST(FieldLimitsTest, AnOptionalMessageIsCheckedOnlyWhenSet) {
  // household.prior_exit is optional: left unset, its fields' limits are not read.
  EXPECT_TRUE(ValidateLimits(GoodHousehold()).ok());
  auto r = GoodHousehold();
  r.mutable_household()->mutable_prior_exit()->set_year(2013);  // below 2014, no reference
  EXPECT_EQ(Refused(r), (std::set<std::string>{"household.prior_exit.year",
                                               "household.prior_exit.reference"}));
  r.mutable_household()->mutable_prior_exit()->set_year(2018);
  r.mutable_household()->mutable_prior_exit()->set_reference("GZ-2018-520221-0041");
  EXPECT_TRUE(ValidateLimits(r).ok());
}

TEST(FieldLimitsTest, EachKindOfLimitRefusesNamingTheField) {
  auto r = GoodHousehold();
  r.clear_request_id();                                        // FORMAT_REQUEST_ID
  r.mutable_household()->set_village_code("520221");           // region digits 12-12
  r.mutable_household()->set_head_name(std::string(65, 'x'));  // text max_len
  r.mutable_household()->set_member_count(31);                 // integer range
  r.mutable_household()->set_status(static_cast<personnel::v1::HouseholdStatus>(99));  // enum
  EXPECT_EQ(Refused(r),
            (std::set<std::string>{"request_id", "household.village_code", "household.head_name",
                                   "household.member_count", "household.status"}));
  r = GoodHousehold();
  r.mutable_household()->set_status(personnel::v1::HOUSEHOLD_STATUS_UNSPECIFIED);
  r.mutable_household()->set_head_name("a\x01z");  // control character
  EXPECT_EQ(Refused(r), (std::set<std::string>{"household.status", "household.head_name"}));

  personnel::v1::RecordCheckInRequest c;  // required timestamp, id, enum
  c.set_request_id("r");
  c.set_cadre_id("bad id");
  c.set_village_code("520221100001");
  c.set_method(personnel::v1::CHECK_IN_METHOD_SELF_REPORT);
  EXPECT_EQ(Refused(c), (std::set<std::string>{"time", "cadre_id"}));
  c.set_cadre_id("c1");
  c.mutable_time()->set_seconds(1);  // 1970: out of range
  EXPECT_EQ(Refused(c), (std::set<std::string>{"time"}));

  personnel::v1::PostCadreRequest p;  // a Date is checked set or not; optional text
  p.set_request_id("r");
  p.set_cadre_id("c1");
  p.set_village_code("520221100001");
  p.set_role(personnel::v1::POSTING_ROLE_TEAM_MEMBER);
  EXPECT_EQ(Refused(p), (std::set<std::string>{"start_date"}));
  p.mutable_start_date()->set_year(2018);
  p.mutable_start_date()->set_month(2);
  p.mutable_start_date()->set_day(30);
  p.set_home_waiver(std::string(1001, 'w'));
  EXPECT_EQ(Refused(p), (std::set<std::string>{"start_date", "home_waiver"}));

  personnel::v1::CreateCadreRequest k;  // employee number format
  k.set_request_id("r");
  k.mutable_cadre()->set_employee_number("SC_01");
  EXPECT_TRUE(Refused(k).count("cadre.employee_number"));
}

TEST(FieldLimitsTest, RepeatedFieldsCountAndIndexTheirElements) {
  funds::v1::CreateTransfersRequest t;
  t.set_request_id("r");
  EXPECT_EQ(Refused(t), (std::set<std::string>{"transfers"}));  // min_items
  for (int i = 0; i < 5; ++i) {
    auto* x = t.add_transfers();
    x->set_id(absl::StrCat("t", i));
    x->set_debit_account_id("a");
    x->set_credit_account_id("b");
    x->set_amount_fen(100);
    x->set_kind(funds::v1::TRANSFER_KIND_ALLOCATION);
  }
  EXPECT_TRUE(ValidateLimits(t).ok());
  t.mutable_transfers(2)->set_amount_fen(kMaxAmountFen);
  EXPECT_TRUE(ValidateLimits(t).ok());
  t.mutable_transfers(2)->set_amount_fen(kMaxAmountFen + 1);
  EXPECT_EQ(Refused(t), (std::set<std::string>{"transfers[2].amount_fen"}));
  t.mutable_transfers(2)->set_amount_fen(100);
  t.mutable_transfers(3)->set_amount_fen(0);
  t.mutable_transfers(4)->set_memo(std::string(501, 'm'));
  EXPECT_EQ(Refused(t), (std::set<std::string>{"transfers[3].amount_fen", "transfers[4].memo"}));

  personnel::v1::ImportRegionsRequest regions;  // max_items; elements past it are not read
  regions.set_request_id("r");
  for (int i = 0; i < 1001; ++i) {
    auto* x = regions.add_regions();
    x->set_code(i == 3 ? "5202x" : "520221");
    x->set_name("n");
  }
  EXPECT_EQ(Refused(regions), (std::set<std::string>{"regions", "regions[3].code"}));

  accountability::v1::IssueRectificationOrderRequest o;  // unique elements
  o.set_request_id("r");
  o.add_finding_ids("f1");
  o.add_finding_ids("f1");
  o.mutable_deadline()->set_year(2019);
  o.mutable_deadline()->set_month(1);
  o.mutable_deadline()->set_day(1);
  o.set_campaign_id("c");
  o.mutable_responsible()->set_department("d");
  EXPECT_EQ(Refused(o), (std::set<std::string>{"finding_ids[1]"}));

  tasks::v1::ReportProgressRequest e;  // URI and hex formats inside repeated messages
  e.set_request_id("r");
  e.set_task_id("t");
  e.add_evidence()->set_uri("photo.jpg");
  e.mutable_evidence(0)->set_sha256_hex(std::string(64, 'A'));
  EXPECT_EQ(Refused(e), (std::set<std::string>{"evidence[0].uri", "evidence[0].sha256_hex"}));
  e.mutable_evidence(0)->set_uri("https://x/photo.jpg");
  e.mutable_evidence(0)->set_sha256_hex(std::string(64, 'a'));
  EXPECT_TRUE(ValidateLimits(e).ok());
  for (int i = 0; i < 20; ++i) *e.add_evidence() = e.evidence(0);
  EXPECT_EQ(Refused(e), (std::set<std::string>{"evidence"}));

  accountability::v1::CreateFindingRequest f;  // one-line text
  f.set_request_id("r");
  f.mutable_finding()->add_evidence_uris("https://a\nhttps://b");
  EXPECT_TRUE(Refused(f).count("finding.evidence_uris[0]"));
}

TEST(FieldLimitsTest, OptionalValuesAndOneofMembers) {
  personnel::v1::ListHouseholdsRequest l;
  l.set_region_code("520221");
  EXPECT_TRUE(ValidateLimits(l).ok()) << "status and paging are optional";
  l.set_page_size(1001);
  l.set_page_token(std::string(2049, 't'));
  EXPECT_EQ(Refused(l), (std::set<std::string>{"page_size", "page_token"}));

  personnel::v1::ListPostingsRequest p;  // only the member that is set is read
  EXPECT_TRUE(ValidateLimits(p).ok());
  p.set_cadre_id("not an id");
  EXPECT_EQ(Refused(p), (std::set<std::string>{"cadre_id"}));
  p.set_region_code("52");
  EXPECT_TRUE(ValidateLimits(p).ok());

  funds::v1::GetUtilizationRequest u;  // optional integer: 0 or in range
  u.set_region_code("520221");
  EXPECT_TRUE(ValidateLimits(u).ok());
  u.set_idle_older_than_days(3651);
  EXPECT_EQ(Refused(u), (std::set<std::string>{"idle_older_than_days"}));
}

TEST(FieldLimitsTest, AnUpdateChecksTheMaskedFieldsAndTheIdentity) {
  personnel::v1::UpdateHouseholdRequest r;
  r.set_request_id("r");
  r.mutable_household()->set_member_count(0);  // masked: checked
  r.mutable_household()->set_etag(std::string(65, 'e'));
  r.mutable_update_mask()->add_paths("member_count");
  // head_name is empty but not in the mask; the id and etag name the object.
  EXPECT_EQ(Refused(r),
            (std::set<std::string>{"household.id", "household.member_count", "household.etag"}));
  r.mutable_household()->set_id("hh-1");
  r.mutable_household()->set_member_count(3);
  r.mutable_household()->clear_etag();
  EXPECT_TRUE(ValidateLimits(r).ok());
  // An immutable field is not read: the method refuses the path itself.
  r.mutable_update_mask()->add_paths("village_code");
  EXPECT_TRUE(ValidateLimits(r).ok());

  tasks::v1::UpdateTaskRequest t;  // a masked oneof member is read even when not set
  t.set_request_id("r");
  t.mutable_task()->set_id("t1");
  t.mutable_task()->set_assignee_department("Water Bureau");
  t.mutable_update_mask()->add_paths("assignee_cadre_id");
  EXPECT_EQ(Refused(t), (std::set<std::string>{"task.assignee_cadre_id"}));
}

absl::Status RuleOnTwoFields(const personnel::v1::CreateHouseholdRequest&) {
  FieldViolations v;
  v.Add("household.head_name", "a rule about a field the limits refused");
  v.Add("household.indicators", "a cross-field rule");
  return v.ToStatus();
}

absl::Status NotARefusal(const personnel::v1::CreateHouseholdRequest&) {
  return absl::FailedPreconditionError("not a field violation");
}

TEST(FieldLimitsTest, RulesAddToTheLimitsWithoutRepeatingAField) {
  auto r = GoodHousehold();
  r.mutable_household()->clear_head_name();
  auto v = FieldViolationsOf(ToGrpcStatus(ValidateRequest(r, &RuleOnTwoFields)));
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].first, "household.head_name");
  EXPECT_EQ(v[0].second, "is required");
  EXPECT_EQ(v[1].first, "household.indicators");
  EXPECT_EQ(ValidateRequest(GoodHousehold(), &NotARefusal).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(
      ValidateRequest<personnel::v1::CreateHouseholdRequest>(GoodHousehold(), nullptr).ok());
}

// What a user fills and must therefore be limited: every non-output-only field but bools
// and messages of the suite (whose own fields are walked), and Dates and Timestamps.
bool NeedsLimits(const FieldDescriptor* f) {
  if (f->is_repeated()) return true;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      return false;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return f->message_type() == tuopin::common::v1::Date::descriptor() ||
             f->message_type()->full_name() == "google.protobuf.Timestamp";
    default:
      return true;
  }
}

// A limits option that limits nothing is as good as none.
std::string Empty(const FieldDescriptor* f, const tuopin::common::v1::FieldLimits& l) {
  using L = tuopin::common::v1::FieldLimits;
  if (!l.checked_by().empty()) return "";
  if (f->is_repeated() && l.max_items() == 0) return "a repeated field without max_items";
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (l.format() == L::FORMAT_TEXT || l.format() == L::FORMAT_OPAQUE ||
          l.format() == L::FORMAT_ABSOLUTE_URI) {
        if (l.max_len() == 0) return "a string without max_len";
      }
      return "";
    case FieldDescriptor::CPPTYPE_ENUM:
      return l.defined() ? "" : "an enum without defined";
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return f->is_repeated() || l.required() || l.optional() ? ""
                                                              : "neither required nor optional";
    default:
      return l.has_min() || l.has_max() ? "" : "an integer without min or max";
  }
}

void Walk(const Descriptor* d, const std::string& at, std::set<const Descriptor*>& seen,
          std::vector<std::string>& problems) {
  if (!seen.insert(d).second) return;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->options().GetExtension(tuopin::common::v1::output_only)) continue;
    const std::string where = absl::StrCat(at, " ", d->full_name(), ".", f->name());
    const bool has = f->options().HasExtension(tuopin::common::v1::limits);
    if (NeedsLimits(f) && !has) problems.push_back(absl::StrCat(where, ": no limits"));
    if (has) {
      std::string why = Empty(f, f->options().GetExtension(tuopin::common::v1::limits));
      if (!why.empty()) problems.push_back(absl::StrCat(where, ": ", why));
    }
    if (f->message_type() != nullptr && !NeedsLimits(f) &&
        absl::StartsWith(f->message_type()->full_name(), "tuopin.")) {
      Walk(f->message_type(), at, seen, problems);
    }
  }
}

TEST(FieldLimitsTest, EveryFieldAUserFillsHasLimits) {
  std::vector<std::string> problems, services;
  int methods = 0;
  for (const auto* service : ContractServices()) {
    services.push_back(service->full_name());
    for (int i = 0; i < service->method_count(); ++i) {
      std::set<const Descriptor*> seen;
      Walk(service->method(i)->input_type(), service->method(i)->full_name(), seen, problems);
      ++methods;
    }
  }
  // The walk found the contracts (not an empty pool): the suite's six services.
  EXPECT_GE(services.size(), 6u) << absl::StrJoin(services, ", ");
  EXPECT_GE(methods, 70);
  EXPECT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n");
}

// Every limit the contracts declare is one the walk enforces: none is written that
// nothing checks.
TEST(FieldLimitsTest, EveryDeclaredLimitIsEnforced) {
  std::vector<std::string> unenforced;
  for (const auto* service : ContractServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      for (auto& u : UnenforcedLimits(service->method(i)->input_type())) {
        unenforced.push_back(absl::StrCat(service->method(i)->full_name(), ": ", u));
      }
    }
  }
  EXPECT_TRUE(unenforced.empty()) << absl::StrJoin(unenforced, "\n");
}

// And the check does find limits the walk would ignore, on a message made here.
TEST(FieldLimitsTest, LimitsTheWalkIgnoresAreFound) {
  google::protobuf::DescriptorPool pool(google::protobuf::DescriptorPool::generated_pool());
  google::protobuf::FileDescriptorProto file;
  file.set_name("tuopin/test/unenforced.proto");
  file.set_package("tuopin.test");
  file.set_syntax("proto3");
  file.add_dependency("tuopin/common/v1/common.proto");
  file.add_dependency("google/protobuf/duration.proto");
  auto* m = file.add_message_type();
  m->set_name("Request");
  auto add = [&](const char* name, int number, google::protobuf::FieldDescriptorProto::Type type,
                 const char* type_name, bool repeated) {
    auto* f = m->add_field();
    f->set_name(name);
    f->set_number(number);
    f->set_type(type);
    if (type_name != nullptr) f->set_type_name(type_name);
    f->set_label(repeated ? google::protobuf::FieldDescriptorProto::LABEL_REPEATED
                          : google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
    return f->mutable_options()->MutableExtension(v1::limits);
  };
  using T = google::protobuf::FieldDescriptorProto;
  add("flag", 1, T::TYPE_BOOL, nullptr, false)->set_required(true);
  add("wait", 2, T::TYPE_MESSAGE, ".google.protobuf.Duration", false)->set_required(true);
  add("days", 3, T::TYPE_MESSAGE, ".tuopin.common.v1.Date", true)->set_required(true);
  add("count", 4, T::TYPE_UINT64, nullptr, false)->set_max(3);
  auto* id = add("id", 5, T::TYPE_STRING, nullptr, false);
  id->set_format(v1::FieldLimits::FORMAT_ID);
  id->set_max_len(10);
  add("name", 6, T::TYPE_STRING, nullptr, false)->set_min(1);
  add("fine", 7, T::TYPE_STRING, nullptr, true)->set_max_items(3);  // enforced: the count
  const google::protobuf::FileDescriptor* built = pool.BuildFile(file);
  ASSERT_NE(built, nullptr);
  std::vector<std::string> found = UnenforcedLimits(built->FindMessageTypeByName("Request"));
  std::string all = absl::StrJoin(found, "\n");
  EXPECT_FALSE(absl::StrContains(all, "Request.fine:")) << all;
  for (const char* field : {"flag", "wait", "days", "count", "id", "name"}) {
    EXPECT_TRUE(absl::StrContains(all, absl::StrCat("tuopin.test.Request.", field, ":")))
        << field << "\n"
        << all;
  }
}

}  // namespace
}  // namespace tuopin::common
