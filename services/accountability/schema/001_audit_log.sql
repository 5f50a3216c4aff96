-- The audit log: leaves in append order, the hashes of complete subtrees (level, index),
-- and signed checkpoints. Nothing here is ever updated except log_state's size.

CREATE TABLE log_state (
  id TINYINT NOT NULL,
  tree_size BIGINT NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

INSERT INTO log_state (id, tree_size) VALUES (1, 0);

CREATE TABLE leaves (
  leaf_index BIGINT NOT NULL,
  event_id VARCHAR(64) NOT NULL,
  leaf_value LONGBLOB NOT NULL,
  appended_at DATETIME(6) NOT NULL,
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
