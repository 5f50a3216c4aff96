#include "services/tasks/tasks_logic.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/region_code.h"
#include "common/scope.h"
#include "common/status.h"
#include "common/validate.h"
#include "google/rpc/error_details.pb.h"

namespace tuopin::tasks {
namespace {

using common::HasRole;
using common::RequireRegion;
using common::RequireRegionCode;
using tuopin::common::v1::ROLE_ADMIN;
using tuopin::common::v1::ROLE_CADRE;
using tuopin::common::v1::ROLE_COUNTY_OFFICIAL;
using tuopin::common::v1::ROLE_SERVICE;

constexpr int kDefaultStageDays = 150;

using common::NotFound;

bool Unfinished(v1::TaskStatus s) {
  return s == v1::TASK_STATUS_OPEN || s == v1::TASK_STATUS_IN_PROGRESS ||
         s == v1::TASK_STATUS_COMPLETED;
}

std::string SectorWords(int sector) {
  std::string name =
      tuopin::common::v1::Sector_Name(static_cast<tuopin::common::v1::Sector>(sector));
  if (name.rfind("SECTOR_", 0) == 0) name = name.substr(7);
  for (char& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
  return name;
}

// The answer remembered under `key`, asked once.
template <typename V, typename Ask>
const V& Remembered(std::map<std::string, V>& known, const std::string& key, Ask&& ask) {
  auto it = known.find(key);
  if (it == known.end()) it = known.emplace(key, ask()).first;
  return it->second;
}

// A cadre acts only on tasks assigned to him or her; officials act in their region.
absl::Status RequireActor(const Principal& p, const v1::Task& t) {
  if (HasRole(p, ROLE_ADMIN) || HasRole(p, ROLE_COUNTY_OFFICIAL) || HasRole(p, ROLE_SERVICE)) {
    return absl::OkStatus();
  }
  if (HasRole(p, ROLE_CADRE) && t.assignee_cadre_id() == p.subject()) return absl::OkStatus();
  return common::WithReason(
      absl::PermissionDeniedError(absl::StrCat("Permission denied on resource 'tasks/", t.id(),
                                               "': a cadre acts only on his or her own tasks")),
      common::ErrorReason::NOT_ASSIGNEE);
}

}  // namespace

StageInfo StageOn(const v1::Campaign& c, absl::CivilDay today) {
  StageInfo info;
  absl::CivilDay start = common::FromDate(c.start_date());
  if (today < start) return info;
  int64_t day = today - start;  // 0-based day of the campaign
  std::vector<int> lengths(c.stage_days().begin(), c.stage_days().end());
  if (lengths.size() != 3) lengths = {kDefaultStageDays, kDefaultStageDays, kDefaultStageDays};
  for (int i = 0; i < 3; ++i) {
    if (day < lengths[i]) {
      info.stage = static_cast<v1::Stage>(i + 1);
      info.day_of_stage = static_cast<int>(day) + 1;
      info.stage_days = lengths[i];
      return info;
    }
    day -= lengths[i];
  }
  info.stage = v1::STAGE_FINAL_VICTORY;
  info.day_of_stage = lengths[2];
  info.stage_days = lengths[2];
  info.finished = true;
  return info;
}

absl::Status CheckTransition(v1::TaskStatus s, TaskAction action) {
  bool ok = false;
  switch (action) {
    case TaskAction::kReport:
      ok = s == v1::TASK_STATUS_OPEN || s == v1::TASK_STATUS_IN_PROGRESS;
      break;
    case TaskAction::kComplete:
      ok = s == v1::TASK_STATUS_OPEN || s == v1::TASK_STATUS_IN_PROGRESS;
      break;
    case TaskAction::kVerify:
      ok = s == v1::TASK_STATUS_COMPLETED;
      break;
    case TaskAction::kReopen:
      ok = s == v1::TASK_STATUS_COMPLETED || s == v1::TASK_STATUS_VERIFIED;
      break;
    case TaskAction::kCancel:
      ok = Unfinished(s);
      break;
  }
  if (ok) return absl::OkStatus();
  static const char* kNames[] = {"report progress on", "complete", "verify", "reopen", "cancel"};
  return common::WithReason(
      absl::FailedPreconditionError(absl::StrCat("cannot ", kNames[static_cast<int>(action)],
                                                 " a task that is ", v1::TaskStatus_Name(s))),
      common::ErrorReason::ILLEGAL_TRANSITION);
}

v1::TaskStatus After(v1::TaskStatus s, TaskAction action) {
  switch (action) {
    case TaskAction::kReport:
      return v1::TASK_STATUS_IN_PROGRESS;
    case TaskAction::kComplete:
      return v1::TASK_STATUS_COMPLETED;
    case TaskAction::kVerify:
      return v1::TASK_STATUS_VERIFIED;
    case TaskAction::kReopen:
      return v1::TASK_STATUS_IN_PROGRESS;
    case TaskAction::kCancel:
      return v1::TASK_STATUS_CANCELLED;
  }
  return s;
}

std::string IndicatorFor(tuopin::common::v1::Sector sector) {
  switch (sector) {
    case tuopin::common::v1::SECTOR_HOUSING_SAFETY:
      return "housing_safety";
    case tuopin::common::v1::SECTOR_DRINKING_WATER:
      return "drinking_water_safety";
    case tuopin::common::v1::SECTOR_SCHOOL_DROPOUT_PREVENTION:
      return "compulsory_education";
    case tuopin::common::v1::SECTOR_MEDICAL_CARE:
      return "basic_medical_care";
    default:
      return "";
  }
}

bool IsLagging(int verified_bp, int elapsed_bp, int tolerance_points) {
  return verified_bp < elapsed_bp - tolerance_points * 100;
}

absl::Status CheckRectificationLink(const Principal& p, const v1::Task& task) {
  if (task.rectification_order_id().empty()) return absl::OkStatus();
  if (HasRole(p, ROLE_SERVICE) && p.subject() == kAccountabilityServiceSubject) {
    return absl::OkStatus();
  }
  constexpr absl::string_view kField = "task.rectification_order_id";
  absl::Status denied = absl::PermissionDeniedError(
      absl::StrCat("Permission denied: ", kField,
                   " is set only by the accountability service, when it issues the order"));
  // The field violation names the field for clients that read details, not messages.
  common::InvalidField(kField, "is set only by the accountability service")
      .ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
        denied.SetPayload(url, payload);
      });
  return common::WithReason(std::move(denied), common::ErrorReason::RECTIFICATION_LINK_RESERVED);
}

