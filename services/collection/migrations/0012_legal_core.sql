-- The law wired into the ledger (issue 19 §1-§4): an action may carry an amount (滞納処分費 incurred; the amount a
-- 不納欠損 wrote off). Idempotent and independent of other 0011 migrations.
ALTER TABLE claim_actions ADD COLUMN IF NOT EXISTS amount bigint NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS claim_actions_claim_kind ON claim_actions (department, claim_id, kind);
