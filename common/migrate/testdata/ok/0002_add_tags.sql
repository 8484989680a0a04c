-- Two statements, a comment between them, and a placeholder.
CREATE TABLE tags (
  item_id BIGINT NOT NULL,

  tag VARCHAR(32) NOT NULL,
  PRIMARY KEY (item_id, tag)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The service user's name lands in the table comment, where the test can see it.
ALTER TABLE tags COMMENT = 'owned by ${SERVICE_USER}';
INSERT INTO items (name) VALUES ('first; not the end of a statement'), ('second');
