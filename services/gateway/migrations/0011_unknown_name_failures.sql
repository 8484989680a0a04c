-- Wrong passwords under a user name no account has are counted per name, and such a name is locked
-- exactly as an account is (--max_failed_logins, then 429 ACCOUNT_LOCKED for --lockout), so that a
-- lockout tells no one which user names exist. No account is made: a row holds the count and the
-- lock only, keyed by the SHA-256 of the name as user names compare (MariaDB's LOWER(), trailing
-- spaces ignored: migration 0010), never the name itself, which may be a password typed into the
-- wrong field. One row per name tried, at most --login_rate_per_address_per_minute new ones per
-- address and minute; a lock that has ended starts the count again in the same row. The gateway
-- deletes none: rows whose updated_at_ms is older than the lockout may be deleted at any time.
CREATE TABLE unknown_name_failures (
  name_hash CHAR(64) NOT NULL,
  failed_attempts INT NOT NULL DEFAULT 0,
  locked_until_ms BIGINT NOT NULL DEFAULT 0,
  updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (name_hash),
  CONSTRAINT unknown_name_failures_failed CHECK (failed_attempts >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

GRANT SELECT, INSERT, UPDATE ON unknown_name_failures TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON unknown_name_failures TO '${SERVICE_USER}'@'localhost';
