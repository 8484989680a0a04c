-- The audit trail: one hash chain over every service's reported changes (services/audit/domain/
-- chain.h). Append-only: the service's user may SELECT and INSERT, never UPDATE or DELETE.
-- The chain is global (one sequence), like the outbox it is fed from, so the primary key is the
-- sequence and not (village_id, ...): the trail is never sharded by village; a village's records
-- are found through audit_record_village.
-- Text columns are VARBINARY: the stored bytes are exactly the hashed bytes (no collation or
-- trailing-space rules apply to them).
CREATE TABLE audit_record (
  sequence BIGINT NOT NULL,
  source_service VARBINARY(64) NOT NULL,
  outbox_id BIGINT NOT NULL,
  village_id BIGINT NOT NULL,
  actor_user_id VARBINARY(128) NOT NULL,
  actor_role VARBINARY(64) NOT NULL,
  action VARBINARY(64) NOT NULL,
  object_type VARBINARY(64) NOT NULL,
  object_id VARBINARY(128) NOT NULL,
  before_state VARBINARY(4096) NOT NULL,
  after_state VARBINARY(4096) NOT NULL,
  occurred_at_ms BIGINT NOT NULL,
  request_id VARBINARY(128) NOT NULL,
  received_at_ms BIGINT NOT NULL,
  hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (sequence),
  UNIQUE KEY audit_record_source (source_service, outbox_id),
  KEY audit_record_village (village_id, sequence),
  KEY audit_record_object (object_type, object_id, sequence),
  KEY audit_record_received (received_at_ms, sequence)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The chain head: one row, locked (SELECT ... FOR UPDATE) by every append to serialise chaining.
-- It is a cache of the last record; verification never trusts it.
CREATE TABLE chain_head (
  id TINYINT NOT NULL,
  sequence BIGINT NOT NULL,
  hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  received_at_ms BIGINT NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT chain_head_single CHECK (id = 1)
) ENGINE=InnoDB;

INSERT INTO chain_head (id, sequence, hash, received_at_ms)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);

-- Signed daily checkpoints: append-only as well.
CREATE TABLE audit_checkpoint (
  checkpoint_date CHAR(10) CHARACTER SET ascii NOT NULL,
  record_count BIGINT NOT NULL,
  head_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  signed_at_ms BIGINT NOT NULL,
  signature VARBINARY(160) NOT NULL,
  PRIMARY KEY (checkpoint_date)
) ENGINE=InnoDB;

GRANT SELECT, INSERT ON audit_record
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, UPDATE ON chain_head
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT ON audit_checkpoint
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
