// AuditLog through a real gRPC server and MariaDB: idempotent appends, signed
// checkpoints, inclusion and consistency proofs verified by the client against the
// signed root, and tampering with stored leaves or subtree hashes detected.

#include <functional>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/handler.h"
#include "common/migrate.h"
#include "common/outbox.h"
#include "common/validate.h"
#include "gtest/gtest.h"
#include "services/auditlog/auditlog_service.h"
#include "services/auditlog/mysql_auditlog_store.h"
#include "tests/support/audit_event_fixture.h"
#include "tests/support/grpc_harness.h"
#include "tests/support/test_db.h"

namespace tuopin::generated {
const std::vector<tuopin::common::Migration>& AuditLogMigrations();
}

namespace tuopin::auditlog {
namespace {

using testing::ContextAs;
using testing::MakePrincipal;

tuopin::common::v1::AuditEvent Event(int i) {
  return testing::TransferEvent(i, absl::FromUnixSeconds(1534809600));  // 2018-08-21
}

class AuditLogTest : public ::testing::Test {
 protected:
  AuditLogTest()
      : pool_(db_.NewPool(8)),
        signer_(std::move(*NoteSigner::FromPem("tuopin.test", testing::Ed25519PrivateKeyPem()))),
        store_(*pool_),
        logic_(store_, *signer_, "tuopin.test/audit-log", *common::SystemClock::Get(), tokens_),
        authorizer_(testing::kTestInternalKey,
                    common::FindService(v1::AuditLog::service_full_name())),
        handler_("auditlog", authorizer_, *common::SystemClock::Get()),
        service_(NewAuditLogService(logic_, handler_)),
        server_({service_.get()}),
        stub_(v1::AuditLog::NewStub(server_.channel())) {}

  void SetUp() override {
    ASSERT_TRUE(common::ApplyMigrations(*pool_, generated::AuditLogMigrations()).ok());
  }

