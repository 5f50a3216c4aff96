#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/db_rows.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/accountability/assessment_store.h"

namespace tuopin::accountability {
namespace {

using common::DbSession;
using common::EntityRefs;
using common::Query;
using common::RowString;

// ---- Statements, named.

// Messages travel hex-encoded (UNHEX on the way in): bytes that are no valid UTF-8 never
// meet the connection's character set.
constexpr char kInsertAssessment[] =
    "INSERT INTO assessments (id, county_code, year, state, body, created_by, created_at)"
    " VALUES (?, ?, ?, ?, UNHEX(?), ?, ?)";
constexpr char kSelectAssessment[] = "SELECT body FROM assessments WHERE id = ?";
constexpr char kLockAssessment[] = "SELECT body FROM assessments WHERE id = ? FOR UPDATE";
constexpr char kUpdateAssessment[] =
    "UPDATE assessments SET state = ?, body = UNHEX(?) WHERE id = ?";
constexpr char kListAssessments[] =
    "SELECT body FROM assessments WHERE county_code >= ? AND county_code < ? AND id > ?"
    " ORDER BY id LIMIT ?";
constexpr char kSelectVillages[] =
    "SELECT village_code, rural_population, non_registered_people FROM assessment_villages"
    " WHERE assessment_id = ? ORDER BY village_code";
constexpr char kSelectPopulation[] =
    "SELECT household_id, village_code, stratum, people FROM assessment_population"
    " WHERE assessment_id = ? ORDER BY village_code, stratum, household_id";
constexpr char kInsertSampleVillage[] =
    "INSERT INTO assessment_sample_villages (assessment_id, position, village_code,"
    " rural_population, non_registered_people) VALUES (?, ?, ?, ?, ?)";
constexpr char kInsertSampleHousehold[] =
    "INSERT INTO assessment_sample (assessment_id, position, household_id, village_code,"
    " stratum, people) VALUES (?, ?, ?, ?, ?, ?)";
constexpr char kSelectSampleVillages[] =
    "SELECT village_code, rural_population, non_registered_people FROM"
    " assessment_sample_villages WHERE assessment_id = ? ORDER BY position";
constexpr char kSelectSample[] =
    "SELECT household_id, village_code, stratum, people FROM assessment_sample"
    " WHERE assessment_id = ? ORDER BY position";
constexpr char kSelectSampled[] =
    "SELECT household_id, village_code, stratum, people FROM assessment_sample"
    " WHERE assessment_id = ? AND household_id = ?";
constexpr char kVisited[] =
    "SELECT 1 FROM assessment_visits WHERE assessment_id = ? AND household_id = ?";
constexpr char kInsertVisit[] =
    "INSERT INTO assessment_visits (id, assessment_id, household_id, body)"
    " VALUES (?, ?, ?, UNHEX(?))";
constexpr char kListVisits[] =
    "SELECT body FROM assessment_visits WHERE assessment_id = ? AND id > ? ORDER BY id LIMIT ?";

// Rows inserted per multi-row INSERT of a population.
constexpr size_t kBatch = 64;

// ---- Helpers.

std::string Hex(const google::protobuf::Message& m) {
  return common::HexEncode(common::DeterministicBytes(m));
}

template <typename T>
absl::StatusOr<T> Parse(sql::ResultSet& rs, uint32_t column) {
  T out;
  if (!out.ParseFromString(rs.getString(column).asStdString()))
    return absl::DataLossError(
        absl::StrCat("a stored ", T::descriptor()->name(), " does not parse"));
  return out;
}

// Every row of `rs` (column 1: a message), appended to `out`.
template <typename T>
absl::Status ParseAll(sql::ResultSet& rs, std::vector<T>& out) {
  while (rs.next()) {
    TUOPIN_ASSIGN_OR_RETURN(T row, Parse<T>(rs, 1));
    out.push_back(std::move(row));
  }
  return absl::OkStatus();
}

// The assessment read with `statement` (select or lock); NOT_FOUND when there is none.
absl::StatusOr<v1::Assessment> ReadAssessment(DbSession& s, const char* statement,
                                              const std::string& id) {
  auto rs = Query(s, statement).Arg(id).Rows();
  if (!rs->next()) return common::NotFound("assessment", id);
  return Parse<v1::Assessment>(*rs, 1);
}

void SaveAssessment(DbSession& s, const v1::Assessment& a) {
  Query(s, kUpdateAssessment).Arg(static_cast<int32_t>(a.state())).Arg(Hex(a)).Arg(a.id()).Exec();
}

v1::SampledVillage ReadVillage(sql::ResultSet& rs) {
  v1::SampledVillage v;
  v.set_village_code(RowString(rs, 1));
  v.set_rural_population(rs.getInt(2));
  v.set_non_registered_people(rs.getInt(3));
  return v;
}

v1::SampledHousehold ReadHousehold(sql::ResultSet& rs) {
  v1::SampledHousehold h;
  h.set_household_id(RowString(rs, 1));
  h.set_village_code(RowString(rs, 2));
  h.set_stratum(static_cast<v1::Stratum>(rs.getInt(3)));
  h.set_people(rs.getInt(4));
  return h;
}

// Multi-row INSERTs of `rows`, kBatch at a time; `bind` binds one row's `columns` values.
template <typename T, typename Bind>
void InsertAll(DbSession& s, absl::string_view head, int columns, const std::vector<T>& rows,
               Bind bind) {
  std::string one = absl::StrCat("(", common::Placeholders(columns), ")");
  for (size_t i = 0; i < rows.size(); i += kBatch) {
    size_t n = std::min(kBatch, rows.size() - i);
    std::string sql(head);
    for (size_t k = 0; k < n; ++k) absl::StrAppend(&sql, k == 0 ? " " : ", ", one);
    Query q(s, sql);
    for (size_t k = 0; k < n; ++k) bind(q, rows[i + k]);
    q.Exec();
  }
}

}  // namespace

absl::Status MysqlAssessmentStore::CreateAssessment(const MutationContext& ctx,
                                                    const v1::Assessment& in,
                                                    const FrozenPopulation& population,
                                                    v1::Assessment& out) {
  return common::RunMutation<v1::Assessment>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::Assessment& resp) -> absl::StatusOr<EntityRefs> {
        resp = in;
        resp.set_id(ids_.NewId());
        resp.set_created_by(ctx.principal.subject());
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        try {
          Query(s, kInsertAssessment)
              .Arg(resp.id())
              .Arg(resp.county_code())
              .Arg(resp.year())
              .Arg(static_cast<int32_t>(resp.state()))
              .Arg(Hex(resp))
              .Arg(resp.created_by())
              .Arg(common::ToSqlTime(ctx.now))
              .Exec();
        } catch (const sql::SQLException& e) {
          if (e.getErrorCode() != common::kErDupEntry ||
              !absl::StrContains(e.what(), "uk_assessments_county_year")) {
            throw;
          }
          return AssessmentExists(resp);
        }
        InsertAll(s,
                  "INSERT INTO assessment_villages (assessment_id, village_code,"
                  " rural_population, non_registered_people) VALUES",
                  4, population.villages, [&](Query& q, const v1::SampledVillage& v) {
                    q.Arg(resp.id())
                        .Arg(v.village_code())
                        .Arg(v.rural_population())
                        .Arg(v.non_registered_people());
                  });
        InsertAll(s,
                  "INSERT INTO assessment_population (assessment_id, village_code, stratum,"
                  " household_id, people) VALUES",
                  5, population.households, [&](Query& q, const v1::SampledHousehold& h) {
                    q.Arg(resp.id())
                        .Arg(h.village_code())
                        .Arg(static_cast<int32_t>(h.stratum()))
                        .Arg(h.household_id())
                        .Arg(h.people());
                  });
        // The nonce stays in the stored body only: the answer (kept for replays) never
        // carries it before the reveal.
        resp.clear_server_nonce_hex();
        return AssessmentEntities(resp);
      },
      out);
}

