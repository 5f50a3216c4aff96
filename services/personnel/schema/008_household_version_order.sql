-- A household's versions are in force one after the other: each ends after it begins.
-- Until this migration a version began at its call's time, taken before the call waited
-- for the household's lock, so a call that committed after another with a later time left
-- a version ending before it began and two versions in force at once (issue 21 review).
--
-- Repair first (the CHECK below refuses a table holding such rows): in version order,
-- each version begins at its recorded time or one microsecond after the one before began,
-- whichever is later, and a closed version ends when the next one begins. Versions already
-- in order keep their times.

UPDATE household_versions v JOIN (
  SELECT household_id, version,
    CASE WHEN valid_to IS NULL THEN NULL
      ELSE LEAD(begins) OVER (PARTITION BY household_id ORDER BY version) END AS ends,
    begins
  FROM (
    SELECT household_id, version, valid_to,
      MAX(valid_from - INTERVAL n MICROSECOND)
        OVER (PARTITION BY household_id ORDER BY version ROWS UNBOUNDED PRECEDING)
        + INTERVAL n MICROSECOND AS begins
    FROM (
      SELECT household_id, version, valid_from, valid_to,
        ROW_NUMBER() OVER (PARTITION BY household_id ORDER BY version) AS n
      FROM household_versions
    ) numbered
  ) shifted
) f ON f.household_id = v.household_id AND f.version = v.version
SET v.valid_from = f.begins, v.valid_to = COALESCE(f.ends, v.valid_to)
WHERE v.valid_from <> f.begins OR NOT (v.valid_to <=> f.ends);

-- A version that would end before it begins fails its statement (error 4025, an INTERNAL
-- error to the caller): the recorder never writes one, and no other writer may.
ALTER TABLE household_versions
  ADD CONSTRAINT chk_household_versions_order CHECK (valid_to IS NULL OR valid_to > valid_from);
