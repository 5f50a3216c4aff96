#pragma once
// The household exit procedure (ExitService): proposal, village review and public notice,
// objections, township review, county approval, the household's confirmation, and the
// reversal of a wrongful exit. Every rule is here, over the exit store (whose transaction
// also reaches the households), the year's poverty standard, a clock and the page-token
// codec, so unit tests build it with fakes (tests/support/fake_exit_store.h).

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/page_token.h"
#include "services/personnel/exit_store.h"
#include "services/personnel/personnel_store.h"
#include "services/personnel/poverty_standards.h"
#include "tuopin/personnel/v1/exit.pb.h"

namespace tuopin::personnel {

// Whether an application still blocks a new one for its household (PROPOSED through
// COUNTY_APPROVED, and OBJECTED).
bool IsOpenStage(v1::ExitStage stage);

class ExitLogic {
 public:
  // `personnel` is read for the households' scope; every write goes through `exits`.
  ExitLogic(PersonnelStore& personnel, ExitStore& exits, PovertyStandards& standards,
            const common::Clock& clock, const common::PageTokenCodec& tokens)
      : personnel_(personnel),
        exits_(exits),
        standards_(standards),
        clock_(clock),
        tokens_(tokens) {}

  absl::Status ProposeExit(const MutationContext& ctx, const v1::ProposeExitRequest& req,
                           v1::ExitApplication& out);
  absl::Status ReviewExit(const MutationContext& ctx, const v1::ReviewExitRequest& req,
                          v1::ExitApplication& out);
  absl::Status ObjectToExit(const MutationContext& ctx, const v1::ObjectToExitRequest& req,
                            v1::ExitApplication& out);
  absl::Status ResolveObjection(const MutationContext& ctx, const v1::ResolveObjectionRequest& req,
                                v1::ExitApplication& out);
  absl::Status ConfirmExit(const MutationContext& ctx, const v1::ConfirmExitRequest& req,
                           v1::ExitApplication& out);
  absl::Status ReverseExit(const MutationContext& ctx, const v1::ReverseExitRequest& req,
                           v1::Household& out);
  absl::Status GetExitApplication(const common::Principal& p,
                                  const v1::GetExitApplicationRequest& req,
                                  v1::ExitApplication& out);
  absl::Status ListExitApplications(const common::Principal& p,
                                    const v1::ListExitApplicationsRequest& req,
                                    v1::ListExitApplicationsResponse& out);

 private:
  // The application named by id, checked against the caller's scope on its village (a
  // missing one looks like one outside it: common/scope.h).
  absl::StatusOr<v1::ExitApplication> LoadApplication(const common::Principal& p,
                                                      const std::string& id);
  // One step on an application in one transaction: locks it, lets `step` check and change
  // it (and the household, through the transaction) and set the step's note, records the
  // step and the new etag.
  using StepFn = std::function<absl::Status(ExitTx&, v1::ExitApplication&, std::string& note)>;
  absl::Status Step(const MutationContext& ctx, const std::string& id, v1::ExitApplication& out,
                    const StepFn& step);
  // The standard in force now in the province of application `id` (checked against the
  // caller's scope): the latest up to the current year, China time; nullopt when none.
  absl::StatusOr<std::optional<v1::PovertyStandard>> StandardInForce(const MutationContext& ctx,
                                                                     const std::string& id);
  // The household's current record judged against the standard in force and the
  // application's own (NO_POVERTY_STANDARD without one in force).
  absl::Status RecheckCriteria(ExitTx& tx, const v1::ExitApplication& a,
                               const std::optional<v1::PovertyStandard>& in_force);

  PersonnelStore& personnel_;
  ExitStore& exits_;
  PovertyStandards& standards_;
  const common::Clock& clock_;
  const common::PageTokenCodec& tokens_;
};

}  // namespace tuopin::personnel
