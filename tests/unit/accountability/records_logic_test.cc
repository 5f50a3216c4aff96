// Unit tests of the rectification rules of the records logic, with a fake store, a fake
// personnel directory and a fake task tracking (no server, no database): the tasks an
// order creates lie in its region, an order is verified only when all its tasks are, and
// rejecting it reopens its finished tasks, idempotently and without silent half-done work.

#include "services/accountability/records_logic.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "tests/support/same_refusal.h"

namespace tuopin::accountability {
namespace {

namespace tv1 = tuopin::tasks::v1;
using tuopin::common::v1::ROLE_INSPECTOR;

constexpr char kVillage[] = "520221104001";

absl::Status Unimplemented() { return absl::UnimplementedError("not in this fake"); }

// Orders and findings in memory; mutations replay by (subject, request id) like
// RunMutation: a retry returns the first answer and changes nothing.
class FakeStore final : public RecordsStore {
 public:
  std::map<std::string, v1::Finding> findings;
  std::map<std::string, v1::RectificationOrder> orders;

  absl::Status CreateInspection(const MutationContext&, const v1::Inspection&,
                                const std::vector<std::string>&, v1::Inspection&) override {
    return Unimplemented();
  }
  absl::StatusOr<std::optional<v1::Inspection>> GetInspection(const std::string&) override {
    return Unimplemented();
  }
  absl::StatusOr<std::vector<std::string>> Population(const std::string&) override {
    return Unimplemented();
  }
  absl::Status SaveSample(const MutationContext&, const std::string&,
                          const std::vector<std::string>&, v1::Sample&) override {
    return Unimplemented();
  }
  absl::StatusOr<bool> InSample(const std::string&, const std::string&) override {
    return Unimplemented();
  }
  absl::Status RecordVisit(const MutationContext&, const v1::Visit&, v1::Visit&) override {
    return Unimplemented();
  }
  absl::Status CreateFinding(const MutationContext&, const v1::Finding&, v1::Finding&) override {
    return Unimplemented();
  }
  absl::StatusOr<std::vector<v1::Finding>> GetFindings(
      const std::vector<std::string>& ids) override {
    std::vector<v1::Finding> out;
    for (const auto& id : ids) {
      if (auto it = findings.find(id); it != findings.end()) out.push_back(it->second);
    }
    return out;
  }
  absl::StatusOr<std::vector<v1::Finding>> ListFindings(const std::string&, const std::string&,
                                                        const std::string&,
                                                        const PageRequest&) override {
    return Unimplemented();
  }
  absl::StatusOr<v1::RegionSummary> Summarize(const std::string&, absl::CivilDay) override {
    return Unimplemented();
  }
  absl::Status CreateOrder(const MutationContext& ctx, const v1::RectificationOrder& order,
                           v1::RectificationOrder& out) override {
    if (Replayed(ctx, out)) return absl::OkStatus();
    orders[order.id()] = order;
    out = order;
    Record(ctx, out);
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<v1::RectificationOrder>> GetOrder(const std::string& id) override {
    auto it = orders.find(id);
    if (it == orders.end()) return std::optional<v1::RectificationOrder>();
    return std::optional<v1::RectificationOrder>(it->second);
  }
  absl::Status ChangeOrder(const MutationContext& ctx, const std::string& id,
                           const OrderChange& change, v1::RectificationOrder& out) override {
    if (Replayed(ctx, out)) return absl::OkStatus();
    auto it = orders.find(id);
    if (it == orders.end()) return absl::NotFoundError("no order");
    v1::RectificationOrder o = it->second;
    TUOPIN_RETURN_IF_ERROR(change(o));
    it->second = o;
    out = o;
    Record(ctx, out);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<v1::RectificationOrder>> ListOrders(const std::string&, int,
                                                                 const PageRequest&) override {
    return Unimplemented();
  }
  absl::Status CreateAction(const MutationContext&, const v1::AccountabilityAction&,
                            v1::AccountabilityAction&) override {
    return Unimplemented();
  }
  absl::StatusOr<std::vector<v1::AccountabilityAction>> ListActions(const std::string&,
                                                                    const std::string&,
                                                                    const PageRequest&) override {
    return Unimplemented();
  }

 private:
  bool Replayed(const MutationContext& ctx, v1::RectificationOrder& out) {
    auto it = answers_.find(Key(ctx));
    if (it == answers_.end()) return false;
    out = it->second;
    return true;
  }
  void Record(const MutationContext& ctx, const v1::RectificationOrder& out) {
    answers_[Key(ctx)] = out;
  }
  static std::string Key(const MutationContext& ctx) {
    return absl::StrCat(ctx.principal.subject(), "\n", ctx.request_id);
  }
  std::map<std::string, v1::RectificationOrder> answers_;
};

// Cadres (by managing region) and households (by village) personnel knows; any other id
// is NOT_FOUND, as the real directory answers.
class FakePersonnel final : public common::PersonnelDirectory {
 public:
  std::map<std::string, std::string> cadre_regions = {{"cadre-7", "520221"},
                                                      {"cadre-liuzhi", "520203"}};
  std::map<std::string, std::string> household_villages;

  absl::Status CheckVillage(const std::string&) override { return absl::OkStatus(); }
  absl::StatusOr<std::string> HouseholdVillage(const std::string& id) override {
    return Lookup(household_villages, "household", id);
  }
  absl::StatusOr<std::string> CadreRegion(const std::string& id) override {
    return Lookup(cadre_regions, "cadre", id);
  }
  absl::Status SetIndicator(const std::string&, const std::string&, const std::string&) override {
    return Unimplemented();
  }
  absl::StatusOr<std::vector<std::string>> RegisteredHouseholds(const std::string&) override {
    return Unimplemented();
  }

 private:
  static absl::StatusOr<std::string> Lookup(const std::map<std::string, std::string>& m,
                                            absl::string_view what, const std::string& id) {
    auto it = m.find(id);
    if (it == m.end()) return absl::NotFoundError(absl::StrCat(what, " ", id, " not found"));
    return it->second;
  }
};

// Task tracking in memory. CreateTask and ReopenTask are idempotent by request id, as the
// real service is; ReopenTask follows the real state machine and can be told to fail.
class FakeTasks final : public TaskDirectory {
 public:
  std::map<std::string, tv1::Task> tasks;
  std::vector<std::pair<std::string, tv1::Task>> created;  // request id, task as asked
  std::vector<std::string> reopen_request_ids;             // every ReopenTask call
  std::map<std::string, int> reopens_applied;              // per task
  std::set<std::string> fail_reopen;                       // task ids: UNAVAILABLE once
  // When set, created tasks land in this village instead of the one asked for.
  std::string move_to_village;

  // Campaigns by id; the fixture's is Shuicheng's, in its second stage.
  std::map<std::string, tv1::Campaign> campaigns = {{"campaign-1", Campaign("520221")},
                                                    {"campaign-liuzhi", Campaign("520203")}};

  absl::StatusOr<tv1::Campaign> GetCampaign(const std::string& id) override {
    auto it = campaigns.find(id);
    if (it == campaigns.end())
      return absl::NotFoundError(absl::StrCat("campaign ", id, " not found"));
    return it->second;
  }
  absl::StatusOr<tv1::Task> CreateTask(const std::string& request_id,
                                       const tv1::Task& task) override {
    created.emplace_back(request_id, task);
    if (auto it = created_by_request_.find(request_id); it != created_by_request_.end())
      return tasks[it->second];
    tv1::Task t = task;
    t.set_id(absl::StrCat("task-", tasks.size() + 1));
    t.set_status(tv1::TASK_STATUS_OPEN);
    if (!move_to_village.empty()) t.set_village_code(move_to_village);
    tasks[t.id()] = t;
    created_by_request_[request_id] = t.id();
    return t;
  }
  absl::StatusOr<tv1::Task> GetTask(const std::string& id) override {
    auto it = tasks.find(id);
    if (it == tasks.end()) return absl::NotFoundError(absl::StrCat("task ", id, " not found"));
    return it->second;
  }
  absl::StatusOr<tv1::Task> ReopenTask(const std::string& request_id, const std::string& task_id,
                                       const std::string& reason) override {
    reopen_request_ids.push_back(request_id);
    if (auto it = reopen_answers_.find(request_id); it != reopen_answers_.end()) return it->second;
    if (fail_reopen.erase(task_id) > 0) return absl::UnavailableError("tasks is restarting");
    tv1::Task& t = tasks.at(task_id);
    if (t.status() != tv1::TASK_STATUS_COMPLETED && t.status() != tv1::TASK_STATUS_VERIFIED)
      return absl::FailedPreconditionError("cannot reopen");
    EXPECT_FALSE(reason.empty());
    t.set_status(tv1::TASK_STATUS_IN_PROGRESS);
    t.set_reopen_count(t.reopen_count() + 1);
    ++reopens_applied[task_id];
    reopen_answers_[request_id] = t;
    return t;
  }

  void Set(const std::string& id, tv1::TaskStatus status) { tasks[id].set_status(status); }

 private:
  static tv1::Campaign Campaign(const std::string& region) {
    tv1::Campaign c;
    c.set_region_code(region);
    c.set_current_stage(tv1::STAGE_FIX_SHORTCOMINGS);
    return c;
  }
  std::map<std::string, std::string> created_by_request_;
  std::map<std::string, tv1::Task> reopen_answers_;
};

class RecordsLogicTest : public ::testing::Test {
 protected:
  RecordsLogicTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone())),
        tokens_("records-unit-test-page-token-key-0123"),
        logic_(store_, personnel_, tasks_, clock_, tokens_) {
    inspector_.set_subject("inspector-3");
    inspector_.add_roles(ROLE_INSPECTOR);
    inspector_.add_region_scopes("520221");
  }

