-- The points ledger (台账). ledger_entries is append-only: the service's account may only SELECT
-- and INSERT it. wallets, period_scores and ledger_heads are caches beside it, updated in the same
-- transaction as each insert and checked equal to the entries' sums by tests and tools.
CREATE TABLE ledger_entries (
  village_id BIGINT NOT NULL,
  sequence BIGINT NOT NULL AUTO_INCREMENT,
  household_id BIGINT NOT NULL,
  group_id BIGINT NOT NULL,
  account TINYINT NOT NULL,
  points BIGINT NOT NULL,
  period CHAR(6) NOT NULL DEFAULT '',
  item_code VARCHAR(32) NOT NULL DEFAULT '',
  category VARCHAR(32) NOT NULL DEFAULT '',
  reason VARCHAR(500) NOT NULL,
  source TINYINT NOT NULL,
  source_id VARCHAR(80) NOT NULL,
  reverses_sequence BIGINT NULL,
  actor_user_id VARCHAR(64) NOT NULL,
  actor_role VARCHAR(32) NOT NULL,
  occurred_at_ms BIGINT NOT NULL,
  recorded_at_ms BIGINT NOT NULL,
  prev_hash CHAR(64) NOT NULL,
  hash CHAR(64) NOT NULL,
  PRIMARY KEY (sequence),
  UNIQUE KEY entry_once (source, source_id, household_id, item_code),
  UNIQUE KEY reversed_at_most_once (reverses_sequence),
  KEY household_history (household_id, sequence),
  KEY household_item_period (household_id, period, item_code),
  KEY village_chain (village_id, sequence),
  KEY village_period (village_id, period, account),
  CONSTRAINT entry_points_nonzero CHECK (points <> 0),
  CONSTRAINT entry_account_known CHECK (account IN (1, 2))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE wallets (
  village_id BIGINT NOT NULL,
  household_id BIGINT NOT NULL,
  balance_points BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (household_id),
  KEY wallet_village (village_id),
  CONSTRAINT wallet_never_negative CHECK (balance_points >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE period_scores (
  village_id BIGINT NOT NULL,
  household_id BIGINT NOT NULL,
  period CHAR(6) NOT NULL,
  score BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (household_id, period),
  KEY period_village (village_id, period)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- One row per village: the head of its hash chain. Writers lock it first, which orders a village's
-- entries and makes cap checks race-free.
CREATE TABLE ledger_heads (
  village_id BIGINT NOT NULL,
  head_sequence BIGINT NOT NULL DEFAULT 0,
  head_hash CHAR(64) NOT NULL,
  entries BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (village_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A settled (final) period of a village: settlement ran exactly once.
CREATE TABLE settlements (
  village_id BIGINT NOT NULL,
  period CHAR(6) NOT NULL,
  households_credited INT NOT NULL,
  points_credited BIGINT NOT NULL,
  settled_at_ms BIGINT NOT NULL,
  actor_user_id VARCHAR(64) NOT NULL,
  PRIMARY KEY (village_id, period)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

GRANT SELECT, INSERT ON ledger_entries TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT ON ledger_entries TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT ON settlements TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT ON settlements TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON wallets TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON wallets TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON period_scores TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON period_scores TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON ledger_heads TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON ledger_heads TO '${SERVICE_USER}'@'localhost';
