#pragma once
// An in-memory AssessmentStore (services/accountability/assessment_store.h) for unit tests
// of the assessment logic. It keeps what the MySQL store keeps (assessments, their frozen
// population, sample and visits), orders and pages as it does, and follows RunMutation's
// contract (replays by request id, an audit event per committed mutation:
// tests/support/fake_mutations.h). Header-only.

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/accountability/assessment_store.h"
#include "tests/support/fake_mutations.h"

namespace tuopin::testing {

namespace acc = tuopin::accountability;

class FakeAssessmentStore final : public acc::AssessmentStore {
 public:
  std::map<std::string, acc::v1::Assessment> assessments;
  std::map<std::string, acc::FrozenPopulation> populations;
  std::map<std::string, acc::v1::AssessmentSample> samples;
  std::map<std::string, acc::v1::AssessmentVisit> visits;  // by id
  // RunMutation's records and the audit events of committed mutations.
  FakeMutations mutations;

  absl::Status CreateAssessment(const acc::MutationContext& ctx, const acc::v1::Assessment& in,
                                const acc::FrozenPopulation& population,
                                acc::v1::Assessment& out) override {
    return mutations.Run<acc::v1::Assessment>(
        ctx,
        [&](acc::v1::Assessment& resp) -> absl::StatusOr<common::EntityRefs> {
          for (const auto& [id, a] : assessments) {  // the unique key (county_code, year)
            if (a.county_code() == in.county_code() && a.year() == in.year())
              return acc::AssessmentExists(in);
          }
          resp = in;
          resp.set_id(ids_.NewId());
          resp.set_created_by(ctx.principal.subject());
          *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
          assessments[resp.id()] = resp;
          acc::FrozenPopulation sorted = population;  // ORDER BY, as the MySQL store reads
          std::sort(
              sorted.villages.begin(), sorted.villages.end(),
              [](const auto& a, const auto& b) { return a.village_code() < b.village_code(); });
          std::sort(sorted.households.begin(), sorted.households.end(),
                    [](const auto& a, const auto& b) {
                      return std::make_tuple(a.village_code(), static_cast<int>(a.stratum()),
                                             a.household_id()) <
                             std::make_tuple(b.village_code(), static_cast<int>(b.stratum()),
                                             b.household_id());
                    });
          populations[resp.id()] = sorted;
          resp.clear_server_nonce_hex();
          return acc::AssessmentEntities(resp);
        },
        out);
  }

  absl::StatusOr<std::optional<acc::v1::Assessment>> GetAssessment(const std::string& id) override {
    auto it = assessments.find(id);
    if (it == assessments.end()) return std::nullopt;
    return it->second;
  }

  absl::StatusOr<std::vector<acc::v1::Assessment>> ListAssessments(
      const std::string& region_prefix, const acc::PageRequest& page) override {
    std::string after = page.after.empty() ? "" : page.after[0];
    std::vector<acc::v1::Assessment> out;
    for (auto it = assessments.upper_bound(after);
         it != assessments.end() && static_cast<int>(out.size()) < page.limit; ++it) {
      const std::string& county = it->second.county_code();
      if (county >= region_prefix && county < common::RegionRangeEnd(region_prefix))
        out.push_back(it->second);
    }
    return out;
  }

  absl::StatusOr<acc::FrozenPopulation> Population(const std::string& assessment_id) override {
    auto it = populations.find(assessment_id);
    if (it == populations.end()) return acc::FrozenPopulation{};
    return it->second;
  }

  absl::Status SaveSample(const acc::MutationContext& ctx, const std::string& assessment_id,
                          const SampleDraw& draw, acc::v1::AssessmentSample& out) override {
    return mutations.Run<acc::v1::AssessmentSample>(
        ctx,
        [&](acc::v1::AssessmentSample& resp) -> absl::StatusOr<common::EntityRefs> {
          TUOPIN_ASSIGN_OR_RETURN(acc::v1::Assessment a, Locked(assessment_id));
          TUOPIN_RETURN_IF_ERROR(draw(a, resp));
          assessments[assessment_id] = a;
          samples[assessment_id] = resp;
          return acc::AssessmentEntities(a);
        },
        out);
  }

  absl::StatusOr<acc::v1::AssessmentSample> Sample(const std::string& assessment_id) override {
    auto it = samples.find(assessment_id);
    if (it == samples.end()) {
      acc::v1::AssessmentSample empty;
      empty.set_assessment_id(assessment_id);
      return empty;
    }
    return it->second;
  }

  absl::Status RecordVisit(const acc::MutationContext& ctx, const std::string& assessment_id,
                           const std::string& household_id, const VisitBuild& visit,
                           acc::v1::AssessmentVisit& out) override {
    return mutations.Run<acc::v1::AssessmentVisit>(
        ctx,
        [&](acc::v1::AssessmentVisit& resp) -> absl::StatusOr<common::EntityRefs> {
          TUOPIN_ASSIGN_OR_RETURN(acc::v1::Assessment a, Locked(assessment_id));
          std::optional<acc::v1::SampledHousehold> sampled;
          for (const auto& h : samples[assessment_id].households()) {
            if (h.household_id() == household_id) sampled = h;
          }
          bool visited = false;
          for (const auto& [id, v] : visits) {
            visited =
                visited || (v.assessment_id() == assessment_id && v.household_id() == household_id);
          }
          TUOPIN_ASSIGN_OR_RETURN(resp, visit(a, sampled, visited));
          resp.set_id(ids_.NewId());
          visits[resp.id()] = resp;
          a.set_visited_households(a.visited_households() + 1);
          assessments[assessment_id] = a;
          return acc::AssessmentVisitEntities(a, resp);
        },
        out);
  }

  absl::StatusOr<std::vector<acc::v1::AssessmentVisit>> ListVisits(
      const std::string& assessment_id, const acc::PageRequest& page) override {
    std::string after = page.after.empty() ? "" : page.after[0];
    std::vector<acc::v1::AssessmentVisit> out;
    for (auto it = visits.upper_bound(after);
         it != visits.end() && static_cast<int>(out.size()) < page.limit; ++it) {
      if (it->second.assessment_id() == assessment_id) out.push_back(it->second);
    }
    return out;
  }

  absl::Status FinalizeAssessment(const acc::MutationContext& ctx, const std::string& assessment_id,
                                  const AssessmentChange& change,
                                  const std::vector<acc::v1::AssessmentVisit>& reversed,
                                  acc::v1::Assessment& out) override {
    return mutations.Run<acc::v1::Assessment>(
        ctx,
        [&](acc::v1::Assessment& resp) -> absl::StatusOr<common::EntityRefs> {
          TUOPIN_ASSIGN_OR_RETURN(acc::v1::Assessment a, Locked(assessment_id));
          TUOPIN_RETURN_IF_ERROR(change(a));
          assessments[assessment_id] = a;
          resp = a;
          return acc::FinalizeEntities(a, reversed);
        },
        out);
  }

 private:
  // A copy to change: written back only when the body succeeds, as a rollback would.
  absl::StatusOr<acc::v1::Assessment> Locked(const std::string& id) {
    auto it = assessments.find(id);
    if (it == assessments.end()) return common::NotFound("assessment", id);
    return it->second;
  }

  common::SequentialIdGenerator ids_{"as-"};
};

}  // namespace tuopin::testing
