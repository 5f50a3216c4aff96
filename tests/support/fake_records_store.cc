#include "tests/support/fake_records_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/db.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/accountability/records_events.h"

namespace tuopin::testing {
namespace {

namespace v1 = acc::v1;
using acc::ActionEntities;
using acc::FindingEntities;
using acc::InspectionEntities;
using acc::OrderChangeEntities;
using acc::OrderEntities;
using acc::SampleEntities;
using acc::VisitEntities;
using common::EntityRefs;

// [prefix, RegionRangeEnd(prefix)), as the MySQL store's range scan.
bool InRegion(const std::string& region, const std::string& prefix) {
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

}  // namespace

absl::Status FakeRecordsStore::CreateInspection(const acc::MutationContext& ctx,
                                                const v1::Inspection& in,
                                                const std::vector<std::string>& population,
                                                v1::Inspection& out) {
  return mutations.Run<v1::Inspection>(
      ctx,
      [&](v1::Inspection& resp) -> absl::StatusOr<EntityRefs> {
        resp = in;
        resp.set_id(ids_.NewId());
        resp.set_population_size(static_cast<int32_t>(population.size()));
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        inspections[resp.id()] = resp;
        populations[resp.id()] = population;
        return InspectionEntities(resp);
      },
      out);
}

absl::StatusOr<std::optional<v1::Inspection>> FakeRecordsStore::GetInspection(
    const std::string& id) {
  auto it = inspections.find(id);
  if (it == inspections.end()) return std::optional<v1::Inspection>();
  return std::optional<v1::Inspection>(it->second);
}

absl::StatusOr<std::vector<std::string>> FakeRecordsStore::Population(
    const std::string& inspection_id) {
  auto it = populations.find(inspection_id);
  if (it == populations.end()) return std::vector<std::string>();
  std::vector<std::string> sorted = it->second;
  std::sort(sorted.begin(), sorted.end());  // ORDER BY household_id
  return sorted;
}

absl::Status FakeRecordsStore::SaveSample(const acc::MutationContext& ctx,
                                          const std::string& inspection_id, const SampleDraw& draw,
                                          v1::Sample& out) {
  return mutations.Run<v1::Sample>(
      ctx,
      [&](v1::Sample& resp) -> absl::StatusOr<EntityRefs> {
        auto it = inspections.find(inspection_id);
        if (it == inspections.end())
          return absl::NotFoundError(absl::StrCat("inspection ", inspection_id, " not found"));
        TUOPIN_ASSIGN_OR_RETURN(std::vector<std::string> sample, draw(it->second));
        it->second.set_revealed(true);
        samples[inspection_id] = sample;
        resp.set_inspection_id(inspection_id);
        for (const auto& h : sample) resp.add_household_ids(h);
        return SampleEntities(it->second);
      },
      out);
}

absl::StatusOr<bool> FakeRecordsStore::InSample(const std::string& inspection_id,
                                                const std::string& household_id) {
  auto it = samples.find(inspection_id);
  return it != samples.end() &&
         std::find(it->second.begin(), it->second.end(), household_id) != it->second.end();
}

absl::Status FakeRecordsStore::RecordVisit(const acc::MutationContext& ctx, const v1::Visit& v,
                                           v1::Visit& out) {
  return mutations.Run<v1::Visit>(
      ctx,
      [&](v1::Visit& resp) -> absl::StatusOr<EntityRefs> {
        resp = v;
        resp.set_id(ids_.NewId());
        visits.push_back(resp);
        return VisitEntities(resp);
      },
      out);
}

absl::Status FakeRecordsStore::CreateFinding(const acc::MutationContext& ctx, const v1::Finding& f,
                                             v1::Finding& out) {
  return mutations.Run<v1::Finding>(
      ctx,
      [&](v1::Finding& resp) -> absl::StatusOr<EntityRefs> {
        resp = f;
        resp.set_id(ids_.NewId());
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        findings[resp.id()] = resp;
        return FindingEntities(resp);
      },
      out);
}

absl::StatusOr<std::vector<v1::Finding>> FakeRecordsStore::GetFindings(
    const std::vector<std::string>& ids) {
  std::vector<v1::Finding> out;
  for (const auto& [id, f] : findings) {  // ORDER BY id
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) out.push_back(f);
  }
  return out;
}

absl::StatusOr<std::vector<v1::Finding>> FakeRecordsStore::ListFindings(
    const std::string& region_prefix, const std::string& inspection_id, const std::string& cadre_id,
    const acc::PageRequest& page) {
  return PageOf(findings, page, [&](const v1::Finding& f) {
    return InRegion(f.region_code(), region_prefix) &&
           (inspection_id.empty() || f.inspection_id() == inspection_id) &&
           (cadre_id.empty() || f.subject().cadre_id() == cadre_id);
  });
}

absl::StatusOr<v1::RegionSummary> FakeRecordsStore::Summarize(const std::string& region_prefix,
                                                              absl::CivilDay today) {
  v1::RegionSummary out;
  out.set_region_code(region_prefix);
  std::map<int, int> by_sector;
  for (const auto& [id, f] : findings) {
    if (InRegion(f.region_code(), region_prefix)) ++by_sector[f.sector()];
  }
  for (const auto& [sector, count] : by_sector) {
    auto* c = out.add_findings_by_sector();
    c->set_sector(static_cast<tuopin::common::v1::Sector>(sector));
    c->set_count(count);
    out.set_findings(out.findings() + count);
  }
  for (const auto& [id, o] : orders) {
    if (!InRegion(o.region_code(), region_prefix)) continue;
    out.set_orders(out.orders() + 1);
    if (o.status() == v1::RECTIFICATION_STATUS_OPEN) out.set_orders_open(out.orders_open() + 1);
    if (o.status() == v1::RECTIFICATION_STATUS_SUBMITTED)
      out.set_orders_submitted(out.orders_submitted() + 1);
    if (o.status() == v1::RECTIFICATION_STATUS_VERIFIED)
      out.set_orders_verified(out.orders_verified() + 1);
    if (o.reopen_count() > 0) out.set_orders_reopened(out.orders_reopened() + 1);
    if (o.status() != v1::RECTIFICATION_STATUS_VERIFIED && common::FromDate(o.deadline()) < today)
      out.set_orders_overdue(out.orders_overdue() + 1);
  }
  return out;
}

absl::Status FakeRecordsStore::CreateOrder(const acc::MutationContext& ctx,
                                           const v1::RectificationOrder& o,
                                           v1::RectificationOrder& out) {
  return mutations.Run<v1::RectificationOrder>(
      ctx,
      [&](v1::RectificationOrder& resp) -> absl::StatusOr<EntityRefs> {
        // The order's id is the primary key: a second order of that id is refused.
        if (orders.contains(o.id()))
          return absl::AlreadyExistsError(absl::StrCat("order ", o.id(), " exists"));
        resp = o;
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        orders[o.id()] = resp;
        return OrderEntities(resp);
      },
      out);
}

absl::StatusOr<std::optional<v1::RectificationOrder>> FakeRecordsStore::GetOrder(
    const std::string& id) {
  auto it = orders.find(id);
  if (it == orders.end()) return std::optional<v1::RectificationOrder>();
  return std::optional<v1::RectificationOrder>(it->second);
}

absl::Status FakeRecordsStore::ChangeOrder(const acc::MutationContext& ctx, const std::string& id,
                                           const OrderChange& change, v1::RectificationOrder& out) {
  return mutations.Run<v1::RectificationOrder>(
      ctx,
      [&](v1::RectificationOrder& resp) -> absl::StatusOr<EntityRefs> {
        auto it = orders.find(id);
        if (it == orders.end())
          return absl::NotFoundError(absl::StrCat("rectification order ", id, " not found"));
        v1::RectificationOrder o = it->second;
        TUOPIN_RETURN_IF_ERROR(change(o));
        // Only what the MySQL store's UPDATE writes.
        it->second.set_status(o.status());
        it->second.set_reopen_count(o.reopen_count());
        it->second.set_verified_by(o.verified_by());
        it->second.set_submission_note(o.submission_note());
        resp = it->second;
        return OrderChangeEntities(resp);
      },
      out);
}

absl::StatusOr<std::vector<v1::RectificationOrder>> FakeRecordsStore::ListOrders(
    const std::string& region_prefix, int status, const acc::PageRequest& page) {
  return PageOf(orders, page, [&](const v1::RectificationOrder& o) {
    return InRegion(o.region_code(), region_prefix) &&
           (status == v1::RECTIFICATION_STATUS_UNSPECIFIED || o.status() == status);
  });
}

absl::Status FakeRecordsStore::CreateAction(const acc::MutationContext& ctx,
                                            const v1::AccountabilityAction& a,
                                            v1::AccountabilityAction& out) {
  return mutations.Run<v1::AccountabilityAction>(
      ctx,
      [&](v1::AccountabilityAction& resp) -> absl::StatusOr<EntityRefs> {
        resp = a;
        resp.set_id(ids_.NewId());
        *resp.mutable_create_time() = common::ToTimestamp(ctx.now);
        actions[resp.id()] = resp;
        return ActionEntities(resp);
      },
      out);
}

absl::StatusOr<std::vector<v1::AccountabilityAction>> FakeRecordsStore::ListActions(
    const std::string& region_prefix, const std::string& cadre_id, const acc::PageRequest& page) {
  return PageOf(actions, page, [&](const v1::AccountabilityAction& a) {
    return InRegion(a.region_code(), region_prefix) &&
           (cadre_id.empty() || a.subject().cadre_id() == cadre_id);
  });
}

}  // namespace tuopin::testing
