#pragma once
// The fixture of the records logic's unit tests: the logic over the in-memory records
// store, personnel directory and task tracking (tests/support), with an inspector of
// Shuicheng county (520221) as the caller.

#include <string>
#include <vector>

#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/accountability/records_logic.h"
#include "tests/support/fake_directories.h"
#include "tests/support/fake_records_store.h"
#include "tests/support/fake_task_directory.h"

namespace tuopin::accountability {

namespace tv1 = tuopin::tasks::v1;
using tuopin::common::v1::ROLE_INSPECTOR;

inline constexpr char kVillage[] = "520221104001";

class RecordsLogicTest : public ::testing::Test {
 protected:
  RecordsLogicTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2018, 9, 5, 2, 0, 0), absl::UTCTimeZone())),
        tokens_("records-unit-test-page-token-key-0123"),
        logic_(store_, personnel_, tasks_, clock_, tokens_) {
    inspector_.set_subject("inspector-3");
    inspector_.add_roles(ROLE_INSPECTOR);
    inspector_.add_region_scopes("520221");
    personnel_.cadre_regions = {{"cadre-7", "520221"}, {"cadre-liuzhi", "520203"}};
    tasks_.AddCampaign("campaign-1", "520221");  // Shuicheng's, in its second stage
    tasks_.AddCampaign("campaign-liuzhi", "520203");
  }

  MutationContext Ctx(const std::string& request_id) const { return Ctx(request_id, inspector_); }
  MutationContext Ctx(const std::string& request_id, const common::Principal& who) const {
    MutationContext m;
    m.service = "accountability";
    m.method = "/tuopin.accountability.v1.AccountabilityService/Test";
    m.principal = who;
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
  testing::FakeRecordsStore store_;
  testing::FakePersonnelDirectory personnel_;
  testing::FakeTaskDirectory tasks_;
  RecordsLogic logic_;
  common::Principal inspector_;
};

}  // namespace tuopin::accountability
