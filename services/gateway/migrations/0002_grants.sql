-- The gateway's own database account: only what sign-in needs. Bindings are never updated or
-- deleted by the service (unbinding is an operator's act); nothing is ever deleted.
GRANT SELECT, INSERT, UPDATE ON staff_accounts TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON staff_accounts TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT ON resident_bindings TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT ON resident_bindings TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON invitations TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON invitations TO '${SERVICE_USER}'@'localhost';
GRANT SELECT, INSERT, UPDATE ON refresh_tokens TO '${SERVICE_USER}'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON refresh_tokens TO '${SERVICE_USER}'@'localhost';
