-- Per-village coverage counts, recomputed every --coverage_refresh_interval by the
-- service, so that a county's or a province's coverage counts cost a sum over villages
-- (GetCoverage with counts_only) rather than a pass over every household.
CREATE TABLE coverage_summary (
  village_code VARCHAR(12) NOT NULL,
  registered_poor INT NOT NULL,
  unpaired_poor INT NOT NULL,
  first_secretary TINYINT NOT NULL,
  cadres_over_limit INT NOT NULL,
  home_village_postings INT NOT NULL,
  stale_cadres INT NOT NULL,
  computed_at DATETIME(6) NOT NULL,
  PRIMARY KEY (village_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
