-- Invitations get a number of their own: the audit trail names an invitation by it, never by its
-- code or the code's hash (the SHA-256 of a 40-bit code is reversed by trying every code, so the
-- hash is as secret as the code). Existing rows are numbered in primary-key order.
ALTER TABLE invitations
  ADD COLUMN invitation_id BIGINT NOT NULL AUTO_INCREMENT AFTER village_id,
  ADD UNIQUE KEY invitations_id (invitation_id);
