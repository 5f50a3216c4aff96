// The audit log's rules (services/auditlog/auditlog_logic.h) on the in-memory store:
// appends and their refusals, checkpoints, proofs checked the way an auditor checks them,
// the entity and region lists, and the contract's role limits. No database, no server.

#include "services/auditlog/auditlog_logic.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/auth.h"
#include "common/crypto.h"
#include "common/field_limits.h"
#include "common/mutation.h"
#include "common/status.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/auditlog/merkle.h"
#include "tests/support/audit_event_fixture.h"
#include "tests/support/fake_auditlog_store.h"
#include "tests/support/grpc_harness.h"
#include "tuopin/auditlog/v1/auditlog.grpc.pb.h"

namespace tuopin::auditlog {
namespace {

using tuopin::common::v1::AuditEvent;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_AUDITOR;
using tuopin::common::v1::ROLE_SERVICE;
using tuopin::testing::MakePrincipal;

const absl::Time kNow = absl::FromUnixSeconds(1534809600);  // 2018-08-21

std::string Reason(const absl::Status& st) { return common::ReasonOf(common::ToGrpcStatus(st)); }

AuditEvent Event(int i, const std::string& region = "520221104001",
                 absl::Time at = kNow - absl::Hours(1)) {
  return testing::TransferEvent(i, at, region);
}

class AuditLogLogicTest : public ::testing::Test {
 protected:
  AuditLogLogicTest()
      : signer_(std::move(*NoteSigner::FromPem("tuopin.test", testing::Ed25519PrivateKeyPem()))),
        logic_(store_, *signer_, "tuopin.test/audit-log", clock_, tokens_) {}

  absl::Status Append(const std::vector<AuditEvent>& events, v1::AppendEventsResponse* out,
                      const common::Principal* as = nullptr) {
    v1::AppendEventsRequest req;
    for (const auto& e : events) *req.add_events() = e;
    v1::AppendEventsResponse ignored;
    return logic_.AppendEvents(as ? *as : funds_, req, out ? *out : ignored);
  }
  void AppendRange(int from, int to) {
    std::vector<AuditEvent> events;
    for (int i = from; i < to; ++i) events.push_back(Event(i));
    ASSERT_TRUE(Append(events, nullptr).ok());
  }
  // The latest checkpoint, trusted only after its signature verifies under the log's key.
  ParsedCheckpoint Verified() {
    v1::PublicKey key;
    EXPECT_TRUE(logic_.GetPublicKey(auditor_, {}, key).ok());
    v1::Checkpoint cp;
    EXPECT_TRUE(logic_.GetCheckpoint(auditor_, {}, cp).ok());
    auto body = VerifyNote(cp.signed_note(), key.verifier_key());
    EXPECT_TRUE(body.has_value()) << cp.signed_note();
    auto parsed = ParseCheckpointBody(body.value_or(""));
    EXPECT_TRUE(parsed.has_value());
    return parsed.value_or(ParsedCheckpoint{});
  }

