// Every request validator of the services, as an X-macro list V(service, Request), for the
// fuzz target and its seed generator. The first input byte picks the entry (modulo the
// count), so keep the order stable: append new requests at the end.
#pragma once

#include "services/accountability/audit_log_logic.h"
#include "services/accountability/records_logic.h"
#include "services/funds/funds_validate.h"
#include "services/personnel/personnel_validate.h"
#include "services/tasks/tasks_validate.h"

// clang-format off
#define TUOPIN_VALIDATED_REQUESTS(V) \
  V(accountability, AppendEventsRequest) \
  V(accountability, GetCheckpointRequest) \
  V(accountability, GetPublicKeyRequest) \
  V(accountability, GetLeavesByRangeRequest) \
  V(accountability, GetInclusionProofRequest) \
  V(accountability, GetInclusionProofByEventIdRequest) \
  V(accountability, GetConsistencyProofRequest) \
  V(accountability, CreateInspectionRequest) \
  V(accountability, GetInspectionRequest) \
  V(accountability, RevealSampleRequest) \
  V(accountability, RecordVisitRequest) \
  V(accountability, CreateFindingRequest) \
  V(accountability, ListFindingsRequest) \
  V(accountability, IssueRectificationOrderRequest) \
  V(accountability, SubmitRectificationRequest) \
  V(accountability, VerifyRectificationRequest) \
  V(accountability, RejectRectificationRequest) \
  V(accountability, ListRectificationOrdersRequest) \
  V(accountability, RecordAccountabilityActionRequest) \
  V(accountability, ListAccountabilityActionsRequest) \
  V(funds, CreateAccountRequest) \
  V(funds, GetAccountRequest) \
  V(funds, ListAccountsRequest) \
  V(funds, CreateTransfersRequest) \
  V(funds, PostPendingTransferRequest) \
  V(funds, VoidPendingTransferRequest) \
  V(funds, ListTransfersRequest) \
  V(funds, TraceFundsRequest) \
  V(funds, GetUtilizationRequest) \
  V(funds, ListIdleFundsRequest) \
  V(funds, ListPublicNoticesRequest) \
  V(personnel, ImportRegionsRequest) \
  V(personnel, GetRegionRequest) \
  V(personnel, ListRegionsRequest) \
  V(personnel, CreateHouseholdRequest) \
  V(personnel, GetHouseholdRequest) \
  V(personnel, ListHouseholdsRequest) \
  V(personnel, UpdateHouseholdRequest) \
  V(personnel, CreateCadreRequest) \
  V(personnel, GetCadreRequest) \
  V(personnel, ListCadresRequest) \
  V(personnel, UpdateCadreRequest) \
  V(personnel, PostCadreRequest) \
  V(personnel, EndPostingRequest) \
  V(personnel, ListPostingsRequest) \
  V(personnel, PairCadreWithHouseholdRequest) \
  V(personnel, UnpairCadreRequest) \
  V(personnel, ListPairingsRequest) \
  V(personnel, RecordCheckInRequest) \
  V(personnel, GetAttendanceRequest) \
  V(personnel, GetCoverageRequest) \
  V(tasks, CreateCampaignRequest) \
  V(tasks, GetCampaignRequest) \
  V(tasks, CreateTaskRequest) \
  V(tasks, GetTaskRequest) \
  V(tasks, ListTasksRequest) \
  V(tasks, UpdateTaskRequest) \
  V(tasks, ReportProgressRequest) \
  V(tasks, CompleteTaskRequest) \
  V(tasks, VerifyTaskRequest) \
  V(tasks, ReopenTaskRequest) \
  V(tasks, CancelTaskRequest) \
  V(tasks, ListEscalationsRequest) \
  V(tasks, GetSectorProgressRequest) \
  V(tasks, GetStageGateRequest)
// clang-format on
