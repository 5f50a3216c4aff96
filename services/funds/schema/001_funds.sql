-- Funds: a double-entry ledger in integer fen. Transfers are append-only: the triggers
-- below refuse any UPDATE or DELETE, and the outcome of a pending transfer is a row of
-- transfer_resolutions, never an edit.

CREATE TABLE accounts (
  id VARCHAR(64) NOT NULL,
  code VARCHAR(64) NOT NULL,
  kind TINYINT NOT NULL,
  name VARCHAR(128) NOT NULL,
  region_code VARCHAR(12) NOT NULL,
  source_level TINYINT NOT NULL,
  sector TINYINT NOT NULL,
  task_id VARCHAR(64) NOT NULL,
  guarded TINYINT NOT NULL,
  debits_pending BIGINT NOT NULL,
  debits_posted BIGINT NOT NULL,
  credits_pending BIGINT NOT NULL,
  credits_posted BIGINT NOT NULL,
  -- Posted totals by transfer kind, kept with the balances for the utilisation report.
  appropriated_in BIGINT NOT NULL,
  allocated_in BIGINT NOT NULL,
  disbursed_out BIGINT NOT NULL,
  first_credit_at DATETIME(6) NULL,
  last_credit_at DATETIME(6) NULL,
  last_debit_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_accounts_code (code),
  KEY idx_accounts_region (region_code, id),
  KEY idx_accounts_kind_region (kind, region_code, id),
  KEY idx_accounts_kind_sector_region (kind, sector, region_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE transfers (
  id VARCHAR(64) NOT NULL,
  debit_account_id VARCHAR(64) NOT NULL,
  credit_account_id VARCHAR(64) NOT NULL,
  amount BIGINT NOT NULL,
  kind TINYINT NOT NULL,
  linked TINYINT NOT NULL,
  pending TINYINT NOT NULL,
  timeout_seconds BIGINT NOT NULL,
  timeout_at DATETIME(6) NULL,
  memo VARCHAR(500) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_transfers_debit (debit_account_id, created_at, id),
  KEY idx_transfers_credit (credit_account_id, created_at, id),
  CONSTRAINT chk_transfers_amount CHECK (amount > 0),
  CONSTRAINT chk_transfers_accounts CHECK (debit_account_id <> credit_account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Deadlines of unresolved pending transfers, for the sweeper; a row leaves when the
-- transfer is posted, voided or expired. Posted transfers never pay for this index.
CREATE TABLE pending_transfers (
  transfer_id VARCHAR(64) NOT NULL,
  timeout_at DATETIME(6) NOT NULL,
  PRIMARY KEY (transfer_id),
  KEY idx_pending_timeout (timeout_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE transfer_resolutions (
  transfer_id VARCHAR(64) NOT NULL,
  state TINYINT NOT NULL,
  reason VARCHAR(500) NOT NULL,
  resolved_at DATETIME(6) NOT NULL,
  PRIMARY KEY (transfer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TRIGGER transfers_are_immutable BEFORE UPDATE ON transfers FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'transfers are immutable: post a correcting transfer';

CREATE TRIGGER transfers_are_permanent BEFORE DELETE ON transfers FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'transfers are never deleted';

CREATE TRIGGER resolutions_are_immutable BEFORE UPDATE ON transfer_resolutions FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'resolutions are immutable';