  testing::FakeAuditLogStore store_;
  common::FakeClock clock_{kNow};
  common::PageTokenCodec tokens_{"auditlog-logic-test-page-key"};
  std::unique_ptr<NoteSigner> signer_;
  AuditLogLogic logic_;
  const common::Principal funds_ = MakePrincipal("service:funds", {ROLE_SERVICE}, {"*"});
  const common::Principal auditor_ = MakePrincipal("auditor-1", {ROLE_AUDITOR}, {"52"});
  const common::Principal admin_ = MakePrincipal("admin-1", {ROLE_ADMIN}, {"*"});
};

TEST_F(AuditLogLogicTest, AppendsInOrderAndStampsTheLogsReceiptTime) {
  v1::AppendEventsResponse resp;
  ASSERT_TRUE(Append({Event(0), Event(1), Event(2)}, &resp).ok());
  EXPECT_EQ(std::vector<int64_t>(resp.leaf_indexes().begin(), resp.leaf_indexes().end()),
            (std::vector<int64_t>{0, 1, 2}));
  ASSERT_EQ(store_.leaves.size(), 3u);
  AuditEvent logged;
  ASSERT_TRUE(logged.ParseFromString(store_.leaves[1].leaf_value));
  EXPECT_EQ(logged.event_id(), "evt-1");
  EXPECT_EQ(common::FromTimestamp(logged.logged_at()), kNow);
  // The digest is of the event as sent, so a retry (without logged_at) matches it.
  EXPECT_EQ(store_.leaves[1].content_sha256, common::Sha256(common::DeterministicBytes(Event(1))));
}

TEST_F(AuditLogLogicTest, AnEventSentAgainKeepsItsFirstIndex) {
  AppendRange(0, 2);
  clock_.Advance(absl::Minutes(1));
  v1::AppendEventsResponse resp;
  ASSERT_TRUE(Append({Event(1), Event(5), Event(0)}, &resp).ok());
  EXPECT_EQ(std::vector<int64_t>(resp.leaf_indexes().begin(), resp.leaf_indexes().end()),
            (std::vector<int64_t>{1, 2, 0}));
  EXPECT_EQ(store_.leaves.size(), 3u);
}

TEST_F(AuditLogLogicTest, AReusedEventIdWithOtherContentAppendsNothingOfTheCall) {
  AppendRange(0, 1);
  AuditEvent changed = Event(0);
  changed.set_actor_subject("someone-else");
  absl::Status st = Append({Event(7), changed}, nullptr);
  EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists) << st;
  EXPECT_EQ(Reason(st), "EVENT_ID_CONFLICT");
  EXPECT_NE(st.message().find("events[1].event_id evt-0"), std::string::npos) << st;
  EXPECT_EQ(store_.leaves.size(), 1u);  // evt-7 was not appended either
}

TEST_F(AuditLogLogicTest, AServiceAppendsOnlyItsOwnEvents) {
  AuditEvent tasks_event = Event(0);
  tasks_event.set_service("tasks");
  absl::Status st = Append({Event(1), tasks_event}, nullptr);
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << st;
  EXPECT_EQ(Reason(st), "WRONG_SERVICE");
  EXPECT_NE(st.message().find("events[1].service"), std::string::npos) << st;
  // A person, even an administrator, speaks for no service.
  st = Append({Event(2)}, nullptr, &admin_);
  EXPECT_EQ(Reason(st), "WRONG_SERVICE") << st;
  // A subject that looks like a service but lacks the role is not one.
  const common::Principal fake = MakePrincipal("service:funds", {ROLE_ADMIN}, {"*"});
  EXPECT_EQ(Reason(Append({Event(3)}, nullptr, &fake)), "WRONG_SERVICE");
  EXPECT_TRUE(store_.leaves.empty());
}

TEST_F(AuditLogLogicTest, AnEventFromTheFutureIsRetriedNotRefused) {
  absl::Status st = Append({Event(0, "520221104001", kNow + absl::Minutes(6))}, nullptr);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_EQ(Reason(st), "CLOCK_SKEW");
  EXPECT_TRUE(Append({Event(1, "520221104001", kNow + absl::Minutes(4))}, nullptr).ok());
}

TEST_F(AuditLogLogicTest, AStoreFailureIsTheAnswer) {
  store_.error = absl::UnavailableError("database down");
  EXPECT_EQ(Append({Event(0)}, nullptr).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(logic_.PublishCheckpoint().code(), absl::StatusCode::kUnavailable);
}

TEST_F(AuditLogLogicTest, CheckpointsArePublishedOnlyWhenTheTreeGrew) {
  v1::Checkpoint cp;
  EXPECT_EQ(logic_.GetCheckpoint(auditor_, {}, cp).code(), absl::StatusCode::kUnavailable);
  AppendRange(0, 5);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  ASSERT_EQ(store_.checkpoints.size(), 1u);
  EXPECT_EQ(store_.checkpoint_saves, 1);  // an unchanged tree is not signed again
  ParsedCheckpoint parsed = Verified();
  EXPECT_EQ(parsed.origin, "tuopin.test/audit-log");
  EXPECT_EQ(parsed.tree_size, 5);
  EXPECT_EQ(parsed.root_hash,
            RangeHash(0, 5, [&](const NodeId& id) { return store_.nodes.at(id); }));
  ASSERT_TRUE(logic_.GetCheckpoint(auditor_, {}, cp).ok());
  EXPECT_EQ(cp.origin(), "tuopin.test/audit-log");
  EXPECT_EQ(cp.tree_size(), 5);
  EXPECT_EQ(common::FromTimestamp(cp.create_time()), kNow);
  AppendRange(5, 6);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  EXPECT_EQ(Verified().tree_size, 6);
}

// One log per county is configuration: two instances, two origins, two stores.
TEST_F(AuditLogLogicTest, EachInstanceSignsForItsOwnOrigin) {
  testing::FakeAuditLogStore other_store;
  AuditLogLogic other(other_store, *signer_, "tuopin.520221/audit-log", clock_, tokens_);
  AppendRange(0, 2);
  v1::AppendEventsRequest req;
  *req.add_events() = Event(9);
  v1::AppendEventsResponse resp;
  ASSERT_TRUE(other.AppendEvents(funds_, req, resp).ok());
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  ASSERT_TRUE(other.PublishCheckpoint().ok());
  v1::Checkpoint cp;
  ASSERT_TRUE(other.GetCheckpoint(auditor_, {}, cp).ok());
  EXPECT_EQ(cp.origin(), "tuopin.520221/audit-log");
  EXPECT_EQ(cp.tree_size(), 1);
  EXPECT_TRUE(absl::StartsWith(cp.signed_note(), "tuopin.520221/audit-log\n1\n"))
      << cp.signed_note();
  EXPECT_EQ(Verified().tree_size, 2);
}

TEST_F(AuditLogLogicTest, InclusionProofsVerifyAgainstTheSignedRoot) {
  AppendRange(0, 7);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  ParsedCheckpoint cp = Verified();
  for (int64_t i = 0; i < 7; ++i) {
    v1::GetInclusionProofRequest req;
    req.set_leaf_index(i);
    v1::InclusionProof proof;
    ASSERT_TRUE(logic_.GetInclusionProof(auditor_, req, proof).ok());
    EXPECT_EQ(proof.tree_size(), 7);
    EXPECT_EQ(proof.leaf_hash(), LeafHash(store_.leaves[i].leaf_value));
    std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
    EXPECT_TRUE(VerifyInclusion(proof.leaf_hash(), i, 7, hashes, cp.root_hash)) << i;
  }
}

TEST_F(AuditLogLogicTest, ProofsAreOnlyAgainstPublishedCheckpoints) {
  AppendRange(0, 4);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  AppendRange(4, 6);  // not yet checkpointed
  v1::GetInclusionProofRequest req;
  req.set_leaf_index(1);
  req.set_tree_size(6);
  v1::InclusionProof proof;
  absl::Status st = logic_.GetInclusionProof(auditor_, req, proof);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_EQ(Reason(st), "BEYOND_CHECKPOINT");
  req.set_tree_size(0);
  req.set_leaf_index(4);  // appended, but not below the published size
  st = logic_.GetInclusionProof(auditor_, req, proof);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find("leaf_index"), std::string::npos) << st;
}

TEST_F(AuditLogLogicTest, AProofByEventIdIsTheProofOfItsLeaf) {
  AppendRange(0, 3);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  v1::GetInclusionProofByEventIdRequest req;
  req.set_event_id("evt-2");
  v1::InclusionProof proof;
  ASSERT_TRUE(logic_.GetInclusionProofByEventId(auditor_, req, proof).ok());
  EXPECT_EQ(proof.leaf_index(), 2);
  std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
  EXPECT_TRUE(VerifyInclusion(proof.leaf_hash(), 2, 3, hashes, Verified().root_hash));
  req.set_event_id("evt-99");
  absl::Status st = logic_.GetInclusionProofByEventId(auditor_, req, proof);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
}

TEST_F(AuditLogLogicTest, BatchProofsAreInRequestOrder) {
  AppendRange(0, 9);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  ParsedCheckpoint cp = Verified();
  v1::GetInclusionProofsRequest req;
  for (int64_t i : {8, 0, 3}) req.add_leaf_indexes(i);
  v1::GetInclusionProofsResponse resp;
  ASSERT_TRUE(logic_.GetInclusionProofs(auditor_, req, resp).ok());
  ASSERT_EQ(resp.proofs_size(), 3);
  for (int k = 0; k < 3; ++k) {
    const auto& p = resp.proofs(k);
    EXPECT_EQ(p.leaf_index(), req.leaf_indexes(k));
    std::vector<std::string> hashes(p.hashes().begin(), p.hashes().end());
    EXPECT_TRUE(VerifyInclusion(p.leaf_hash(), p.leaf_index(), 9, hashes, cp.root_hash));
  }
  req.add_leaf_indexes(9);
  absl::Status st = logic_.GetInclusionProofs(auditor_, req, resp);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find("leaf_indexes[3]"), std::string::npos) << st;
}