  MutationContext Ctx(const std::string& request_id) const {
    MutationContext m;
    m.service = "accountability";
    m.principal = inspector_;
    m.request_id = request_id;
    m.request_sha256 = request_id;
    m.now = clock_.Now();
    return m;
  }

  void AddFinding(const std::string& id, const std::string& region) {
    v1::Finding& f = store_.findings[id];
    f.set_id(id);
    f.set_region_code(region);
    f.set_category(v1::FINDING_CATEGORY_SECTOR_LAGGING);
    f.set_sector(tuopin::common::v1::SECTOR_HOUSING_SAFETY);
    f.set_description("Two houses still unsafe");
  }

  absl::StatusOr<v1::RectificationOrder> Issue(const std::vector<std::string>& finding_ids,
                                               const std::string& request_id = "issue-1",
                                               const std::string& cadre = "cadre-7",
                                               const std::string& campaign = "campaign-1") {
    v1::IssueRectificationOrderRequest req;
    req.set_request_id(request_id);
    for (const auto& id : finding_ids) req.add_finding_ids(id);
    req.mutable_responsible()->set_cadre_id(cadre);
    *req.mutable_deadline() = common::ToDate(absl::CivilDay(2018, 10, 31));
    req.set_campaign_id(campaign);
    v1::RectificationOrder out;
    TUOPIN_RETURN_IF_ERROR(logic_.IssueRectificationOrder(Ctx(request_id), req, out));
    return out;
  }

