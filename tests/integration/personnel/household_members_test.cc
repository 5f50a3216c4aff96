// Household members and the national household number through a real gRPC server and a
// real MariaDB: members written with the household, read back decrypted for a county
// official and masked for an auditor, no plaintext personal data anywhere in the database
// (members, idempotency records, outbox), request digests taken of a form holding keyed
// pseudonyms of the personal data, a national number used twice refused, members replaced
// by an update, and rows sealed under an older key still read after a rotation.

#include "tests/support/household_members.h"

#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>

#include "common/mutation.h"
#include "common/status.h"
#include "tests/integration/personnel/personnel_fixture.h"

namespace tuopin::personnel {
namespace {

using testing::MakeMember;
constexpr const char* kHeadId = testing::kHeadIdCard;
constexpr const char* kSpouseId = testing::kSpouseIdCard;
constexpr const char* kPhone = testing::kMemberPhone;
// The digits a search for the id-card numbers looks for (no "X", no dashes).
constexpr char kHeadDigits[] = "52022119800101123";
constexpr char kSpouseDigits[] = "52022119850315456";

// A household of village A with these members (member_count their number).
v1::CreateHouseholdRequest NewHousehold(const std::string& request_id, const std::string& number,
                                        std::initializer_list<v1::Member> members) {
  v1::CreateHouseholdRequest req;
  req.set_request_id(request_id);
  auto* h = req.mutable_household();
  h->set_village_code(kVillageA);
  h->set_head_name("Yang Shifu");
  h->set_member_count(static_cast<int>(members.size()));
  h->set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
  h->set_national_household_number(number);
  for (const auto& m : members) *h->add_members() = m;
  return req;
}

class HouseholdMembersTest : public PersonnelTest {
 protected:
  grpc::Status Create(const std::string& number, v1::Household* out) {
    v1::CreateHouseholdRequest req =
        NewHousehold(NextId(), number,
                     {MakeMember("Yang Shifu", v1::MEMBER_RELATION_HEAD, kHeadId, kPhone),
                      MakeMember("Luo Xiuying", v1::MEMBER_RELATION_SPOUSE, kSpouseId)});
    return stub_->CreateHousehold(ContextAs(official_).get(), req, out);
  }
  v1::Household Get(const common::Principal& as, const std::string& id) {
    v1::GetHouseholdRequest req;
    req.set_id(id);
    v1::Household out;
    grpc::Status st = stub_->GetHousehold(ContextAs(as).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }
  // Every value of every row of every table of the database, as text.
  std::string DumpDatabase() {
    std::string dump;
    EXPECT_TRUE(common::WithConnection(*pool_, [&](common::DbSession& s) {
                  std::vector<std::string> tables;
                  auto names = common::Query(s,
                                             "SELECT table_name FROM information_schema.tables"
                                             " WHERE table_schema = DATABASE()")
                                   .Rows();
                  while (names->next()) tables.push_back(names->getString(1).asStdString());
                  for (const auto& t : tables) {
                    auto rs = common::Query(s, absl::StrCat("SELECT * FROM `", t, "`")).Rows();
                    unsigned columns = rs->getMetaData()->getColumnCount();
                    while (rs->next()) {
                      for (unsigned i = 1; i <= columns; ++i) {
                        if (!rs->isNull(i))
                          absl::StrAppend(&dump, rs->getString(i).asStdString(), "\n");
                      }
                    }
                  }
                  return absl::OkStatus();
                }).ok());
    return dump;
  }
};

TEST_F(HouseholdMembersTest, MembersAreEncryptedAtRestAndMaskedByRole) {
  v1::Household created;
  grpc::Status st = Create("52022104000001", &created);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(created.national_household_number(), "52022104000001");
  // The response of a mutation is kept for replays: masked for everyone.
  ASSERT_EQ(created.members_size(), 2);
  EXPECT_EQ(created.members(0).id_card_number(), "****************3X");

  v1::Household full = Get(official_, created.id());
  ASSERT_EQ(full.members_size(), 2);
  EXPECT_EQ(full.members(0).id_card_number(), kHeadId);
  EXPECT_EQ(full.members(0).phone(), kPhone);
  EXPECT_EQ(full.members(0).relation(), v1::MEMBER_RELATION_HEAD);
  EXPECT_EQ(full.members(0).health(), v1::HEALTH_LONG_TERM_ILLNESS);
  EXPECT_EQ(full.members(1).id_card_number(), kSpouseId);
  EXPECT_EQ(full.members(1).name(), "Luo Xiuying");
  EXPECT_EQ(full.national_household_number(), "52022104000001");

  v1::Household masked = Get(auditor_, created.id());
  ASSERT_EQ(masked.members_size(), 2);
  EXPECT_EQ(masked.members(0).id_card_number(), "****************3X");
  EXPECT_EQ(masked.members(0).phone(), "*******5678");
  EXPECT_EQ(masked.members(1).id_card_number(), "****************64");
  EXPECT_EQ(Get(inspector_, created.id()).members(0).phone(), "*******5678");

  // Nothing in the database holds the numbers in the clear: not the members' rows, not
  // the idempotency records, not the outbox.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM household_members"), 2);
  EXPECT_EQ(
      Count("SELECT COUNT(DISTINCT pii_key_id) FROM household_members WHERE pii_key_id = 'k2'"), 1);
  std::string dump = DumpDatabase();
  EXPECT_NE(dump.find("Luo Xiuying"), std::string::npos);  // the dump does see the rows
  EXPECT_EQ(dump.find(kHeadDigits), std::string::npos);
  EXPECT_EQ(dump.find(kSpouseDigits), std::string::npos);
  EXPECT_EQ(dump.find(kPhone), std::string::npos);
}

TEST_F(HouseholdMembersTest, RequestDigestsAreOfPseudonymsAndRetriesStillReplay) {
  v1::CreateHouseholdRequest req =
      NewHousehold("req-digests", "52022104000009",
                   {MakeMember("Yang Shifu", v1::MEMBER_RELATION_HEAD, kHeadId, kPhone),
                    MakeMember("Luo Xiuying", v1::MEMBER_RELATION_SPOUSE, kSpouseId)});
  v1::Household first;
  grpc::Status st = stub_->CreateHousehold(ContextAs(official_).get(), req, &first);
  ASSERT_TRUE(st.ok()) << st.error_message();

  // The idempotency record's hash and the audit event's keyed digest: of the request with
  // the id-card numbers and phones replaced by personnel's pseudonyms, so neither a backup
  // nor a holder of the deployment digest key can try the few candidates of a number.
  v1::CreateHouseholdRequest digested = req;
  MemberDigestForm(pii_)(digested);
  ASSERT_NE(digested.household().members(0).id_card_number(), kHeadId);
  std::string record_sha256, event_digest;
  ASSERT_TRUE(common::WithConnection(*pool_, [&](common::DbSession& s) {
                auto rs =
                    common::Query(s, "SELECT request_sha256 FROM idempotency WHERE request_id = ?")
                        .Arg(req.request_id())
                        .Rows();
                if (rs->next()) record_sha256 = rs->getString(1).asStdString();
                auto events = common::Query(s, "SELECT event FROM outbox").Rows();
                while (events->next()) {
                  common::v1::AuditEvent e;
                  EXPECT_TRUE(e.ParseFromString(events->getString(1).asStdString()));
                  if (e.request_id() == req.request_id()) event_digest = e.request_sha256();
                }
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(record_sha256, common::MessageSha256(digested));
  EXPECT_NE(record_sha256, common::MessageSha256(req));
  const common::DigestKey& key = authorizer_.digest_key();
  EXPECT_EQ(event_digest, common::KeyedDigest(key, common::DeterministicBytes(digested)));
  EXPECT_NE(event_digest, common::KeyedDigest(key, common::DeterministicBytes(req)));

  // A retry replays the stored response; another id-card number under the same request
  // id is another request.
  v1::Household again;
  st = stub_->CreateHousehold(ContextAs(official_).get(), req, &again);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(again.id(), first.id());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM households WHERE national_household_number ="
                  " '52022104000009'"),
            1);
  req.mutable_household()->mutable_members(1)->set_id_card_number("520221199002023210");
  st = stub_->CreateHousehold(ContextAs(official_).get(), req, &again);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(common::ReasonOf(st), "REQUEST_ID_REUSED");
}

TEST_F(HouseholdMembersTest, TheNationalNumberIsUniqueAndTheRefusalHoldsNoPersonalData) {
  v1::Household first, second;
  ASSERT_TRUE(Create("52022104000002", &first).ok());
  grpc::Status st = Create("52022104000002", &second);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(common::ReasonOf(st), "HOUSEHOLD_NUMBER_TAKEN");
  EXPECT_EQ(st.error_message().find(kHeadDigits), std::string::npos);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM households WHERE national_household_number ="
                  " '52022104000002'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM household_members"), 2);  // the refused one's: none

