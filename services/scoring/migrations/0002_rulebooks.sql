-- Rulebooks: the district reference template (village_id 0) and each village's yearly versions.
CREATE TABLE rulebooks (
  village_id BIGINT NOT NULL,
  rulebook_id BIGINT NOT NULL AUTO_INCREMENT,
  year INT NOT NULL,
  version INT NOT NULL,
  effective_from DATE NOT NULL,
  state TINYINT NOT NULL,
  vote_meeting_date DATE NULL,
  vote_members INT NULL,
  vote_attending INT NULL,
  vote_in_favour INT NULL,
  vote_against INT NULL,
  vote_abstain INT NULL,
  published_at_ms BIGINT NULL,
  PRIMARY KEY (rulebook_id),
  UNIQUE KEY rulebook_version (village_id, year, version),
  KEY rulebook_in_force (village_id, state, effective_from),
  CONSTRAINT rulebook_state_known CHECK (state IN (1, 2))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE rule_items (
  village_id BIGINT NOT NULL,
  rulebook_id BIGINT NOT NULL,
  code VARCHAR(32) NOT NULL,
  name VARCHAR(100) NOT NULL,
  category TINYINT NOT NULL,
  scope TINYINT NOT NULL,
  points BIGINT NOT NULL,
  cap_points_per_period BIGINT NOT NULL DEFAULT 0,
  photo_required BOOLEAN NOT NULL DEFAULT FALSE,
  allowed_roles VARCHAR(200) NOT NULL,
  PRIMARY KEY (rulebook_id, code),
  CONSTRAINT rule_item_points_nonzero CHECK (points <> 0),
  CONSTRAINT rule_item_cap_nonnegative CHECK (cap_points_per_period >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A published rulebook is immutable: the database refuses to change or remove its items, whatever
-- the application does.
CREATE TRIGGER rule_items_published_no_update BEFORE UPDATE ON rule_items FOR EACH ROW IF (SELECT state FROM rulebooks WHERE rulebook_id = OLD.rulebook_id) = 2 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'published rulebook is immutable'; END IF;
CREATE TRIGGER rule_items_published_no_delete BEFORE DELETE ON rule_items FOR EACH ROW IF (SELECT state FROM rulebooks WHERE rulebook_id = OLD.rulebook_id) = 2 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'published rulebook is immutable'; END IF;
CREATE TRIGGER rule_items_published_no_insert BEFORE INSERT ON rule_items FOR EACH ROW IF (SELECT state FROM rulebooks WHERE rulebook_id = NEW.rulebook_id) = 2 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'published rulebook is immutable'; END IF;

-- The district reference template (参考细则, 闵乡村振兴办〔2022〕7号), covering the policy's categories
-- (1 人居环境, 2 移风易俗, 3 垃圾分类, 4 房屋出租, 5 生产生活安全, 6 志愿服务) and scopes (1 宅前屋后,
-- 2 自留地, 3 庭院, 4 室内, 5 不限场所).
-- Inserted as a draft, filled, then published: the triggers refuse items of a published rulebook.
INSERT INTO rulebooks (village_id, year, version, effective_from, state) VALUES (0, 2024, 1, '2024-01-01', 1);
INSERT INTO rule_items (village_id, rulebook_id, code, name, category, scope, points, cap_points_per_period, photo_required, allowed_roles) VALUES
  (0, LAST_INSERT_ID(), 'HJ-01', '宅前屋后整洁有序', 1, 1, 5, 30, FALSE, 'grid_worker,assessor,village_admin'),
  (0, LAST_INSERT_ID(), 'HJ-02', '宅前屋后乱堆乱放', 1, 1, -5, 30, TRUE, 'grid_worker,assessor,village_admin'),
  (0, LAST_INSERT_ID(), 'HJ-03', '自留地种植规范、无违搭', 1, 2, 5, 20, FALSE, 'grid_worker,assessor,village_admin'),
  (0, LAST_INSERT_ID(), 'HJ-04', '自留地抛荒或乱搭建', 1, 2, -5, 20, TRUE, 'grid_worker,assessor,village_admin'),
  (0, LAST_INSERT_ID(), 'HJ-05', '庭院整洁美观(美丽庭院)', 1, 3, 10, 30, TRUE, 'grid_worker,assessor,village_admin'),
  (0, LAST_INSERT_ID(), 'HJ-06', '室内卫生整洁', 1, 4, 3, 15, FALSE, 'grid_worker,assessor,village_admin'),
  (0, LAST_INSERT_ID(), 'YF-01', '婚事新办、丧事简办', 2, 5, 10, 20, FALSE, 'village_admin,resident'),
  (0, LAST_INSERT_ID(), 'YF-02', '大操大办、铺张浪费', 2, 5, -10, 20, FALSE, 'village_admin'),
  (0, LAST_INSERT_ID(), 'LJ-01', '垃圾分类投放准确', 3, 1, 3, 15, FALSE, 'grid_worker,assessor,village_admin'),
  (0, LAST_INSERT_ID(), 'LJ-02', '垃圾混投或乱扔', 3, 1, -3, 15, TRUE, 'grid_worker,assessor,village_admin'),
  (0, LAST_INSERT_ID(), 'CZ-01', '出租房屋登记规范、消防达标', 4, 4, 5, 10, FALSE, 'grid_worker,assessor,village_admin'),
  (0, LAST_INSERT_ID(), 'CZ-02', '群租或出租房安全隐患', 4, 4, -10, 20, TRUE, 'grid_worker,assessor,village_admin'),
  (0, LAST_INSERT_ID(), 'AQ-01', '用火用电用气安全', 5, 4, 3, 10, FALSE, 'grid_worker,assessor,village_admin'),
  (0, LAST_INSERT_ID(), 'AQ-02', '存在生产生活安全隐患', 5, 1, -5, 20, TRUE, 'grid_worker,assessor,village_admin'),
  (0, LAST_INSERT_ID(), 'ZY-01', '参加志愿服务(每次)', 6, 5, 2, 20, FALSE, 'village_admin,resident');
UPDATE rulebooks SET state = 2, published_at_ms = 0 WHERE village_id = 0 AND year = 2024 AND version = 1;

GRANT SELECT, INSERT, UPDATE ON rulebooks TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON rulebooks TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON rule_items TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, DELETE ON rule_items TO '${SERVICE_USER}'@'localhost';
