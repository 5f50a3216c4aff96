// Household history through a real gRPC server and a real MariaDB: GetHousehold and
// ListHouseholds as_of before and after an UpdateHousehold return what was true then (and
// NOT_FOUND before the household was created), GetHouseholdHistory oldest first with each
// version's audit event, masked for an inspector; the snapshots sealed in the table; the
// startup backfill of households stored before history was kept.

#include <cppconn/resultset.h>

#include "common/db_rows.h"
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

// A call's time is taken before it waits for the household's lock, so the call that commits
// second may carry the earlier time (here: the clock set back between two updates). The
// versions still follow one another: each begins after the one before, ends when the next
// begins, and at every instant exactly one is in force, for GetHousehold and ListHouseholds.
TEST_F(HouseholdHistoryTest, VersionsStayOrderedWhenALaterCommitCarriesAnEarlierTime) {
  absl::Time t0 = clock_.Now();
  v1::Household h = Create("Wang Fang");
  clock_.Set(t0 + absl::Seconds(2));
  Rename(h.id(), "Wang Li");
  clock_.Set(t0 + absl::Seconds(1));
  Rename(h.id(), "Wang Ming");
  clock_.Set(t0 + absl::Hours(1));

  v1::GetHouseholdHistoryRequest req;
  req.set_household_id(h.id());
  v1::GetHouseholdHistoryResponse history;
  ASSERT_TRUE(stub_->GetHouseholdHistory(ContextAs(official_).get(), req, &history).ok());
  ASSERT_EQ(history.versions_size(), 3);
  EXPECT_EQ(history.versions(2).household().head_name(), "Wang Ming");
  std::vector<absl::Time> instants = {t0 - absl::Seconds(1), t0 + absl::Hours(1)};
  for (int i = 0; i < history.versions_size(); ++i) {
    const v1::HouseholdVersion& v = history.versions(i);
    absl::Time from = common::FromTimestamp(v.valid_from());
    instants.insert(instants.end(), {from - absl::Microseconds(1), from,
                                     from + absl::Microseconds(1), from + absl::Milliseconds(500)});
    if (i + 1 == history.versions_size()) {
      EXPECT_FALSE(v.has_valid_to());
      break;
    }
    ASSERT_TRUE(v.has_valid_to()) << "version " << v.version();
    EXPECT_LT(from, common::FromTimestamp(v.valid_to())) << "version " << v.version();
    EXPECT_EQ(common::FromTimestamp(v.valid_to()),
              common::FromTimestamp(history.versions(i + 1).valid_from()))
        << "version " << v.version();
  }

  v1::ListHouseholdsRequest list;
  list.set_region_code(kShuicheng);
  for (absl::Time t : instants) {
    // The version in force at t, from the history: none before the first began.
    const v1::HouseholdVersion* expected = nullptr;
    for (const auto& v : history.versions()) {
      if (common::FromTimestamp(v.valid_from()) <= t) expected = &v;
    }
    SCOPED_TRACE(absl::FormatTime(t));
    v1::Household then;
    grpc::Status got = GetAsOf(official_, h.id(), t, &then);
    *list.mutable_as_of() = common::ToTimestamp(t);
    v1::ListHouseholdsResponse listed;
    ASSERT_TRUE(stub_->ListHouseholds(ContextAs(official_).get(), list, &listed).ok());
    if (expected == nullptr) {
      EXPECT_EQ(got.error_code(), grpc::StatusCode::NOT_FOUND);
      EXPECT_EQ(listed.households_size(), 0);
      continue;
    }
    ASSERT_TRUE(got.ok()) << got.error_message();
    EXPECT_EQ(then.head_name(), expected->household().head_name());
    ASSERT_EQ(listed.households_size(), 1);
    EXPECT_EQ(listed.households(0).head_name(), expected->household().head_name());
  }
}

// No writer can store a version that ends before it begins: the statement fails, an
// INTERNAL error (schema/008's CHECK).
TEST_F(HouseholdHistoryTest, AVersionEndingBeforeItBeginsIsRefused) {
  v1::Household h = Create("Wang Fang");
  absl::Status st = common::WithConnection(*pool_, [&](common::DbSession& s) {
    common::Query(s,
                  "UPDATE household_versions SET valid_to = valid_from - INTERVAL 1 MICROSECOND"
                  " WHERE household_id = ?")
        .Arg(h.id())
        .Exec();
    return absl::OkStatus();
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal) << st;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM household_versions WHERE valid_to IS NULL"), 1);
}

// Schema/008 repairs versions recorded out of order before it (review of issue 21: v2 from
// .365945 to .211114, v3 from .211114) before it adds its CHECK.
TEST_F(HouseholdHistoryTest, TheOrderMigrationRepairsVersionsRecordedOutOfOrder) {
  const common::Migration* order = nullptr;
  for (const auto& m : generated::PersonnelMigrations()) {
    if (m.version == 8) order = &m;
  }
  ASSERT_NE(order, nullptr);
  ASSERT_TRUE(common::WithConnection(*pool_, [&](common::DbSession& s) {
                s.ExecuteRaw(
                    "ALTER TABLE household_versions DROP CONSTRAINT chk_household_versions_order");
                s.ExecuteRaw(
                    "INSERT INTO household_versions (household_id, version, village_code,"
                    " status, valid_from, valid_to, method, request_id, event_id, pii_key_id,"
                    " pii_data_key, snapshot) VALUES"
                    " ('h', 1, '', 1, '2026-12-01 06:16:27', '2026-12-01 06:16:27.365945',"
                    " '', '', '', '', '', ''),"
                    " ('h', 2, '', 1, '2026-12-01 06:16:27.365945', '2026-12-01 06:16:27.211114',"
                    " '', '', '', '', '', ''),"
                    " ('h', 3, '', 1, '2026-12-01 06:16:27.211114', NULL, '', '', '', '', '', ''),"
                    " ('g', 1, '', 1, '2026-12-01 06:00:00', '2026-12-01 07:00:00',"
                    " '', '', '', '', '', ''),"
                    " ('g', 2, '', 1, '2026-12-01 07:00:00', NULL, '', '', '', '', '', '')");
                for (const auto& stmt : common::SplitSqlStatements(order->sql)) {
                  s.ExecuteRaw(stmt);
                }
                return absl::OkStatus();
              }).ok());
  auto times = [&](const std::string& id) {
    std::string out;
    EXPECT_TRUE(common::WithConnection(*pool_, [&](common::DbSession& s) {
                  auto rs = common::Query(s,
                                          "SELECT valid_from, valid_to FROM household_versions"
                                          " WHERE household_id = ? ORDER BY version")
                                .Arg(id)
                                .Rows();
                  while (rs->next()) {
                    absl::StrAppend(&out, out.empty() ? "" : " ", common::RowString(*rs, 1), "..",
                                    rs->isNull(2) ? "" : common::RowString(*rs, 2));
                  }
                  return absl::OkStatus();
                }).ok());
    return out;
  };
  EXPECT_EQ(times("h"),
            "2026-12-01 06:16:27..2026-12-01 06:16:27.365945"
            " 2026-12-01 06:16:27.365945..2026-12-01 06:16:27.365946"
            " 2026-12-01 06:16:27.365946..");
  EXPECT_EQ(times("g"),
            "2026-12-01 06:00:00..2026-12-01 07:00:00"
            " 2026-12-01 07:00:00..");
}

}  // namespace
}  // namespace tuopin::personnel
