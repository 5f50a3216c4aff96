-- Tables every service schema has: idempotency records and the audit outbox.
-- Applied as migration 0 of every service, before the service's own.

CREATE TABLE IF NOT EXISTS idempotency (
  subject VARCHAR(128) NOT NULL,
  request_id VARCHAR(64) NOT NULL,
  method VARCHAR(160) NOT NULL,
  request_sha256 BINARY(32) NOT NULL,
  response LONGBLOB NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (subject, request_id),
  KEY idx_idempotency_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS outbox (
  seq BIGINT NOT NULL AUTO_INCREMENT,
  event_id VARCHAR(64) NOT NULL,
  event LONGBLOB NOT NULL,
  created_at DATETIME(6) NOT NULL,
  shipped_at DATETIME(6) NULL,
  PRIMARY KEY (seq),
  UNIQUE KEY uk_outbox_event (event_id),
  KEY idx_outbox_unshipped (shipped_at, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
