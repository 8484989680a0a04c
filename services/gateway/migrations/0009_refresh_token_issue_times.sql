-- When each refresh token was issued (at a sign-in or a refresh), so that a village's staff can see
-- when a WeChat binding was last used (GET /v1/auth/wechat-bindings: is the lost phone still in
-- use?). The time rides on the insert each sign-in and refresh already makes; tokens from before
-- have none (NULL). The subject's key takes the time last, so a binding's latest is one index read.
ALTER TABLE refresh_tokens
  ADD COLUMN issued_at_ms BIGINT NULL AFTER access_token_id,
  DROP KEY refresh_tokens_subject,
  ADD KEY refresh_tokens_subject (subject_kind, account_id, issued_at_ms);
