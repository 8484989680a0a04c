-- The households a quarter could score (scoring's QuarterStatistics.households_in_registry: those
-- registered before it ended, and any scored in it), the denominator of its participation: a
-- village that brings its roster in mid-year is not shown as having left the newcomers unscored
-- in the quarters before. -1 (not known) in rows refreshed before this column: participation then
-- falls back to the year's households, as it was computed before; every refresh stores it (>= 0).
ALTER TABLE village_quarter_figures
  ADD COLUMN households_in_registry BIGINT NOT NULL DEFAULT -1 AFTER households_scored;