TEST_F(AuditLogLogicTest, ConsistencyProofsLinkTwoCheckpoints) {
  AppendRange(0, 3);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  ParsedCheckpoint first = Verified();
  AppendRange(3, 11);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  ParsedCheckpoint second = Verified();
  v1::GetConsistencyProofRequest req;
  req.set_first_size(3);
  req.set_second_size(11);
  v1::ConsistencyProof proof;
  ASSERT_TRUE(logic_.GetConsistencyProof(auditor_, req, proof).ok());
  std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
  EXPECT_TRUE(VerifyConsistency(3, 11, first.root_hash, second.root_hash, hashes));
  // A rewritten history does not verify against the old root.
  EXPECT_FALSE(VerifyConsistency(3, 11, common::Sha256("forged"), second.root_hash, hashes));
  AppendRange(11, 12);
  req.set_second_size(12);
  EXPECT_EQ(Reason(logic_.GetConsistencyProof(auditor_, req, proof)), "BEYOND_CHECKPOINT");
}

TEST_F(AuditLogLogicTest, LeavesByRangeCarryTheirEvents) {
  AppendRange(0, 4);
  v1::GetLeavesByRangeRequest req;
  req.set_start(1);
  req.set_count(10);
  v1::GetLeavesByRangeResponse resp;
  ASSERT_TRUE(logic_.GetLeavesByRange(admin_, req, resp).ok());
  ASSERT_EQ(resp.leaves_size(), 3);
  EXPECT_EQ(resp.leaves(0).index(), 1);
  EXPECT_EQ(resp.leaves(0).event().event_id(), "evt-1");
  EXPECT_EQ(resp.leaves(0).leaf_value(), store_.leaves[1].leaf_value);
  store_.leaves[2].leaf_value = "\xff not a proto";
  EXPECT_EQ(logic_.GetLeavesByRange(admin_, req, resp).code(), absl::StatusCode::kDataLoss);
}

