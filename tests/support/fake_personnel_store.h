#pragma once
// An in-memory PersonnelStore (and its CoverageStore) for logic unit tests: the same
// contract as MysqlPersonnelStore without a database. Mutations keep RunMutation's frame:
// a request id already recorded replays the stored response (or is refused for another
// request), a failing body leaves no trace (the data is restored), and a committed one
// records its response and appends its audit event to `outbox`. The unique keys the
// database enforces (employee number, one active posting per cadre, one active first
// secretary per village, one active pairing per household) are enforced here too.
// Header-only, so that adding a primitive to the store changes this one file.

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/validate.h"
#include "services/personnel/personnel_store.h"
#include "tests/support/fake_rows.h"

namespace tuopin::testing {

namespace personnel_v1 = tuopin::personnel::v1;

// The stored rows, public so tests seed and inspect them directly.
struct PersonnelData {
  struct CheckInRow {
    personnel_v1::CheckIn checkin;
    absl::CivilDay day;
  };
  std::map<std::string, personnel_v1::Region> regions;
  std::map<std::string, personnel_v1::Household> households;
  // household id -> its versions, oldest first (the household_versions table). Households
  // seeded directly have none, like those stored before history was kept.
  std::map<std::string, std::vector<personnel_v1::HouseholdVersion>> household_versions;
  std::map<std::string, personnel_v1::Cadre> cadres;
  std::map<std::string, personnel_v1::Posting> postings;
  std::map<std::string, personnel_v1::Pairing> pairings;
  std::vector<CheckInRow> checkins;
  // Open exit applications (id -> village code), kept by FakeExitStore: the rows of the
  // exit_applications table a personnel transaction reads.
  std::map<std::string, std::string> open_exit_applications;
  std::map<std::string, personnel::VillageCoverage> coverage_summary;
  absl::Time summary_computed_at;
  // What WrittenSince answers (the fake keeps no write times), and what it was asked.
  bool written_since = true;
  std::vector<absl::Time> written_since_asked;
};

class FakeCoverageStore final : public personnel::CoverageStore {
 public:
  explicit FakeCoverageStore(PersonnelData& data) : data_(data) {}

  absl::StatusOr<personnel_v1::Coverage> GetCoverage(const personnel::CoverageQuery& q) override;
  absl::StatusOr<personnel_v1::Coverage> GetCoverageCounts(
      const personnel::CoverageQuery& q) override;
  absl::Status RefreshCoverageSummary(absl::Time stale_before, int pairing_limit,
                                      absl::Time now) override;
  absl::StatusOr<bool> WrittenSince(absl::Time since) override {
    data_.written_since_asked.push_back(since);
    return data_.written_since;
  }

 private:
  PersonnelData& data_;
};

class FakePersonnelStore final : public personnel::PersonnelStore {
 public:
  FakePersonnelStore() : coverage_(data) {}

  PersonnelData data;
  // Audit events of committed mutations, in commit order.
  std::vector<tuopin::common::v1::AuditEvent> outbox;
  // Mutations answered from the idempotency record.
  int replays = 0;
  // Transactions opened by RunMutation (replays open none).
  int transactions = 0;

  absl::Status RunMutation(const personnel::MutationContext& ctx, const TxBody& body,
                           google::protobuf::Message& response) override;

