-- Supervision: the village directory (a copy of scoring's village -> town), district visits with
-- their checks and findings, notices to towns, governance models and anomaly flags. These are
-- working records (statuses move), so the service may UPDATE them; their history is on the trail:
-- every change here appends an audit record in the same transaction.
CREATE TABLE village_directory (
  village_id BIGINT NOT NULL,
  town_id BIGINT NOT NULL,
  name VARCHAR(64) NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (village_id),
  KEY village_directory_town (town_id, village_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE supervision_visit (
  village_id BIGINT NOT NULL,
  visit_id BIGINT NOT NULL AUTO_INCREMENT,
  client_visit_id VARCHAR(64) NOT NULL,
  town_id BIGINT NOT NULL,
  inspector_user_id VARCHAR(128) NOT NULL,
  visit_date CHAR(10) CHARACTER SET ascii NOT NULL,
  summary VARCHAR(2000) NOT NULL,
  status TINYINT NOT NULL,
  closed_on CHAR(10) CHARACTER SET ascii NOT NULL DEFAULT '',
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (village_id, visit_id),
  UNIQUE KEY supervision_visit_id (visit_id),
  UNIQUE KEY supervision_visit_client (client_visit_id),
  KEY supervision_visit_town (town_id, visit_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE visit_check (
  village_id BIGINT NOT NULL,
  visit_id BIGINT NOT NULL,
  area TINYINT NOT NULL,
  result TINYINT NOT NULL,
  note VARCHAR(1000) NOT NULL,
  PRIMARY KEY (village_id, visit_id, area)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE finding (
  village_id BIGINT NOT NULL,
  finding_id BIGINT NOT NULL AUTO_INCREMENT,
  visit_id BIGINT NOT NULL,
  town_id BIGINT NOT NULL,
  area TINYINT NOT NULL,
  severity TINYINT NOT NULL,
  description VARCHAR(2000) NOT NULL,
  deadline_date CHAR(10) CHARACTER SET ascii NOT NULL,
  status TINYINT NOT NULL,
  rectification VARCHAR(2000) NOT NULL DEFAULT '',
  rectified_on CHAR(10) CHARACTER SET ascii NOT NULL DEFAULT '',
  review_note VARCHAR(2000) NOT NULL DEFAULT '',
  PRIMARY KEY (village_id, finding_id),
  UNIQUE KEY finding_id (finding_id),
  KEY finding_visit (visit_id),
  KEY finding_town_status (town_id, status, deadline_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE notice (
  town_id BIGINT NOT NULL,
  notice_id BIGINT NOT NULL AUTO_INCREMENT,
  title VARCHAR(200) NOT NULL,
  body TEXT NOT NULL,
  issued_by_user_id VARCHAR(128) NOT NULL,
  issued_on CHAR(10) CHARACTER SET ascii NOT NULL,
  PRIMARY KEY (town_id, notice_id),
  UNIQUE KEY notice_id (notice_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE notice_finding (
  notice_id BIGINT NOT NULL,
  finding_id BIGINT NOT NULL,
  PRIMARY KEY (notice_id, finding_id)
) ENGINE=InnoDB;

CREATE TABLE governance_model (
  village_id BIGINT NOT NULL,
  kind TINYINT NOT NULL,
  name VARCHAR(100) NOT NULL,
  since_date CHAR(10) CHARACTER SET ascii NOT NULL,
  recorded_by_user_id VARCHAR(128) NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (village_id, kind, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE anomaly_flag (
  village_id BIGINT NOT NULL,
  flag_id BIGINT NOT NULL AUTO_INCREMENT,
  rule VARCHAR(32) NOT NULL,
  subject VARCHAR(191) NOT NULL,
  summary VARCHAR(1000) NOT NULL,
  evidence TEXT NOT NULL,
  raised_at_ms BIGINT NOT NULL,
  reviewed TINYINT NOT NULL DEFAULT 0,
  review_note VARCHAR(1000) NOT NULL DEFAULT '',
  PRIMARY KEY (village_id, flag_id),
  UNIQUE KEY anomaly_flag_id (flag_id),
  UNIQUE KEY anomaly_flag_subject (rule, village_id, subject)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

GRANT SELECT, INSERT, UPDATE ON village_directory
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON supervision_visit
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT ON visit_check
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON finding
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT ON notice
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT ON notice_finding
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON governance_model
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON anomaly_flag
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
