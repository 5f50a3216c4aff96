#pragma once
// An in-memory RecordsStore (services/accountability/records_store.h) for unit tests of
// the records logic. It keeps what the MySQL store keeps (inspections with their frozen
// population and drawn sample, visits, findings, orders with their findings and tasks,
// actions), pages and filters as it does, and follows RunMutation's contract (replays by
// request id, an audit event per committed mutation: tests/support/fake_mutations.h).
// Header-only, so that adding a primitive to the store changes this one file.

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/accountability/records_events.h"
#include "services/accountability/records_store.h"
#include "tests/support/fake_mutations.h"
#include "tests/support/fake_rows.h"

namespace tuopin::testing {

namespace acc = tuopin::accountability;

class FakeRecordsStore final : public acc::RecordsStore {
 public:
  std::map<std::string, acc::v1::Inspection> inspections;
  std::map<std::string, std::vector<std::string>> populations;  // inspection id -> sorted ids
  std::map<std::string, std::vector<std::string>> samples;      // inspection id -> draw order
  std::vector<acc::v1::Visit> visits;
  std::map<std::string, acc::v1::Finding> findings;
  std::map<std::string, acc::v1::RectificationOrder> orders;
  std::map<std::string, acc::v1::AccountabilityAction> actions;
  // RunMutation's records and the audit events of committed mutations.
  FakeMutations mutations;