  absl::StatusOr<std::optional<personnel_v1::Region>> GetRegion(const std::string& code) override;
  absl::StatusOr<std::vector<personnel_v1::Region>> ListRegions(
      const std::string& parent_code, absl::Time as_of,
      const personnel::PageRequest& page) override;
  absl::StatusOr<std::optional<personnel_v1::Household>> GetHousehold(
      const std::string& id) override;
  absl::StatusOr<std::vector<personnel_v1::Household>> FindHouseholdsByNumber(
      const std::vector<std::string>& numbers) override;
  absl::StatusOr<std::vector<personnel_v1::Household>> ListHouseholds(
      const std::string& region_prefix, int status, const personnel::PageRequest& page) override;
  absl::StatusOr<std::optional<personnel_v1::HouseholdVersion>> GetHouseholdVersion(
      const std::string& id, absl::Time as_of) override;
  absl::StatusOr<std::vector<personnel_v1::HouseholdVersion>> ListHouseholdVersions(
      const std::string& region_prefix, int status, absl::Time as_of,
      const personnel::PageRequest& page) override;
  absl::StatusOr<std::vector<personnel_v1::HouseholdVersion>> GetHouseholdHistory(
      const std::string& id, const personnel::PageRequest& page) override;
  absl::StatusOr<std::optional<personnel_v1::Cadre>> GetCadre(const std::string& id) override;
  absl::StatusOr<std::vector<personnel_v1::Cadre>> ListCadres(
      const std::string& region_prefix, int origin_level,
      const personnel::PageRequest& page) override;
  absl::StatusOr<std::optional<personnel_v1::Posting>> GetPosting(const std::string& id) override;
  absl::StatusOr<std::vector<personnel_v1::Posting>> ListPostings(
      const std::string& cadre_id, const std::string& region_prefix, bool active_only,
      const personnel::PageRequest& page) override;
  absl::StatusOr<std::optional<personnel_v1::Pairing>> GetPairing(const std::string& id) override;
  absl::StatusOr<std::vector<personnel_v1::Pairing>> ListPairings(
      const std::string& cadre_id, const std::string& household_id,
      const std::string& region_prefix, bool active_only,
      const personnel::PageRequest& page) override;
  absl::StatusOr<std::vector<personnel::CheckInDay>> ListCheckInDays(const std::string& cadre_id,
                                                                     absl::CivilDay from,
                                                                     absl::CivilDay to) override;
  personnel::CoverageStore& coverage() override { return coverage_; }

 private:
  struct Record {
    std::string method, request_sha256, response;
  };
  common::SequentialIdGenerator ids_{"fake-"};
  std::map<std::pair<std::string, std::string>, Record> idempotency_;
  FakeCoverageStore coverage_;
};

namespace fake_personnel_detail {

namespace v1 = tuopin::personnel::v1;
using personnel::Conflict;
using personnel::PageRequest;

// Region codes are digits, so the database's range [prefix, prefix + ":") is a prefix.
inline bool InRegion(const std::string& code, const std::string& prefix) {
  return absl::StartsWith(code, prefix);
}

// Rows of `m` passing `keep`, ordered by `key`, after the page's key, at most page.limit.
template <typename T, typename Keep, typename Key>
std::vector<T> Page(const std::map<std::string, T>& m, const PageRequest& page, Keep keep,
                    Key key) {
  std::vector<T> rows;
  for (const auto& [id, row] : m) {
    if (keep(row) && (page.after.empty() || key(row) > page.after)) rows.push_back(row);
  }
  std::sort(rows.begin(), rows.end(), [&](const T& a, const T& b) { return key(a) < key(b); });
  if (rows.size() > static_cast<size_t>(page.limit)) rows.resize(page.limit);
  return rows;
}

// A version in force at `t`.
inline bool InForce(const v1::HouseholdVersion& v, absl::Time t) {
  return common::FromTimestamp(v.valid_from()) <= t &&
         (!v.has_valid_to() || common::FromTimestamp(v.valid_to()) > t);
}

// The households with one of these national numbers.
inline std::vector<v1::Household> HouseholdsByNumber(const PersonnelData& d,
                                                     const std::vector<std::string>& numbers) {
  std::set<std::string> wanted(numbers.begin(), numbers.end());
  std::vector<v1::Household> out;
  for (const auto& [id, h] : d.households) {
    if (!h.national_household_number().empty() && wanted.count(h.national_household_number())) {
      out.push_back(h);
    }
  }
  return out;
}

// The mutation's transaction over the fake's rows (restored by RunMutation on failure).
class FakeTx final : public personnel::PersonnelTx {
 public:
  // `ctx` (time, method, request id, event id) is what the household versions record.
  FakeTx(PersonnelData& d, common::IdGenerator& ids, const personnel::MutationContext& ctx)
      : d_(d), ids_(ids), ctx_(ctx) {}

