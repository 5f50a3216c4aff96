-- The audit log: leaves in append order, the hashes of complete subtrees (level, index),
-- signed checkpoints, and the entity index. Nothing here is ever updated except
-- log_state's sizes. One schema holds one log: a county-sharded deployment gives each
-- county's tuopin-auditlog its own database.
--
-- Entity types and ids, event ids and region codes compare byte for byte (utf8mb4_bin is
-- PAD SPACE in MariaDB: "household " would match "household").

CREATE TABLE log_state (
  id TINYINT NOT NULL,
  tree_size BIGINT NOT NULL,
  -- How far the entity index reaches (the store indexes any backlog a slice per tick).
  indexed_size BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

INSERT INTO log_state (id, tree_size, indexed_size) VALUES (1, 0, 0);

-- content_sha256: the digest of the event as its service sent it (before the log set
-- logged_at), so that an event id sent again with other content is refused instead of
-- taken for a retry.
CREATE TABLE leaves (
  leaf_index BIGINT NOT NULL,
  event_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  leaf_value LONGBLOB NOT NULL,
  appended_at DATETIME(6) NOT NULL,
  content_sha256 BINARY(32) NOT NULL,
  PRIMARY KEY (leaf_index),
  UNIQUE KEY uk_leaves_event (event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE nodes (
  level TINYINT NOT NULL,
  idx BIGINT NOT NULL,
  hash BINARY(32) NOT NULL,
  PRIMARY KEY (level, idx)
) ENGINE=InnoDB;

CREATE TABLE checkpoints (
  tree_size BIGINT NOT NULL,
  root_hash BINARY(32) NOT NULL,
  signed_note TEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (tree_size)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Which leaves name which entity, with the entity's region and the event's time, for
-- entity histories and for audit bundles of a region and a period. Written in the same
-- transaction as the leaves.
CREATE TABLE leaf_entities (
  entity_type VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  entity_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  leaf_index BIGINT NOT NULL,
  region_code VARCHAR(12) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  occurred_at DATETIME(6) NOT NULL,
  PRIMARY KEY (entity_type, entity_id, leaf_index),
  KEY idx_leaf_entities_region (region_code, occurred_at, leaf_index)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
