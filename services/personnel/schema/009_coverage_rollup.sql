-- Coverage counts rolled up per region at every level (province to village), written
-- with the per-village summary at each refresh (--coverage_refresh_interval), so that a
-- region's counts_only answer reads its one row rather than summing its villages.
CREATE TABLE coverage_rollup (
  level TINYINT NOT NULL,
  region_code VARCHAR(12) NOT NULL,
  villages INT NOT NULL,
  registered_poor INT NOT NULL,
  unpaired_poor INT NOT NULL,
  without_first_secretary INT NOT NULL,
  cadres_over_limit INT NOT NULL,
  home_village_postings INT NOT NULL,
  stale_cadres INT NOT NULL,
  computed_at DATETIME(6) NOT NULL,
  PRIMARY KEY (level, region_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
