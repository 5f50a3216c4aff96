-- Tasks: campaigns of three stages, tasks per sector per village or household, progress
-- with evidence, and the queue of household indicator updates owed to personnel.

CREATE TABLE campaigns (
  id VARCHAR(64) NOT NULL,
  region_code VARCHAR(12) NOT NULL,
  name VARCHAR(128) NOT NULL,
  start_date DATE NOT NULL,
  stage1_days INT NOT NULL,
  stage2_days INT NOT NULL,
  stage3_days INT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_campaigns_region (region_code, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE tasks (
  id VARCHAR(64) NOT NULL,
  campaign_id VARCHAR(64) NOT NULL,
  stage TINYINT NOT NULL,
  sector TINYINT NOT NULL,
  village_code CHAR(12) NOT NULL,
  household_id VARCHAR(64) NOT NULL,
  title VARCHAR(200) NOT NULL,
  description TEXT NOT NULL,
  assignee_cadre_id VARCHAR(64) NOT NULL,
  assignee_department VARCHAR(128) NOT NULL,
  deadline DATE NOT NULL,
  priority TINYINT NOT NULL,
  rectification_order_id VARCHAR(64) NOT NULL,
  status TINYINT NOT NULL,
  percent INT NOT NULL,
  completed_by VARCHAR(128) NOT NULL,
  verified_by VARCHAR(128) NOT NULL,
  reopen_count INT NOT NULL,
  version INT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_tasks_village (village_code, id),
  -- Covers the sector-progress aggregate: no row lookups for 100,000 tasks.
  KEY idx_tasks_campaign_sector (campaign_id, stage, sector, village_code, status, deadline),
  KEY idx_tasks_assignee (assignee_cadre_id, id),
  KEY idx_tasks_due (status, deadline, village_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE task_progress (
  id VARCHAR(64) NOT NULL,
  task_id VARCHAR(64) NOT NULL,
  -- 1 progress report, 2 completion: their authors are the task's reporters.
  -- 3 a verifier's, reopener's or canceller's note.
  kind TINYINT NOT NULL,
  percent INT NOT NULL,
  note VARCHAR(2000) NOT NULL,
  reported_by VARCHAR(128) NOT NULL,
  evidence_json TEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_progress_task (task_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE indicator_updates (
  task_id VARCHAR(64) NOT NULL,
  household_id VARCHAR(64) NOT NULL,
  indicator VARCHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  done_at DATETIME(6) NULL,
  attempts INT NOT NULL DEFAULT 0,
  last_error VARCHAR(500) NOT NULL DEFAULT '',
  PRIMARY KEY (task_id),
  KEY idx_indicator_pending (done_at, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
