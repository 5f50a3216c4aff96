#pragma once
// What the audit event of each records mutation names, and in which region: one place for
// the rule, so every store (the MySQL one and the tests' fake) tags the same entities.
// An object with a region is tagged with it, so only that region's auditors read its
// history; references to objects tagged by their own creation carry no region.

#include "common/mutation.h"
#include "tuopin/accountability/v1/accountability.pb.h"

namespace tuopin::accountability {

// The inspection in its first target region, and its leaders.
common::EntityRefs InspectionEntities(const v1::Inspection& created);
// The inspection whose sample was drawn.
common::EntityRefs SampleEntities(const v1::Inspection& inspection);
// The visit and its household in their region, and the inspection.
common::EntityRefs VisitEntities(const v1::Visit& created);
// The finding in its region, its inspection and the cadre it is about.
common::EntityRefs FindingEntities(const v1::Finding& created);
// The order, its findings and its tasks in the order's region.
common::EntityRefs OrderEntities(const v1::RectificationOrder& created);
// The order whose state changed.
common::EntityRefs OrderChangeEntities(const v1::RectificationOrder& changed);
// The action and its findings in its region, and the cadre it is about.
common::EntityRefs ActionEntities(const v1::AccountabilityAction& created);

}  // namespace tuopin::accountability
