-- Reconciliation with the departments (services/collection/reconciliation.py): each statement a department sent
-- (its balances per claim as of a day), and the differences found against the central ledger with their cause.
CREATE TABLE reconciliation_runs (
    run_id          bigserial PRIMARY KEY,
    department      text NOT NULL,
    as_of           date NOT NULL,
    submitted_by    text NOT NULL,
    claims_stated   integer NOT NULL,
    claims_compared integer NOT NULL,
    by_cause        jsonb NOT NULL,
    rejected        integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconciliation_runs_department ON reconciliation_runs (department, run_id DESC);

CREATE TABLE reconciliation_differences (
    run_id              bigint NOT NULL REFERENCES reconciliation_runs (run_id),
    claim_id            text NOT NULL,
    source_person_id    text NOT NULL,
    department_balance  bigint,
    central_balance     bigint,
    cause               text NOT NULL,
    PRIMARY KEY (run_id, claim_id)
);