  // A bad check digit: the path, never the value.
  v1::CreateHouseholdRequest req = NewHousehold(
      NextId(), "", {MakeMember("Yang", v1::MEMBER_RELATION_HEAD, "520221198001011230", kPhone)});
  v1::Household out;
  st = stub_->CreateHousehold(ContextAs(official_).get(), req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "household.members[0].id_card_number");
  EXPECT_EQ(st.error_message().find("520221198001011230"), std::string::npos);
  EXPECT_EQ(st.error_details().find("520221198001011230"), std::string::npos);
}

TEST_F(HouseholdMembersTest, AnUpdateReplacesTheMembers) {
  v1::Household created;
  ASSERT_TRUE(Create("52022104000003", &created).ok());
  v1::UpdateHouseholdRequest up;
  up.set_request_id(NextId());
  up.mutable_household()->set_id(created.id());
  up.mutable_household()->set_etag(created.etag());
  up.mutable_household()->set_member_count(3);
  *up.mutable_household()->add_members() =
      MakeMember("Yang Shifu", v1::MEMBER_RELATION_HEAD, kHeadId, "13900001111");
  *up.mutable_household()->add_members() =
      MakeMember("Luo Xiuying", v1::MEMBER_RELATION_SPOUSE, kSpouseId, "");
  *up.mutable_household()->add_members() =
      MakeMember("Yang Xiaomei", v1::MEMBER_RELATION_CHILD, "", "");
  up.mutable_update_mask()->add_paths("members");
  v1::Household updated;
  // The count is not named: the household would hold 3 members with member_count 2.
  grpc::Status st = stub_->UpdateHousehold(ContextAs(official_).get(), up, &updated);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(st), "household.members");