  // An order of two village findings, submitted, with tasks in the given states.
  v1::RectificationOrder SubmittedOrder(tv1::TaskStatus first, tv1::TaskStatus second) {
    AddFinding("f-1", kVillage);
    AddFinding("f-2", kVillage);
    absl::StatusOr<v1::RectificationOrder> o = Issue({"f-1", "f-2"});
    EXPECT_TRUE(o.ok()) << o.status();
    EXPECT_EQ(o->task_ids_size(), 2);
    store_.orders[o->id()].set_status(v1::RECTIFICATION_STATUS_SUBMITTED);
    tasks_.Set(o->task_ids(0), first);
    tasks_.Set(o->task_ids(1), second);
    return store_.orders[o->id()];
  }

  absl::Status Verify(const std::string& order_id, const std::string& request_id) {
    v1::VerifyRectificationRequest req;
    req.set_request_id(request_id);
    req.set_order_id(order_id);
    v1::RectificationOrder out;
    return logic_.VerifyRectification(Ctx(request_id), req, out);
  }

  absl::StatusOr<v1::RectificationOrder> Reject(const std::string& order_id,
                                                const std::string& request_id) {
    v1::RejectRectificationRequest req;
    req.set_request_id(request_id);
    req.set_order_id(order_id);
    req.set_reason("Random survey: one house still unsafe");
    v1::RectificationOrder out;
    TUOPIN_RETURN_IF_ERROR(logic_.RejectRectification(Ctx(request_id), req, out));
    return out;
  }

