#pragma once
// ExitStore over MySQL/MariaDB: the exit_applications table (schema/003), in transactions
// that reach the households through the personnel store's primitives.

#include "common/clock.h"
#include "common/db.h"
#include "common/pii_crypto.h"
#include "services/personnel/exit_store.h"

namespace tuopin::personnel {

class MysqlExitStore final : public ExitStore {
 public:
  // `pii` as MysqlPersonnelStore's: the households' versions this store's mutations record
  // hold their members' personal data, sealed.
  MysqlExitStore(common::ConnectionPool& pool, common::IdGenerator& ids,
                 const common::PiiKeyRing* pii = nullptr)
      : pool_(pool), ids_(ids), pii_(pii) {}

  absl::Status RunMutation(const MutationContext& ctx, const TxBody& body,
                           google::protobuf::Message& response) override;
  absl::StatusOr<std::optional<v1::ExitApplication>> GetApplication(const std::string& id) override;
  absl::StatusOr<std::vector<v1::ExitApplication>> ListApplications(
      const std::string& region_prefix, int stage, const PageRequest& page) override;

 private:
  common::ConnectionPool& pool_;
  common::IdGenerator& ids_;
  const common::PiiKeyRing* pii_;
};

}  // namespace tuopin::personnel