  up.set_request_id(NextId());
  up.mutable_update_mask()->add_paths("member_count");
  st = stub_->UpdateHousehold(ContextAs(official_).get(), up, &updated);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(updated.members(0).phone(), "*******1111");
  v1::Household read = Get(official_, created.id());
  ASSERT_EQ(read.members_size(), 3);
  EXPECT_EQ(read.member_count(), 3);
  EXPECT_EQ(read.members(0).phone(), "13900001111");
  EXPECT_EQ(read.members(2).name(), "Yang Xiaomei");
  EXPECT_EQ(read.members(2).id_card_number(), "");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM household_members"), 3);
  EXPECT_EQ(DumpDatabase().find("13900001111"), std::string::npos);

  // A household without members keeps working as before, and lists carry no members.
  v1::Household plain;
  ASSERT_TRUE(CreateHousehold(official_, kVillageB, "Zhang", &plain).ok());
  EXPECT_EQ(Get(official_, plain.id()).members_size(), 0);
}

TEST_F(HouseholdMembersTest, RowsOfAnOlderKeyReadAfterARotationAndNotWithoutIt) {
  // Written under k1 alone (before the rotation that appended k2).
  common::PiiKeyRing old_ring = *common::PiiKeyRing::Parse(
      absl::StrCat(std::string(kTestPiiKeys).substr(0, std::string(kTestPiiKeys).find('\n'))));
  MysqlPersonnelStore old_store(*pool_, ids_, &old_ring);
  PersonnelLogic old_logic(old_store, clock_, tokens_, PersonnelConfig{});
  v1::CreateHouseholdRequest req =
      NewHousehold(NextId(), "", {MakeMember("Yang", v1::MEMBER_RELATION_HEAD, kHeadId, kPhone)});
  v1::Household created;
  auto ctx =
      common::ContextFor("personnel", "/tuopin.personnel.v1.PersonnelService/CreateHousehold",
                         official_, req.request_id(), clock_.Now(), req);
  ASSERT_TRUE(old_logic.CreateHousehold(ctx, req, created).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM household_members WHERE pii_key_id = 'k1'"), 1);

  // The service's ring (k1, then the current k2) reads it.
  EXPECT_EQ(Get(official_, created.id()).members(0).id_card_number(), kHeadId);
  // A ring without k1 does not, and says so without the value.
  common::PiiKeyRing new_only = *common::PiiKeyRing::Parse(
      std::string(kTestPiiKeys).substr(std::string(kTestPiiKeys).find('\n') + 1));
  MysqlPersonnelStore new_store(*pool_, ids_, &new_only);
  absl::StatusOr<std::optional<v1::Household>> read = new_store.GetHousehold(created.id());
  EXPECT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("k1"), std::string::npos) << read.status();
  EXPECT_EQ(read.status().message().find(kHeadDigits), std::string::npos);
}

}  // namespace
}  // namespace tuopin::personnel
