-- The client's request id of every store and funding write (CreateItem, RestockItem,
-- CreateFundingSource, RecordDonation), inserted in the write's transaction: a phone that retries
-- after a lost answer meets the primary key, and is answered with the first write's object
-- instead of adding stock or a donation twice. kind and payload are the domain's canonical form
-- of the request (services/redemption/domain/client_requests.h): the same id with another payload
-- is refused. object_id: the item, funding source or donation created or changed.
-- Append-only, like the writes it guards.
CREATE TABLE client_requests (
  village_id BIGINT NOT NULL,
  client_request_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind VARCHAR(32) CHARACTER SET ascii NOT NULL,
  payload BLOB NOT NULL,
  object_id BIGINT NOT NULL,
  actor_user_id VARCHAR(128) NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (village_id, client_request_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

GRANT SELECT, INSERT ON client_requests
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
