-- Towns' documents implementing the points system for a year (policy: issued by the end of May).
-- Recorded once: the service account may insert and read, never change or delete.
CREATE TABLE town_document (
  town_id BIGINT NOT NULL,
  year SMALLINT NOT NULL,
  document_number VARCHAR(64) NOT NULL,
  title VARCHAR(200) NOT NULL,
  issued_date CHAR(10) CHARACTER SET ascii NOT NULL,
  recorded_by_user_id VARCHAR(128) NOT NULL,
  recorded_at_ms BIGINT NOT NULL,
  PRIMARY KEY (town_id, year, document_number),
  KEY by_year (year, town_id, issued_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

GRANT SELECT, INSERT ON town_document
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
