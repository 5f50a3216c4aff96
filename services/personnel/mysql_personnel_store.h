#pragma once
// PersonnelStore over MySQL/MariaDB.

#include <memory>

#include "common/clock.h"
#include "common/db.h"
#include "common/pii_crypto.h"
#include "services/personnel/mysql_coverage_store.h"
#include "services/personnel/personnel_store.h"

namespace tuopin::personnel {

// The personnel primitives over a session inside another store's transaction (the exit
// store's mutations change households too), so both commit or roll back together. Without
// `pii` a household's members are read without their personal data. `ctx` (its time,
// method, request id and event id) is what the household versions record.
std::unique_ptr<PersonnelTx> NewMysqlPersonnelTx(common::DbSession& session,
                                                 common::IdGenerator& ids,
                                                 const MutationContext& ctx,
                                                 const common::PiiKeyRing* pii = nullptr);
// Records the versions of the households the transaction wrote (PersonnelTx): called by
// the store that runs the transaction once the body succeeded, before the commit.
void RecordHouseholdVersions(PersonnelTx& tx);

class MysqlPersonnelStore final : public PersonnelStore {
 public:
  // `pii` (the service's --pii_key_file) encrypts and decrypts the members' personal data;
  // without it (tools and tests that store none) members carry none.
  MysqlPersonnelStore(common::ConnectionPool& pool, common::IdGenerator& ids,
                      const common::PiiKeyRing* pii = nullptr);

  absl::Status RunMutation(const MutationContext& ctx, const TxBody& body,
                           google::protobuf::Message& response) override;

  absl::StatusOr<std::optional<v1::Region>> GetRegion(const std::string& code) override;
  absl::StatusOr<std::vector<v1::Region>> ListRegions(const std::string& parent_code,
                                                      absl::Time as_of,
                                                      const PageRequest& page) override;
  absl::StatusOr<std::optional<v1::Household>> GetHousehold(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Household>> FindHouseholdsByNumber(
      const std::vector<std::string>& numbers) override;
  absl::StatusOr<std::vector<v1::Household>> ListHouseholds(const std::string& region_prefix,
                                                            int status,
                                                            const PageRequest& page) override;
  // History (defined in mysql_household_versions.cc).
  absl::StatusOr<std::optional<v1::HouseholdVersion>> GetHouseholdVersion(
      const std::string& id, absl::Time as_of) override;
  absl::StatusOr<std::vector<v1::HouseholdVersion>> ListHouseholdVersions(
      const std::string& region_prefix, int status, absl::Time as_of,
      const PageRequest& page) override;
  absl::StatusOr<std::vector<v1::HouseholdVersion>> GetHouseholdHistory(
      const std::string& id, const PageRequest& page) override;
  // Gives every household without a version its first one (method "history-began", valid
  // from its updated_at), in transactions of `batch` households; returns how many. The
  // service runs it at startup (households stored before history was kept, schema/006).
  absl::StatusOr<int> BackfillHouseholdVersions(int batch = 500);
  absl::StatusOr<std::optional<v1::Cadre>> GetCadre(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Cadre>> ListCadres(const std::string& region_prefix,
                                                    int origin_level,
                                                    const PageRequest& page) override;
  absl::StatusOr<std::optional<v1::Posting>> GetPosting(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Posting>> ListPostings(const std::string& cadre_id,
                                                        const std::string& region_prefix,
                                                        bool active_only,
                                                        const PageRequest& page) override;
  absl::StatusOr<std::optional<v1::Pairing>> GetPairing(const std::string& id) override;
  absl::StatusOr<std::vector<v1::Pairing>> ListPairings(const std::string& cadre_id,
                                                        const std::string& household_id,
                                                        const std::string& region_prefix,
                                                        bool active_only,
                                                        const PageRequest& page) override;
  absl::StatusOr<std::vector<CheckInDay>> ListCheckInDays(const std::string& cadre_id,
                                                          absl::CivilDay from,
                                                          absl::CivilDay to) override;
  CoverageStore& coverage() override { return coverage_; }

 private:
  common::ConnectionPool& pool_;
  common::IdGenerator& ids_;
  const common::PiiKeyRing* pii_;
  MysqlCoverageStore coverage_;
};

}  // namespace tuopin::personnel
