#pragma once
// The store of household exit applications (ExitService): storage only. A mutation runs in
// one transaction that also reaches the households (ExitTx::personnel()), so confirming or
// reversing an exit changes the application and the household together. The rules live in
// exit_logic; mysql_exit_store is the only place with SQL.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mutation.h"
#include "common/page_token.h"
#include "services/personnel/personnel_store.h"
#include "tuopin/personnel/v1/exit.pb.h"

namespace tuopin::personnel {

class ExitTx {
 public:
  virtual ~ExitTx() = default;

  // The personnel primitives (households, ids) of this same transaction.
  virtual PersonnelTx& personnel() = 0;

  virtual std::optional<v1::ExitApplication> LockApplication(const std::string& id) = 0;
  // Stores an open application at version 1; false (nothing stored) when the household
  // already has an open one. The database's unique key decides, so two concurrent
  // proposals cannot both succeed.
  virtual bool InsertApplication(const v1::ExitApplication& application) = 0;
  // Stores the stage, notice end, objections, steps, reversal reference, `version` and
  // update_time. `open` says whether the application still holds its household's one open
  // slot.
  virtual void UpdateApplication(const v1::ExitApplication& application, int64_t version,
                                 bool open) = 0;
};

class ExitStore : public common::TransactionalStore<ExitTx> {
 public:

  // Mutations: RunMutation and Mutate (common::TransactionalStore) over an ExitTx.

  virtual absl::StatusOr<std::optional<v1::ExitApplication>> GetApplication(
      const std::string& id) = 0;
  // Applications of households in the region's subtree, sorted by (village_code, id);
  // `stage` 0 means any.
  virtual absl::StatusOr<std::vector<v1::ExitApplication>> ListApplications(
      const std::string& region_prefix, int stage, const PageRequest& page) = 0;
};

}  // namespace tuopin::personnel