  common::FakeClock clock_;
  common::PageTokenCodec tokens_;
  FakeStore store_;
  FakePersonnel personnel_;
  FakeTasks tasks_;
  RecordsLogic logic_;
  common::Principal inspector_;
};

// Point 8: the tasks an order creates lie in the order's region and link to the order.
TEST_F(RecordsLogicTest, OrderTasksLieInTheOrdersRegion) {
  AddFinding("f-1", kVillage);
  AddFinding("f-2", kVillage);
  absl::StatusOr<v1::RectificationOrder> o = Issue({"f-1", "f-2"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->region_code(), kVillage);
  ASSERT_EQ(tasks_.created.size(), 2u);
  ASSERT_EQ(o->task_ids_size(), 2);
  for (const auto& [request_id, task] : tasks_.created) {
    EXPECT_EQ(task.village_code(), kVillage);
    EXPECT_TRUE(common::RegionCovers(o->region_code(), task.village_code()));
    EXPECT_EQ(task.rectification_order_id(), o->id());
    EXPECT_EQ(task.campaign_id(), "campaign-1");
    EXPECT_EQ(task.assignee_cadre_id(), "cadre-7");
    EXPECT_LE(request_id.size(), 64u);
  }
  // Findings above village level make an order without tasks.
  AddFinding("f-town", "520221104");
  absl::StatusOr<v1::RectificationOrder> town = Issue({"f-town"}, "issue-2");
  ASSERT_TRUE(town.ok()) << town.status();
  EXPECT_EQ(town->task_ids_size(), 0);
  EXPECT_EQ(tasks_.created.size(), 2u);
}

TEST_F(RecordsLogicTest, OrderRefusedWhenTaskTrackingPutsItsTaskElsewhere) {
  AddFinding("f-1", kVillage);
  tasks_.move_to_village = "520203101001";  // another county
  absl::StatusOr<v1::RectificationOrder> o = Issue({"f-1"});
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(store_.orders.empty()) << "an order was stored with a task outside its region";
}

// Point 10: verified only when every linked task is verified; cancelled is not verified.
TEST_F(RecordsLogicTest, VerifyWaitsForEveryTask) {
  v1::RectificationOrder o = SubmittedOrder(tv1::TASK_STATUS_VERIFIED, tv1::TASK_STATUS_COMPLETED);
  absl::Status st = Verify(o.id(), "verify-1");
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "TASKS_NOT_VERIFIED");
  EXPECT_NE(st.message().find(o.task_ids(1)), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find(o.task_ids(0) + " "), std::string::npos)
      << "a verified task was named: " << st.message();
  EXPECT_EQ(store_.orders[o.id()].status(), v1::RECTIFICATION_STATUS_SUBMITTED);

  tasks_.Set(o.task_ids(1), tv1::TASK_STATUS_CANCELLED);
  st = Verify(o.id(), "verify-2");
  EXPECT_EQ(common::ReasonOf(common::ToGrpcStatus(st)), "TASKS_NOT_VERIFIED") << st;
  EXPECT_NE(st.message().find("TASK_STATUS_CANCELLED"), std::string::npos) << st.message();

  tasks_.Set(o.task_ids(1), tv1::TASK_STATUS_VERIFIED);
  ASSERT_TRUE(Verify(o.id(), "verify-3").ok());
  EXPECT_EQ(store_.orders[o.id()].status(), v1::RECTIFICATION_STATUS_VERIFIED);
  // A retry of the verification that went through is replayed, even if a task was
  // reopened since: the answer of a request does not change.
  tasks_.Set(o.task_ids(0), tv1::TASK_STATUS_IN_PROGRESS);
  EXPECT_TRUE(Verify(o.id(), "verify-3").ok());
}

TEST_F(RecordsLogicTest, VerifyOfAnOrderWithoutTasks) {
  AddFinding("f-town", "520221104");
  absl::StatusOr<v1::RectificationOrder> o = Issue({"f-town"});
  ASSERT_TRUE(o.ok());
  store_.orders[o->id()].set_status(v1::RECTIFICATION_STATUS_SUBMITTED);
  EXPECT_TRUE(Verify(o->id(), "verify-1").ok());
}

TEST_F(RecordsLogicTest, VerifyFailsClosedWhenTaskTrackingCannotAnswer) {
  v1::RectificationOrder o = SubmittedOrder(tv1::TASK_STATUS_VERIFIED, tv1::TASK_STATUS_VERIFIED);
  tasks_.tasks.erase(o.task_ids(1));
  absl::Status st = Verify(o.id(), "verify-1");
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal) << st;
  EXPECT_EQ(store_.orders[o.id()].status(), v1::RECTIFICATION_STATUS_SUBMITTED);
}

// Point 10: rejecting reopens the completed and verified tasks, with request ids derived
// from the rejection, so a replay reopens nothing twice.
TEST_F(RecordsLogicTest, RejectReopensFinishedTasks) {
  v1::RectificationOrder o = SubmittedOrder(tv1::TASK_STATUS_COMPLETED, tv1::TASK_STATUS_VERIFIED);
  absl::StatusOr<v1::RectificationOrder> out = Reject(o.id(), "reject-1");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->status(), v1::RECTIFICATION_STATUS_OPEN);
  EXPECT_EQ(out->reopen_count(), 1);
  for (const auto& id : o.task_ids()) {
    EXPECT_EQ(tasks_.tasks[id].status(), tv1::TASK_STATUS_IN_PROGRESS) << id;
    EXPECT_EQ(tasks_.reopens_applied[id], 1) << id;
  }
  EXPECT_EQ(tasks_.reopen_request_ids,
            (std::vector<std::string>{ReopenRequestId("inspector-3", "reject-1", o.task_ids(0)),
                                      ReopenRequestId("inspector-3", "reject-1", o.task_ids(1))}));

