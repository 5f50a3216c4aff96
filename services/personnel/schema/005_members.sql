-- Household members and the national household number. A member's id-card number and
-- phone are stored only encrypted (common/pii_crypto.h): each member row has a fresh data
-- key, wrapped under the key-encryption key named by pii_key_id (the personnel key file,
-- docs/OPERATIONS.md "Personal data keys"), and the sealed fields beside it, all base64.
-- The row's associated data is "<household id>/<position>": a sealed value copied to
-- another row does not decrypt.

ALTER TABLE households
  ADD COLUMN national_household_number VARCHAR(20) NULL,
  ADD UNIQUE KEY uk_households_national_number (national_household_number);

CREATE TABLE household_members (
  household_id VARCHAR(64) NOT NULL,
  position INT NOT NULL,
  name VARCHAR(64) NOT NULL,
  relation TINYINT NOT NULL,
  sex TINYINT NOT NULL,
  birth_year SMALLINT NOT NULL,
  education TINYINT NOT NULL,
  health TINYINT NOT NULL,
  labour_status TINYINT NOT NULL,
  -- Empty when the member has neither an id-card number nor a phone.
  pii_key_id VARCHAR(32) NOT NULL,
  pii_data_key VARCHAR(128) NOT NULL,
  id_card_sealed VARCHAR(128) NOT NULL,
  phone_sealed VARCHAR(128) NOT NULL,
  PRIMARY KEY (household_id, position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
