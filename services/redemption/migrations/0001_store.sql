-- The points store: items, orders, funding sources, donations and budgets. Every table leads with
-- village_id (sharding key). Money in fen, points as integers, times as Unix milliseconds.

CREATE TABLE store_items (
  village_id BIGINT NOT NULL,
  item_id BIGINT NOT NULL AUTO_INCREMENT,
  name VARCHAR(100) NOT NULL,
  description VARCHAR(2000) NOT NULL DEFAULT '',
  photo_ref VARCHAR(255) NOT NULL DEFAULT '',
  price_points BIGINT NOT NULL,
  -- Changed only by a conditional UPDATE (stock >= quantity), never read-modify-write.
  stock BIGINT NOT NULL,
  value_fen BIGINT NOT NULL DEFAULT 0,
  funding_source_id BIGINT NOT NULL DEFAULT 0,
  on_sale_from_ms BIGINT NOT NULL DEFAULT 0,
  on_sale_until_ms BIGINT NOT NULL DEFAULT 0,
  limit_per_household INT NOT NULL DEFAULT 0,
  limit_period TINYINT NOT NULL DEFAULT 2,
  active TINYINT(1) NOT NULL DEFAULT 1,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (village_id, item_id),
  UNIQUE KEY store_items_id (item_id),
  CONSTRAINT store_items_stock_nonnegative CHECK (stock >= 0),
  CONSTRAINT store_items_price_positive CHECK (price_points > 0),
  CONSTRAINT store_items_value_nonnegative CHECK (value_fen >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- status: 1 RESERVED, 2 CONFIRMED, 3 FULFILLED, 4 CANCELLING, 5 CANCELLED, 6 FAILED (OrderStatus).
-- limit_period_key: the item's limit period the order counts in ("2026Q4", "2026-11", "2026").
CREATE TABLE orders (
  village_id BIGINT NOT NULL,
  order_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  household_id BIGINT NOT NULL,
  item_id BIGINT NOT NULL,
  item_name VARCHAR(100) NOT NULL,
  quantity INT NOT NULL,
  price_points BIGINT NOT NULL,
  total_points BIGINT NOT NULL,
  value_fen BIGINT NOT NULL,
  funding_source_id BIGINT NOT NULL DEFAULT 0,
  status TINYINT NOT NULL,
  pickup_code CHAR(6) CHARACTER SET ascii NULL DEFAULT NULL,
  status_reason VARCHAR(500) NOT NULL DEFAULT '',
  wallet_balance_points BIGINT NOT NULL DEFAULT 0,
  limit_period_key VARCHAR(16) CHARACTER SET ascii NOT NULL,
  ordered_by_user_id VARCHAR(128) NOT NULL,
  created_at_ms BIGINT NOT NULL,
  confirmed_at_ms BIGINT NOT NULL DEFAULT 0,
  fulfilled_at_ms BIGINT NOT NULL DEFAULT 0,
  fulfilled_by_user_id VARCHAR(128) NOT NULL DEFAULT '',
  cancelled_at_ms BIGINT NOT NULL DEFAULT 0,
  updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (village_id, order_id),
  UNIQUE KEY orders_id (order_id),
  UNIQUE KEY orders_pickup_code (village_id, pickup_code),
  KEY orders_limit (village_id, household_id, item_id, limit_period_key),
  KEY orders_status (village_id, status, created_at_ms),
  KEY orders_created (village_id, created_at_ms),
  KEY orders_pending (status, updated_at_ms),
  CONSTRAINT orders_quantity_positive CHECK (quantity > 0),
  CONSTRAINT orders_total_positive CHECK (total_points > 0),
  CONSTRAINT orders_status_known CHECK (status BETWEEN 1 AND 6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- kind: FundingKind (1 village funds, 2 donation, 3 town subsidy, 4 district subsidy, 5 other).
CREATE TABLE funding_sources (
  village_id BIGINT NOT NULL,
  funding_source_id BIGINT NOT NULL AUTO_INCREMENT,
  year INT NOT NULL,
  kind TINYINT NOT NULL,
  name VARCHAR(100) NOT NULL,
  committed_fen BIGINT NOT NULL DEFAULT 0,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (village_id, funding_source_id),
  UNIQUE KEY funding_sources_id (funding_source_id),
  KEY funding_sources_year (village_id, year),
  CONSTRAINT funding_sources_committed_nonnegative CHECK (committed_fen >= 0),
  CONSTRAINT funding_sources_kind_known CHECK (kind BETWEEN 1 AND 5)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Append-only: donations are never edited; a mistake is a new record and an audit note.
CREATE TABLE donations (
  village_id BIGINT NOT NULL,
  donation_id BIGINT NOT NULL AUTO_INCREMENT,
  funding_source_id BIGINT NOT NULL,
  donor VARCHAR(100) NOT NULL,
  amount_fen BIGINT NOT NULL,
  donated_on DATE NOT NULL,
  note VARCHAR(500) NOT NULL DEFAULT '',
  created_by_user_id VARCHAR(128) NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (village_id, donation_id),
  UNIQUE KEY donations_id (donation_id),
  KEY donations_date (village_id, donated_on),
  CONSTRAINT donations_amount_positive CHECK (amount_fen > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE budgets (
  village_id BIGINT NOT NULL,
  year INT NOT NULL,
  budget_fen BIGINT NOT NULL,
  updated_by_user_id VARCHAR(128) NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (village_id, year),
  CONSTRAINT budgets_nonnegative CHECK (budget_fen >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Orders are never deleted (the redemption ledger); donations are append-only.
GRANT SELECT, INSERT, UPDATE ON store_items
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON orders
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON funding_sources
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT ON donations
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON budgets
  TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';