absl::CivilDay TasksLogic::Today() const { return common::ChinaDay(clock_.Now()); }

void TasksLogic::Decorate(v1::Task& t) const {
  t.set_overdue(Unfinished(t.status()) && common::FromDate(t.deadline()) < Today());
}

absl::StatusOr<v1::Campaign> TasksLogic::FindCampaign(const Principal& p, const std::string& id,
                                                      absl::Status not_found, Lookups* lookups) {
  std::string resource = absl::StrCat("campaigns/", id);
  Lookups once;
  TUOPIN_ASSIGN_OR_RETURN(auto c, Remembered((lookups != nullptr ? lookups : &once)->campaigns, id,
                                             [&] { return store_.GetCampaign(id); }));
  if (!c.has_value()) return common::MissingObject(p, resource, std::move(not_found));
  // A campaign is visible to anyone working inside its region.
  if (!common::ScopeOverlaps(p, c->region_code())) return common::OutOfScope(resource);
  return *c;
}

absl::StatusOr<v1::Campaign> TasksLogic::LoadCampaign(const Principal& p, const std::string& id) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Campaign c, FindCampaign(p, id, NotFound("campaign", id)));
  StageInfo s = StageOn(c, Today());
  c.set_current_stage(s.stage);
  c.set_day_of_stage(s.day_of_stage);
  c.set_finished(s.finished);
  return c;
}

absl::StatusOr<v1::Task> TasksLogic::LoadTask(const Principal& p, const std::string& id) {
  TUOPIN_ASSIGN_OR_RETURN(auto t, store_.GetTask(id));
  if (!t.has_value())
    return common::MissingObject(p, absl::StrCat("tasks/", id), NotFound("task", id));
  if (!(HasRole(p, ROLE_CADRE) && t->assignee_cadre_id() == p.subject())) {
    TUOPIN_RETURN_IF_ERROR(RequireRegion(p, t->village_code(), absl::StrCat("tasks/", id)));
  }
  Decorate(*t);
  return *t;
}

absl::Status TasksLogic::RequireAssignee(const Principal& p, const std::string& cadre_id,
                                         absl::string_view field, Lookups& lookups) {
  return common::RequireNamedObject(
      p,
      Remembered(lookups.cadre_regions, cadre_id, [&] { return personnel_.CadreRegion(cadre_id); }),
      absl::StrCat("cadres/", cadre_id), common::InvalidField(field, "is not a known cadre"));
}