TEST_F(AuditLogLogicTest, EntityEventsListOnlyCheckpointedLeavesPageByPage) {
  AuditEvent a = Event(0), b = Event(1), c = Event(2);
  for (AuditEvent* e : {&a, &b, &c}) e->mutable_entities(0)->set_id("t-shared");
  ASSERT_TRUE(Append({a, Event(5), b}, nullptr).ok());
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  ASSERT_TRUE(Append({c}, nullptr).ok());  // after the checkpoint: not listed yet
  v1::ListEntityEventsRequest req;
  req.set_entity_type("transfer");
  req.set_entity_id("t-shared");
  req.set_page_size(1);
  std::vector<int64_t> seen;
  for (int page = 0; page < 5; ++page) {
    v1::ListEventsResponse resp;
    ASSERT_TRUE(logic_.ListEntityEvents(admin_, req, resp).ok());
    for (const auto& l : resp.leaves()) seen.push_back(l.index());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 2}));
  // Exact: no padding, no case folding.
  req.clear_page_token();
  req.set_entity_id("T-SHARED");
  v1::ListEventsResponse resp;
  ASSERT_TRUE(logic_.ListEntityEvents(admin_, req, resp).ok());
  EXPECT_EQ(resp.leaves_size(), 0);
}

TEST_F(AuditLogLogicTest, RegionEventsAreOfTheSubtreeAndPeriodInTheCallersScope) {
  const absl::Time t0 = kNow - absl::Hours(10);
  ASSERT_TRUE(Append({Event(0, "520221104001", t0), Event(1, "530102000000", t0),
                      Event(2, "520221", t0 + absl::Hours(2)), Event(3, "520221104001", kNow)},
                     nullptr)
                  .ok());
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  v1::ListRegionEventsRequest req;
  req.set_region_code("5202");
  *req.mutable_from_time() = common::ToTimestamp(t0);
  *req.mutable_to_time() = common::ToTimestamp(t0 + absl::Hours(3));
  v1::ListEventsResponse resp;
  ASSERT_TRUE(logic_.ListRegionEvents(auditor_, req, resp).ok());
  std::vector<std::string> ids;
  for (const auto& l : resp.leaves()) ids.push_back(l.event().event_id());
  EXPECT_EQ(ids, (std::vector<std::string>{"evt-0", "evt-2"}));
  // Outside the caller's scope ("52"): refused, whatever the log holds.
  req.set_region_code("53");
  absl::Status st = logic_.ListRegionEvents(auditor_, req, resp);
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << st;
}

