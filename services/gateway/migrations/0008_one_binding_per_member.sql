-- One WeChat binding per member, and one per WeChat user. A member's new invitation redeemed by
-- another WeChat user (a new phone) releases the member's binding: the row stays, as the history
-- of who signed in as the member, with the time it stopped working and the binding that replaced
-- it. Only active (unreleased) bindings sign in; the unique keys hold over those alone, so a
-- released WeChat user may be bound again by a later invitation.
ALTER TABLE resident_bindings
  ADD COLUMN released_at_ms BIGINT NULL AFTER member_id,
  ADD COLUMN replaced_by_binding BIGINT NULL AFTER released_at_ms;

-- Before this migration a second invitation for a bound member made a second active binding. The
-- newest binding is the village admin's latest invitation, so it stays; the older ones are
-- released in its favour. (Their refresh tokens then refresh nothing: only active bindings do.)
UPDATE resident_bindings AS b
  JOIN (SELECT member_id, MAX(binding_id) AS newest FROM resident_bindings
        GROUP BY member_id HAVING COUNT(*) > 1) AS d
    ON b.member_id = d.member_id AND b.binding_id < d.newest
  SET b.released_at_ms = UNIX_TIMESTAMP(CURRENT_TIMESTAMP(3)) * 1000,
      b.replaced_by_binding = d.newest;

-- `active` is 1 for an active binding and NULL for a released one, so the unique keys hold over
-- active bindings only (NULLs never collide). An integer of released_at_ms alone, since MariaDB
-- keeps expressions on CHAR columns out of indexed generated columns.
ALTER TABLE resident_bindings
  ADD COLUMN active TINYINT AS (IF(released_at_ms IS NULL, 1, NULL)) PERSISTENT
    AFTER replaced_by_binding,
  DROP KEY resident_bindings_openid,
  ADD UNIQUE KEY resident_bindings_active_openid (openid_hash, active),
  ADD UNIQUE KEY resident_bindings_active_member (member_id, active);

-- The gateway releases a binding, audited, and changes nothing else of it: the grant names the
-- two columns of a release only.
GRANT UPDATE (released_at_ms, replaced_by_binding) ON resident_bindings
  TO '${SERVICE_USER}'@'127.0.0.1';
GRANT UPDATE (released_at_ms, replaced_by_binding) ON resident_bindings
  TO '${SERVICE_USER}'@'localhost';
