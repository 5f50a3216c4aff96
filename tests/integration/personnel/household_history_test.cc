// Household history through a real gRPC server and a real MariaDB: GetHousehold and
// ListHouseholds as_of before and after an UpdateHousehold return what was true then (and
// NOT_FOUND before the household was created), GetHouseholdHistory oldest first with each
// version's audit event, masked for an inspector; the snapshots sealed in the table; the
// startup backfill of households stored before history was kept.

#include <cppconn/resultset.h>

#include "tests/integration/personnel/personnel_fixture.h"
#include "tests/support/household_members.h"

namespace tuopin::personnel {
namespace {

using testing::MakeMember;

class HouseholdHistoryTest : public PersonnelTest {
 protected:
  // A household of village A with one member holding personal data.
  v1::Household Create(const std::string& head) {
    v1::CreateHouseholdRequest req;
    req.set_request_id(NextId());
    v1::Household* h = req.mutable_household();
    h->set_village_code(kVillageA);
    h->set_head_name(head);
    h->set_member_count(1);
    h->set_status(v1::HOUSEHOLD_STATUS_REGISTERED_POOR);
    h->set_national_household_number("522100000001");
    *h->add_members() =
        MakeMember(head, v1::MEMBER_RELATION_HEAD, testing::kHeadIdCard, testing::kMemberPhone);
    v1::Household out;
    grpc::Status st = stub_->CreateHousehold(ContextAs(official_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }
  void Rename(const std::string& id, const std::string& head) {
    v1::UpdateHouseholdRequest req;
    req.set_request_id(NextId());
    req.mutable_household()->set_id(id);
    req.mutable_household()->set_head_name(head);
    req.mutable_update_mask()->add_paths("head_name");
    v1::Household out;
    grpc::Status st = stub_->UpdateHousehold(ContextAs(official_).get(), req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  grpc::Status GetAsOf(const common::Principal& as, const std::string& id, absl::Time t,
                       v1::Household* out) {
    v1::GetHouseholdRequest req;
    req.set_id(id);
    *req.mutable_as_of() = common::ToTimestamp(t);
    return stub_->GetHousehold(ContextAs(as).get(), req, out);
  }
  // The ids of the events in the outbox, in order.
  std::vector<std::string> EventIds() {
    std::vector<std::string> out;
    EXPECT_TRUE(common::WithConnection(*pool_, [&](common::DbSession& s) {
                  auto rs = common::Query(s, "SELECT event_id FROM outbox ORDER BY seq").Rows();
                  while (rs->next()) out.push_back(rs->getString(1).asStdString());
                  return absl::OkStatus();
                }).ok());
    return out;
  }
};

TEST_F(HouseholdHistoryTest, AsOfBeforeAndAfterAnUpdateReadsWhatWasTrueThen) {
  absl::Time created = clock_.Now();
  v1::Household h = Create("Wang Fang");
  clock_.Advance(absl::Hours(1));
  Rename(h.id(), "Wang Li");
  clock_.Advance(absl::Hours(1));

  v1::Household then;
  ASSERT_TRUE(GetAsOf(official_, h.id(), created + absl::Minutes(30), &then).ok());
  EXPECT_EQ(then.head_name(), "Wang Fang");
  EXPECT_EQ(then.etag(), "v1");
  EXPECT_EQ(then.members(0).id_card_number(), testing::kHeadIdCard);
  ASSERT_TRUE(GetAsOf(official_, h.id(), created + absl::Minutes(90), &then).ok());
  EXPECT_EQ(then.head_name(), "Wang Li");
  // An inspector reads the past masked, as the present.
  ASSERT_TRUE(GetAsOf(inspector_, h.id(), created + absl::Minutes(30), &then).ok());
  EXPECT_EQ(then.members(0).id_card_number(), common::MaskIdCardNumber(testing::kHeadIdCard));

  grpc::Status before = GetAsOf(official_, h.id(), created - absl::Seconds(1), &then);
  EXPECT_EQ(before.error_code(), grpc::StatusCode::NOT_FOUND);
  // Out of scope: the scope's refusal, whatever the time.
  EXPECT_EQ(GetAsOf(liuzhi_official_, h.id(), created + absl::Minutes(30), &then).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // The list as of then, with the members in full (view FULL) to the official.
  v1::ListHouseholdsRequest list;
  list.set_region_code(kShuicheng);
  list.set_view(v1::HOUSEHOLD_VIEW_FULL);
  *list.mutable_as_of() = common::ToTimestamp(created + absl::Minutes(30));
  v1::ListHouseholdsResponse listed;
  ASSERT_TRUE(stub_->ListHouseholds(ContextAs(official_).get(), list, &listed).ok());
  ASSERT_EQ(listed.households_size(), 1);
  EXPECT_EQ(listed.households(0).head_name(), "Wang Fang");
  EXPECT_EQ(listed.households(0).members(0).phone(), testing::kMemberPhone);
  *list.mutable_as_of() = common::ToTimestamp(created - absl::Seconds(1));
  ASSERT_TRUE(stub_->ListHouseholds(ContextAs(official_).get(), list, &listed).ok());
  EXPECT_EQ(listed.households_size(), 0);
}

TEST_F(HouseholdHistoryTest, HistoryNamesEachCallsEventAndIsMaskedForAnInspector) {
  v1::Household h = Create("Wang Fang");
  for (const char* head : {"Wang Li", "Wang Ming"}) {
    clock_.Advance(absl::Hours(1));
    Rename(h.id(), head);
  }
  std::vector<std::string> events = EventIds();  // import, create, two updates
  ASSERT_EQ(events.size(), 4u);

  v1::GetHouseholdHistoryRequest req;
  req.set_household_id(h.id());
  req.set_page_size(2);
  v1::GetHouseholdHistoryResponse page;
  grpc::Status st = stub_->GetHouseholdHistory(ContextAs(official_).get(), req, &page);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(page.versions_size(), 2);
  EXPECT_EQ(page.versions(0).version(), 1);
  EXPECT_EQ(page.versions(0).method(), "/tuopin.personnel.v1.PersonnelService/CreateHousehold");
  EXPECT_EQ(page.versions(0).event_id(), events[1]);
  EXPECT_EQ(page.versions(1).event_id(), events[2]);
  EXPECT_EQ(page.versions(0).valid_to().seconds(), page.versions(1).valid_from().seconds());
  EXPECT_EQ(page.versions(0).household().members(0).id_card_number(), testing::kHeadIdCard);
  req.set_page_token(page.next_page_token());
  ASSERT_TRUE(stub_->GetHouseholdHistory(ContextAs(official_).get(), req, &page).ok());
  ASSERT_EQ(page.versions_size(), 1);
  EXPECT_EQ(page.versions(0).household().head_name(), "Wang Ming");
  EXPECT_FALSE(page.versions(0).has_valid_to());
  EXPECT_EQ(page.versions(0).event_id(), events[3]);

  req.clear_page_token();
  req.set_page_size(0);
  ASSERT_TRUE(stub_->GetHouseholdHistory(ContextAs(inspector_).get(), req, &page).ok());
  ASSERT_EQ(page.versions_size(), 3);
  for (const auto& v : page.versions()) {
    EXPECT_EQ(v.household().members(0).id_card_number(),
              common::MaskIdCardNumber(testing::kHeadIdCard));
    EXPECT_EQ(v.household().members(0).phone(), common::MaskPhone(testing::kMemberPhone));
  }
  EXPECT_EQ(stub_->GetHouseholdHistory(ContextAs(liuzhi_official_).get(), req, &page).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Sealed at rest: the id-card number and the phone are in no column of the table.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM household_versions"), 3);
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM household_versions WHERE snapshot LIKE '%",
                               testing::kMemberPhone, "%' OR pii_key_id = ''")),
            0);
}

TEST_F(HouseholdHistoryTest, TheBackfillGivesOlderHouseholdsOneVersionOnce) {
  v1::Household h = Create("Wang Fang");
  // As if stored before history was kept.
  ASSERT_TRUE(common::WithConnection(*pool_, [&](common::DbSession& s) {
                common::Query(s, "DELETE FROM household_versions").Exec();
                return absl::OkStatus();
              }).ok());
  auto begun = store_.BackfillHouseholdVersions(1);
  ASSERT_TRUE(begun.ok()) << begun.status();
  EXPECT_EQ(*begun, 1);
  EXPECT_EQ(*store_.BackfillHouseholdVersions(), 0);

  v1::GetHouseholdHistoryRequest req;
  req.set_household_id(h.id());
  v1::GetHouseholdHistoryResponse history;
  ASSERT_TRUE(stub_->GetHouseholdHistory(ContextAs(official_).get(), req, &history).ok());
  ASSERT_EQ(history.versions_size(), 1);
  EXPECT_EQ(history.versions(0).method(), "history-began");
  EXPECT_TRUE(history.versions(0).event_id().empty());
  EXPECT_EQ(history.versions(0).valid_from().seconds(), h.update_time().seconds());
  EXPECT_EQ(history.versions(0).household().members(0).id_card_number(), testing::kHeadIdCard);
  // The next write closes it.
  clock_.Advance(absl::Hours(1));
  Rename(h.id(), "Wang Li");
  ASSERT_TRUE(stub_->GetHouseholdHistory(ContextAs(official_).get(), req, &history).ok());
  ASSERT_EQ(history.versions_size(), 2);
  EXPECT_TRUE(history.versions(0).has_valid_to());
  EXPECT_EQ(history.versions(1).version(), 2);
}

}  // namespace
}  // namespace tuopin::personnel
