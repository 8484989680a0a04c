-- A sign-in starts a session; each refresh token carries it on, and records the access token issued
-- with it, so that a logout (which presents only the access token) can end the whole session: the
-- refresh token still unspent and every access token of the session that may still be alive.
-- Rows from before have no session ('') and are left as they are.
ALTER TABLE refresh_tokens
  ADD COLUMN session_id VARCHAR(64) NOT NULL DEFAULT '' AFTER account_id,
  ADD COLUMN access_token_id VARCHAR(64) NOT NULL DEFAULT '' AFTER session_id,
  ADD KEY refresh_tokens_session (session_id),
  ADD KEY refresh_tokens_access_token (access_token_id);
