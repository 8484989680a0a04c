-- The gateway's own schema: sign-in records only. Secrets are stored as hashes: passwords with
-- Argon2id, invitation codes, refresh tokens and WeChat openids with SHA-256.
-- Tables lead with village_id (0 for accounts not bound to a village) for sharding by village.

CREATE TABLE staff_accounts (
  village_id BIGINT NOT NULL DEFAULT 0,
  account_id BIGINT NOT NULL AUTO_INCREMENT,
  username VARCHAR(64) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  role VARCHAR(32) NOT NULL,
  town_id BIGINT NOT NULL DEFAULT 0,
  grid_id BIGINT NOT NULL DEFAULT 0,
  team_id BIGINT NOT NULL DEFAULT 0,
  failed_attempts INT NOT NULL DEFAULT 0,
  locked_until_ms BIGINT NOT NULL DEFAULT 0,
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (account_id),
  UNIQUE KEY staff_accounts_username (username),
  KEY staff_accounts_village (village_id),
  CONSTRAINT staff_accounts_failed CHECK (failed_attempts >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE resident_bindings (
  village_id BIGINT NOT NULL,
  binding_id BIGINT NOT NULL AUTO_INCREMENT,
  openid_hash CHAR(64) NOT NULL,
  town_id BIGINT NOT NULL DEFAULT 0,
  household_id BIGINT NOT NULL,
  member_id BIGINT NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (binding_id),
  UNIQUE KEY resident_bindings_openid (openid_hash),
  KEY resident_bindings_village (village_id, household_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE invitations (
  village_id BIGINT NOT NULL,
  code_hash CHAR(64) NOT NULL,
  town_id BIGINT NOT NULL DEFAULT 0,
  household_id BIGINT NOT NULL,
  member_id BIGINT NOT NULL,
  created_by VARCHAR(64) NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  used_at_ms BIGINT NULL,
  used_by_binding BIGINT NULL,
  PRIMARY KEY (code_hash),
  KEY invitations_village (village_id, household_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE refresh_tokens (
  village_id BIGINT NOT NULL DEFAULT 0,
  token_hash CHAR(64) NOT NULL,
  subject_kind VARCHAR(16) NOT NULL,
  account_id BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  spent_at_ms BIGINT NULL,
  PRIMARY KEY (token_hash),
  KEY refresh_tokens_subject (subject_kind, account_id),
  CONSTRAINT refresh_tokens_kind CHECK (subject_kind IN ('staff', 'resident'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
