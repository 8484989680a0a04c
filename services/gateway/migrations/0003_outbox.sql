-- The transactional outbox (common/outbox/outbox.h), canonical DDL. Each owning service copies this
-- file unchanged into its migrations folder as its next NNNN_outbox.sql and grants its service user
-- SELECT, INSERT, UPDATE on it (and DELETE if it purges delivered rows).
--
-- The relay reads "WHERE topic = ? AND delivered_at IS NULL ORDER BY id LIMIT ?", which the index
-- (topic, delivered_at, id) answers without sorting or scanning delivered rows.
-- The primary key is the bare id, not (village_id, id) like village data: the outbox is delivered
-- in id order across villages, so it is never sharded by village.
CREATE TABLE outbox (
  id BIGINT NOT NULL AUTO_INCREMENT,
  village_id BIGINT NOT NULL,
  topic VARCHAR(64) NOT NULL,
  payload MEDIUMBLOB NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  delivered_at TIMESTAMP(6) NULL DEFAULT NULL,
  PRIMARY KEY (id),
  KEY outbox_undelivered (topic, delivered_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The gateway's account appends its audit records and the relay marks them delivered.
GRANT SELECT, INSERT, UPDATE ON outbox TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON outbox TO '${SERVICE_USER}'@'localhost';
