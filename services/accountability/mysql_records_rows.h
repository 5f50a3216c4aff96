#pragma once
// The rows of the records database, each defined once (common/db_rows.h): the column, its
// reader and its binder together. Internal to mysql_records_store.cc.

#include <cppconn/resultset.h>

#include <string>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/db_rows.h"
#include "common/validate.h"
#include "tuopin/accountability/v1/accountability.pb.h"

namespace tuopin::accountability::rows {

using common::Column;
using common::Query;
using common::RowDate;
using common::RowString;
using common::RowTime;
using RS = sql::ResultSet;

// Id lists are stored comma-separated: ids never contain commas.
inline std::string JoinIds(const google::protobuf::RepeatedPtrField<std::string>& ids) {
  return absl::StrJoin(ids, ",");
}
inline void SplitIds(const std::string& s, google::protobuf::RepeatedPtrField<std::string>* out) {
  for (absl::string_view id : absl::StrSplit(s, ',', absl::SkipEmpty())) out->Add(std::string(id));
}
// A subject is a cadre or a department (a oneof): two columns, the other one empty.
inline void SetCadre(v1::Subject* s, const std::string& cadre) {
  if (!cadre.empty()) s->set_cadre_id(cadre);
}
inline void SetDepartment(v1::Subject* s, const std::string& department) {
  if (!department.empty()) s->set_department(department);
}
inline std::string SqlDate(const tuopin::common::v1::Date& d) {
  return common::ToSqlDate(common::FromDate(d));
}
inline std::string SqlTime(const google::protobuf::Timestamp& t) {
  return common::ToSqlTime(common::FromTimestamp(t));
}

using In = v1::Inspection;
inline constexpr Column<In> kInspection[] = {
    {"id", [](RS& rs, uint32_t i, In& in) { in.set_id(RowString(rs, i)); },
     [](Query& q, const In& in) { q.Arg(in.id()); }},
    {"kind",
     [](RS& rs, uint32_t i, In& in) { in.set_kind(static_cast<v1::InspectionKind>(rs.getInt(i))); },
     [](Query& q, const In& in) { q.Arg(static_cast<int32_t>(in.kind())); }},
    {"group_name", [](RS& rs, uint32_t i, In& in) { in.set_group_name(RowString(rs, i)); },
     [](Query& q, const In& in) { q.Arg(in.group_name()); }},
    {"leader_cadre_ids",
     [](RS& rs, uint32_t i, In& in) { SplitIds(RowString(rs, i), in.mutable_leader_cadre_ids()); },
     [](Query& q, const In& in) { q.Arg(JoinIds(in.leader_cadre_ids())); }},
    {"target_region_codes",
     [](RS& rs, uint32_t i, In& in) {
       SplitIds(RowString(rs, i), in.mutable_target_region_codes());
     },
     [](Query& q, const In& in) { q.Arg(JoinIds(in.target_region_codes())); }},
    {"start_date", [](RS& rs, uint32_t i, In& in) { *in.mutable_start_date() = RowDate(rs, i); },
     [](Query& q, const In& in) { q.Arg(SqlDate(in.start_date())); }},
    {"end_date", [](RS& rs, uint32_t i, In& in) { *in.mutable_end_date() = RowDate(rs, i); },
     [](Query& q, const In& in) { q.Arg(SqlDate(in.end_date())); }},
    {"sample_size", [](RS& rs, uint32_t i, In& in) { in.set_sample_size(rs.getInt(i)); },
     [](Query& q, const In& in) { q.Arg(in.sample_size()); }},
    {"seed_commitment",
     [](RS& rs, uint32_t i, In& in) { in.set_seed_commitment(RowString(rs, i)); },
     [](Query& q, const In& in) { q.Arg(in.seed_commitment()); }},
    {"revealed", [](RS& rs, uint32_t i, In& in) { in.set_revealed(rs.getInt(i) != 0); },
     [](Query& q, const In& in) { q.Arg(in.revealed()); }},
    {"population_digest",
     [](RS& rs, uint32_t i, In& in) { in.set_population_digest(RowString(rs, i)); },
     [](Query& q, const In& in) { q.Arg(in.population_digest()); }},
    {"population_size", [](RS& rs, uint32_t i, In& in) { in.set_population_size(rs.getInt(i)); },
     [](Query& q, const In& in) { q.Arg(in.population_size()); }},
    {"created_at", [](RS& rs, uint32_t i, In& in) { *in.mutable_create_time() = RowTime(rs, i); },
     [](Query& q, const In& in) { q.Arg(SqlTime(in.create_time())); }},
};

using F = v1::Finding;
inline constexpr Column<F> kFinding[] = {
    {"id", [](RS& rs, uint32_t i, F& f) { f.set_id(RowString(rs, i)); },
     [](Query& q, const F& f) { q.Arg(f.id()); }},
    {"inspection_id", [](RS& rs, uint32_t i, F& f) { f.set_inspection_id(RowString(rs, i)); },
     [](Query& q, const F& f) { q.Arg(f.inspection_id()); }},
    {"category",
     [](RS& rs, uint32_t i, F& f) {
       f.set_category(static_cast<v1::FindingCategory>(rs.getInt(i)));
     },
     [](Query& q, const F& f) { q.Arg(static_cast<int32_t>(f.category())); }},
    {"sector",
     [](RS& rs, uint32_t i, F& f) {
       f.set_sector(static_cast<tuopin::common::v1::Sector>(rs.getInt(i)));
     },
     [](Query& q, const F& f) { q.Arg(static_cast<int32_t>(f.sector())); }},
    {"region_code", [](RS& rs, uint32_t i, F& f) { f.set_region_code(RowString(rs, i)); },
     [](Query& q, const F& f) { q.Arg(f.region_code()); }},
    {"subject_cadre_id",
     [](RS& rs, uint32_t i, F& f) { SetCadre(f.mutable_subject(), RowString(rs, i)); },
     [](Query& q, const F& f) { q.Arg(f.subject().cadre_id()); }},
    {"subject_department",
     [](RS& rs, uint32_t i, F& f) { SetDepartment(f.mutable_subject(), RowString(rs, i)); },
     [](Query& q, const F& f) { q.Arg(f.subject().department()); }},
    {"severity",
     [](RS& rs, uint32_t i, F& f) { f.set_severity(static_cast<v1::Severity>(rs.getInt(i))); },
     [](Query& q, const F& f) { q.Arg(static_cast<int32_t>(f.severity())); }},
    {"description", [](RS& rs, uint32_t i, F& f) { f.set_description(RowString(rs, i)); },
     [](Query& q, const F& f) { q.Arg(f.description()); }},
    // URIs are one line each, stored newline-separated.
    {"evidence_uris",
     [](RS& rs, uint32_t i, F& f) {
       const std::string uris = RowString(rs, i);
       for (absl::string_view uri : absl::StrSplit(uris, '\n', absl::SkipEmpty()))
         f.add_evidence_uris(std::string(uri));
     },
     [](Query& q, const F& f) { q.Arg(absl::StrJoin(f.evidence_uris(), "\n")); }},
    {"created_at", [](RS& rs, uint32_t i, F& f) { *f.mutable_create_time() = RowTime(rs, i); },
     [](Query& q, const F& f) { q.Arg(SqlTime(f.create_time())); }},
};

// The order's own columns; its findings and tasks live in order_findings and order_tasks.
using O = v1::RectificationOrder;
inline constexpr Column<O> kOrder[] = {
    {"id", [](RS& rs, uint32_t i, O& o) { o.set_id(RowString(rs, i)); },
     [](Query& q, const O& o) { q.Arg(o.id()); }},
    {"region_code", [](RS& rs, uint32_t i, O& o) { o.set_region_code(RowString(rs, i)); },
     [](Query& q, const O& o) { q.Arg(o.region_code()); }},
    {"campaign_id", [](RS& rs, uint32_t i, O& o) { o.set_campaign_id(RowString(rs, i)); },
     [](Query& q, const O& o) { q.Arg(o.campaign_id()); }},
    {"responsible_cadre_id",
     [](RS& rs, uint32_t i, O& o) { SetCadre(o.mutable_responsible(), RowString(rs, i)); },
     [](Query& q, const O& o) { q.Arg(o.responsible().cadre_id()); }},
    {"responsible_department",
     [](RS& rs, uint32_t i, O& o) { SetDepartment(o.mutable_responsible(), RowString(rs, i)); },
     [](Query& q, const O& o) { q.Arg(o.responsible().department()); }},
    {"deadline", [](RS& rs, uint32_t i, O& o) { *o.mutable_deadline() = RowDate(rs, i); },
     [](Query& q, const O& o) { q.Arg(SqlDate(o.deadline())); }},
    {"status",
     [](RS& rs, uint32_t i, O& o) {
       o.set_status(static_cast<v1::RectificationStatus>(rs.getInt(i)));
     },
     [](Query& q, const O& o) { q.Arg(static_cast<int32_t>(o.status())); }},
    {"reopen_count", [](RS& rs, uint32_t i, O& o) { o.set_reopen_count(rs.getInt(i)); },
     [](Query& q, const O& o) { q.Arg(o.reopen_count()); }},
    {"issued_by", [](RS& rs, uint32_t i, O& o) { o.set_issued_by(RowString(rs, i)); },
     [](Query& q, const O& o) { q.Arg(o.issued_by()); }},
    {"verified_by", [](RS& rs, uint32_t i, O& o) { o.set_verified_by(RowString(rs, i)); },
     [](Query& q, const O& o) { q.Arg(o.verified_by()); }},
    {"submission_note", [](RS& rs, uint32_t i, O& o) { o.set_submission_note(RowString(rs, i)); },
     [](Query& q, const O& o) { q.Arg(o.submission_note()); }},
    {"created_at", [](RS& rs, uint32_t i, O& o) { *o.mutable_create_time() = RowTime(rs, i); },
     [](Query& q, const O& o) { q.Arg(SqlTime(o.create_time())); }},
};

using A = v1::AccountabilityAction;
inline constexpr Column<A> kAction[] = {
    {"id", [](RS& rs, uint32_t i, A& a) { a.set_id(RowString(rs, i)); },
     [](Query& q, const A& a) { q.Arg(a.id()); }},
    {"subject_cadre_id",
     [](RS& rs, uint32_t i, A& a) { SetCadre(a.mutable_subject(), RowString(rs, i)); },
     [](Query& q, const A& a) { q.Arg(a.subject().cadre_id()); }},
    {"subject_department",
     [](RS& rs, uint32_t i, A& a) { SetDepartment(a.mutable_subject(), RowString(rs, i)); },
     [](Query& q, const A& a) { q.Arg(a.subject().department()); }},
    {"kind",
     [](RS& rs, uint32_t i, A& a) { a.set_kind(static_cast<v1::ActionKind>(rs.getInt(i))); },
     [](Query& q, const A& a) { q.Arg(static_cast<int32_t>(a.kind())); }},
    {"decided_by", [](RS& rs, uint32_t i, A& a) { a.set_decided_by(RowString(rs, i)); },
     [](Query& q, const A& a) { q.Arg(a.decided_by()); }},
    {"decision_date", [](RS& rs, uint32_t i, A& a) { *a.mutable_decision_date() = RowDate(rs, i); },
     [](Query& q, const A& a) { q.Arg(SqlDate(a.decision_date())); }},
    {"region_code", [](RS& rs, uint32_t i, A& a) { a.set_region_code(RowString(rs, i)); },
     [](Query& q, const A& a) { q.Arg(a.region_code()); }},
    {"finding_ids",
     [](RS& rs, uint32_t i, A& a) { SplitIds(RowString(rs, i), a.mutable_finding_ids()); },
     [](Query& q, const A& a) { q.Arg(JoinIds(a.finding_ids())); }},
    {"created_at", [](RS& rs, uint32_t i, A& a) { *a.mutable_create_time() = RowTime(rs, i); },
     [](Query& q, const A& a) { q.Arg(SqlTime(a.create_time())); }},
};

}  // namespace tuopin::accountability::rows
