-- Exit criteria: the poverty standards exits are judged by (per year and province) and the
-- villages' profiles (rural population, the incidence's denominator, and basic services).
-- Both are replaced whole by their Set RPCs (upserts on the primary key).

CREATE TABLE poverty_standards (
  year SMALLINT NOT NULL,
  province_code CHAR(2) NOT NULL,
  poverty_line_fen BIGINT NOT NULL,
  village_incidence_max_bp INT NOT NULL,
  county_incidence_max_bp INT NOT NULL,
  wrongful_exit_max_bp INT NOT NULL,
  missed_max_bp INT NOT NULL,
  approval_min_bp INT NOT NULL,
  notice_days INT NOT NULL,
  source TEXT NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (year, province_code),
  -- The standard in force in a province: its latest year up to a given one.
  KEY poverty_standards_by_province (province_code, year)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE village_profiles (
  village_code CHAR(12) NOT NULL,
  rural_population INT NOT NULL,
  svc_hardened_road TINYINT NOT NULL,
  svc_safe_drinking_water TINYINT NOT NULL,
  svc_electricity TINYINT NOT NULL,
  svc_clinic_with_doctor TINYINT NOT NULL,
  svc_school_access TINYINT NOT NULL,
  svc_broadband TINYINT NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (village_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