  std::string NewId() override { return ids_.NewId(); }

  std::optional<v1::Region> GetRegion(const std::string& code) override {
    return FindRow(d_.regions, code);
  }
  std::optional<v1::Region> LockRegion(const std::string& code) override {
    return FindRow(d_.regions, code);
  }
  void InsertRegion(const v1::Region& region) override { d_.regions[region.code()] = region; }
  void RenameRegion(const std::string& code, const std::string& name) override {
    d_.regions.at(code).set_name(name);
  }
  void RetireRegion(const v1::Region& region) override {
    v1::Region& row = d_.regions.at(region.code());
    *row.mutable_valid_to() = region.valid_to();
    row.set_successor_code(region.successor_code());
    row.set_change_reference(region.change_reference());
  }
  std::vector<v1::Household> LockHouseholdsOfVillage(const std::string& village_code) override {
    std::vector<v1::Household> out;
    for (const auto& [id, h] : d_.households) {
      if (h.village_code() == village_code) out.push_back(h);
    }
    return out;
  }
  int64_t CountHouseholdsOfVillage(const std::string& village_code) override {
    int64_t n = 0;
    for (const auto& [id, h] : d_.households) n += h.village_code() == village_code;
    return n;
  }
  bool HasActivePosting(const std::string& village_code) override {
    for (const auto& [id, p] : d_.postings) {
      if (p.active() && p.village_code() == village_code) return true;
    }
    return false;
  }
  bool HasOpenExitApplication(const std::string& village_code) override {
    for (const auto& [id, village] : d_.open_exit_applications) {
      if (village == village_code) return true;
    }
    return false;
  }
  void MoveActivePairing(const std::string& household_id,
                         const std::string& village_code) override {
    for (auto& [id, p] : d_.pairings) {
      if (p.active() && p.household_id() == household_id) p.set_village_code(village_code);
    }
  }

  std::optional<v1::Household> LockHousehold(const std::string& id) override {
    return FindRow(d_.households, id);
  }
  Conflict InsertHousehold(const v1::Household& h) override {
    // The unique key on the national number (rows without one never collide).
    for (const auto& [id, other] : d_.households) {
      if (!h.national_household_number().empty() &&
          other.national_household_number() == h.national_household_number()) {
        return Conflict::kNationalHouseholdNumber;
      }
    }
    v1::Household& row = d_.households[h.id()] = h;
    row.set_etag(common::EtagOf(1));
    RecordVersion(h.id());
    return Conflict::kNone;
  }
  std::vector<v1::Household> LockHouseholdsByNumber(
      const std::vector<std::string>& numbers) override {
    return HouseholdsByNumber(d_, numbers);
  }
  Conflict InsertHouseholds(const std::vector<v1::Household>& households) override {
    // RunMutation restores the rows when the logic then fails the transaction.
    for (const auto& h : households) {
      if (InsertHousehold(h) != Conflict::kNone) return Conflict::kNationalHouseholdNumber;
    }
    return Conflict::kNone;
  }
  void ReplaceMembers(const v1::Household& h) override {
    *d_.households.at(h.id()).mutable_members() = h.members();
    RecordVersion(h.id());
  }
  void UpdateHousehold(const v1::Household& h, int64_t version) override {
    personnel::ApplyHouseholdUpdate(h, version, d_.households.at(h.id()));
    RecordVersion(h.id());
  }
  void MoveHousehold(const v1::Household& moved, int64_t version) override {
    personnel::ApplyHouseholdMove(moved, version, ctx_.now, d_.households.at(moved.id()));
    RecordVersion(moved.id());
  }

