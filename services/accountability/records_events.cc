#include "services/accountability/records_events.h"

namespace tuopin::accountability {
namespace {

using common::Entity;
using common::EntityRefs;

std::string FirstRegion(const v1::Inspection& in) {
  return in.target_region_codes().empty() ? "" : in.target_region_codes(0);
}

void AddCadre(const v1::Subject& subject, EntityRefs& refs) {
  if (!subject.cadre_id().empty()) refs.push_back(Entity("cadre", subject.cadre_id()));
}

}  // namespace

EntityRefs InspectionEntities(const v1::Inspection& created) {
  EntityRefs refs{Entity("inspection", created.id(), FirstRegion(created))};
  for (const auto& leader : created.leader_cadre_ids()) refs.push_back(Entity("cadre", leader));
  return refs;
}

EntityRefs SampleEntities(const v1::Inspection& inspection) {
  return {Entity("inspection", inspection.id(), FirstRegion(inspection))};
}

EntityRefs VisitEntities(const v1::Visit& created) {
  EntityRefs refs{Entity("visit", created.id(), created.region_code()),
                  Entity("inspection", created.inspection_id())};
  if (!created.household_id().empty())
    refs.push_back(Entity("household", created.household_id(), created.region_code()));
  return refs;
}

EntityRefs FindingEntities(const v1::Finding& created) {
  EntityRefs refs{Entity("finding", created.id(), created.region_code()),
                  Entity("inspection", created.inspection_id())};
  AddCadre(created.subject(), refs);
  return refs;
}

EntityRefs OrderEntities(const v1::RectificationOrder& created) {
  EntityRefs refs{Entity("rectification_order", created.id(), created.region_code())};
  for (const auto& f : created.finding_ids())
    refs.push_back(Entity("finding", f, created.region_code()));
  for (const auto& t : created.task_ids()) refs.push_back(Entity("task", t, created.region_code()));
  return refs;
}

EntityRefs OrderChangeEntities(const v1::RectificationOrder& changed) {
  return {Entity("rectification_order", changed.id(), changed.region_code())};
}

EntityRefs ActionEntities(const v1::AccountabilityAction& created) {
  EntityRefs refs{Entity("action", created.id(), created.region_code())};
  AddCadre(created.subject(), refs);
  for (const auto& f : created.finding_ids())
    refs.push_back(Entity("finding", f, created.region_code()));
  return refs;
}

}  // namespace tuopin::accountability
