-- Household history (issue 21): every write of a household (create, update, members,
-- import, the exit procedure's status changes, a village merger or split) records, in the
-- same transaction, the household with its members as it then was. A version is in force
-- from valid_from until valid_to (NULL: the current one). The columns beside the snapshot
-- are what the as_of lists filter on; the snapshot itself (a serialized
-- tuopin.personnel.v1.Household, id-card numbers and phones included) is sealed whole as
-- the members' personal data is (common/pii_crypto.h, a fresh data key per version,
-- associated data "household-version/<household id>/<version>"), base64; pii_key_id is
-- empty only for a snapshot without personal data written without a key ring.
--
-- Households that exist before this migration get their first version ("history-began",
-- valid from their updated_at, no event) from the service at startup
-- (BackfillHouseholdVersions): the snapshot has to be sealed by the application.

CREATE TABLE household_versions (
  household_id VARCHAR(64) NOT NULL,
  version INT NOT NULL,
  village_code CHAR(12) NOT NULL,
  status TINYINT NOT NULL,
  valid_from DATETIME(6) NOT NULL,
  valid_to DATETIME(6) NULL,
  method VARCHAR(128) NOT NULL,
  request_id VARCHAR(128) NOT NULL,
  event_id VARCHAR(64) NOT NULL,
  pii_key_id VARCHAR(32) NOT NULL,
  pii_data_key VARCHAR(128) NOT NULL,
  snapshot MEDIUMTEXT CHARACTER SET ascii NOT NULL,
  PRIMARY KEY (household_id, version),
  KEY idx_household_versions_village (village_code, household_id, valid_from),
  KEY idx_household_versions_open (household_id, valid_to)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
