-- Utilisation rolled up per region at every level (GetUtilization with from_summary): a
-- region's answer reads its own rows (one per account kind and sector), whatever the
-- number of its accounts. Refreshed every --rollup_refresh_interval by the service
-- (services/funds/mysql_funds_rollup.cc): the region codes of accounts written since the
-- last pass (updated_at, kept by the database on every change of the row, so no write
-- path names it) and of project accounts that became idle since (last_activity_at
-- crossing the cut-off), then their ancestors (common/region_rollup.h: level 0 rows are
-- a code's own accounts, levels 1-5 a region's totals). `idle` is as of
-- rollup_state.refreshed_at less --rollup_idle_days.
-- One change per statement, each with the algorithm it must use, so that on a large
-- table the migration fails rather than copying `accounts` and blocking the ledger's
-- writes (MariaDB 10.11 copies the table when these are combined in one ALTER).
ALTER TABLE accounts
  ADD COLUMN updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
    ON UPDATE CURRENT_TIMESTAMP(6),
  ALGORITHM=INSTANT;
-- When an account with a positive balance becomes idle: its last credit or debit.
ALTER TABLE accounts
  ADD COLUMN last_activity_at DATETIME(6)
    AS (GREATEST(last_credit_at, COALESCE(last_debit_at, last_credit_at))) VIRTUAL,
  ALGORITHM=INSTANT;
ALTER TABLE accounts ADD KEY idx_accounts_updated (updated_at, region_code),
  ALGORITHM=INPLACE, LOCK=NONE;
ALTER TABLE accounts ADD KEY idx_accounts_activity (kind, last_activity_at, region_code),
  ALGORITHM=INPLACE, LOCK=NONE;

CREATE TABLE utilization_rollup (
  level TINYINT NOT NULL,
  region_code VARCHAR(12) NOT NULL,
  kind TINYINT NOT NULL,
  sector TINYINT NOT NULL,
  appropriated_in BIGINT NOT NULL,
  allocated_in BIGINT NOT NULL,
  disbursed_out BIGINT NOT NULL,
  idle BIGINT NOT NULL,
  PRIMARY KEY (level, region_code, kind, sector)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The refresher's watermark (common/region_rollup.h); only refreshers write it.
CREATE TABLE rollup_state (
  name VARCHAR(32) NOT NULL,
  refreshed_at DATETIME(6) NULL,
  as_of_day DATE NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO rollup_state (name, refreshed_at, as_of_day) VALUES ('utilization', NULL, NULL);
