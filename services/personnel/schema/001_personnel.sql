-- Personnel: regions, households, cadres, postings, pairings, check-ins.
-- Rules that must hold under concurrency are unique keys on "active key" columns:
-- the column holds the key while the row is active and NULL after (NULLs never collide).

CREATE TABLE regions (
  code VARCHAR(12) NOT NULL,
  name VARCHAR(128) NOT NULL,
  level TINYINT NOT NULL,
  parent_code VARCHAR(12) NOT NULL,
  PRIMARY KEY (code),
  KEY idx_regions_parent (parent_code, code),
  KEY idx_regions_level (level, code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE households (
  id VARCHAR(64) NOT NULL,
  village_code CHAR(12) NOT NULL,
  head_name VARCHAR(64) NOT NULL,
  member_count INT NOT NULL,
  status TINYINT NOT NULL,
  ind_food TINYINT NOT NULL,
  ind_clothing TINYINT NOT NULL,
  ind_education TINYINT NOT NULL,
  ind_medical TINYINT NOT NULL,
  ind_housing TINYINT NOT NULL,
  ind_water TINYINT NOT NULL,
  income_per_head_fen BIGINT NOT NULL,
  version INT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_households_village (village_code, id),
  KEY idx_households_status (status, village_code, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE cadres (
  id VARCHAR(64) NOT NULL,
  employee_number VARCHAR(32) NOT NULL,
  name VARCHAR(64) NOT NULL,
  origin_level TINYINT NOT NULL,
  dispatching_unit VARCHAR(128) NOT NULL,
  home_region_code VARCHAR(12) NOT NULL,
  managing_region_code VARCHAR(12) NOT NULL,
  version INT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_cadres_employee (employee_number),
  KEY idx_cadres_region (managing_region_code, id),
  KEY idx_cadres_origin (origin_level, managing_region_code, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE postings (
  id VARCHAR(64) NOT NULL,
  cadre_id VARCHAR(64) NOT NULL,
  village_code CHAR(12) NOT NULL,
  role TINYINT NOT NULL,
  start_date DATE NOT NULL,
  end_date DATE NULL,
  active TINYINT NOT NULL,
  home_village TINYINT NOT NULL,
  home_waiver TEXT NULL,
  end_reason VARCHAR(500) NULL,
  active_cadre_key VARCHAR(64) NULL,
  active_first_secretary_key CHAR(12) NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_postings_active_cadre (active_cadre_key),
  UNIQUE KEY uk_postings_active_first_secretary (active_first_secretary_key),
  KEY idx_postings_cadre (cadre_id, id),
  KEY idx_postings_village (village_code, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE pairings (
  id VARCHAR(64) NOT NULL,
  cadre_id VARCHAR(64) NOT NULL,
  household_id VARCHAR(64) NOT NULL,
  village_code CHAR(12) NOT NULL,
  start_time DATETIME(6) NOT NULL,
  end_time DATETIME(6) NULL,
  active TINYINT NOT NULL,
  active_household_key VARCHAR(64) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_pairings_active_household (active_household_key),
  KEY idx_pairings_cadre (cadre_id, active, id),
  KEY idx_pairings_household (household_id, id),
  KEY idx_pairings_village (village_code, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE checkins (
  id VARCHAR(64) NOT NULL,
  cadre_id VARCHAR(64) NOT NULL,
  village_code CHAR(12) NOT NULL,
  checkin_time DATETIME(6) NOT NULL,
  checkin_day DATE NOT NULL,
  method TINYINT NOT NULL,
  recorded_by VARCHAR(128) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_checkins_cadre_day (cadre_id, checkin_day),
  KEY idx_checkins_village_time (village_code, checkin_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
