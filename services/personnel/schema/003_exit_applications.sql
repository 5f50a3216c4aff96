-- Household exits (ExitService): what the household row keeps of its exit, and the
-- applications. One open application per household is a unique key on the "active key"
-- column open_household_id (set while the application is open, NULL after), so two
-- concurrent proposals cannot both succeed.

ALTER TABLE households
  ADD COLUMN prior_exit_year INT NULL,
  ADD COLUMN prior_exit_reference VARCHAR(128) NULL,
  ADD COLUMN exit_application_id VARCHAR(64) NULL,
  ADD COLUMN reversal_reference VARCHAR(256) NULL;

-- `detail` is the serialized tuopin.personnel.v1.ExitApplication (the copied standard, the
-- steps and the objections): an application's history is read and written whole, never
-- queried by part. The columns beside it are what lists, locks and keys need.
CREATE TABLE exit_applications (
  id VARCHAR(64) NOT NULL,
  household_id VARCHAR(64) NOT NULL,
  village_code CHAR(12) NOT NULL,
  year INT NOT NULL,
  stage TINYINT NOT NULL,
  open_household_id VARCHAR(64) NULL,
  detail LONGBLOB NOT NULL,
  version INT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_exit_applications_open_household (open_household_id),
  KEY idx_exit_applications_village (village_code, id),
  KEY idx_exit_applications_stage (stage, village_code, id),
  KEY idx_exit_applications_household (household_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
