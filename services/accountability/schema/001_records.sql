-- Accountability records: inspections with their frozen population and drawn sample,
-- visits, findings, rectification orders with their findings and tasks, and actions.

CREATE TABLE inspections (
  id VARCHAR(64) NOT NULL,
  kind TINYINT NOT NULL,
  group_name VARCHAR(128) NOT NULL,
  leader_cadre_ids TEXT NOT NULL,
  target_region_codes TEXT NOT NULL,
  start_date DATE NOT NULL,
  end_date DATE NOT NULL,
  sample_size INT NOT NULL,
  seed_commitment CHAR(64) NOT NULL,
  revealed TINYINT NOT NULL,
  population_digest CHAR(64) NOT NULL,
  population_size INT NOT NULL,
  created_by VARCHAR(128) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE inspection_population (
  inspection_id VARCHAR(64) NOT NULL,
  household_id VARCHAR(64) NOT NULL,
  PRIMARY KEY (inspection_id, household_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE inspection_sample (
  inspection_id VARCHAR(64) NOT NULL,
  position INT NOT NULL,
  household_id VARCHAR(64) NOT NULL,
  PRIMARY KEY (inspection_id, position),
  UNIQUE KEY uk_sample_household (inspection_id, household_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE visits (
  id VARCHAR(64) NOT NULL,
  inspection_id VARCHAR(64) NOT NULL,
  household_id VARCHAR(64) NOT NULL,
  unit_name VARCHAR(128) NOT NULL,
  observations TEXT NOT NULL,
  visit_time DATETIME(6) NOT NULL,
  outside_sample TINYINT NOT NULL,
  recorded_by VARCHAR(128) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_visits_inspection (inspection_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE findings (
  id VARCHAR(64) NOT NULL,
  inspection_id VARCHAR(64) NOT NULL,
  category TINYINT NOT NULL,
  sector TINYINT NOT NULL,
  region_code VARCHAR(12) NOT NULL,
  subject_cadre_id VARCHAR(64) NOT NULL,
  subject_department VARCHAR(128) NOT NULL,
  severity TINYINT NOT NULL,
  description TEXT NOT NULL,
  evidence_uris TEXT NOT NULL,
  created_by VARCHAR(128) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_findings_region (region_code, id),
  KEY idx_findings_inspection (inspection_id, id),
  KEY idx_findings_cadre (subject_cadre_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE rectification_orders (
  id VARCHAR(64) NOT NULL,
  region_code VARCHAR(12) NOT NULL,
  campaign_id VARCHAR(64) NOT NULL,
  responsible_cadre_id VARCHAR(64) NOT NULL,
  responsible_department VARCHAR(128) NOT NULL,
  deadline DATE NOT NULL,
  status TINYINT NOT NULL,
  reopen_count INT NOT NULL,
  issued_by VARCHAR(128) NOT NULL,
  verified_by VARCHAR(128) NOT NULL,
  submission_note TEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_orders_region (region_code, status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE order_findings (
  order_id VARCHAR(64) NOT NULL,
  finding_id VARCHAR(64) NOT NULL,
  PRIMARY KEY (order_id, finding_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE order_tasks (
  order_id VARCHAR(64) NOT NULL,
  task_id VARCHAR(64) NOT NULL,
  PRIMARY KEY (order_id, task_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE actions (
  id VARCHAR(64) NOT NULL,
  subject_cadre_id VARCHAR(64) NOT NULL,
  subject_department VARCHAR(128) NOT NULL,
  kind TINYINT NOT NULL,
  decided_by VARCHAR(128) NOT NULL,
  decision_date DATE NOT NULL,
  region_code VARCHAR(12) NOT NULL,
  finding_ids TEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_actions_region (region_code, id),
  KEY idx_actions_cadre (subject_cadre_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