std::string BatchTaskId(absl::string_view subject, absl::string_view request_id, int index) {
  std::string batch =
      common::HexEncode(common::Sha256(absl::StrCat(subject, "\n", request_id))).substr(0, 28);
  return absl::StrFormat("b%s-%04d", batch, index);
}

absl::Status TasksLogic::CreateCampaign(const MutationContext& ctx,
                                        const v1::CreateCampaignRequest& req, v1::Campaign& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(ctx.principal, req.campaign().region_code()));
  v1::Campaign c = req.campaign();
  c.clear_id();
  if (c.stage_days().empty()) {
    for (int i = 0; i < 3; ++i) c.add_stage_days(kDefaultStageDays);
  }
  TUOPIN_RETURN_IF_ERROR(store_.CreateCampaign(ctx, c, out));
  StageInfo s = StageOn(out, Today());
  out.set_current_stage(s.stage);
  out.set_day_of_stage(s.day_of_stage);
  out.set_finished(s.finished);
  return absl::OkStatus();
}

absl::Status TasksLogic::GetCampaign(const Principal& p, const v1::GetCampaignRequest& req,
                                     v1::Campaign& out) {
  TUOPIN_ASSIGN_OR_RETURN(out, LoadCampaign(p, req.id()));
  return absl::OkStatus();
}

absl::StatusOr<v1::Task> TasksLogic::NewTask(const Principal& p, const v1::Task& requested,
                                             Lookups& lookups) {
  TUOPIN_RETURN_IF_ERROR(CheckRectificationLink(p, requested));
  v1::Task t = requested;
  // Only the contract's fields are kept, stored and answered.
  t.DiscardUnknownFields();
  // Every object the task names is checked against the caller's scope: the campaign, the
  // household, the village and the assignee cadre (by its managing region).
  TUOPIN_ASSIGN_OR_RETURN(
      v1::Campaign campaign,
      FindCampaign(p, t.campaign_id(),
                   common::InvalidField("task.campaign_id", "is not a known campaign"), &lookups));
  // The target, checked with personnel through the gateway.
  if (!t.household_id().empty()) {
    const absl::StatusOr<std::string>& household_village =
        Remembered(lookups.household_villages, t.household_id(),
                   [&] { return personnel_.HouseholdVillage(t.household_id()); });
    TUOPIN_RETURN_IF_ERROR(common::RequireNamedObject(
        p, household_village, absl::StrCat("households/", t.household_id()),
        common::InvalidField("task.household_id", "is not a known household")));
    const std::string& village = *household_village;
    if (!t.village_code().empty() && t.village_code() != village) {
      return common::InvalidField("task.village_code", "is not the household's village");
    }
    t.set_village_code(village);
  } else {
    TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, t.village_code()));
    TUOPIN_RETURN_IF_ERROR(Remembered(lookups.villages, t.village_code(),
                                      [&] { return personnel_.CheckVillage(t.village_code()); }));
  }
  if (!common::RegionCovers(campaign.region_code(), t.village_code())) {
    return common::InvalidField("task.village_code", "is outside the campaign's region");
  }
  if (t.assignee_case() == v1::Task::kAssigneeCadreId) {
    TUOPIN_RETURN_IF_ERROR(
        RequireAssignee(p, t.assignee_cadre_id(), "task.assignee_cadre_id", lookups));
  }
  t.clear_id();
  t.set_status(v1::TASK_STATUS_OPEN);
  t.set_percent(0);
  // Output only: nothing a caller sends of them is kept.
  t.clear_etag();
  t.clear_reporters();
  t.clear_verified_by();
  t.set_reopen_count(0);
  t.clear_create_time();
  t.clear_update_time();
  return t;
}

absl::Status TasksLogic::CreateTask(const MutationContext& ctx, const v1::CreateTaskRequest& req,
                                    v1::Task& out) {
  Lookups lookups;
  TUOPIN_ASSIGN_OR_RETURN(v1::Task t, NewTask(ctx.principal, req.task(), lookups));
  TUOPIN_RETURN_IF_ERROR(store_.CreateTask(ctx, t, out));
  Decorate(out);
  return absl::OkStatus();
}

