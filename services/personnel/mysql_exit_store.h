#pragma once
// ExitStore over MySQL/MariaDB: the exit_applications table (schema/003), in transactions
// that reach the households through the personnel store's primitives.

#include "common/clock.h"
#include "common/db.h"
#include "services/personnel/exit_store.h"

namespace tuopin::personnel {

class MysqlExitStore final : public ExitStore {
 public:
  MysqlExitStore(common::ConnectionPool& pool, common::IdGenerator& ids) : pool_(pool), ids_(ids) {}

  absl::Status RunMutation(const MutationContext& ctx, const TxBody& body,
                           google::protobuf::Message& response) override;
  absl::StatusOr<std::optional<v1::ExitApplication>> GetApplication(const std::string& id) override;
  absl::StatusOr<std::vector<v1::ExitApplication>> ListApplications(
      const std::string& region_prefix, int stage, const PageRequest& page) override;

 private:
  common::ConnectionPool& pool_;
  common::IdGenerator& ids_;
};

}  // namespace tuopin::personnel