absl::StatusOr<std::optional<v1::Assessment>> MysqlAssessmentStore::GetAssessment(
    const std::string& id) {
  std::optional<v1::Assessment> out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    absl::StatusOr<v1::Assessment> a = ReadAssessment(s, kSelectAssessment, id);
    if (a.ok()) out = *std::move(a);
    return a.status().code() == absl::StatusCode::kNotFound ? absl::OkStatus() : a.status();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::Assessment>> MysqlAssessmentStore::ListAssessments(
    const std::string& region_prefix, const PageRequest& page) {
  std::vector<v1::Assessment> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, kListAssessments)
                  .Arg(region_prefix)
                  .Arg(common::RegionRangeEnd(region_prefix))
                  .Arg(after)
                  .Arg(page.limit)
                  .Rows();
    return ParseAll(*rs, out);
  }));
  return out;
}

absl::StatusOr<FrozenPopulation> MysqlAssessmentStore::Population(
    const std::string& assessment_id) {
  FrozenPopulation out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto villages = Query(s, kSelectVillages).Arg(assessment_id).Rows();
    while (villages->next()) out.villages.push_back(ReadVillage(*villages));
    auto households = Query(s, kSelectPopulation).Arg(assessment_id).Rows();
    while (households->next()) out.households.push_back(ReadHousehold(*households));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlAssessmentStore::SaveSample(const MutationContext& ctx,
                                              const std::string& assessment_id,
                                              const SampleDraw& draw, v1::AssessmentSample& out) {
  return common::RunMutation<v1::AssessmentSample>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::AssessmentSample& resp) -> absl::StatusOr<EntityRefs> {
        TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a,
                                ReadAssessment(s, kLockAssessment, assessment_id));
        resp.Clear();  // the body may run again
        TUOPIN_RETURN_IF_ERROR(draw(a, resp));
        SaveAssessment(s, a);
        for (int i = 0; i < resp.villages_size(); ++i) {
          const auto& v = resp.villages(i);
          Query(s, kInsertSampleVillage)
              .Arg(assessment_id)
              .Arg(i)
              .Arg(v.village_code())
              .Arg(v.rural_population())
              .Arg(v.non_registered_people())
              .Exec();
        }
        for (int i = 0; i < resp.households_size(); ++i) {
          const auto& h = resp.households(i);
          Query(s, kInsertSampleHousehold)
              .Arg(assessment_id)
              .Arg(i)
              .Arg(h.household_id())
              .Arg(h.village_code())
              .Arg(static_cast<int32_t>(h.stratum()))
              .Arg(h.people())
              .Exec();
        }
        return AssessmentEntities(a);
      },
      out);
}