namespace {

// What CreateTask would answer to the caller about this task, said of one item of a batch:
// not an error of the whole call. Errors of the suite itself (personnel unreachable, a
// timeout) are the call's: answered as the call's error, nothing recorded, so a retry may
// succeed.
bool IsItemRefusal(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
      return true;
    default:
      return false;
  }
}

// The item's error with its fields named inside the batch ("task.x" becomes "tasks[i].x").
google::rpc::Status ItemError(const absl::Status& s, int index) {
  google::rpc::Status rpc = common::ToRpcStatus(s);
  std::string prefix = absl::StrCat("tasks[", index, "]");
  for (auto& any : *rpc.mutable_details()) {
    google::rpc::BadRequest bad;
    if (!any.UnpackTo(&bad)) continue;
    for (auto& v : *bad.mutable_field_violations()) {
      if (absl::StartsWith(v.field(), "task.") || v.field() == "task")
        v.set_field(absl::StrCat(prefix, v.field().substr(4)));
    }
    any.PackFrom(bad);
  }
  return rpc;
}

}  // namespace

absl::Status TasksLogic::BatchCreateTasks(const MutationContext& ctx,
                                          const v1::BatchCreateTasksRequest& req,
                                          v1::BatchCreateTasksResponse& out) {
  // Each task is checked as CreateTask checks it; the refused ones are answered in their
  // place and the others are written in one transaction. For accountability (a
  // rectification order's tasks) it is all or nothing: one refused task is the call's
  // error, nothing is written or recorded, and the order can be retried once it is fixed.
  const bool all_or_nothing = HasRole(ctx.principal, ROLE_SERVICE) &&
                              ctx.principal.subject() == kAccountabilityServiceSubject;
  // A retry is answered from the record before anything is asked of personnel again.
  TUOPIN_ASSIGN_OR_RETURN(bool recorded, store_.RecordedBatch(ctx, out));
  if (recorded) {
    for (auto& r : *out.mutable_results())
      if (r.has_task()) Decorate(*r.mutable_task());
    return absl::OkStatus();
  }
  Lookups lookups;
  std::vector<v1::Task> created;
  v1::BatchCreateTasksResponse answer;
  for (int i = 0; i < req.tasks_size(); ++i) {
    v1::BatchCreateTasksResult* result = answer.add_results();
    absl::StatusOr<v1::Task> t = NewTask(ctx.principal, req.tasks(i), lookups);
    if (!t.ok()) {
      if (all_or_nothing || !IsItemRefusal(t.status())) return t.status();
      *result->mutable_error() = ItemError(t.status(), i);
      continue;
    }
    t->set_id(BatchTaskId(ctx.principal.subject(), ctx.request_id, i));
    created.push_back(*t);
    // As the store writes it (version 1, created now) and CreateTask answers it.
    v1::Task& answered = *result->mutable_task() = *std::move(t);
    answered.set_etag(common::EtagOf(1));
    *answered.mutable_create_time() = common::ToTimestamp(ctx.now);
    *answered.mutable_update_time() = answered.create_time();
  }
  answer.set_created_count(static_cast<int32_t>(created.size()));
  TUOPIN_RETURN_IF_ERROR(store_.CreateTasks(ctx, created, answer, out));
  // As CreateTask: the stored answer is the tasks as written, "overdue" is said at the
  // time of each answer, replays included.
  for (auto& r : *out.mutable_results())
    if (r.has_task()) Decorate(*r.mutable_task());
  return absl::OkStatus();
}

absl::Status TasksLogic::GetTask(const Principal& p, const v1::GetTaskRequest& req, v1::Task& out) {
  TUOPIN_ASSIGN_OR_RETURN(out, LoadTask(p, req.id()));
  return absl::OkStatus();
}