  absl::Status CreateInspection(const acc::MutationContext& ctx, const acc::v1::Inspection& in,
                                const std::vector<std::string>& population,
                                acc::v1::Inspection& out) override;
  absl::StatusOr<std::optional<acc::v1::Inspection>> GetInspection(const std::string& id) override;
  absl::StatusOr<std::vector<std::string>> Population(const std::string& inspection_id) override;
  absl::Status SaveSample(const acc::MutationContext& ctx, const std::string& inspection_id,
                          const SampleDraw& draw, acc::v1::Sample& out) override;
  absl::StatusOr<bool> InSample(const std::string& inspection_id,
                                const std::string& household_id) override;
  absl::Status RecordVisit(const acc::MutationContext& ctx, const acc::v1::Visit& visit,
                           acc::v1::Visit& out) override;
  absl::Status CreateFinding(const acc::MutationContext& ctx, const acc::v1::Finding& f,
                             acc::v1::Finding& out) override;
  absl::StatusOr<std::vector<acc::v1::Finding>> GetFindings(
      const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<acc::v1::Finding>> ListFindings(const std::string& region_prefix,
                                                             const std::string& inspection_id,
                                                             const std::string& cadre_id,
                                                             const acc::PageRequest& page) override;
  absl::StatusOr<acc::v1::RegionSummary> Summarize(const std::string& region_prefix,
                                                   absl::CivilDay today) override;
  absl::Status CreateOrder(const acc::MutationContext& ctx,
                           const acc::v1::RectificationOrder& order,
                           acc::v1::RectificationOrder& out) override;
  absl::StatusOr<std::optional<acc::v1::RectificationOrder>> GetOrder(
      const std::string& id) override;
  absl::Status ChangeOrder(const acc::MutationContext& ctx, const std::string& id,
                           const OrderChange& change, acc::v1::RectificationOrder& out) override;
  absl::StatusOr<std::vector<acc::v1::RectificationOrder>> ListOrders(
      const std::string& region_prefix, int status, const acc::PageRequest& page) override;
  absl::Status CreateAction(const acc::MutationContext& ctx, const acc::v1::AccountabilityAction& a,
                            acc::v1::AccountabilityAction& out) override;
  absl::StatusOr<std::vector<acc::v1::AccountabilityAction>> ListActions(
      const std::string& region_prefix, const std::string& cadre_id,
      const acc::PageRequest& page) override;

 private:
  common::SequentialIdGenerator ids_{"rec-"};
};

namespace fake_records_detail {

// [prefix, RegionRangeEnd(prefix)), as the MySQL store's range scan.
inline bool InRegion(const std::string& region, const std::string& prefix) {
  return region >= prefix && region < common::RegionRangeEnd(prefix);
}

// A keyset page of rows keyed by id (a std::map is already in id order).
template <typename T, typename Keep>
std::vector<T> PageOf(const std::map<std::string, T>& rows, const acc::PageRequest& page,
                      Keep keep) {
  std::string after = page.after.empty() ? "" : page.after[0];
  std::vector<T> out;
  for (auto it = rows.upper_bound(after);
       it != rows.end() && static_cast<int>(out.size()) < page.limit; ++it) {
    if (keep(it->second)) out.push_back(it->second);
  }
  return out;
}

// `in` as its INSERT stores it: with a fresh id and its creation time.
template <typename T>
T Created(const T& in, common::IdGenerator& ids, absl::Time now) {
  T row = in;
  row.set_id(ids.NewId());
  *row.mutable_create_time() = common::ToTimestamp(now);
  return row;
}

}  // namespace fake_records_detail

inline absl::Status FakeRecordsStore::CreateInspection(const acc::MutationContext& ctx,
                                                       const acc::v1::Inspection& in,
                                                       const std::vector<std::string>& population,
                                                       acc::v1::Inspection& out) {
  return mutations.Run<acc::v1::Inspection>(
      ctx,
      [&](acc::v1::Inspection& resp) -> absl::StatusOr<common::EntityRefs> {
        resp = in;
        resp.set_id(ids_.NewId());
        resp.set_population_size(static_cast<int32_t>(population.size()));
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        inspections[resp.id()] = resp;
        populations[resp.id()] = population;
        return acc::InspectionEntities(resp);
      },
      out);
}

inline absl::StatusOr<std::optional<acc::v1::Inspection>> FakeRecordsStore::GetInspection(
    const std::string& id) {
  return FindRow(inspections, id);
}

inline absl::StatusOr<std::vector<std::string>> FakeRecordsStore::Population(
    const std::string& inspection_id) {
  auto it = populations.find(inspection_id);
  if (it == populations.end()) return std::vector<std::string>();
  std::vector<std::string> sorted = it->second;
  std::sort(sorted.begin(), sorted.end());  // ORDER BY household_id
  return sorted;
}

inline absl::Status FakeRecordsStore::SaveSample(const acc::MutationContext& ctx,
                                                 const std::string& inspection_id,
                                                 const SampleDraw& draw, acc::v1::Sample& out) {
  return mutations.Run<acc::v1::Sample>(
      ctx,
      [&](acc::v1::Sample& resp) -> absl::StatusOr<common::EntityRefs> {
        auto it = inspections.find(inspection_id);
        if (it == inspections.end())
          return absl::NotFoundError(absl::StrCat("inspection ", inspection_id, " not found"));
        TUOPIN_ASSIGN_OR_RETURN(std::vector<std::string> sample, draw(it->second));
        it->second.set_revealed(true);
        samples[inspection_id] = sample;
        resp.set_inspection_id(inspection_id);
        for (const auto& h : sample) resp.add_household_ids(h);
        return acc::SampleEntities(it->second);
      },
      out);
}

inline absl::StatusOr<bool> FakeRecordsStore::InSample(const std::string& inspection_id,
                                                       const std::string& household_id) {
  auto it = samples.find(inspection_id);
  return it != samples.end() &&
         std::find(it->second.begin(), it->second.end(), household_id) != it->second.end();
}

inline absl::Status FakeRecordsStore::RecordVisit(const acc::MutationContext& ctx,
                                                  const acc::v1::Visit& v, acc::v1::Visit& out) {
  return mutations.Run<acc::v1::Visit>(
      ctx,
      [&](acc::v1::Visit& resp) -> absl::StatusOr<common::EntityRefs> {
        resp = v;
        resp.set_id(ids_.NewId());
        visits.push_back(resp);
        return acc::VisitEntities(resp);
      },
      out);
}

inline absl::Status FakeRecordsStore::CreateFinding(const acc::MutationContext& ctx,
                                                    const acc::v1::Finding& f,
                                                    acc::v1::Finding& out) {
  return mutations.Run<acc::v1::Finding>(
      ctx,
      [&](acc::v1::Finding& resp) -> absl::StatusOr<common::EntityRefs> {
        resp = fake_records_detail::Created(f, ids_, ctx.now);
        findings[resp.id()] = resp;
        return acc::FindingEntities(resp);
      },
      out);
}

inline absl::StatusOr<std::vector<acc::v1::Finding>> FakeRecordsStore::GetFindings(
    const std::vector<std::string>& ids) {
  std::vector<acc::v1::Finding> out;
  for (const auto& [id, f] : findings) {  // ORDER BY id
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) out.push_back(f);
  }
  return out;
}

inline absl::StatusOr<std::vector<acc::v1::Finding>> FakeRecordsStore::ListFindings(
    const std::string& region_prefix, const std::string& inspection_id, const std::string& cadre_id,
    const acc::PageRequest& page) {
  return fake_records_detail::PageOf(findings, page, [&](const acc::v1::Finding& f) {
    return fake_records_detail::InRegion(f.region_code(), region_prefix) &&
           (inspection_id.empty() || f.inspection_id() == inspection_id) &&
           (cadre_id.empty() || f.subject().cadre_id() == cadre_id);
  });
}

inline absl::StatusOr<acc::v1::RegionSummary> FakeRecordsStore::Summarize(
    const std::string& region_prefix, absl::CivilDay today) {
  acc::v1::RegionSummary out;
  out.set_region_code(region_prefix);
  std::map<int, int> by_sector;
  for (const auto& [id, f] : findings) {
    if (fake_records_detail::InRegion(f.region_code(), region_prefix)) ++by_sector[f.sector()];
  }
  for (const auto& [sector, count] : by_sector) {
    auto* c = out.add_findings_by_sector();
    c->set_sector(static_cast<tuopin::common::v1::Sector>(sector));
    c->set_count(count);
    out.set_findings(out.findings() + count);
  }
  for (const auto& [id, o] : orders) {
    if (!fake_records_detail::InRegion(o.region_code(), region_prefix)) continue;
    out.set_orders(out.orders() + 1);
    if (o.status() == acc::v1::RECTIFICATION_STATUS_OPEN)
      out.set_orders_open(out.orders_open() + 1);
    if (o.status() == acc::v1::RECTIFICATION_STATUS_SUBMITTED)
      out.set_orders_submitted(out.orders_submitted() + 1);
    if (o.status() == acc::v1::RECTIFICATION_STATUS_VERIFIED)
      out.set_orders_verified(out.orders_verified() + 1);
    if (o.reopen_count() > 0) out.set_orders_reopened(out.orders_reopened() + 1);
    if (o.status() != acc::v1::RECTIFICATION_STATUS_VERIFIED &&
        common::FromDate(o.deadline()) < today)
      out.set_orders_overdue(out.orders_overdue() + 1);
  }
  return out;
}

inline absl::Status FakeRecordsStore::CreateOrder(const acc::MutationContext& ctx,
                                                  const acc::v1::RectificationOrder& o,
                                                  acc::v1::RectificationOrder& out) {
  return mutations.Run<acc::v1::RectificationOrder>(
      ctx,
      [&](acc::v1::RectificationOrder& resp) -> absl::StatusOr<common::EntityRefs> {
        // The order's id is the primary key: a second order of that id is refused.
        if (orders.contains(o.id()))
          return absl::AlreadyExistsError(absl::StrCat("order ", o.id(), " exists"));
        resp = o;
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        orders[o.id()] = resp;
        return acc::OrderEntities(resp);
      },
      out);
}

inline absl::StatusOr<std::optional<acc::v1::RectificationOrder>> FakeRecordsStore::GetOrder(
    const std::string& id) {
  return FindRow(orders, id);
}

inline absl::Status FakeRecordsStore::ChangeOrder(const acc::MutationContext& ctx,
                                                  const std::string& id, const OrderChange& change,
                                                  acc::v1::RectificationOrder& out) {
  return mutations.Run<acc::v1::RectificationOrder>(
      ctx,
      [&](acc::v1::RectificationOrder& resp) -> absl::StatusOr<common::EntityRefs> {
        auto it = orders.find(id);
        if (it == orders.end())
          return absl::NotFoundError(absl::StrCat("rectification order ", id, " not found"));
        acc::v1::RectificationOrder o = it->second;
        TUOPIN_RETURN_IF_ERROR(change(o));
        // Only what the MySQL store's UPDATE writes.
        it->second.set_status(o.status());
        it->second.set_reopen_count(o.reopen_count());
        it->second.set_verified_by(o.verified_by());
        it->second.set_submission_note(o.submission_note());
        resp = it->second;
        return acc::OrderChangeEntities(resp);
      },
      out);
}

inline absl::StatusOr<std::vector<acc::v1::RectificationOrder>> FakeRecordsStore::ListOrders(
    const std::string& region_prefix, int status, const acc::PageRequest& page) {
  return fake_records_detail::PageOf(orders, page, [&](const acc::v1::RectificationOrder& o) {
    return fake_records_detail::InRegion(o.region_code(), region_prefix) &&
           (status == acc::v1::RECTIFICATION_STATUS_UNSPECIFIED || o.status() == status);
  });
}

inline absl::Status FakeRecordsStore::CreateAction(const acc::MutationContext& ctx,
                                                   const acc::v1::AccountabilityAction& a,
                                                   acc::v1::AccountabilityAction& out) {
  return mutations.Run<acc::v1::AccountabilityAction>(
      ctx,
      [&](acc::v1::AccountabilityAction& resp) -> absl::StatusOr<common::EntityRefs> {
        resp = fake_records_detail::Created(a, ids_, ctx.now);
        actions[resp.id()] = resp;
        return acc::ActionEntities(resp);
      },
      out);
}

inline absl::StatusOr<std::vector<acc::v1::AccountabilityAction>> FakeRecordsStore::ListActions(
    const std::string& region_prefix, const std::string& cadre_id, const acc::PageRequest& page) {
  return fake_records_detail::PageOf(actions, page, [&](const acc::v1::AccountabilityAction& a) {
    return fake_records_detail::InRegion(a.region_code(), region_prefix) &&
           (cadre_id.empty() || a.subject().cadre_id() == cadre_id);
  });
}

}  // namespace tuopin::testing
