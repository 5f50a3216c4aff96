#pragma once
// Region scope over the objects a request names by id (AIP-211). Outside the caller's
// scope, "does not exist" and "not yours" give one answer: the PERMISSION_DENIED of
// RequireRegion, naming the resource as the caller sent it. A missing object lies in no
// region, so only a principal whose scope covers every region ("*": operators, service
// principals) can be told it is missing; everyone else is refused as for another county's.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/auth.h"
#include "common/status.h"

namespace tuopin::common {

// Whether the principal's scope covers every region.
inline bool CoversEveryRegion(const Principal& p) {
  for (const auto& scope : p.region_scopes()) {
    if (scope == "*") return true;
  }
  return false;
}

// The refusal for an object outside the caller's scope, exactly as RequireRegion words it.
inline absl::Status OutOfScope(absl::string_view resource) {
  // A principal with no scope covers no region: RequireRegion always refuses it.
  return RequireRegion(Principal(), "", resource);
}

// The answer for a named object that does not exist: `not_found` (NOT_FOUND, or a field
// violation for an object named inside another request) to a principal who sees every
// region; OutOfScope(resource) to anyone else.
inline absl::Status MissingObject(const Principal& p, absl::string_view resource,
                                  absl::Status not_found) {
  if (CoversEveryRegion(p)) return not_found;
  return OutOfScope(resource);
}

// Checks an object named in a request whose region was looked up elsewhere (`region`:
// NOT_FOUND when the object does not exist; any other error is returned as it is): OK when
// the caller's scope covers the region, MissingObject or OutOfScope otherwise.
inline absl::Status RequireNamedObject(const Principal& p,
                                       const absl::StatusOr<std::string>& region,
                                       absl::string_view resource, absl::Status not_found) {
  if (!region.ok()) {
    if (region.status().code() != absl::StatusCode::kNotFound) return region.status();
    return MissingObject(p, resource, std::move(not_found));
  }
  return RequireRegion(p, *region, resource);
}

// Whether a region-wide object (a campaign) is visible to the principal: its scope covers
// the object's region, or works inside it (a township official sees the county's campaign).
inline bool ScopeOverlaps(const Principal& p, absl::string_view region_code) {
  if (PrincipalCoversRegion(p, region_code)) return true;
  for (const auto& scope : p.region_scopes()) {
    if (RegionCovers(region_code, scope)) return true;
  }
  return false;
}

// For what a county may not decide about itself (its own denominators, its own
// assessment): OK when the principal's scope covers `region_code` from above its county,
// i.e. "*" or a scope of at most 4 digits (prefecture, province) that prefixes it;
// PERMISSION_DENIED NOT_INDEPENDENT when a scope covers it only from the county or below;
// RequireRegion's refusal when no scope covers it at all. ScopeAboveCounty is the test alone.
inline bool ScopeAboveCounty(const Principal& p, absl::string_view region_code) {
  for (const auto& scope : p.region_scopes()) {
    if (scope == "*" || (scope.size() <= 4 && RegionCovers(scope, region_code))) return true;
  }
  return false;
}
inline absl::Status RequireScopeAboveCounty(const Principal& p, absl::string_view region_code,
                                            absl::string_view resource) {
  if (absl::Status st = RequireRegion(p, region_code, resource); !st.ok()) return st;
  if (ScopeAboveCounty(p, region_code)) return absl::OkStatus();
  return WithReason(absl::PermissionDeniedError(absl::StrCat(
                        "Permission denied: ", resource,
                        " is decided above its county (prefecture, province or the centre)")),
                    ErrorReason::NOT_INDEPENDENT);
}

}  // namespace tuopin::common
