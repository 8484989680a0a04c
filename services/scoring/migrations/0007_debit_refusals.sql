-- Debits refused for want of points, by order id. A debit is answered once per order id: the
-- same order id arriving later (a retry, or the request of a process killed before the answer came
-- back) gets the same refusal instead of taking points for an order the store has already
-- released with its unit back. Nothing moves here, so it is not a ledger table; rows are only
-- inserted.
CREATE TABLE debit_refusals (
  village_id BIGINT NOT NULL,
  order_id VARCHAR(80) NOT NULL,
  household_id BIGINT NOT NULL,
  points BIGINT NOT NULL,
  balance_points BIGINT NOT NULL,
  refused_at_ms BIGINT NOT NULL,
  PRIMARY KEY (village_id, order_id),
  CONSTRAINT debit_refusals_points CHECK (points > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

GRANT SELECT, INSERT ON debit_refusals TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT ON debit_refusals TO '${SERVICE_USER}'@'localhost';
