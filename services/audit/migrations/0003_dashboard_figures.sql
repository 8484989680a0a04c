-- Dashboard figures precomputed per village (issue 7, item 6): a refresh asks scoring, publicity
-- and redemption and stores each service's part with its own timestamp (*_at_ms, 0 = never), so a
-- dashboard is a sum over indexed rows. These are a cache of other services' facts, replaced on
-- every refresh: the service may UPDATE them.
CREATE TABLE village_year_figures (
  village_id BIGINT NOT NULL,
  year INT NOT NULL,
  households_registered BIGINT NOT NULL DEFAULT 0,
  households_opted_in BIGINT NOT NULL DEFAULT 0,
  rulebook_published BOOLEAN NOT NULL DEFAULT FALSE,
  chain_intact BOOLEAN NOT NULL DEFAULT TRUE,
  scoring_at_ms BIGINT NOT NULL DEFAULT 0,
  budget_fen BIGINT NOT NULL DEFAULT 0,
  redeemed_value_fen BIGINT NOT NULL DEFAULT 0,
  funding_fen BIGINT NOT NULL DEFAULT 0,
  budget_not_lower BOOLEAN NOT NULL DEFAULT TRUE,
  redemption_at_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (village_id, year),
  KEY village_year_figures_year (year, village_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE village_quarter_figures (
  village_id BIGINT NOT NULL,
  period CHAR(6) CHARACTER SET ascii NOT NULL,
  year INT NOT NULL,
  households_scored BIGINT NOT NULL DEFAULT 0,
  bucket_negative BIGINT NOT NULL DEFAULT 0,
  bucket_zero BIGINT NOT NULL DEFAULT 0,
  bucket_1_49 BIGINT NOT NULL DEFAULT 0,
  bucket_50_99 BIGINT NOT NULL DEFAULT 0,
  bucket_100_199 BIGINT NOT NULL DEFAULT 0,
  bucket_200_up BIGINT NOT NULL DEFAULT 0,
  scoring_at_ms BIGINT NOT NULL DEFAULT 0,
  red_count BIGINT NOT NULL DEFAULT 0,
  black_count BIGINT NOT NULL DEFAULT 0,
  window_opened BOOLEAN NOT NULL DEFAULT FALSE,
  publicity_at_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (village_id, period),
  KEY village_quarter_figures_period (period, village_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

GRANT SELECT, INSERT, UPDATE ON village_year_figures
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON village_quarter_figures
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
