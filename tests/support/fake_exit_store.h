#pragma once
// An in-memory ExitStore for logic unit tests, over a FakePersonnelStore's households: the
// same contract as MysqlExitStore without a database. A mutation keeps RunMutation's frame
// (tests/support/fake_mutations.h): replays, reused request ids, and a failing body leaves
// neither applications nor households changed. One open application per household is
// enforced as the database's unique key does. Header-only.

#include <map>
#include <string>
#include <vector>

#include "services/personnel/exit_store.h"
#include "tests/support/fake_mutations.h"
#include "tests/support/fake_personnel_store.h"
#include "tests/support/fake_rows.h"

namespace tuopin::testing {

class FakeExitStore final : public personnel::ExitStore {
 public:
  explicit FakeExitStore(FakePersonnelStore& personnel) : personnel_(personnel) {}

  // The stored applications (etag from the stored version), public for tests.
  std::map<std::string, personnel_v1::ExitApplication> applications;
  // household id -> id of its open application (the unique key's column).
  std::map<std::string, std::string> open_by_household;
  // The frame: audit events of committed mutations in `mutations.events`.
  FakeMutations mutations;

  absl::Status RunMutation(const personnel::MutationContext& ctx, const TxBody& body,
                           google::protobuf::Message& response) override {
    // As the database store: the event id is known to the body (the household versions).
    personnel::MutationContext with_event = common::WithEventId(ctx, ids_);
    return mutations.Run<google::protobuf::Message>(
        with_event,
        [&](google::protobuf::Message& m) -> absl::StatusOr<common::EntityRefs> {
          PersonnelData households_before = personnel_.data;
          auto applications_before = applications;
          auto open_before = open_by_household;
          Tx tx(*this, with_event);
          absl::StatusOr<common::EntityRefs> refs = body(tx, m);
          if (!refs.ok()) {
            personnel_.data = std::move(households_before);
            applications = std::move(applications_before);
            open_by_household = std::move(open_before);
          }
          return refs;
        },
        response);
  }

  absl::StatusOr<std::optional<personnel_v1::ExitApplication>> GetApplication(
      const std::string& id) override {
    return FindRow(applications, id);
  }

  absl::StatusOr<std::vector<personnel_v1::ExitApplication>> ListApplications(
      const std::string& region_prefix, int stage, const personnel::PageRequest& page) override {
    return fake_personnel_detail::Page(
        applications, page,
        [&](const personnel_v1::ExitApplication& a) {
          return fake_personnel_detail::InRegion(a.village_code(), region_prefix) &&
                 (stage == 0 || a.stage() == stage);
        },
        [](const personnel_v1::ExitApplication& a) {
          return std::vector<std::string>{a.village_code(), a.id()};
        });
  }

 private:
  class Tx final : public personnel::ExitTx {
   public:
    Tx(FakeExitStore& store, const personnel::MutationContext& ctx)
        : store_(store), personnel_(store.personnel_.data, store.ids_, ctx) {}

    personnel::PersonnelTx& personnel() override { return personnel_; }

    std::optional<personnel_v1::ExitApplication> LockApplication(const std::string& id) override {
      return FindRow(store_.applications, id);
    }
    bool InsertApplication(const personnel_v1::ExitApplication& a) override {
      if (!store_.open_by_household.emplace(a.household_id(), a.id()).second) return false;
      personnel_v1::ExitApplication& row = store_.applications[a.id()] = a;
      row.set_etag(common::EtagOf(1));
      store_.personnel_.data.open_exit_applications[a.id()] = a.village_code();
      return true;
    }
    void UpdateApplication(const personnel_v1::ExitApplication& a, int64_t version,
                           bool open) override {
      personnel_v1::ExitApplication& row = store_.applications.at(a.id());
      row = a;
      row.set_etag(common::EtagOf(version));
      if (!open) store_.personnel_.data.open_exit_applications.erase(a.id());
      if (open) {
        store_.open_by_household[a.household_id()] = a.id();
      } else if (auto it = store_.open_by_household.find(a.household_id());
                 it != store_.open_by_household.end() && it->second == a.id()) {
        store_.open_by_household.erase(it);
      }
    }

   private:
    FakeExitStore& store_;
    fake_personnel_detail::FakeTx personnel_;
  };

  FakePersonnelStore& personnel_;
  common::SequentialIdGenerator ids_{"exit-"};
};

}  // namespace tuopin::testing
