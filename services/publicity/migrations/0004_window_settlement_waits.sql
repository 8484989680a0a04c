-- Why a closed window has not settled yet, as scoring last answered (e.g. "WORK_PENDING: 2025Q3
-- has 1 self-declaration(s) awaiting review ..."): the village admin sees what to do before the
-- quarter can become final. '' while nothing holds it; cleared when it settles.
ALTER TABLE publicity_windows
  ADD COLUMN settlement_waiting_for VARCHAR(500) NOT NULL DEFAULT '' AFTER points_credited;
