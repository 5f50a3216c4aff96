-- Sector progress rolled up per region at every level (GetSectorProgress with
-- from_summary): a region's answer reads its own rows (one per campaign, stage and sector),
-- whatever the number of its villages and tasks. Refreshed every --rollup_refresh_interval
-- by the service (services/tasks/mysql_tasks_rollup.cc): the villages of tasks updated
-- since the last pass (idx_tasks_updated) and of tasks that became overdue since its day
-- (idx_tasks_due), then their townships from village rows, counties from township rows,
-- and so on up (common/region_rollup.h: level 0 rows are a village's own counts, levels
-- 1-5 a region's totals). `overdue` counts as of rollup_state.as_of_day.
CREATE INDEX idx_tasks_updated ON tasks (updated_at, village_code) ALGORITHM=INPLACE LOCK=NONE;

CREATE TABLE task_rollup (
  level TINYINT NOT NULL,
  region_code VARCHAR(12) NOT NULL,
  campaign_id VARCHAR(64) NOT NULL,
  stage TINYINT NOT NULL,
  sector TINYINT NOT NULL,
  total INT NOT NULL,
  verified INT NOT NULL,
  in_progress INT NOT NULL,
  overdue INT NOT NULL,
  PRIMARY KEY (level, region_code, campaign_id, stage, sector)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The refresher's watermark (common/region_rollup.h); only refreshers write it.
CREATE TABLE rollup_state (
  name VARCHAR(32) NOT NULL,
  refreshed_at DATETIME(6) NULL,
  as_of_day DATE NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO rollup_state (name, refreshed_at, as_of_day) VALUES ('sector_progress', NULL, NULL);
