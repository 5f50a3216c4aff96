-- Regions with validity dates (MergeVillages, SplitVillage): a region is in the tree from
-- valid_from until valid_to (NULL while it is in the tree); a row is never deleted, so a
-- code that was ever in the tree stays taken and an as_of read finds the tree of its time.
--
-- Backfill: regions imported before dates were kept get valid_from 1970-01-01 (the
-- column's default), read as "in the tree since before any date a caller asks about", so
-- an as_of read of any past date still sees the tree that was imported. Their import time
-- was not recorded; any later date would hide them from reads of the years before it.

ALTER TABLE regions
  ADD COLUMN valid_from DATETIME(6) NOT NULL DEFAULT '1970-01-01 00:00:00',
  ADD COLUMN valid_to DATETIME(6) NULL,
  -- The village a merged village joined; the village a split's new village came from.
  ADD COLUMN successor_code VARCHAR(12) NOT NULL DEFAULT '',
  ADD COLUMN predecessor_code VARCHAR(12) NOT NULL DEFAULT '',
  -- The decision that ended the region (or began a split's new village).
  ADD COLUMN change_reference VARCHAR(128) NOT NULL DEFAULT '',
  -- Children of P in force at T: the parent's rows in code order, the validity read from
  -- the index itself.
  DROP KEY idx_regions_parent,
  ADD KEY idx_regions_parent (parent_code, code, valid_from, valid_to),
  -- The current villages of a subtree (coverage, exit figures): valid_to IS NULL, by code.
  DROP KEY idx_regions_level,
  ADD KEY idx_regions_level (level, valid_to, code);
