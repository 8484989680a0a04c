-- Publicity windows (公示期), objections (异议) and red/black list rules, the publicity service's own
-- data. Every table leads its primary key with village_id so that it can be sharded by village.
-- No FOREIGN KEYs (a sharded engine can't enforce them): the service checks parents itself, with
-- the window row locked (SELECT ... FOR UPDATE) where a race matters.

-- state: 'open' -> 'settling' (ended, nothing pending, settlement asked of scoring) -> 'settled'.
-- "closed" is not stored: it is 'open' after ends_at_ms.
CREATE TABLE publicity_windows (
  village_id BIGINT NOT NULL,
  period CHAR(6) NOT NULL,
  starts_at_ms BIGINT NOT NULL,
  ends_at_ms BIGINT NOT NULL,
  opened_by_user_id VARCHAR(64) NOT NULL,
  state ENUM('open', 'settling', 'settled') NOT NULL DEFAULT 'open',
  settled_at_ms BIGINT NULL DEFAULT NULL,
  households_credited BIGINT NOT NULL DEFAULT 0,
  points_credited BIGINT NOT NULL DEFAULT 0,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (village_id, period),
  KEY windows_due (state, ends_at_ms),
  CONSTRAINT window_ends_after_start CHECK (ends_at_ms > starts_at_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- One objection per ledger entry (entry_sequence is unique in the ledger): a second one is refused
-- and a resident's retry finds the first.
CREATE TABLE objections (
  village_id BIGINT NOT NULL,
  objection_id BIGINT NOT NULL AUTO_INCREMENT,
  period CHAR(6) NOT NULL,
  household_id BIGINT NOT NULL,
  entry_sequence BIGINT NOT NULL,
  reason VARCHAR(500) NOT NULL,
  filed_by_user_id VARCHAR(64) NOT NULL,
  filed_at_ms BIGINT NOT NULL,
  status ENUM('pending', 'upholding', 'upheld', 'rejected') NOT NULL DEFAULT 'pending',
  resolution_reason VARCHAR(500) NOT NULL DEFAULT '',
  resolved_by_user_id VARCHAR(64) NOT NULL DEFAULT '',
  resolved_at_ms BIGINT NULL DEFAULT NULL,
  correction_sequence BIGINT NULL DEFAULT NULL,
  PRIMARY KEY (village_id, objection_id),
  UNIQUE KEY objection_id (objection_id),
  UNIQUE KEY objection_entry (entry_sequence),
  KEY objections_of_period (village_id, period, status),
  KEY objections_upholding (status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A village's red/black list rules; absent means the defaults of ListRules in boards.proto.
-- black_categories: comma-separated category names (names never contain commas).
CREATE TABLE list_rules (
  village_id BIGINT NOT NULL,
  red_top_n INT NOT NULL,
  red_min_points BIGINT NOT NULL,
  black_max_points BIGINT NOT NULL,
  black_categories VARCHAR(1400) NOT NULL DEFAULT '',
  updated_by_user_id VARCHAR(64) NOT NULL,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (village_id),
  CONSTRAINT red_top_n_range CHECK (red_top_n BETWEEN 0 AND 100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The service corrects state, never removes it: no DELETE.
GRANT SELECT, INSERT, UPDATE ON publicity_windows TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON publicity_windows TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON objections TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON objections TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON list_rules TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON list_rules TO '${SERVICE_USER}'@'localhost';
