-- How far publicity has read the ledger stream for entries that reach their quarter's publicity
-- window late (services/publicity/domain/window_follower.h): the last sequence applied to the
-- windows. One row; it moves in the same transaction as the extensions it made, so an entry is
-- never skipped. Not village data: the stream is global, so this table stays unsharded.
CREATE TABLE window_feed (
  feed_id TINYINT NOT NULL,
  last_sequence BIGINT NOT NULL,
  PRIMARY KEY (feed_id),
  CONSTRAINT one_window_feed CHECK (feed_id = 1),
  CONSTRAINT window_feed_sequence CHECK (last_sequence >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO window_feed (feed_id, last_sequence) VALUES (1, 0);

GRANT SELECT, UPDATE ON window_feed TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, UPDATE ON window_feed TO '${SERVICE_USER}'@'localhost';