absl::StatusOr<v1::AssessmentSample> MysqlAssessmentStore::Sample(
    const std::string& assessment_id) {
  v1::AssessmentSample out;
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    out.set_assessment_id(assessment_id);
    auto villages = Query(s, kSelectSampleVillages).Arg(assessment_id).Rows();
    while (villages->next()) *out.add_villages() = ReadVillage(*villages);
    auto households = Query(s, kSelectSample).Arg(assessment_id).Rows();
    while (households->next()) *out.add_households() = ReadHousehold(*households);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status MysqlAssessmentStore::RecordVisit(const MutationContext& ctx,
                                               const std::string& assessment_id,
                                               const std::string& household_id,
                                               const VisitBuild& visit, v1::AssessmentVisit& out) {
  return common::RunMutation<v1::AssessmentVisit>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::AssessmentVisit& resp) -> absl::StatusOr<EntityRefs> {
        TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a,
                                ReadAssessment(s, kLockAssessment, assessment_id));
        std::optional<v1::SampledHousehold> sampled;
        auto rs = Query(s, kSelectSampled).Arg(assessment_id).Arg(household_id).Rows();
        if (rs->next()) sampled = ReadHousehold(*rs);
        bool visited = Query(s, kVisited).Arg(assessment_id).Arg(household_id).Rows()->next();
        TUOPIN_ASSIGN_OR_RETURN(resp, visit(a, sampled, visited));
        resp.set_id(ids_.NewId());
        Query(s, kInsertVisit)
            .Arg(resp.id())
            .Arg(assessment_id)
            .Arg(resp.household_id())
            .Arg(Hex(resp))
            .Exec();
        a.set_visited_households(a.visited_households() + 1);
        SaveAssessment(s, a);
        return AssessmentVisitEntities(a, resp);
      },
      out);
}

absl::StatusOr<std::vector<v1::AssessmentVisit>> MysqlAssessmentStore::ListVisits(
    const std::string& assessment_id, const PageRequest& page) {
  std::vector<v1::AssessmentVisit> out;
  std::string after = page.after.empty() ? "" : page.after[0];
  TUOPIN_RETURN_IF_ERROR(common::WithConnection(pool_, [&](DbSession& s) {
    auto rs = Query(s, kListVisits).Arg(assessment_id).Arg(after).Arg(page.limit).Rows();
    return ParseAll(*rs, out);
  }));
  return out;
}

absl::Status MysqlAssessmentStore::FinalizeAssessment(
    const MutationContext& ctx, const std::string& assessment_id, const AssessmentChange& change,
    const std::vector<v1::AssessmentVisit>& reversed, v1::Assessment& out) {
  return common::RunMutation<v1::Assessment>(
      pool_, ids_, ctx,
      [&](DbSession& s, v1::Assessment& resp) -> absl::StatusOr<EntityRefs> {
        TUOPIN_ASSIGN_OR_RETURN(v1::Assessment a,
                                ReadAssessment(s, kLockAssessment, assessment_id));
        TUOPIN_RETURN_IF_ERROR(change(a));
        SaveAssessment(s, a);
        resp = a;
        return FinalizeEntities(resp, reversed);
      },
      out);
}

}  // namespace tuopin::accountability
