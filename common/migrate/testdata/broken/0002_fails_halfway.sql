-- The first statement works; the second has a syntax error. MariaDB DDL is not transactional, so
-- the first stays applied and the runner must say so.
CREATE TABLE half (id INT PRIMARY KEY) ENGINE=InnoDB;

CREATE TABLE broken (id INT PRIMARY KEY,,) ENGINE=InnoDB;
CREATE TABLE never_reached (id INT PRIMARY KEY) ENGINE=InnoDB;