TEST_F(AuditLogLogicTest, TheSequencerIndexesALogOlderThanTheIndex) {
  AppendRange(0, 3);
  store_.DropIndex();
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  EXPECT_EQ(store_.indexed_size, 3);
  v1::ListEntityEventsRequest req;
  req.set_entity_type("transfer");
  req.set_entity_id("t-1");
  v1::ListEventsResponse resp;
  ASSERT_TRUE(logic_.ListEntityEvents(admin_, req, resp).ok());
  ASSERT_EQ(resp.leaves_size(), 1);
  EXPECT_EQ(resp.leaves(0).index(), 1);
}

// As the frame validates (common::ValidateRequest): the contract's limits, then the rules.
TEST(AuditLogValidateTest, AppendsHoldOneToAThousandValidEvents) {
  v1::AppendEventsRequest req;
  EXPECT_EQ(common::ValidateRequest(req, &Validate).code(), absl::StatusCode::kInvalidArgument);
  *req.add_events() = Event(0);
  EXPECT_TRUE(common::ValidateRequest(req, &Validate).ok());
  req.set_request_id("not an id");
  absl::Status st = common::ValidateRequest(req, &Validate);
  EXPECT_TRUE(absl::StrContains(st.message(), "request_id")) << st;
  req.clear_request_id();
  for (int i = 1; i <= 1000; ++i) *req.add_events() = Event(i);
  st = common::ValidateRequest(req, &Validate);
  EXPECT_TRUE(absl::StrContains(st.message(), "events")) << st;
  req.mutable_events()->DeleteSubrange(1, 1000);
  // The event's service is a closed set only the shared rule (ValidateAuditEvent) knows.
  req.mutable_events(0)->set_service("payroll");
  st = common::ValidateRequest(req, &Validate);
  EXPECT_TRUE(absl::StrContains(st.message(), "events[0].service")) << st;
  v1::GetConsistencyProofRequest c;
  c.set_first_size(5);
  c.set_second_size(4);
  EXPECT_EQ(Validate(c).code(), absl::StatusCode::kInvalidArgument);
}

// The role limits come from the contract (auditlog.proto's policies), enforced by the
// handler before the logic runs: auditors read events only through audit-query.
TEST(AuditLogPolicyTest, TheContractLimitsWhoReadsWhat) {
  const auto* service = common::FindService(v1::AuditLog::service_full_name());
  auto allowed = [&](const common::Principal& p, const std::string& method) {
    const auto* m = service->FindMethodByName(method);
    EXPECT_NE(m, nullptr) << method;
    return common::CheckPolicy(p, m->options().GetExtension(tuopin::common::v1::policy),
                               m->full_name())
        .ok();
  };
  const auto auditor = MakePrincipal("auditor-1", {ROLE_AUDITOR}, {"*"});
  const auto admin = MakePrincipal("admin-1", {ROLE_ADMIN}, {"*"});
  const auto funds = MakePrincipal("service:funds", {ROLE_SERVICE}, {"*"});
  const auto auditquery = MakePrincipal("service:auditquery", {ROLE_SERVICE}, {"*"});
  for (const char* m :
       {"GetLeavesByRange", "ListEntityEvents", "ListRegionEvents", "AppendEvents"}) {
    EXPECT_FALSE(allowed(auditor, m)) << m;
  }
  for (const char* m :
       {"GetCheckpoint", "GetPublicKey", "GetInclusionProof", "GetInclusionProofByEventId",
        "GetConsistencyProof", "GetInclusionProofs"}) {
    EXPECT_TRUE(allowed(auditor, m)) << m;
  }
  EXPECT_TRUE(allowed(admin, "GetLeavesByRange"));
  EXPECT_FALSE(allowed(admin, "AppendEvents"));
  EXPECT_TRUE(allowed(funds, "AppendEvents"));
  EXPECT_FALSE(allowed(funds, "ListEntityEvents"));
  EXPECT_FALSE(allowed(funds, "GetCheckpoint"));
  EXPECT_TRUE(allowed(auditquery, "ListRegionEvents"));
  EXPECT_TRUE(allowed(auditquery, "GetInclusionProofs"));
  EXPECT_FALSE(allowed(auditquery, "GetLeavesByRange"));
}

}  // namespace
}  // namespace tuopin::auditlog