  std::optional<v1::Cadre> LockCadre(const std::string& id) override {
    return FindRow(d_.cadres, id);
  }
  Conflict InsertCadre(const v1::Cadre& c) override {
    for (const auto& [id, row] : d_.cadres) {
      if (row.employee_number() == c.employee_number()) return Conflict::kEmployeeNumber;
    }
    v1::Cadre& row = d_.cadres[c.id()] = c;
    row.set_etag(common::EtagOf(1));
    return Conflict::kNone;
  }
  void UpdateCadre(const v1::Cadre& c, int64_t version) override {
    v1::Cadre& row = d_.cadres.at(c.id());
    row.set_name(c.name());
    row.set_origin_level(c.origin_level());
    row.set_dispatching_unit(c.dispatching_unit());
    row.set_home_region_code(c.home_region_code());
    row.set_etag(common::EtagOf(version));
  }

  std::optional<v1::Posting> LockPosting(const std::string& id) override {
    return FindRow(d_.postings, id);
  }
  Conflict InsertPosting(const v1::Posting& p, absl::Time) override {
    for (const auto& [id, row] : d_.postings) {
      if (!row.active()) continue;
      if (row.cadre_id() == p.cadre_id()) return Conflict::kCadrePosted;
      if (p.role() == v1::POSTING_ROLE_FIRST_SECRETARY &&
          row.role() == v1::POSTING_ROLE_FIRST_SECRETARY && row.village_code() == p.village_code())
        return Conflict::kFirstSecretarySeat;
    }
    v1::Posting& row = d_.postings[p.id()] = p;
    row.set_active(true);
    row.clear_end_date();
    row.clear_end_reason();
    return Conflict::kNone;
  }
  void EndPosting(const v1::Posting& p) override {
    v1::Posting& row = d_.postings.at(p.id());
    row.set_active(false);
    *row.mutable_end_date() = p.end_date();
    row.set_end_reason(p.end_reason());
  }

  int CountActivePairings(const std::string& cadre_id) override {
    return static_cast<int>(std::count_if(d_.pairings.begin(), d_.pairings.end(), [&](auto& e) {
      return e.second.active() && e.second.cadre_id() == cadre_id;
    }));
  }
  std::optional<v1::Pairing> LockPairing(const std::string& id) override {
    return FindRow(d_.pairings, id);
  }
  Conflict InsertPairing(const v1::Pairing& p) override {
    for (const auto& [id, row] : d_.pairings) {
      if (row.active() && row.household_id() == p.household_id()) {
        return Conflict::kHouseholdPaired;
      }
    }
    v1::Pairing& row = d_.pairings[p.id()] = p;
    row.set_active(true);
    row.clear_end_time();
    return Conflict::kNone;
  }
  void EndPairing(const v1::Pairing& p) override {
    v1::Pairing& row = d_.pairings.at(p.id());
    row.set_active(false);
    *row.mutable_end_time() = p.end_time();
  }

  void InsertCheckIn(const v1::CheckIn& c, absl::CivilDay day) override {
    d_.checkins.push_back({c, day});
  }

 private:
  // As the database store: one version per household per transaction, the household as
  // the transaction leaves it, closing the one before.
  void RecordVersion(const std::string& id) {
    auto& versions = d_.household_versions[id];
    if (!recorded_.insert(id).second) {
      v1::HouseholdVersion& mine = versions.back();
      *mine.mutable_household() = d_.households.at(id);
      mine.set_version(VersionOfEtag(mine.household().etag()));
      return;
    }
    if (!versions.empty()) *versions.back().mutable_valid_to() = common::ToTimestamp(ctx_.now);
    v1::HouseholdVersion& v = versions.emplace_back();
    *v.mutable_household() = d_.households.at(id);
    v.set_version(VersionOfEtag(v.household().etag()));
    *v.mutable_valid_from() = common::ToTimestamp(ctx_.now);
    v.set_method(ctx_.method);
    v.set_request_id(ctx_.request_id);
    v.set_event_id(ctx_.event_id);
  }
  static int64_t VersionOfEtag(const std::string& etag) { return std::stoll(etag.substr(1)); }

