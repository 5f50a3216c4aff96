-- Exact keys: entity types and ids, and event ids, compare byte for byte (utf8mb4_bin is
-- PAD SPACE in MariaDB: "household " matched "household"). And the content digest of each
-- leaf as its service sent it (before the log set logged_at), so that an event id sent
-- again with other content is refused instead of taken for a retry. Leaves logged before
-- this migration are their sent content.
ALTER TABLE leaf_entities
  MODIFY entity_type VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  MODIFY entity_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  MODIFY region_code VARCHAR(12) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL;

ALTER TABLE leaves
  MODIFY event_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  ADD COLUMN content_sha256 BINARY(32) NULL;

UPDATE leaves SET content_sha256 = UNHEX(SHA2(leaf_value, 256));

ALTER TABLE leaves MODIFY content_sha256 BINARY(32) NOT NULL;
