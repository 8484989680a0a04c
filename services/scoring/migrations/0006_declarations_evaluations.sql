-- Self-declarations (户户参与) and group mutual evaluation (组组互评).
--
-- Tables lead their primary key with village_id (sharding by village); the client-chosen ids are
-- also unique on their own, so that a request naming only the id finds its row and a reused id is
-- refused. No DELETE for the service account: a declaration is reviewed, a round closed, never
-- removed. UPDATE covers the review / close and the locking reads (SELECT ... FOR UPDATE).

-- state: 1 pending, 2 approved, 3 rejected (jifen.scoring.v1.DeclarationState). payload_sha256
-- covers the submitting account and the request, for retries. entry: the approval's ledger entry
-- (jifen.scoring.v1.LedgerEntry bytes, immutable like the ledger row it copies).
CREATE TABLE declarations (
  village_id BIGINT NOT NULL,
  declaration_id VARCHAR(64) NOT NULL,
  household_id BIGINT NOT NULL,
  item_code VARCHAR(32) NOT NULL,
  occurred_at_ms BIGINT NOT NULL,
  actor_user_id VARCHAR(64) NOT NULL,
  payload_sha256 CHAR(64) NOT NULL,
  request MEDIUMBLOB NOT NULL,
  state TINYINT NOT NULL,
  review_reason VARCHAR(500) NOT NULL DEFAULT '',
  reviewer_user_id VARCHAR(64) NOT NULL DEFAULT '',
  reviewed_at_ms BIGINT NOT NULL DEFAULT 0,
  entry_sequence BIGINT NULL,
  entry BLOB NULL,
  submitted_at_ms BIGINT NOT NULL,
  PRIMARY KEY (village_id, declaration_id),
  UNIQUE KEY declaration_id_unique (declaration_id),
  KEY declaration_household (village_id, household_id, submitted_at_ms),
  KEY declaration_state (village_id, state, submitted_at_ms),
  CONSTRAINT declaration_state_known CHECK (state IN (1, 2, 3)),
  CONSTRAINT declaration_rejection_reason CHECK (state <> 3 OR review_reason <> '')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A round: its definition (jifen.scoring.v1.EvaluationRound bytes holding only the fields a client
-- sets; payload_sha256 over it decides whether a second OpenRound is the same), the participating
-- groups fixed at open ("12,15,19"), and the close.
CREATE TABLE evaluation_rounds (
  village_id BIGINT NOT NULL,
  round_id VARCHAR(64) NOT NULL,
  period CHAR(6) NOT NULL,
  item_code VARCHAR(32) NOT NULL,
  definition MEDIUMBLOB NOT NULL,
  awarded_groups INT NOT NULL,
  group_ids VARCHAR(2000) NOT NULL,
  payload_sha256 CHAR(64) NOT NULL,
  opened_by VARCHAR(64) NOT NULL,
  opened_at_ms BIGINT NOT NULL,
  closed BOOLEAN NOT NULL DEFAULT FALSE,
  closed_by VARCHAR(64) NOT NULL DEFAULT '',
  closed_at_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (village_id, round_id),
  UNIQUE KEY round_id_unique (round_id),
  KEY round_period (village_id, period),
  CONSTRAINT round_awarded_positive CHECK (awarded_groups >= 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- One submission per rater group and round; its ratings below. payload_sha256 covers the
-- canonical (sorted) ratings, so that an identical resubmission is recognised.
CREATE TABLE evaluation_submissions (
  village_id BIGINT NOT NULL,
  round_id VARCHAR(64) NOT NULL,
  rater_group_id BIGINT NOT NULL,
  payload_sha256 CHAR(64) NOT NULL,
  actor_user_id VARCHAR(64) NOT NULL,
  actor_role VARCHAR(32) NOT NULL,
  submitted_at_ms BIGINT NOT NULL,
  PRIMARY KEY (village_id, round_id, rater_group_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE evaluation_ratings (
  village_id BIGINT NOT NULL,
  round_id VARCHAR(64) NOT NULL,
  rater_group_id BIGINT NOT NULL,
  rated_group_id BIGINT NOT NULL,
  criterion VARCHAR(64) NOT NULL,
  score INT NOT NULL,
  PRIMARY KEY (village_id, round_id, rater_group_id, rated_group_id, criterion),
  CONSTRAINT rating_not_self CHECK (rater_group_id <> rated_group_id),
  CONSTRAINT rating_score_range CHECK (score BETWEEN 0 AND 100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A closed round's results, written once when it closes.
CREATE TABLE evaluation_results (
  village_id BIGINT NOT NULL,
  round_id VARCHAR(64) NOT NULL,
  group_id BIGINT NOT NULL,
  result BIGINT NOT NULL,
  group_rank INT NOT NULL,
  ratings_received INT NOT NULL,
  awarded BOOLEAN NOT NULL,
  households_credited INT NOT NULL,
  PRIMARY KEY (village_id, round_id, group_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

GRANT SELECT, INSERT, UPDATE ON declarations TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON declarations TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON evaluation_rounds TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON evaluation_rounds TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT ON evaluation_submissions TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT ON evaluation_submissions TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT ON evaluation_ratings TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT ON evaluation_ratings TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT ON evaluation_results TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT ON evaluation_results TO '${SERVICE_USER}'@'localhost';