  // A late replay of the same rejection, after the tasks were completed and the order
  // submitted again: the first answer, and nothing reopened a second time.
  tasks_.Set(o.task_ids(0), tv1::TASK_STATUS_COMPLETED);
  tasks_.Set(o.task_ids(1), tv1::TASK_STATUS_COMPLETED);
  store_.orders[o.id()].set_status(v1::RECTIFICATION_STATUS_SUBMITTED);
  absl::StatusOr<v1::RectificationOrder> replay = Reject(o.id(), "reject-1");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->reopen_count(), 1);
  EXPECT_EQ(tasks_.reopens_applied[o.task_ids(0)], 1);
  EXPECT_EQ(tasks_.tasks[o.task_ids(0)].status(), tv1::TASK_STATUS_COMPLETED);
  EXPECT_EQ(store_.orders[o.id()].status(), v1::RECTIFICATION_STATUS_SUBMITTED);
  // A new rejection (new request id) reopens them again.
  ASSERT_TRUE(Reject(o.id(), "reject-2").ok());
  EXPECT_EQ(tasks_.reopens_applied[o.task_ids(0)], 2);
  EXPECT_EQ(tasks_.tasks[o.task_ids(1)].status(), tv1::TASK_STATUS_IN_PROGRESS);
}

TEST_F(RecordsLogicTest, RejectLeavesOpenAndCancelledTasksAlone) {
  v1::RectificationOrder o =
      SubmittedOrder(tv1::TASK_STATUS_IN_PROGRESS, tv1::TASK_STATUS_CANCELLED);
  ASSERT_TRUE(Reject(o.id(), "reject-1").ok());
  EXPECT_TRUE(tasks_.reopen_request_ids.empty());
  EXPECT_EQ(tasks_.tasks[o.task_ids(1)].status(), tv1::TASK_STATUS_CANCELLED);
  EXPECT_EQ(store_.orders[o.id()].status(), v1::RECTIFICATION_STATUS_OPEN);
}

