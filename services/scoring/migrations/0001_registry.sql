-- The registry: towns, villages, villager groups, grids, assessment teams, households, members.
--
-- Every table that holds village data leads its primary key with village_id so that it can be
-- sharded by village. Ids are AUTO_INCREMENT and also unique on their own (an id is looked up
-- without knowing its village, e.g. GetHousehold). There are no FOREIGN KEYs: a sharded engine
-- cannot enforce them across shards; the service checks parents inside the writing transaction,
-- after locking the village row (SELECT ... FOR UPDATE), which also serialises a village's imports.
-- The service account gets SELECT, INSERT, UPDATE (UPDATE also covers the locking reads) and never
-- DELETE: registry rows are corrected, not removed.
CREATE TABLE towns (
  town_id BIGINT NOT NULL AUTO_INCREMENT,
  name VARCHAR(64) NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (town_id),
  UNIQUE KEY town_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A village is the shard key itself, so its own row leads with village_id too.
CREATE TABLE villages (
  village_id BIGINT NOT NULL AUTO_INCREMENT,
  town_id BIGINT NOT NULL,
  name VARCHAR(64) NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (village_id),
  UNIQUE KEY village_name (town_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- 村民小组. `groups` is a reserved word in MariaDB, hence the longer name.
CREATE TABLE villager_groups (
  village_id BIGINT NOT NULL,
  group_id BIGINT NOT NULL AUTO_INCREMENT,
  name VARCHAR(64) NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (village_id, group_id),
  UNIQUE KEY group_id_unique (group_id),
  UNIQUE KEY group_name (village_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- 网格 with its grid worker's account id ('' while none is assigned).
CREATE TABLE grids (
  village_id BIGINT NOT NULL,
  grid_id BIGINT NOT NULL AUTO_INCREMENT,
  name VARCHAR(64) NOT NULL,
  worker_user_id VARCHAR(64) NOT NULL DEFAULT '',
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (village_id, grid_id),
  UNIQUE KEY grid_id_unique (grid_id),
  UNIQUE KEY grid_name (village_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- 片区考核小组 and the villager groups whose households each team assesses.
CREATE TABLE assessment_teams (
  village_id BIGINT NOT NULL,
  team_id BIGINT NOT NULL AUTO_INCREMENT,
  name VARCHAR(64) NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (village_id, team_id),
  UNIQUE KEY team_id_unique (team_id),
  UNIQUE KEY team_name (village_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE team_groups (
  village_id BIGINT NOT NULL,
  team_id BIGINT NOT NULL,
  group_id BIGINT NOT NULL,
  PRIMARY KEY (village_id, team_id, group_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- 户. kind 1 = registered (本村居民), 2 = non-registered resident who opted in (非本村居民), whose
-- consent date is required. grid_id 0: not yet in a grid. steward_user_id '': no steward (户管家).
CREATE TABLE households (
  village_id BIGINT NOT NULL,
  household_id BIGINT NOT NULL AUTO_INCREMENT,
  group_id BIGINT NOT NULL,
  grid_id BIGINT NOT NULL DEFAULT 0,
  house_number VARCHAR(32) NOT NULL,
  head_name VARCHAR(64) NOT NULL,
  kind TINYINT NOT NULL,
  consent_date DATE NULL,
  rents_out_rooms BOOLEAN NOT NULL DEFAULT FALSE,
  steward_user_id VARCHAR(64) NOT NULL DEFAULT '',
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (village_id, household_id),
  UNIQUE KEY household_id_unique (household_id),
  UNIQUE KEY household_address (village_id, group_id, house_number),
  KEY household_grid (village_id, grid_id, household_id),
  CONSTRAINT household_kind CHECK (kind IN (1, 2)),
  CONSTRAINT household_consent CHECK (kind = 1 OR consent_date IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Household members. phone_cipher is NULL when no phone was given; otherwise one version byte
-- (1 = crypto_secretbox with the service's phone key), a random 24-byte nonce and the secretbox of
-- the 11-digit number. Phones are never stored in clear and never indexed.
CREATE TABLE members (
  village_id BIGINT NOT NULL,
  member_id BIGINT NOT NULL AUTO_INCREMENT,
  household_id BIGINT NOT NULL,
  name VARCHAR(64) NOT NULL,
  phone_cipher VARBINARY(128) NULL,
  is_head BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (village_id, member_id),
  UNIQUE KEY member_id_unique (member_id),
  UNIQUE KEY member_name (village_id, household_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

GRANT SELECT, INSERT, UPDATE ON towns TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON towns TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON villages TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON villages TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON villager_groups TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON villager_groups TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON grids TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON grids TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON assessment_teams TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON assessment_teams TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON team_groups TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON team_groups TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON households TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON households TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON members TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON members TO '${SERVICE_USER}'@'localhost';
