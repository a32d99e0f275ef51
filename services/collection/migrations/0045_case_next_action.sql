-- The recommended next step of each open case (services/collection/next_action.py), stored by the case worker
-- whenever it recomputes the case, so the case list can be sorted by it: the kind, the day it became due and the
-- kind's place in the table of legal actions (the tie-break). NULL: nothing to do (or a closed case).
ALTER TABLE cases
    ADD COLUMN next_action_kind text,
    ADD COLUMN next_action_due  date,
    ADD COLUMN next_action_rank smallint,
    ADD COLUMN next_action_lead text;

CREATE INDEX cases_next_action ON cases (next_action_due, next_action_rank, case_id) WHERE status = 'open';

-- Backfill: every open case is recomputed by the case worker (it drains this queue at start and on every tick).
INSERT INTO case_refresh_queue (debtor_id, cause)
SELECT debtor_id, 'next action stored' FROM cases WHERE status = 'open'
ON CONFLICT (debtor_id) DO NOTHING;
