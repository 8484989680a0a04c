-- User names are one regardless of case: "QA-C-ASSESSOR1" is taken once "qa-c-assessor1" exists,
-- and signs in as it. The name keeps the case it was made with (shown in lists and on the audit
-- trail); `username_key`, its lower case as MariaDB's LOWER() makes it, is what is unique and what
-- sign-in looks up (storage/mysql_account_store.cc: username_key = LOWER(?)), so the database is
-- the one place that decides which names are the same.
--
-- Names that differ only in case made before this migration would stop it at the unique key. Such
-- names are renamed first: the oldest account (lowest id) keeps its name, each younger one gets
-- "~<account_id>" appended (within the 64 characters), so that no account is lost; operators see
-- them with `jifen-admin list` and tell their holders. (The demo and test data have none.)
UPDATE staff_accounts AS s
  JOIN (SELECT LOWER(username) AS name_key, MIN(account_id) AS keeper FROM staff_accounts
        GROUP BY LOWER(username) HAVING COUNT(*) > 1) AS d
    ON LOWER(s.username) = d.name_key AND s.account_id <> d.keeper
  SET s.username = CONCAT(LEFT(s.username, 64 - 1 - CHAR_LENGTH(s.account_id)), '~', s.account_id);

ALTER TABLE staff_accounts
  ADD COLUMN username_key VARCHAR(64) AS (LOWER(username)) PERSISTENT AFTER username,
  DROP KEY staff_accounts_username,
  ADD UNIQUE KEY staff_accounts_username_key (username_key);
