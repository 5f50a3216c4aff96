-- County exit assessments: the assessment, its frozen population (villages and
-- households), its drawn sample and its visits. An assessment and a visit are stored as
-- their messages (`body`, the deterministic serialization) beside the columns queries
-- select by: they carry nested, frozen copies (the standard, the register's figures, the
-- gate, the indicators) that no query looks into.

CREATE TABLE assessments (
  id VARCHAR(64) NOT NULL,
  county_code VARCHAR(12) NOT NULL,
  year INT NOT NULL,
  state TINYINT NOT NULL,
  body MEDIUMBLOB NOT NULL,
  created_by VARCHAR(128) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_assessments_county (county_code, id),
  -- One assessment per county and year: an assessor may not shop for a draw.
  UNIQUE KEY uk_assessments_county_year (county_code, year)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE assessment_villages (
  assessment_id VARCHAR(64) NOT NULL,
  village_code VARCHAR(12) NOT NULL,
  rural_population INT NOT NULL,
  non_registered_people INT NOT NULL,
  PRIMARY KEY (assessment_id, village_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE assessment_population (
  assessment_id VARCHAR(64) NOT NULL,
  village_code VARCHAR(12) NOT NULL,
  stratum TINYINT NOT NULL,
  household_id VARCHAR(64) NOT NULL,
  people INT NOT NULL,
  PRIMARY KEY (assessment_id, village_code, stratum, household_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The drawn villages and households, each in draw order.
CREATE TABLE assessment_sample_villages (
  assessment_id VARCHAR(64) NOT NULL,
  position INT NOT NULL,
  village_code VARCHAR(12) NOT NULL,
  rural_population INT NOT NULL,
  non_registered_people INT NOT NULL,
  PRIMARY KEY (assessment_id, position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE assessment_sample (
  assessment_id VARCHAR(64) NOT NULL,
  position INT NOT NULL,
  household_id VARCHAR(64) NOT NULL,
  village_code VARCHAR(12) NOT NULL,
  stratum TINYINT NOT NULL,
  people INT NOT NULL,
  PRIMARY KEY (assessment_id, position),
  UNIQUE KEY uk_assessment_sample_household (assessment_id, household_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE assessment_visits (
  id VARCHAR(64) NOT NULL,
  assessment_id VARCHAR(64) NOT NULL,
  household_id VARCHAR(64) NOT NULL,
  body MEDIUMBLOB NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_assessment_visit_household (assessment_id, household_id),
  KEY idx_assessment_visits (assessment_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
