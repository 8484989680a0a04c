-- Inspections keep the first answer so that a retry with the same id returns it unchanged.
CREATE TABLE inspections (
  village_id BIGINT NOT NULL,
  inspection_id VARCHAR(64) NOT NULL,
  household_id BIGINT NOT NULL,
  actor_user_id VARCHAR(64) NOT NULL,
  actor_role VARCHAR(32) NOT NULL,
  payload_sha256 CHAR(64) NOT NULL,
  request MEDIUMBLOB NOT NULL,
  response MEDIUMBLOB NOT NULL,
  occurred_at_ms BIGINT NOT NULL,
  recorded_at_ms BIGINT NOT NULL,
  PRIMARY KEY (inspection_id),
  KEY inspection_household (village_id, household_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

GRANT SELECT, INSERT ON inspections TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT ON inspections TO '${SERVICE_USER}'@'localhost';