// A task that cannot be reopened fails the call before the order changes; the retry of
// the same request finishes the job without reopening anything twice.
TEST_F(RecordsLogicTest, RejectIsNeverSilentlyHalfDone) {
  v1::RectificationOrder o = SubmittedOrder(tv1::TASK_STATUS_COMPLETED, tv1::TASK_STATUS_COMPLETED);
  tasks_.fail_reopen.insert(o.task_ids(1));
  absl::StatusOr<v1::RectificationOrder> first = Reject(o.id(), "reject-1");
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable) << first.status();
  EXPECT_NE(first.status().message().find(o.task_ids(1)), std::string::npos);
  EXPECT_EQ(store_.orders[o.id()].status(), v1::RECTIFICATION_STATUS_SUBMITTED);
  EXPECT_EQ(tasks_.tasks[o.task_ids(0)].status(), tv1::TASK_STATUS_IN_PROGRESS);
  EXPECT_EQ(tasks_.tasks[o.task_ids(1)].status(), tv1::TASK_STATUS_COMPLETED);
  // Meanwhile nobody can verify the order.
  EXPECT_EQ(Verify(o.id(), "verify-1").code(), absl::StatusCode::kFailedPrecondition);

  absl::StatusOr<v1::RectificationOrder> retry = Reject(o.id(), "reject-1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->status(), v1::RECTIFICATION_STATUS_OPEN);
  EXPECT_EQ(retry->reopen_count(), 1);
  for (const auto& id : o.task_ids()) {
    EXPECT_EQ(tasks_.tasks[id].status(), tv1::TASK_STATUS_IN_PROGRESS) << id;
    EXPECT_EQ(tasks_.reopens_applied[id], 1) << id;
  }
}

TEST_F(RecordsLogicTest, RejectOfAnOrderNotSubmittedTouchesNoTask) {
  v1::RectificationOrder o = SubmittedOrder(tv1::TASK_STATUS_COMPLETED, tv1::TASK_STATUS_VERIFIED);
  store_.orders[o.id()].set_status(v1::RECTIFICATION_STATUS_OPEN);
  EXPECT_EQ(Reject(o.id(), "reject-1").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(tasks_.reopen_request_ids.empty());
}

using testing::ExpectSameRefusal;

// Point 1: an order names only objects of the caller's scope (its findings, the responsible
// cadre by managing region, the campaign); point 8: a missing one is refused the same way.
TEST_F(RecordsLogicTest, OrderNamesOnlyObjectsOfTheCallersScope) {
  AddFinding("f-1", kVillage);
  AddFinding("f-liuzhi", "520203101001");
  ExpectSameRefusal(Issue({"f-1"}, "cadre-a", "cadre-liuzhi").status(), "cadre-liuzhi",
                    Issue({"f-1"}, "cadre-b", "cadre-ghost").status(), "cadre-ghost");
  ExpectSameRefusal(
      Issue({"f-1"}, "camp-a", "cadre-7", "campaign-liuzhi").status(), "campaign-liuzhi",
      Issue({"f-1"}, "camp-b", "cadre-7", "campaign-ghost").status(), "campaign-ghost");
  ExpectSameRefusal(Issue({"f-1", "f-liuzhi"}, "find-a").status(), "f-liuzhi",
                    Issue({"f-1", "f-ghost"}, "find-b").status(), "f-ghost");
  EXPECT_TRUE(store_.orders.empty());
  EXPECT_TRUE(tasks_.created.empty()) << "a refused order created tasks";
  // Whoever sees every region is told what is missing.
  inspector_.set_region_scopes(0, "*");
  absl::Status missing = Issue({"f-1"}, "cadre-c", "cadre-ghost").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument) << missing;
  EXPECT_EQ(common::FieldViolationsOf(common::ToGrpcStatus(missing)).at(0).first,
            "responsible.cadre_id");
  // And the rule holds for the county's own objects.
  inspector_.set_region_scopes(0, "520221");
  EXPECT_TRUE(Issue({"f-1"}, "own").ok());
}