  v1::AppendEventsResponse Append(int from, int to) {
    v1::AppendEventsRequest req;
    for (int i = from; i < to; ++i) *req.add_events() = Event(i);
    v1::AppendEventsResponse resp;
    grpc::Status st = stub_->AppendEvents(ContextAs(service_principal_).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  // A checkpoint the client trusts only after checking its signature.
  ParsedCheckpoint VerifiedCheckpoint() {
    v1::GetPublicKeyRequest kreq;
    v1::PublicKey key;
    EXPECT_TRUE(stub_->GetPublicKey(ContextAs(auditor_).get(), kreq, &key).ok());
    v1::GetCheckpointRequest creq;
    v1::Checkpoint cp;
    EXPECT_TRUE(stub_->GetCheckpoint(ContextAs(auditor_).get(), creq, &cp).ok());
    auto body = VerifyNote(cp.signed_note(), key.verifier_key());
    EXPECT_TRUE(body.has_value()) << cp.signed_note();
    auto parsed = ParseCheckpointBody(body.value_or(""));
    EXPECT_TRUE(parsed.has_value());
    return parsed.value_or(ParsedCheckpoint{});
  }

  // Verifies event `index` the way an auditor does: leaf bytes -> leaf hash -> proof ->
  // the signed root.
  bool Verify(int64_t index, const ParsedCheckpoint& cp) {
    v1::GetLeavesByRangeRequest lreq;
    lreq.set_start(index);
    lreq.set_count(1);
    v1::GetLeavesByRangeResponse leaves;
    if (!stub_->GetLeavesByRange(ContextAs(admin_).get(), lreq, &leaves).ok() ||
        leaves.leaves_size() != 1)
      return false;
    v1::GetInclusionProofRequest preq;
    preq.set_leaf_index(index);
    preq.set_tree_size(cp.tree_size);
    v1::InclusionProof proof;
    if (!stub_->GetInclusionProof(ContextAs(auditor_).get(), preq, &proof).ok()) return false;
    std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
    return VerifyInclusion(LeafHash(leaves.leaves(0).leaf_value()), index, cp.tree_size, hashes,
                           cp.root_hash);
  }

  testing::TestDatabase db_;
  std::unique_ptr<common::ConnectionPool> pool_;
  std::unique_ptr<NoteSigner> signer_;
  MysqlAuditLogStore store_;
  common::PageTokenCodec tokens_{"audit-log-test-page-key"};
  AuditLogLogic logic_;
  common::Authorizer authorizer_;
  common::Handler handler_;
  std::unique_ptr<v1::AuditLog::Service> service_;
  testing::TestServer server_;
  std::unique_ptr<v1::AuditLog::Stub> stub_;
  const common::Principal service_principal_ =
      MakePrincipal("service:funds", {tuopin::common::v1::ROLE_SERVICE}, {"*"});
  const common::Principal auditor_ =
      MakePrincipal("auditor-1", {tuopin::common::v1::ROLE_AUDITOR}, {"52"});
  const common::Principal admin_ =
      MakePrincipal("admin-1", {tuopin::common::v1::ROLE_ADMIN}, {"*"});
};

TEST_F(AuditLogTest, AppendsAreIdempotentByEventIdAndOnlyForServices) {
  auto first = Append(0, 3);
  EXPECT_EQ(std::vector<int64_t>(first.leaf_indexes().begin(), first.leaf_indexes().end()),
            (std::vector<int64_t>{0, 1, 2}));
  auto again = Append(1, 5);  // 1 and 2 are known; 3 and 4 are new
  EXPECT_EQ(std::vector<int64_t>(again.leaf_indexes().begin(), again.leaf_indexes().end()),
            (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(*store_.TreeSize(), 5);
  v1::AppendEventsRequest req;
  *req.add_events() = Event(9);
  v1::AppendEventsResponse resp;
  EXPECT_EQ(stub_->AppendEvents(ContextAs(auditor_).get(), req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  req.mutable_events(0)->set_event_id("bad id");
  EXPECT_EQ(
      testing::ViolatedField(stub_->AppendEvents(ContextAs(service_principal_).get(), req, &resp)),
      "events[0].event_id");
  EXPECT_EQ(*store_.TreeSize(), 5);
}

TEST_F(AuditLogTest, SignedCheckpointsAndProofsVerify) {
  Append(0, 7);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  ParsedCheckpoint small = VerifiedCheckpoint();
  EXPECT_EQ(small.tree_size, 7);
  EXPECT_EQ(small.origin, "tuopin.test/audit-log");
  for (int b = 0; b < 3; ++b) Append(7 + b * 100, 7 + (b + 1) * 100);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  ParsedCheckpoint big = VerifiedCheckpoint();
  EXPECT_EQ(big.tree_size, 307);
  for (int64_t i : {0, 6, 7, 100, 255, 256, 306}) EXPECT_TRUE(Verify(i, big)) << i;
  EXPECT_TRUE(Verify(3, small));

  v1::GetConsistencyProofRequest creq;
  creq.set_first_size(7);
  creq.set_second_size(307);
  v1::ConsistencyProof cproof;
  ASSERT_TRUE(stub_->GetConsistencyProof(ContextAs(auditor_).get(), creq, &cproof).ok());
  std::vector<std::string> hashes(cproof.hashes().begin(), cproof.hashes().end());
  EXPECT_TRUE(VerifyConsistency(7, 307, small.root_hash, big.root_hash, hashes));

  v1::GetInclusionProofByEventIdRequest by_id;
  by_id.set_event_id("evt-255");
  v1::InclusionProof proof;
  ASSERT_TRUE(stub_->GetInclusionProofByEventId(ContextAs(auditor_).get(), by_id, &proof).ok());
  EXPECT_EQ(proof.leaf_index(), 255);
  EXPECT_EQ(proof.tree_size(), 307);

  // Proofs only against published checkpoints; bad ranges name their field.
  v1::GetInclusionProofRequest beyond;
  beyond.set_leaf_index(1);
  beyond.set_tree_size(400);
  EXPECT_EQ(
      testing::ViolatedField(stub_->GetInclusionProof(ContextAs(auditor_).get(), beyond, &proof)),
      "tree_size");
  v1::GetLeavesByRangeRequest none;
  none.set_count(0);
  v1::GetLeavesByRangeResponse leaves;
  EXPECT_EQ(testing::ViolatedField(stub_->GetLeavesByRange(ContextAs(admin_).get(), none, &leaves)),
            "count");
  // A checkpoint note edited after signing does not verify.
  v1::GetCheckpointRequest cpreq;
  v1::Checkpoint cp;
  ASSERT_TRUE(stub_->GetCheckpoint(ContextAs(auditor_).get(), cpreq, &cp).ok());
  std::string forged = cp.signed_note();
  forged.replace(forged.find("307"), 3, "308");
  EXPECT_FALSE(VerifyNote(forged, signer_->VerifierKey()).has_value());
}

TEST_F(AuditLogTest, TamperingWithStoredLeavesOrNodesIsDetected) {
  Append(0, 40);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  ParsedCheckpoint cp = VerifiedCheckpoint();
  ASSERT_TRUE(Verify(5, cp));
  ASSERT_TRUE(Verify(20, cp));
  auto exec = [&](const std::string& sql) {
    ASSERT_TRUE(common::WithConnection(*pool_, [&](common::DbSession& s) {
                  s.ExecuteRaw(sql);
                  return absl::OkStatus();
                }).ok());
  };
  // Someone with database access rewrites event 5's stored bytes...
  tuopin::common::v1::AuditEvent rewritten = Event(5);
  rewritten.set_actor_subject("somebody-else");
  exec(absl::StrCat("UPDATE leaves SET leaf_value = x'",
                    common::HexEncode(rewritten.SerializeAsString()), "' WHERE leaf_index = 5"));
  EXPECT_FALSE(Verify(5, cp));
  // ... or a subtree hash on event 20's path.
  exec("UPDATE nodes SET hash = UNHEX(SHA2('forged', 256)) WHERE level = 2 AND idx = 4");
  EXPECT_FALSE(Verify(20, cp));
  EXPECT_TRUE(Verify(33, cp)) << "untouched parts still verify";
}

// Event i of `entity` in `region` at `when`.
tuopin::common::v1::AuditEvent EntityEvent(int i, const std::string& entity,
                                           const std::string& region, absl::Time when) {
  tuopin::common::v1::AuditEvent e = Event(i);
  e.mutable_entities(0)->set_type("household");
  e.mutable_entities(0)->set_id(entity);
  e.mutable_entities(0)->set_region_code(region);
  // The same entity named twice in one event is indexed once.
  *e.add_entities() = e.entities(0);
  *e.mutable_occurred_at() = common::ToTimestamp(when);
  return e;
}

TEST_F(AuditLogTest, EntityAndRegionQueriesListTheCheckpointedEventsInLogOrder) {
  absl::Time day = absl::FromCivil(absl::CivilDay(2018, 8, 21), absl::UTCTimeZone());
  v1::AppendEventsRequest req;
  // Household h-a in Gaofeng (520221104001), h-b in another county (520222...).
  for (int i = 0; i < 7; ++i)
    *req.add_events() = EntityEvent(i, "h-a", "520221104001", day + absl::Hours(24 * i));
  for (int i = 7; i < 10; ++i)
    *req.add_events() = EntityEvent(i, "h-b", "520222101001", day + absl::Hours(i));
  v1::AppendEventsResponse appended;
  ASSERT_TRUE(stub_->AppendEvents(ContextAs(service_principal_).get(), req, &appended).ok());
  v1::ListEntityEventsRequest ereq;
  ereq.set_entity_type("household");
  ereq.set_entity_id("h-a");
  v1::ListEventsResponse resp;
  // Nothing is listed before a checkpoint covers it (it could not be proven).
  ASSERT_TRUE(stub_->ListEntityEvents(ContextAs(admin_).get(), ereq, &resp).ok());
  EXPECT_EQ(resp.leaves_size(), 0);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  // Paged 3 at a time: every event of h-a exactly once, in log order.
  std::vector<int64_t> seen;
  std::vector<std::string> seen_values;
  ereq.set_page_size(3);
  for (int page = 0; page < 10; ++page) {
    resp.Clear();
    grpc::Status st = stub_->ListEntityEvents(ContextAs(admin_).get(), ereq, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    for (const auto& leaf : resp.leaves()) {
      EXPECT_EQ(leaf.event().entities(0).id(), "h-a");
      EXPECT_EQ(leaf.leaf_value(), leaf.event().SerializeAsString());
      // The leaf is the event as sent, with the log's receipt time.
      tuopin::common::v1::AuditEvent sent = leaf.event();
      EXPECT_TRUE(sent.has_logged_at());
      sent.clear_logged_at();
      EXPECT_EQ(sent.SerializeAsString(),
                EntityEvent(static_cast<int>(leaf.index()), "h-a", "520221104001",
                            day + absl::Hours(24 * leaf.index()))
                    .SerializeAsString());
      seen.push_back(leaf.index());
      seen_values.push_back(leaf.leaf_value());
    }
    if (resp.next_page_token().empty()) break;
    ereq.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6}));
  // Their proofs, in one call, verify against the signed checkpoint.
  ParsedCheckpoint cp = VerifiedCheckpoint();
  v1::GetInclusionProofsRequest preq;
  for (int64_t i : seen) preq.add_leaf_indexes(i);
  v1::GetInclusionProofsResponse proofs;
  ASSERT_TRUE(stub_->GetInclusionProofs(ContextAs(auditor_).get(), preq, &proofs).ok());
  ASSERT_EQ(proofs.proofs_size(), static_cast<int>(seen.size()));
  for (int k = 0; k < proofs.proofs_size(); ++k) {
    const auto& proof = proofs.proofs(k);
    EXPECT_EQ(proof.leaf_index(), seen[k]);
    std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
    EXPECT_TRUE(
        VerifyInclusion(LeafHash(seen_values[k]), seen[k], cp.tree_size, hashes, cp.root_hash))
        << k;
  }
  preq.add_leaf_indexes(10);
  EXPECT_EQ(
      testing::ViolatedField(stub_->GetInclusionProofs(ContextAs(auditor_).get(), preq, &proofs)),
      "leaf_indexes[7]");

  // The county 520221 from Aug 22 to Aug 25: events 1, 2, 3 (not h-b's county).
  v1::ListRegionEventsRequest rreq;
  rreq.set_region_code("520221");
  *rreq.mutable_from_time() = common::ToTimestamp(day + absl::Hours(24));
  *rreq.mutable_to_time() = common::ToTimestamp(day + absl::Hours(24 * 4));
  resp.Clear();
  ASSERT_TRUE(stub_->ListRegionEvents(ContextAs(admin_).get(), rreq, &resp).ok());
  std::vector<int64_t> regional;
  for (const auto& leaf : resp.leaves()) regional.push_back(leaf.index());
  EXPECT_EQ(regional, (std::vector<int64_t>{1, 2, 3}));

  // An operator of county 520221 may not list another county's events.
  rreq.set_region_code("520222");
  grpc::Status denied = stub_->ListRegionEvents(
      ContextAs(MakePrincipal("admin-2", {tuopin::common::v1::ROLE_ADMIN}, {"520221"})).get(), rreq,
      &resp);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Bad input names the field.
  rreq.set_region_code("52x");
  EXPECT_EQ(testing::ViolatedField(stub_->ListRegionEvents(ContextAs(admin_).get(), rreq, &resp)),
            "region_code");
  rreq.set_region_code("520221");
  *rreq.mutable_to_time() = rreq.from_time();
  EXPECT_EQ(testing::ViolatedField(stub_->ListRegionEvents(ContextAs(admin_).get(), rreq, &resp)),
            "to_time");
  ereq.set_entity_type("");
  EXPECT_EQ(testing::ViolatedField(stub_->ListEntityEvents(ContextAs(admin_).get(), ereq, &resp)),
            "entity_type");
}

TEST_F(AuditLogTest, ALogOlderThanTheIndexIsIndexedByTheSequencer) {
  absl::Time day = absl::FromCivil(absl::CivilDay(2018, 8, 21), absl::UTCTimeZone());
  v1::AppendEventsRequest req;
  for (int i = 0; i < 5; ++i) *req.add_events() = EntityEvent(i, "h-old", "520221104001", day);
  v1::AppendEventsResponse appended;
  ASSERT_TRUE(stub_->AppendEvents(ContextAs(service_principal_).get(), req, &appended).ok());
  // As a log written before the entity index existed looks: no index rows, indexed_size 0.
  ASSERT_TRUE(common::WithConnection(*pool_, [&](common::DbSession& s) {
                s.ExecuteRaw("DELETE FROM leaf_entities");
                s.ExecuteRaw("UPDATE log_state SET indexed_size = 0");
                return absl::OkStatus();
              }).ok());
  // New appends while the backlog is pending are indexed, and do not hide the backlog.
  req.Clear();
  *req.add_events() = EntityEvent(5, "h-old", "520221104001", day);
  ASSERT_TRUE(stub_->AppendEvents(ContextAs(service_principal_).get(), req, &appended).ok());
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT indexed_size FROM log_state"), 0);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  EXPECT_EQ(testing::QueryInt(*pool_, "SELECT indexed_size FROM log_state"), 6);
  v1::ListEntityEventsRequest ereq;
  ereq.set_entity_type("household");
  ereq.set_entity_id("h-old");
  v1::ListEventsResponse resp;
  ASSERT_TRUE(stub_->ListEntityEvents(ContextAs(admin_).get(), ereq, &resp).ok());
  EXPECT_EQ(resp.leaves_size(), 6);
}

// Attack: audit-query's token appends an event in the funds service's name, with another
// actor and a 2019 time. A service speaks only for itself.
TEST_F(AuditLogTest, AServiceAppendsOnlyEventsOfItsOwnService) {
  v1::AppendEventsRequest req;
  *req.add_events() = Event(1);  // service "funds"
  req.mutable_events(0)->set_actor_subject("someone-else");
  v1::AppendEventsResponse resp;
  auto auditquery = MakePrincipal("service:auditquery", {tuopin::common::v1::ROLE_SERVICE}, {"*"});
  grpc::Status st = stub_->AppendEvents(ContextAs(auditquery).get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(common::ReasonOf(st), "WRONG_SERVICE");
  // A service token without a service name speaks for nobody.
  auto anonymous = MakePrincipal("batch-job", {tuopin::common::v1::ROLE_SERVICE}, {"*"});
  EXPECT_EQ(stub_->AppendEvents(ContextAs(anonymous).get(), req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(*store_.TreeSize(), 0);
  EXPECT_TRUE(stub_->AppendEvents(ContextAs(service_principal_).get(), req, &resp).ok());
  EXPECT_EQ(*store_.TreeSize(), 1);
}

// Attack: a second event under an existing event_id with other content used to be taken
// for a retry and silently dropped.
TEST_F(AuditLogTest, AReusedEventIdWithOtherContentIsRefusedLoudly) {
  Append(0, 3);
  v1::AppendEventsRequest req;
  *req.add_events() = Event(3);
  *req.add_events() = Event(1);
  req.mutable_events(1)->set_actor_subject("rewriter");
  v1::AppendEventsResponse resp;
  grpc::Status st = stub_->AppendEvents(ContextAs(service_principal_).get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(common::ReasonOf(st), "EVENT_ID_CONFLICT");
  EXPECT_NE(st.error_message().find("events[1].event_id"), std::string::npos) << st.error_message();
  EXPECT_EQ(*store_.TreeSize(), 3) << "nothing of the refused call is appended";
  // Two different events under one id in one call are refused too.
  req.Clear();
  *req.add_events() = Event(7);
  *req.add_events() = Event(7);
  req.mutable_events(1)->set_method("/tuopin.funds.v1.FundsService/PostPendingTransfer");
  EXPECT_EQ(stub_->AppendEvents(ContextAs(service_principal_).get(), req, &resp).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  // The same content again is the retry it always was: the earlier index.
  auto again = Append(1, 2);
  EXPECT_EQ(again.leaf_indexes(0), 1);
  EXPECT_EQ(*store_.TreeSize(), 3);
}

TEST_F(AuditLogTest, TheLeafCarriesTheLogsOwnReceiptTime) {
  absl::Time before = absl::Now();
  Append(0, 1);
  absl::Time after = absl::Now();
  v1::GetLeavesByRangeRequest lreq;
  lreq.set_count(1);
  v1::GetLeavesByRangeResponse leaves;
  ASSERT_TRUE(stub_->GetLeavesByRange(ContextAs(admin_).get(), lreq, &leaves).ok());
  tuopin::common::v1::AuditEvent leaf;
  ASSERT_TRUE(leaf.ParseFromString(leaves.leaves(0).leaf_value()));
  absl::Time logged = common::FromTimestamp(leaf.logged_at());
  EXPECT_GE(logged, before - absl::Seconds(1));
  EXPECT_LE(logged, after + absl::Seconds(1));
  EXPECT_EQ(leaf.occurred_at().seconds(), 1534809600) << "the service's claim is kept as sent";
  // A sender cannot set the receipt time, nor claim a time far after it.
  v1::AppendEventsRequest req;
  *req.add_events() = Event(5);
  *req.mutable_events(0)->mutable_logged_at() = common::ToTimestamp(before);
  v1::AppendEventsResponse resp;
  EXPECT_EQ(
      testing::ViolatedField(stub_->AppendEvents(ContextAs(service_principal_).get(), req, &resp)),
      "events[0].logged_at");
  req.mutable_events(0)->clear_logged_at();
  *req.mutable_events(0)->mutable_occurred_at() = common::ToTimestamp(absl::Now() + absl::Hours(2));
  // A clock error is not the event's fault: UNAVAILABLE, which relays retry rather than
  // setting the event aside as a dead letter.
  grpc::Status skewed = stub_->AppendEvents(ContextAs(service_principal_).get(), req, &resp);
  EXPECT_EQ(skewed.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(common::ReasonOf(skewed), "CLOCK_SKEW");
  EXPECT_FALSE(common::IsRefusal(common::FromGrpcStatus(skewed)));
  EXPECT_EQ(*store_.TreeSize(), 1);
}

// Every rule of the event contract is the log's too: what a service could not have
// produced is refused, naming the field.
TEST_F(AuditLogTest, EventsOutsideTheContractAreRefusedNamingTheField) {
  struct Case {
    std::function<void(tuopin::common::v1::AuditEvent&)> edit;
    std::string field;
  };
  std::vector<Case> cases = {
      {[](auto& e) { e.set_actor_subject("official\x01"); }, "events[0].actor_subject"},
      {[](auto& e) { e.set_actor_subject("official "); }, "events[0].actor_subject"},
      {[](auto& e) { e.mutable_entities(0)->set_type("household "); },
       "events[0].entities[0].type"},
      {[](auto& e) { e.mutable_entities(0)->set_type("Household"); }, "events[0].entities[0].type"},
      {[](auto& e) { e.mutable_entities(0)->set_id("t-1 "); }, "events[0].entities[0].id"},
      {[](auto& e) { e.set_request_id("id with spaces"); }, "events[0].request_id"},
      {[](auto& e) { e.set_request_sha256("short"); }, "events[0].request_sha256"},
      {[](auto& e) {
         for (int i = 0; i < common::kMaxEventEntities; ++i) *e.add_entities() = e.entities(0);
       },
       "events[0].entities"},
  };
  for (const auto& c : cases) {
    v1::AppendEventsRequest req;
    *req.add_events() = Event(1);
    c.edit(*req.mutable_events(0));
    v1::AppendEventsResponse resp;
    EXPECT_EQ(testing::ViolatedField(
                  stub_->AppendEvents(ContextAs(service_principal_).get(), req, &resp)),
              c.field);
  }
  EXPECT_EQ(*store_.TreeSize(), 0);
  // The largest event the contract allows is accepted.
  v1::AppendEventsRequest req;
  *req.add_events() = Event(1);
  while (req.events(0).entities_size() < common::kMaxEventEntities) {
    auto* ref = req.mutable_events(0)->add_entities();
    ref->set_type("account");
    ref->set_id(absl::StrCat(std::string(56, 'a'), "-", req.events(0).entities_size()));
    ref->set_region_code("520221104001");
  }
  v1::AppendEventsResponse resp;
  grpc::Status st = stub_->AppendEvents(ContextAs(service_principal_).get(), req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
}

// Attack: auditors read every county's events straight from the log, unscoped and
// unlogged. They read through audit-query; checkpoints and proofs stay open to them.
TEST_F(AuditLogTest, AuditorsReadNoLeavesOrEventListsDirectly) {
  Append(0, 3);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  v1::GetLeavesByRangeRequest lreq;
  lreq.set_count(1);
  v1::GetLeavesByRangeResponse leaves;
  EXPECT_EQ(stub_->GetLeavesByRange(ContextAs(auditor_).get(), lreq, &leaves).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListEntityEventsRequest ereq;
  ereq.set_entity_type("transfer");
  ereq.set_entity_id("t-1");
  v1::ListEventsResponse events;
  EXPECT_EQ(stub_->ListEntityEvents(ContextAs(auditor_).get(), ereq, &events).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListRegionEventsRequest rreq;
  rreq.set_region_code("52");
  *rreq.mutable_from_time() = common::ToTimestamp(absl::FromUnixSeconds(1500000000));
  *rreq.mutable_to_time() = common::ToTimestamp(absl::FromUnixSeconds(1600000000));
  EXPECT_EQ(stub_->ListRegionEvents(ContextAs(auditor_).get(), rreq, &events).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ParsedCheckpoint cp = VerifiedCheckpoint();  // as the auditor
  v1::GetInclusionProofByEventIdRequest by_id;
  by_id.set_event_id("evt-1");
  v1::InclusionProof proof;
  EXPECT_TRUE(stub_->GetInclusionProofByEventId(ContextAs(auditor_).get(), by_id, &proof).ok());
  EXPECT_EQ(cp.tree_size, 3);
}

// Attack: "household " (trailing space) matched "household" under MariaDB's PAD SPACE
// collation. Types are a closed set, and the index compares bytes.
TEST_F(AuditLogTest, EntityLookupsAreExact) {
  Append(0, 3);
  ASSERT_TRUE(logic_.PublishCheckpoint().ok());
  v1::ListEntityEventsRequest ereq;
  ereq.set_entity_type("transfer ");
  ereq.set_entity_id("t-1");
  v1::ListEventsResponse events;
  EXPECT_EQ(testing::ViolatedField(stub_->ListEntityEvents(ContextAs(admin_).get(), ereq, &events)),
            "entity_type");
  ereq.set_entity_type("transfer");
  ASSERT_TRUE(stub_->ListEntityEvents(ContextAs(admin_).get(), ereq, &events).ok());
  EXPECT_EQ(events.leaves_size(), 1);
  // Below the validators, the index itself does not pad.
  EXPECT_EQ(store_.EntityLeaves("transfer ", "t-1", -1, 100, 10)->size(), 0u);
  EXPECT_EQ(store_.EntityLeaves("transfer", "t-1 ", -1, 100, 10)->size(), 0u);
  EXPECT_EQ(store_.EntityLeaves("transfer", "t-1", -1, 100, 10)->size(), 1u);
}

}  // namespace
}  // namespace tuopin::auditlog
