-- Every read is audited with the ids it returned (shared/audit.py's rule): the case refs a firm's case list
-- returned, the audit and alert rows a supervisor read; and which staff member made an admin request (firm
-- requests are named by client, firm and lawyer already). Only adds columns, so it applies in any order with
-- other 0002 migrations.
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS staff_id text;
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS returned_ids text[] NOT NULL DEFAULT '{}';