TEST_F(RecordsLogicTest, ActionsAndOrdersOfAnotherCountyLookMissing) {
  AddFinding("f-1", kVillage);
  auto act = [&](const std::string& cadre) {
    v1::RecordAccountabilityActionRequest req;
    req.set_request_id(absl::StrCat("act-", cadre));
    req.mutable_action()->mutable_subject()->set_cadre_id(cadre);
    req.mutable_action()->add_finding_ids("f-1");
    req.mutable_action()->set_kind(v1::ACTION_KIND_WARNING);
    v1::AccountabilityAction out;
    return logic_.RecordAccountabilityAction(Ctx(req.request_id()), req, out);
  };
  ExpectSameRefusal(act("cadre-liuzhi"), "cadre-liuzhi", act("cadre-ghost"), "cadre-ghost");
  v1::RectificationOrder& liuzhi = store_.orders["o-liuzhi"];
  liuzhi.set_id("o-liuzhi");
  liuzhi.set_region_code("520203101001");
  liuzhi.set_status(v1::RECTIFICATION_STATUS_SUBMITTED);
  ExpectSameRefusal(Verify("o-liuzhi", "v-1"), "o-liuzhi", Verify("o-ghost", "v-2"), "o-ghost");
  EXPECT_EQ(store_.orders["o-liuzhi"].status(), v1::RECTIFICATION_STATUS_SUBMITTED);
}

// Attack (review of issue 17): a prefecture inspector's action on findings of two counties
// tagged both with one county's region, locking the other county's auditors out of its
// finding's history.
TEST_F(RecordsLogicTest, AnActionNamesFindingsOfOneRegion) {
  AddFinding("f-a", kVillage);
  AddFinding("f-b", "520222100200");
  inspector_.set_region_scopes(0, "5202");
  v1::RecordAccountabilityActionRequest req;
  req.set_request_id("act-two-counties");
  req.mutable_action()->mutable_subject()->set_department("Shuicheng poverty office");
  req.mutable_action()->add_finding_ids("f-a");
  req.mutable_action()->add_finding_ids("f-b");
  req.mutable_action()->set_kind(v1::ACTION_KIND_WARNING);
  v1::AccountabilityAction out;
  absl::Status st = logic_.RecordAccountabilityAction(Ctx(req.request_id()), req, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_EQ(common::FieldViolationsOf(common::ToGrpcStatus(st)).at(0).first, "action.finding_ids");
}

TEST(ReopenRequestIdTest, StablePerRejectionAndTask) {
  std::string id = ReopenRequestId("inspector-3", "reject-1", "task-1");
  EXPECT_EQ(id, ReopenRequestId("inspector-3", "reject-1", "task-1"));
  EXPECT_NE(id, ReopenRequestId("inspector-3", "reject-1", "task-2"));
  EXPECT_NE(id, ReopenRequestId("inspector-3", "reject-2", "task-1"));
  EXPECT_NE(id, ReopenRequestId("inspector-4", "reject-1", "task-1"));
  common::FieldViolations v;
  common::ValidateRequestId(
      ReopenRequestId(std::string(200, 's'), std::string(64, 'r'), std::string(64, 't')), v);
  EXPECT_TRUE(v.empty());
}

}  // namespace
}  // namespace tuopin::accountability
