-- A villager who also works as staff (grid worker, assessor, village cadre) can be linked to their
-- staff account, so that an award they give their own household is flagged for review (issue 7).
ALTER TABLE members
  ADD COLUMN staff_user_id VARCHAR(128) NULL AFTER is_head,
  ADD KEY members_staff (village_id, household_id, staff_user_id);