absl::Status TasksLogic::ListTasks(const Principal& p, const v1::ListTasksRequest& req,
                                   v1::ListTasksResponse& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.region_code()));
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 2));
  TaskFilter f;
  f.region_prefix = req.region_code();
  f.campaign_id = req.campaign_id();
  f.assignee_cadre_id = req.assignee_cadre_id();
  f.sector = req.sector();
  f.stage = req.stage();
  f.status = req.status();
  f.overdue_only = req.overdue_only();
  f.today = Today();
  TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.ListTasks(f, page));
  for (auto& t : rows) Decorate(t);
  common::FinishPage(
      rows, page, tokens_, req,
      [](const v1::Task& t) {
        return std::vector<std::string>{t.village_code(), t.id()};
      },
      out.mutable_tasks(), out.mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status TasksLogic::UpdateTask(const MutationContext& ctx, const v1::UpdateTaskRequest& req,
                                    v1::Task& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Task current, LoadTask(ctx.principal, req.task().id()));
  const v1::Task& patch = req.task();
  for (const auto& path : req.update_mask().paths()) {
    if (path == "assignee_cadre_id" && !patch.assignee_cadre_id().empty()) {
      Lookups lookups;
      TUOPIN_RETURN_IF_ERROR(RequireAssignee(ctx.principal, patch.assignee_cadre_id(),
                                             "task.assignee_cadre_id", lookups));
    }
  }
  TUOPIN_RETURN_IF_ERROR(store_.ChangeTask(
      ctx, current.id(), patch.etag(),
      [&](v1::Task& t, TaskEffects&) -> absl::Status {
        if (!Unfinished(t.status())) {
          return common::WithReason(
              absl::FailedPreconditionError("a verified or cancelled task cannot be edited"),
              common::ErrorReason::TASK_FINISHED);
        }
        common::FieldViolations v;
        for (const auto& path : req.update_mask().paths()) {
          if (path == "title") {
            t.set_title(patch.title());
          } else if (path == "description") {
            t.set_description(patch.description());
          } else if (path == "deadline") {
            *t.mutable_deadline() = patch.deadline();
          } else if (path == "priority") {
            t.set_priority(patch.priority());
          } else if (path == "assignee_cadre_id") {
            t.set_assignee_cadre_id(patch.assignee_cadre_id());
          } else if (path == "assignee_department") {
            t.set_assignee_department(patch.assignee_department());
          } else {
            v.Add("update_mask", absl::StrCat("path ", path, " cannot be updated"));
          }
        }
        return v.ToStatus();
      },
      out));
  Decorate(out);
  return absl::OkStatus();
}

absl::Status TasksLogic::Transition(
    const MutationContext& ctx, const std::string& task_id, TaskAction action,
    const std::function<absl::Status(v1::Task&, TaskEffects&)>& extra, v1::Task& out) {
  TUOPIN_RETURN_IF_ERROR(LoadTask(ctx.principal, task_id).status());
  TUOPIN_RETURN_IF_ERROR(store_.ChangeTask(
      ctx, task_id, "",
      [&](v1::Task& t, TaskEffects& effects) -> absl::Status {
        TUOPIN_RETURN_IF_ERROR(CheckTransition(t.status(), action));
        TUOPIN_RETURN_IF_ERROR(extra(t, effects));
        t.set_status(After(t.status(), action));
        return absl::OkStatus();
      },
      out));
  Decorate(out);
  return absl::OkStatus();
}

namespace {
std::string EvidenceJson(const google::protobuf::RepeatedPtrField<v1::Evidence>& evidence) {
  std::vector<std::string> items;
  for (const auto& e : evidence) {
    items.push_back(absl::StrCat("{\"uri\":", common::JsonQuote(e.uri()), ",\"sha256\":\"",
                                 e.sha256_hex(), "\"}"));
  }
  return absl::StrCat("[", absl::StrJoin(items, ","), "]");
}
}  // namespace

absl::Status TasksLogic::ReportProgress(const MutationContext& ctx,
                                        const v1::ReportProgressRequest& req, v1::Task& out) {
  return Transition(
      ctx, req.task_id(), TaskAction::kReport,
      [&](v1::Task& t, TaskEffects& effects) -> absl::Status {
        TUOPIN_RETURN_IF_ERROR(RequireActor(ctx.principal, t));
        if (req.percent() < t.percent()) {
          return common::InvalidField(
              "percent", absl::StrCat("must not fall below the last report (", t.percent(), ")"));
        }
        t.set_percent(req.percent());
        t.add_reporters(ctx.principal.subject());
        effects.progress = ProgressReport{ProgressReport::kReport, req.percent(), req.note(),
                                          ctx.principal.subject(), EvidenceJson(req.evidence())};
        return absl::OkStatus();
      },
      out);
}

absl::Status TasksLogic::CompleteTask(const MutationContext& ctx,
                                      const v1::CompleteTaskRequest& req, v1::Task& out) {
  return Transition(
      ctx, req.task_id(), TaskAction::kComplete,
      [&](v1::Task& t, TaskEffects& effects) -> absl::Status {
        TUOPIN_RETURN_IF_ERROR(RequireActor(ctx.principal, t));
        t.set_percent(100);
        t.add_reporters(ctx.principal.subject());
        effects.progress = ProgressReport{ProgressReport::kCompletion, 100, "completed",
                                          ctx.principal.subject(), EvidenceJson(req.evidence())};
        return absl::OkStatus();
      },
      out);
}

