-- The villages each photo was uploaded from. Photos show households' premises (personal
-- information): the gateway shows a photo within its villages and to those who supervise them, and
-- takes it as evidence only in a village it was uploaded from. The same photo (one file, stored by
-- its SHA-256) may come from several villages. Rows are never updated or deleted.
CREATE TABLE photo_villages (
  photo_ref CHAR(64) NOT NULL,
  village_id BIGINT NOT NULL,
  uploaded_by VARCHAR(128) NOT NULL,
  uploaded_at_ms BIGINT NOT NULL,
  PRIMARY KEY (photo_ref, village_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

GRANT SELECT, INSERT ON photo_villages TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT ON photo_villages TO '${SERVICE_USER}'@'localhost';
