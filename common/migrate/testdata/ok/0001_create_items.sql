-- Items with a name; the first migration of the test service.
CREATE TABLE items (
  id BIGINT NOT NULL AUTO_INCREMENT,
  name VARCHAR(64) NOT NULL,   -- a trailing comment on a line that is not only a comment
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
