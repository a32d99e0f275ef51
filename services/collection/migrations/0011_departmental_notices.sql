-- Departments' own 督促 and 催告 (ClaimNoticeSent) land in the same 経過記録 as the central office's actions, so the
-- 督促 task list, next action and 時効 see them. message_id ties such a row to the message that brought it (NULL
-- for an action staff recorded). Written to run in any order with other migrations (IF NOT EXISTS).
ALTER TABLE claim_actions ADD COLUMN IF NOT EXISTS message_id uuid;
CREATE UNIQUE INDEX IF NOT EXISTS claim_actions_message ON claim_actions (message_id) WHERE message_id IS NOT NULL;
