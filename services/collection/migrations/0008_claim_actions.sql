-- The action record (経過記録) of each claim: what staff did, when, by whom and why, each checked against the
-- claim's legal category and history before it is written (services/collection/workflow.py).
CREATE TABLE claim_actions (
    action_id    bigserial PRIMARY KEY,
    department   text NOT NULL,
    claim_id     text NOT NULL,
    kind         text NOT NULL,
    done_on      date NOT NULL,
    outcome      text,
    note         text NOT NULL DEFAULT '',
    basis        text NOT NULL DEFAULT '',
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claim_actions_claim ON claim_actions (department, claim_id, done_on);
CREATE INDEX claim_actions_kind ON claim_actions (kind, done_on);