absl::Status TasksLogic::VerifyTask(const MutationContext& ctx, const v1::VerifyTaskRequest& req,
                                    v1::Task& out) {
  const std::string& me = ctx.principal.subject();
  return Transition(
      ctx, req.task_id(), TaskAction::kVerify,
      [&](v1::Task& t, TaskEffects& effects) -> absl::Status {
        // A second person: not the assignee, not anyone who reported or completed it.
        bool involved = t.assignee_cadre_id() == me;
        for (const auto& r : t.reporters()) involved |= r == me;
        if (involved) {
          return common::WithReason(
              absl::PermissionDeniedError(
                  "Permission denied: the verifier must be neither the assignee nor a reporter"),
              common::ErrorReason::VERIFIER_INVOLVED);
        }
        t.set_verified_by(me);
        std::string indicator = IndicatorFor(t.sector());
        if (!t.household_id().empty() && !indicator.empty()) {
          effects.indicator = std::make_pair(t.household_id(), indicator);
        }
        if (!req.note().empty())
          effects.progress =
              ProgressReport{ProgressReport::kNote, t.percent(), req.note(), me, "[]"};
        return absl::OkStatus();
      },
      out);
}

absl::Status TasksLogic::ReopenTask(const MutationContext& ctx, const v1::ReopenTaskRequest& req,
                                    v1::Task& out) {
  return Transition(
      ctx, req.task_id(), TaskAction::kReopen,
      [&](v1::Task& t, TaskEffects& effects) -> absl::Status {
        t.set_reopen_count(t.reopen_count() + 1);
        t.set_verified_by("");
        effects.progress =
            ProgressReport{ProgressReport::kNote, t.percent(),
                           absl::StrCat("reopened: ", req.reason()), ctx.principal.subject(), "[]"};
        return absl::OkStatus();
      },
      out);
}

absl::Status TasksLogic::CancelTask(const MutationContext& ctx, const v1::CancelTaskRequest& req,
                                    v1::Task& out) {
  return Transition(
      ctx, req.task_id(), TaskAction::kCancel,
      [&](v1::Task& t, TaskEffects& effects) -> absl::Status {
        effects.progress = ProgressReport{ProgressReport::kNote, t.percent(),
                                          absl::StrCat("cancelled: ", req.reason()),
                                          ctx.principal.subject(), "[]"};
        return absl::OkStatus();
      },
      out);
}

