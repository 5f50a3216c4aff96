#pragma once
// The audit log's rules: appends of audit events (deduplicated by event id), checkpoints
// published in batches and signed, and proofs only against published checkpoints. One
// logic is one log, named by its origin over its own store: several logs (one per county)
// are several instances, never one instance with several trees.

#include <memory>

#include "absl/status/status.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/page_token.h"
#include "services/auditlog/auditlog_store.h"
#include "services/auditlog/auditlog_validate.h"
#include "services/auditlog/checkpoint.h"
#include "tuopin/auditlog/v1/auditlog.pb.h"

namespace tuopin::auditlog {

using common::Principal;

class AuditLogLogic {
 public:
  AuditLogLogic(AuditLogStore& store, const NoteSigner& signer, std::string origin,
                const common::Clock& clock, const common::PageTokenCodec& tokens)
      : store_(store),
        signer_(signer),
        origin_(std::move(origin)),
        clock_(clock),
        tokens_(tokens) {}

  absl::Status AppendEvents(const Principal& p, const v1::AppendEventsRequest& req,
                            v1::AppendEventsResponse& out);
  absl::Status GetCheckpoint(const Principal& p, const v1::GetCheckpointRequest& req,
                             v1::Checkpoint& out);
  absl::Status GetPublicKey(const Principal& p, const v1::GetPublicKeyRequest& req,
                            v1::PublicKey& out);
  absl::Status GetLeavesByRange(const Principal& p, const v1::GetLeavesByRangeRequest& req,
                                v1::GetLeavesByRangeResponse& out);
  absl::Status GetInclusionProof(const Principal& p, const v1::GetInclusionProofRequest& req,
                                 v1::InclusionProof& out);
  absl::Status GetInclusionProofByEventId(const Principal& p,
                                          const v1::GetInclusionProofByEventIdRequest& req,
                                          v1::InclusionProof& out);
  absl::Status GetConsistencyProof(const Principal& p, const v1::GetConsistencyProofRequest& req,
                                   v1::ConsistencyProof& out);

  absl::Status GetInclusionProofs(const Principal& p, const v1::GetInclusionProofsRequest& req,
                                  v1::GetInclusionProofsResponse& out);
  // Only leaves within the latest checkpoint are listed, so each can be proven.
  absl::Status ListEntityEvents(const Principal& p, const v1::ListEntityEventsRequest& req,
                                v1::ListEventsResponse& out);
  absl::Status ListRegionEvents(const Principal& p, const v1::ListRegionEventsRequest& req,
                                v1::ListEventsResponse& out);

  // Signs a checkpoint of the current tree when it grew (the sequencer's tick).
  absl::Status PublishCheckpoint();

 private:
  absl::StatusOr<int64_t> PublishedSize(int64_t requested, const char* field);

  AuditLogStore& store_;
  const NoteSigner& signer_;
  std::string origin_;
  const common::Clock& clock_;
  const common::PageTokenCodec& tokens_;
};

}  // namespace tuopin::auditlog
