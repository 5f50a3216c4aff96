-- The audit log's entity index: which leaves name which entity, with the entity's region
-- and the event's time, for entity histories and for audit bundles of a region and a
-- period. Written in the same transaction as the leaves; indexed_size is how far the
-- index reaches (a log older than this migration is indexed at start-up).
CREATE TABLE leaf_entities (
  entity_type VARCHAR(32) NOT NULL,
  entity_id VARCHAR(64) NOT NULL,
  leaf_index BIGINT NOT NULL,
  region_code VARCHAR(12) NOT NULL,
  occurred_at DATETIME(6) NOT NULL,
  PRIMARY KEY (entity_type, entity_id, leaf_index),
  KEY idx_leaf_entities_region (region_code, occurred_at, leaf_index)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE log_state ADD COLUMN indexed_size BIGINT NOT NULL DEFAULT 0;