absl::Status TasksLogic::ListEscalations(const Principal& p, const v1::ListEscalationsRequest& req,
                                         v1::ListEscalationsResponse& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.region_code()));
  TUOPIN_ASSIGN_OR_RETURN(auto page,
                          common::BeginPage(tokens_, req, req.page_token(), req.page_size(), 1));
  absl::CivilDay today = Today();
  // Overdue past 7 days goes to the township, past 30 to the county.
  TUOPIN_ASSIGN_OR_RETURN(auto rows, store_.ListOverdue(req.region_code(), today - 7, page));
  std::vector<v1::Escalation> escalations;
  for (auto& t : rows) {
    Decorate(t);
    v1::Escalation& e = escalations.emplace_back();
    int days = static_cast<int>(today - common::FromDate(t.deadline()));
    e.set_days_overdue(days);
    e.set_level(days > 30 ? v1::ESCALATION_LEVEL_COUNTY : v1::ESCALATION_LEVEL_TOWNSHIP);
    e.set_escalated_to_region_code(t.village_code().substr(0, days > 30 ? 6 : 9));
    *e.mutable_task() = std::move(t);
  }
  common::FinishPage(
      escalations, page, tokens_, req,
      [](const v1::Escalation& e) { return std::vector<std::string>{e.task().id()}; },
      out.mutable_escalations(), out.mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status TasksLogic::GetSectorProgress(const Principal& p,
                                           const v1::GetSectorProgressRequest& req,
                                           v1::SectorProgress& out) {
  TUOPIN_RETURN_IF_ERROR(RequireRegionCode(p, req.region_code()));
  TUOPIN_ASSIGN_OR_RETURN(v1::Campaign c, LoadCampaign(p, req.campaign_id()));
  StageInfo stage = StageOn(c, Today());
  out.set_campaign_id(c.id());
  out.set_stage(stage.stage);
  if (stage.stage == v1::STAGE_UNSPECIFIED) return absl::OkStatus();  // not started
  int tolerance = req.tolerance_points() == 0 ? 10 : req.tolerance_points();
  int elapsed_bp = stage.day_of_stage * 10000 / stage.stage_days;
  size_t child_len = req.totals_only() ? req.region_code().size()
                                       : common::ChildCodeLength(req.region_code().size());
  std::vector<SectorCount> counts;
  std::optional<absl::Time> as_of;
  if (req.from_summary() && rollup_ != nullptr) {
    TUOPIN_ASSIGN_OR_RETURN(as_of, refresher_->Read([&] {
      return rollup_->Read(c.id(), stage.stage, req.region_code(), child_len, counts);
    }));
    if (as_of) *out.mutable_as_of() = common::ToTimestamp(*as_of);
  }
  if (!as_of) {  // no roll-up asked for, kept, or refreshed yet: counted at the call
    counts.clear();
    TUOPIN_ASSIGN_OR_RETURN(
        counts, store_.CountBySector(c.id(), stage.stage, req.region_code(), child_len, Today()));
    // Counted now: as of now.
    if (req.from_summary()) *out.mutable_as_of() = common::ToTimestamp(clock_.Now());
  }
  for (const auto& k : counts) {
    auto* row = out.add_rows();
    row->set_sector(static_cast<tuopin::common::v1::Sector>(k.sector));
    row->set_region_code(k.region_code);
    row->set_total(k.total);
    row->set_verified(k.verified);
    row->set_in_progress(k.in_progress);
    row->set_overdue(k.overdue);
    row->set_verified_share_bp(k.total == 0 ? 0 : k.verified * 10000 / k.total);
    row->set_elapsed_share_bp(elapsed_bp);
    row->set_lagging(IsLagging(row->verified_share_bp(), elapsed_bp, tolerance));
  }
  return absl::OkStatus();
}

absl::Status TasksLogic::GetStageGate(const Principal& p, const v1::GetStageGateRequest& req,
                                      v1::StageGate& out) {
  TUOPIN_ASSIGN_OR_RETURN(v1::Campaign c, LoadCampaign(p, req.campaign_id()));
  StageInfo stage = StageOn(c, Today());
  out.set_campaign_id(c.id());
  out.set_stage(stage.stage);
  if (stage.stage == v1::STAGE_UNSPECIFIED) {
    out.add_blockers("the campaign has not started");
    return absl::OkStatus();
  }
  TUOPIN_ASSIGN_OR_RETURN(auto unfinished, store_.Unfinished(c.id(), stage.stage));
  int total = 0;
  for (auto [s, sector, n] : unfinished) {
    total += n;
    out.add_blockers(
        absl::StrCat(n, " ", SectorWords(sector), " tasks of stage ", s, " not verified"));
  }
  out.set_unverified_tasks(total);
  out.set_may_advance(total == 0);
  return absl::OkStatus();
}

void TasksLogic::SetSectorRollup(SectorRollupStore* rollup, common::RollupOptions options) {
  rollup_ = rollup;
  refresher_.emplace(options, [this, overlap = options.overlap](absl::Time now, bool full) {
    return rollup_->Refresh(now, common::ChinaDay(now), overlap, full);
  });
}

absl::Status TasksLogic::RefreshSectorRollup() {
  return rollup_ == nullptr ? absl::OkStatus() : refresher_->Pass(clock_.Now());
}

absl::StatusOr<int> TasksLogic::DeliverIndicatorUpdates(int limit) {
  TUOPIN_ASSIGN_OR_RETURN(auto pending, store_.PendingIndicatorUpdates(limit));
  int delivered = 0;
  for (const auto& u : pending) {
    // The same request id on every attempt: personnel applies it once.
    absl::Status st = personnel_.SetIndicator(u.household_id, u.indicator,
                                              absl::StrCat("tasks-verify-", u.task_id));
    TUOPIN_RETURN_IF_ERROR(store_.FinishIndicatorUpdate(u.task_id, clock_.Now(), st));
    if (st.ok()) {
      ++delivered;
    } else {
      common::LogWarning("indicator update failed; will retry",
                         {{"task", u.task_id}, {"error", st.ToString()}});
    }
  }
  return delivered;
}

}  // namespace tuopin::tasks