  PersonnelData& d_;
  common::IdGenerator& ids_;
  const personnel::MutationContext& ctx_;
  std::set<std::string> recorded_;
};

using Summary = personnel::VillageCoverage;

inline bool PoorAndUnpaired(const PersonnelData& d, const v1::Household& h) {
  if (h.status() != v1::HOUSEHOLD_STATUS_REGISTERED_POOR) return false;
  for (const auto& [id, p] : d.pairings) {
    if (p.active() && p.household_id() == h.id()) return false;
  }
  return true;
}

inline bool Stale(const PersonnelData& d, const std::string& cadre_id, absl::Time stale_before) {
  for (const auto& row : d.checkins) {
    if (row.checkin.cadre_id() == cadre_id &&
        common::FromTimestamp(row.checkin.time()) >= stale_before)
      return false;
  }
  return true;
}

// Cadres with more than `limit` active pairings in the region, with the first village (by
// code) of those pairings.
inline std::map<std::string, std::string> CadresOverLimit(const PersonnelData& d,
                                                          const std::string& prefix, int limit) {
  std::map<std::string, std::pair<int, std::string>> per_cadre;
  for (const auto& [id, p] : d.pairings) {
    if (!p.active() || !InRegion(p.village_code(), prefix)) continue;
    auto& [count, village] = per_cadre[p.cadre_id()];
    if (count++ == 0 || p.village_code() < village) village = p.village_code();
  }
  std::map<std::string, std::string> out;
  for (const auto& [cadre, cv] : per_cadre) {
    if (cv.first > limit) out[cadre] = cv.second;
  }
  return out;
}

// Every imported village of the region with its counts.
inline std::map<std::string, Summary> VillageCoverage(const PersonnelData& d,
                                                      const std::string& prefix,
                                                      absl::Time stale_before, int limit) {
  std::map<std::string, Summary> v;
  for (const auto& [code, r] : d.regions) {
    if (r.level() == v1::REGION_LEVEL_VILLAGE && !r.has_valid_to() && InRegion(code, prefix))
      v[code];
  }
  auto at = [&](const std::string& village) -> Summary* {
    auto it = v.find(village);
    return it == v.end() ? nullptr : &it->second;
  };
  for (const auto& [id, h] : d.households) {
    Summary* s = at(h.village_code());
    if (s == nullptr) continue;
    s->registered_poor += h.status() == v1::HOUSEHOLD_STATUS_REGISTERED_POOR;
    s->unpaired_poor += PoorAndUnpaired(d, h);
  }
  for (const auto& [cadre, village] : CadresOverLimit(d, prefix, limit)) {
    if (Summary* s = at(village)) ++s->cadres_over_limit;
  }
  for (const auto& [id, p] : d.postings) {
    Summary* s = at(p.village_code());
    if (s == nullptr || !p.active()) continue;
    s->home_village_postings += p.home_village();
    s->stale_cadres += Stale(d, p.cadre_id(), stale_before);
    s->first_secretary |= p.role() == v1::POSTING_ROLE_FIRST_SECRETARY;
  }
  return v;
}

inline void SetCounts(const std::map<std::string, Summary>& villages, v1::Coverage& c) {
  personnel::CoverageCounts counts;
  for (const auto& [code, s] : villages) counts.Add(s);
  counts.SetOn(c);
}

// The first `max` of `items` sorted, into `field`.
template <typename Field>
void List(std::vector<std::string> items, int max, Field* field) {
  std::sort(items.begin(), items.end());
  if (items.size() > static_cast<size_t>(max)) items.resize(max);
  for (auto& item : items) *field->Add() = std::move(item);
}

}  // namespace fake_personnel_detail

inline absl::Status FakePersonnelStore::RunMutation(const personnel::MutationContext& ctx,
                                                    const TxBody& body,
                                                    google::protobuf::Message& response) {
  response.Clear();
  auto key = std::make_pair(ctx.principal.subject(), ctx.request_id);
  if (auto it = idempotency_.find(key); it != idempotency_.end()) {
    if (it->second.method != ctx.method || it->second.request_sha256 != ctx.request_sha256) {
      return common::WithReason(common::InvalidField("request_id",
                                                     "was already used for a different request; "
                                                     "use a new request_id for a new request"),
                                common::ErrorReason::REQUEST_ID_REUSED);
    }
    if (!response.ParseFromString(it->second.response)) {
      return absl::InternalError("stored response does not parse");
    }
    ++replays;
    return absl::OkStatus();
  }
  ++transactions;
  PersonnelData before = data;
  // As the database store: the event id is known to the body (the household versions).
  personnel::MutationContext with_event = common::WithEventId(ctx, ids_);
  fake_personnel_detail::FakeTx tx(data, ids_, with_event);
  absl::StatusOr<common::EntityRefs> entities = body(tx, response);
  absl::Status status = entities.status();
  std::string response_bytes;
  tuopin::common::v1::AuditEvent event;
  if (status.ok()) {
    response_bytes = common::DeterministicBytes(response);
    event = common::MakeAuditEvent(ids_, with_event, *entities, response_bytes);
    status = common::CheckLoggable(event);
  }
  if (!status.ok()) {
    data = std::move(before);
    return status;
  }
  idempotency_[key] = Record{ctx.method, ctx.request_sha256, std::move(response_bytes)};
  outbox.push_back(std::move(event));
  return absl::OkStatus();
}

inline absl::StatusOr<std::optional<personnel_v1::Region>> FakePersonnelStore::GetRegion(
    const std::string& code) {
  return FindRow(data.regions, code);
}

inline absl::StatusOr<std::vector<personnel_v1::Region>> FakePersonnelStore::ListRegions(
    const std::string& parent_code, absl::Time as_of, const personnel::PageRequest& page) {
  return fake_personnel_detail::Page(
      data.regions, page,
      [&](const personnel_v1::Region& r) {
        // As the database: a region without valid_from was there since before dates.
        return r.parent_code() == parent_code && common::FromTimestamp(r.valid_from()) <= as_of &&
               (!r.has_valid_to() || common::FromTimestamp(r.valid_to()) > as_of);
      },
      [](const personnel_v1::Region& r) { return std::vector<std::string>{r.code()}; });
}

inline absl::StatusOr<std::vector<personnel_v1::Household>>
FakePersonnelStore::FindHouseholdsByNumber(const std::vector<std::string>& numbers) {
  return fake_personnel_detail::HouseholdsByNumber(data, numbers);
}

inline absl::StatusOr<std::optional<personnel_v1::Household>> FakePersonnelStore::GetHousehold(
    const std::string& id) {
  return FindRow(data.households, id);
}

inline absl::StatusOr<std::vector<personnel_v1::Household>> FakePersonnelStore::ListHouseholds(
    const std::string& region_prefix, int status, const personnel::PageRequest& page) {
  auto rows = fake_personnel_detail::Page(
      data.households, page,
      [&](const personnel_v1::Household& h) {
        return fake_personnel_detail::InRegion(h.village_code(), region_prefix) &&
               (status == 0 || h.status() == status);
      },
      [](const personnel_v1::Household& h) {
        return std::vector<std::string>{h.village_code(), h.id()};
      });
  return rows;
}

inline absl::StatusOr<std::optional<personnel_v1::HouseholdVersion>>
FakePersonnelStore::GetHouseholdVersion(const std::string& id, absl::Time as_of) {
  auto it = data.household_versions.find(id);
  if (it == data.household_versions.end()) return std::nullopt;
  for (const auto& v : it->second) {
    if (fake_personnel_detail::InForce(v, as_of)) return v;
  }
  return std::nullopt;
}

inline absl::StatusOr<std::vector<personnel_v1::HouseholdVersion>>
FakePersonnelStore::ListHouseholdVersions(const std::string& region_prefix, int status,
                                          absl::Time as_of, const personnel::PageRequest& page) {
  std::map<std::string, personnel_v1::HouseholdVersion> in_force;
  for (const auto& [id, versions] : data.household_versions) {
    for (const auto& v : versions) {
      if (fake_personnel_detail::InForce(v, as_of)) in_force[id] = v;
    }
  }
  return fake_personnel_detail::Page(
      in_force, page,
      [&](const personnel_v1::HouseholdVersion& v) {
        return fake_personnel_detail::InRegion(v.household().village_code(), region_prefix) &&
               (status == 0 || v.household().status() == status);
      },
      [](const personnel_v1::HouseholdVersion& v) {
        return std::vector<std::string>{v.household().village_code(), v.household().id()};
      });
}

inline absl::StatusOr<std::vector<personnel_v1::HouseholdVersion>>
FakePersonnelStore::GetHouseholdHistory(const std::string& id, const personnel::PageRequest& page) {
  std::vector<personnel_v1::HouseholdVersion> out;
  auto it = data.household_versions.find(id);
  if (it == data.household_versions.end()) return out;
  int64_t after = page.after.empty() ? 0 : std::stoll(page.after[0]);
  for (const auto& v : it->second) {
    if (v.version() > after && out.size() < static_cast<size_t>(page.limit)) out.push_back(v);
  }
  return out;
}

inline absl::StatusOr<std::optional<personnel_v1::Cadre>> FakePersonnelStore::GetCadre(
    const std::string& id) {
  return FindRow(data.cadres, id);
}

inline absl::StatusOr<std::vector<personnel_v1::Cadre>> FakePersonnelStore::ListCadres(
    const std::string& region_prefix, int origin_level, const personnel::PageRequest& page) {
  return fake_personnel_detail::Page(
      data.cadres, page,
      [&](const personnel_v1::Cadre& c) {
        return fake_personnel_detail::InRegion(c.managing_region_code(), region_prefix) &&
               (origin_level == 0 || c.origin_level() == origin_level);
      },
      [](const personnel_v1::Cadre& c) {
        return std::vector<std::string>{c.managing_region_code(), c.id()};
      });
}

inline absl::StatusOr<std::optional<personnel_v1::Posting>> FakePersonnelStore::GetPosting(
    const std::string& id) {
  return FindRow(data.postings, id);
}

inline absl::StatusOr<std::vector<personnel_v1::Posting>> FakePersonnelStore::ListPostings(
    const std::string& cadre_id, const std::string& region_prefix, bool active_only,
    const personnel::PageRequest& page) {
  return fake_personnel_detail::Page(
      data.postings, page,
      [&](const personnel_v1::Posting& p) {
        bool scoped = cadre_id.empty()
                          ? fake_personnel_detail::InRegion(p.village_code(), region_prefix)
                          : p.cadre_id() == cadre_id;
        return scoped && (!active_only || p.active());
      },
      [](const personnel_v1::Posting& p) { return std::vector<std::string>{p.id()}; });
}

inline absl::StatusOr<std::optional<personnel_v1::Pairing>> FakePersonnelStore::GetPairing(
    const std::string& id) {
  return FindRow(data.pairings, id);
}

inline absl::StatusOr<std::vector<personnel_v1::Pairing>> FakePersonnelStore::ListPairings(
    const std::string& cadre_id, const std::string& household_id, const std::string& region_prefix,
    bool active_only, const personnel::PageRequest& page) {
  return fake_personnel_detail::Page(
      data.pairings, page,
      [&](const personnel_v1::Pairing& p) {
        bool scoped = !cadre_id.empty() ? p.cadre_id() == cadre_id
                      : !household_id.empty()
                          ? p.household_id() == household_id
                          : fake_personnel_detail::InRegion(p.village_code(), region_prefix);
        return scoped && (!active_only || p.active());
      },
      [](const personnel_v1::Pairing& p) { return std::vector<std::string>{p.id()}; });
}

inline absl::StatusOr<std::vector<personnel::CheckInDay>> FakePersonnelStore::ListCheckInDays(
    const std::string& cadre_id, absl::CivilDay from, absl::CivilDay to) {
  std::map<std::pair<absl::CivilDay, std::string>, bool> days;
  for (const auto& row : data.checkins) {
    if (row.checkin.cadre_id() != cadre_id || row.day < from || row.day > to) continue;
    days[{row.day, row.checkin.village_code()}] |=
        row.checkin.method() == personnel_v1::CHECK_IN_METHOD_VERIFIED_BY_INSPECTION;
  }
  std::vector<personnel::CheckInDay> out;
  for (const auto& [key, verified] : days) out.push_back({key.first, key.second, verified});
  return out;
}

inline absl::StatusOr<personnel_v1::Coverage> FakeCoverageStore::GetCoverage(
    const personnel::CoverageQuery& q) {
  const PersonnelData& d = data_;
  personnel_v1::Coverage c;
  c.set_region_code(q.region_code);
  auto villages =
      fake_personnel_detail::VillageCoverage(d, q.region_code, q.stale_before, q.pairing_limit);
  fake_personnel_detail::SetCounts(villages, c);
  std::vector<std::string> no_fs, unpaired, over, home, stale;
  for (const auto& [code, s] : villages) {
    if (!s.first_secretary) no_fs.push_back(code);
  }
  // Households in (village_code, id) order: the village prefixes the key.
  std::vector<std::pair<std::string, std::string>> poor;
  for (const auto& [id, h] : d.households) {
    if (fake_personnel_detail::InRegion(h.village_code(), q.region_code) &&
        fake_personnel_detail::PoorAndUnpaired(d, h)) {
      poor.emplace_back(h.village_code(), id);
    }
  }
  std::sort(poor.begin(), poor.end());
  if (poor.size() > static_cast<size_t>(q.max_listed)) poor.resize(q.max_listed);
  for (const auto& [village, id] : poor) c.add_households_without_cadre(id);
  for (const auto& [cadre, village] :
       fake_personnel_detail::CadresOverLimit(d, q.region_code, q.pairing_limit)) {
    over.push_back(cadre);
  }
  for (const auto& [id, p] : d.postings) {
    if (!p.active() || !fake_personnel_detail::InRegion(p.village_code(), q.region_code)) continue;
    if (p.home_village()) home.push_back(id);
    if (fake_personnel_detail::Stale(d, p.cadre_id(), q.stale_before))
      stale.push_back(p.cadre_id());
  }
  fake_personnel_detail::List(no_fs, q.max_listed, c.mutable_villages_without_first_secretary());
  fake_personnel_detail::List(over, q.max_listed, c.mutable_cadres_over_pairing_limit());
  fake_personnel_detail::List(home, q.max_listed, c.mutable_home_village_posting_ids());
  fake_personnel_detail::List(stale, q.max_listed, c.mutable_cadres_without_recent_check_in());
  return c;
}

inline absl::StatusOr<personnel_v1::Coverage> FakeCoverageStore::GetCoverageCounts(
    const personnel::CoverageQuery& q) {
  personnel_v1::Coverage c;
  c.set_region_code(q.region_code);
  std::map<std::string, fake_personnel_detail::Summary> villages;
  for (const auto& [code, s] : data_.coverage_summary) {
    if (fake_personnel_detail::InRegion(code, q.region_code)) villages[code] = s;
  }
  fake_personnel_detail::SetCounts(villages, c);
  if (!villages.empty()) *c.mutable_as_of() = common::ToTimestamp(data_.summary_computed_at);
  return c;
}

inline absl::Status FakeCoverageStore::RefreshCoverageSummary(absl::Time stale_before,
                                                              int pairing_limit, absl::Time now) {
  data_.coverage_summary =
      fake_personnel_detail::VillageCoverage(data_, "", stale_before, pairing_limit);
  data_.summary_computed_at = now;
  return absl::OkStatus();
}

}  // namespace tuopin::testing
