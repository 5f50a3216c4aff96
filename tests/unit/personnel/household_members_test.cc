// Unit tests of household members on the in-memory store: the validation of the national
// number, the id-card check digit and the member count; the unique national number; the
// replacement of the members by UpdateHousehold; who reads personal data in full; and the
// digest form that keeps personal data out of the request digests.

#include "tests/support/household_members.h"

#include "services/personnel/personnel_validate.h"
#include "tests/unit/personnel/personnel_fixture.h"

namespace tuopin::personnel {
namespace {

using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_AUDITOR;
using tuopin::common::v1::ROLE_CADRE;
using tuopin::common::v1::ROLE_FINANCE_OFFICER;
using tuopin::common::v1::ROLE_INSPECTOR;
using tuopin::common::v1::ROLE_SERVICE;

using testing::MakeMember;
constexpr const char* kId1 = testing::kHeadIdCard;
constexpr const char* kId2 = testing::kSpouseIdCard;
constexpr const char* kPhone = testing::kMemberPhone;

v1::CreateHouseholdRequest NewHousehold(const std::string& number) {
  v1::CreateHouseholdRequest req;
  v1::Household& h = *req.mutable_household();
  h.set_village_code(kShuichengVillage);
  h.set_head_name("Wang");
  h.set_member_count(2);
  h.set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  h.set_national_household_number(number);
  *h.add_members() = MakeMember("Wang", v1::MEMBER_RELATION_HEAD, kId1, kPhone);
  *h.add_members() = MakeMember("Li", v1::MEMBER_RELATION_SPOUSE, kId2);
  return req;
}

std::vector<std::string> Fields(const absl::Status& st) {
  std::vector<std::string> out;
  for (const auto& [field, description] : common::FieldViolationsOf(common::ToGrpcStatus(st)))
    out.push_back(field);
  return out;
}

class HouseholdMembersTest : public PersonnelLogicTest {
 protected:
  absl::StatusOr<v1::Household> Create(const v1::CreateHouseholdRequest& req) {
    TUOPIN_RETURN_IF_ERROR(Validate(req));
    v1::Household out;
    TUOPIN_RETURN_IF_ERROR(
        logic_.CreateHousehold(Ctx(shuicheng_, "CreateHousehold", req), req, out));
    return out;
  }
  absl::StatusOr<v1::Household> Get(const Principal& p, const std::string& id) {
    v1::GetHouseholdRequest req;
    req.set_id(id);
    v1::Household out;
    TUOPIN_RETURN_IF_ERROR(logic_.GetHousehold(p, req, out));
    return out;
  }
};

TEST(IdCardNumber, CheckDigit) {
  EXPECT_TRUE(IsValidIdCardNumber(kId1));
  EXPECT_TRUE(IsValidIdCardNumber(kId2));
  EXPECT_TRUE(IsValidIdCardNumber("11010519491231002X"));
  EXPECT_FALSE(IsValidIdCardNumber("520221198001011230"));  // wrong check digit
  EXPECT_FALSE(IsValidIdCardNumber("52022119800101123x"));  // lower-case x
  EXPECT_FALSE(IsValidIdCardNumber("5202211980010112X3"));
  EXPECT_FALSE(IsValidIdCardNumber("52022119800101123"));
  EXPECT_FALSE(IsValidIdCardNumber(""));
}

TEST(ValidateHousehold, NamesEachBadFieldWithoutItsValue) {
  v1::CreateHouseholdRequest req = NewHousehold("5202210001");
  EXPECT_TRUE(Validate(req).ok());
  req.mutable_household()->set_national_household_number("52022A0001");
  req.mutable_household()->mutable_members(0)->set_id_card_number("520221198001011230");
  req.mutable_household()->mutable_members(1)->set_phone("23812345678");
  absl::Status st = Validate(req);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Fields(st), (std::vector<std::string>{"household.national_household_number",
                                                  "household.members[0].id_card_number",
                                                  "household.members[1].phone"}));
  EXPECT_EQ(st.ToString().find("520221198001011230"), std::string::npos) << st;
  EXPECT_EQ(st.ToString().find("23812345678"), std::string::npos) << st;
}

TEST(ValidateHousehold, MemberCountMustMatchTheMembers) {
  v1::CreateHouseholdRequest req = NewHousehold("");
  req.mutable_household()->set_member_count(3);
  EXPECT_EQ(Fields(Validate(req)), std::vector<std::string>{"household.members"});
  // Without members the count stands alone, as before.
  req.mutable_household()->clear_members();
  EXPECT_TRUE(Validate(req).ok());
}

TEST_F(HouseholdMembersTest, TheNationalNumberIsUnique) {
  ASSERT_TRUE(Create(NewHousehold("5202210001")).ok());
  absl::Status st = Create(NewHousehold("5202210001")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "HOUSEHOLD_NUMBER_TAKEN");
  // Households without a number never collide.
  ASSERT_TRUE(Create(NewHousehold("")).ok());
  ASSERT_TRUE(Create(NewHousehold("")).ok());
}

TEST_F(HouseholdMembersTest, PersonalDataInFullOnlyForTheWorkTeam) {
  absl::StatusOr<v1::Household> created = Create(NewHousehold("5202210001"));
  ASSERT_TRUE(created.ok()) << created.status();
  // The stored response of a mutation holds them masked; the store holds them in full
  // (the MySQL store encrypts them).
  EXPECT_EQ(created->members(0).id_card_number(), "****************3X");
  EXPECT_EQ(store_.data.households.at(created->id()).members(0).id_card_number(), kId1);

  for (const Principal& p : {shuicheng_, WithRole(ROLE_ADMIN, "admin", "52"),
                             WithRole(ROLE_CADRE, "cadre-sc", "520221")}) {
    absl::StatusOr<v1::Household> h = Get(p, created->id());
    ASSERT_TRUE(h.ok()) << h.status();
    ASSERT_EQ(h->members_size(), 2);
    EXPECT_EQ(h->members(0).id_card_number(), kId1);
    EXPECT_EQ(h->members(0).phone(), kPhone);
    EXPECT_EQ(h->members(1).name(), "Li");
  }
  for (auto role : {ROLE_INSPECTOR, ROLE_AUDITOR, ROLE_FINANCE_OFFICER, ROLE_SERVICE}) {
    absl::StatusOr<v1::Household> h = Get(WithRole(role, "reader", "520221"), created->id());
    ASSERT_TRUE(h.ok()) << h.status();
    EXPECT_EQ(h->members(0).id_card_number(), "****************3X");
    EXPECT_EQ(h->members(0).phone(), "*******5678");
    EXPECT_EQ(h->members(1).id_card_number(), "****************64");
    EXPECT_EQ(h->members(1).phone(), "");
    EXPECT_EQ(h->members(1).name(), "Li");  // names as the head's: every reader
  }
}

TEST_F(HouseholdMembersTest, UpdateReplacesTheMembersWithTheirCount) {
  absl::StatusOr<v1::Household> created = Create(NewHousehold("5202210001"));
  ASSERT_TRUE(created.ok()) << created.status();
  v1::UpdateHouseholdRequest req;
  req.mutable_household()->set_id(created->id());
  *req.mutable_household()->add_members() = MakeMember("Wang", v1::MEMBER_RELATION_HEAD, kId1);
  req.mutable_update_mask()->add_paths("members");
  v1::Household out;
  // One member with member_count still 2.
  absl::Status st = logic_.UpdateHousehold(Ctx(shuicheng_, "UpdateHousehold", req), req, out);
  EXPECT_EQ(Fields(st), std::vector<std::string>{"household.members"});
  EXPECT_EQ(store_.data.households.at(created->id()).members_size(), 2);

  req.mutable_household()->set_member_count(1);
  req.mutable_update_mask()->add_paths("member_count");
  ASSERT_TRUE(Validate(req).ok());
  ASSERT_TRUE(logic_.UpdateHousehold(Ctx(shuicheng_, "UpdateHousehold", req), req, out).ok());
  const v1::Household& stored = store_.data.households.at(created->id());
  ASSERT_EQ(stored.members_size(), 1);
  EXPECT_EQ(stored.members(0).id_card_number(), kId1);
  EXPECT_EQ(stored.members(0).phone(), "");
  EXPECT_EQ(out.members(0).id_card_number(), "****************3X");

  // A bad id in an update is refused by the validation, naming the path.
  req.mutable_household()->mutable_members(0)->set_id_card_number("520221198001011230");
  EXPECT_EQ(Fields(Validate(req)), std::vector<std::string>{"household.members[0].id_card_number"});
  // The national number is set at creation only.
  v1::UpdateHouseholdRequest renumber;
  renumber.mutable_household()->set_id(created->id());
  renumber.mutable_household()->set_national_household_number("5202210002");
  renumber.mutable_update_mask()->add_paths("national_household_number");
  EXPECT_EQ(
      logic_.UpdateHousehold(Ctx(shuicheng_, "UpdateHousehold", renumber), renumber, out).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(MemberDigestForm, TheDigestsHoldPseudonymsOfThePersonalDataAndNothingElseChanges) {
  common::PiiKeyRing pii = *common::PiiKeyRing::Parse(
      "k1 8f3a1c9e5b7d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3f5b7d9a2c4e6f8b0d1e\n");
  common::DigestForm form = MemberDigestForm(pii);
  v1::CreateHouseholdRequest req = NewHousehold("5202210001");
  req.set_request_id("req-1");
  v1::CreateHouseholdRequest digested = req;
  form(digested);
  EXPECT_EQ(digested.household().members(0).id_card_number(), pii.Pseudonym(kId1));
  EXPECT_EQ(digested.household().members(0).phone(), pii.Pseudonym(kPhone));
  EXPECT_EQ(digested.household().members(1).id_card_number(), pii.Pseudonym(kId2));
  EXPECT_EQ(digested.household().members(1).phone(), "");  // absent stays absent
  v1::CreateHouseholdRequest rest = digested;
  for (int i = 0; i < 2; ++i) {
    rest.mutable_household()->mutable_members(i)->set_id_card_number(
        req.household().members(i).id_card_number());
    rest.mutable_household()->mutable_members(i)->set_phone(req.household().members(i).phone());
  }
  EXPECT_EQ(common::DeterministicBytes(rest), common::DeterministicBytes(req));

  // The context's digests are the digest form's, not the plain request's; the same request
  // gives the same digests (retries replay), another id-card number other ones.
  common::DigestKey key = common::DigestKeyFromSecret(std::string(32, 'k'));
  auto ctx = [&](const google::protobuf::Message& r) {
    return common::ContextFor("personnel", "/m", Principal(), "req-1", absl::UnixEpoch(), r, &key,
                              form);
  };
  common::MutationContext m = ctx(req);
  EXPECT_EQ(m.request_sha256, common::MessageSha256(digested));
  EXPECT_NE(m.request_sha256, common::MessageSha256(req));
  EXPECT_EQ(m.request_digest, common::KeyedDigest(key, common::DeterministicBytes(digested)));
  EXPECT_NE(m.request_digest, common::KeyedDigest(key, common::DeterministicBytes(req)));
  EXPECT_EQ(ctx(req).request_sha256, m.request_sha256);
  v1::CreateHouseholdRequest other = req;
  other.mutable_household()->mutable_members(1)->set_id_card_number(kId1);
  EXPECT_NE(ctx(other).request_sha256, m.request_sha256);
  EXPECT_NE(ctx(other).request_digest, m.request_digest);

  // Members in an update are covered as well.
  v1::UpdateHouseholdRequest up;
  *up.mutable_household()->add_members() = MakeMember("Wang", v1::MEMBER_RELATION_HEAD, kId1);
  form(up);
  EXPECT_EQ(up.household().members(0).id_card_number(), pii.Pseudonym(kId1));
}

}  // namespace
}  // namespace tuopin::personnel
