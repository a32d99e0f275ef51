-- The collection core: who the debtors are (as each department last recorded them), one case per debtor with
-- the assignment of each of its claims and the rule that made it, holds, the central window's lump sums, and
-- the staff who may use the API.

-- A departmental person record as the department last sent it (name, address: for the debtor view and for
-- notices). Personal data: read only through the audited API.
CREATE TABLE departmental_persons (
    department        text NOT NULL,
    source_person_id  text NOT NULL,
    debtor_id         text NOT NULL,
    person            jsonb NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (department, source_person_id)
);
CREATE INDEX departmental_persons_debtor ON departmental_persons (debtor_id);

-- The other people named on a claim, as recorded (連帯保証人, the child a fee is for, 世帯主).
ALTER TABLE claim_related_persons ADD COLUMN person jsonb;

-- Debtors whose case must be recomputed: written in the transaction of the event that changes it (claims,
-- payments, merges, holds), drained by the case worker, so the ledger's consumer never waits for cases.
CREATE TABLE case_refresh_queue (
    debtor_id  text PRIMARY KEY,
    cause      text NOT NULL,
    queued_at  timestamptz NOT NULL DEFAULT now()
);

-- When every debtor's case was last recomputed, for which business date and policy: a new day (delinquency
-- starts the day after a due date) or a new policy version recomputes them all.
CREATE TABLE case_refresh_state (
    singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    business_date    date NOT NULL,
    policy_version   text NOT NULL,
    refreshed_at     timestamptz NOT NULL DEFAULT now()
);

-- One open case per debtor gathers all their delinquent claims across departments (a closed case is history).
CREATE TABLE cases (
    case_id             bigserial PRIMARY KEY,
    debtor_id           text NOT NULL,
    status              text NOT NULL CHECK (status IN ('open', 'closed')),
    opened_on           date NOT NULL,
    closed_on           date,
    as_of               date NOT NULL,          -- business date of the last recomputation
    lead_kind           text,                   -- central_group | lawyer_team
    lead_code           text,
    lead_reason         text,
    policy_version      text,
    delinquent_balance  bigint NOT NULL DEFAULT 0,
    outsourced_balance  bigint NOT NULL DEFAULT 0,
    claim_count         integer NOT NULL DEFAULT 0,
    oldest_due_date     date,
    departments         text[] NOT NULL DEFAULT '{}',
    legal_categories    text[] NOT NULL DEFAULT '{}',
    holder_codes        text[] NOT NULL DEFAULT '{}',
    on_hold             boolean NOT NULL DEFAULT false,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX cases_one_open_per_debtor ON cases (debtor_id) WHERE status = 'open';
CREATE INDEX cases_by_lead ON cases (status, lead_code, delinquent_balance DESC);
CREATE INDEX cases_by_holder ON cases USING gin (holder_codes);

-- Each delinquent claim of an open case, with who holds it and why.
CREATE TABLE case_claims (
    department       text NOT NULL,
    claim_id         text NOT NULL,
    case_id          bigint NOT NULL REFERENCES cases (case_id),
    receivable_type  text NOT NULL,
    legal_category   text NOT NULL,
    fiscal_year      integer NOT NULL,
    due_date         date NOT NULL,
    balance          bigint NOT NULL,
    holder_kind      text NOT NULL,
    holder_code      text NOT NULL,
    rule_id          text NOT NULL,
    reason           text NOT NULL,
    PRIMARY KEY (department, claim_id)
);
CREATE INDEX case_claims_case ON case_claims (case_id);
CREATE INDEX case_claims_holder ON case_claims (holder_code);

-- Every change of who holds a claim, with the rule, the cause (events, merge, split, policy, override, daily)
-- and the actor: the audit trail of assignment.
CREATE TABLE assignment_history (
    history_id      bigserial PRIMARY KEY,
    case_id         bigint NOT NULL,
    department      text NOT NULL,
    claim_id        text NOT NULL,
    from_kind       text,
    from_code       text,
    to_kind         text,                       -- NULL: the claim left the case (paid, cancelled, moved)
    to_code         text,
    rule_id         text,
    reason          text,
    cause           text NOT NULL,
    actor           text NOT NULL,
    policy_version  text,
    changed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assignment_history_case ON assignment_history (case_id, history_id);

-- A supervisor's decision to hand a case to a holder against the policy (the law still applies).
CREATE TABLE case_overrides (
    case_id      bigint PRIMARY KEY REFERENCES cases (case_id),
    holder_kind  text NOT NULL,
    holder_code  text NOT NULL,
    reason       text NOT NULL,
    decided_by   text NOT NULL,
    decided_at   timestamptz NOT NULL DEFAULT now()
);

-- Holds that pause escalation (a welfare referral under way): the case stays central while one is active.
CREATE TABLE collection_holds (
    hold_id     bigserial PRIMARY KEY,
    debtor_id   text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('welfare_referral')),
    reason      text NOT NULL,
    started_by  text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    ended_by    text,
    ended_at    timestamptz
);
CREATE INDEX collection_holds_active ON collection_holds (debtor_id) WHERE ended_at IS NULL;

-- A lump sum paid at the central window, split across departments by the declared policy (allocation.py);
-- each part is also a payment row of its department (payments.channel = 'counter').
CREATE TABLE central_payments (
    central_payment_id  text PRIMARY KEY,
    debtor_id           text NOT NULL,
    amount              bigint NOT NULL CHECK (amount > 0),
    paid_on             date NOT NULL,
    method              text NOT NULL,
    designated          jsonb,
    parts               jsonb NOT NULL,         -- [{"department", "amount", "reason", "payment_id"}]
    overpayment         bigint NOT NULL,
    note                text NOT NULL,
    received_by         text NOT NULL,
    received_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX central_payments_debtor ON central_payments (debtor_id);

-- Staff who may use the central API, with their roles (viewer < collector < supervisor < admin). A token is
-- refused once its account is disabled or when it was issued before tokens_valid_after (sign-out everywhere).
CREATE TABLE staff_accounts (
    staff_id            text PRIMARY KEY,
    display_name        text NOT NULL,
    password_hash       text NOT NULL,
    roles               text[] NOT NULL,
    active              boolean NOT NULL DEFAULT true,
    tokens_valid_after  timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_log_actor ON audit_log (actor, occurred_at);
CREATE INDEX audit_log_time ON audit_log (occurred_at);
