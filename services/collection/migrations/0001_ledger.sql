-- The claim ledger, kept as the events that happened. Each event kind has its own table keyed by its source
-- key, so events that arrive out of order (a payment before its claim, an adjustment before its assessment,
-- a reversal before its payment) are stored as they come and meet at read time: nothing is dropped.

-- Idempotent consumption: a message id is recorded in the same transaction as its effect.
CREATE TABLE processed_messages (
    message_id    uuid PRIMARY KEY,
    message_type  text NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE claims (
    department        text    NOT NULL,
    claim_id          text    NOT NULL,
    debtor_id         text    NOT NULL,
    source_person_id  text    NOT NULL,
    receivable_type   text    NOT NULL,
    legal_category    text    NOT NULL,
    fiscal_year       integer NOT NULL,
    installment       integer NOT NULL,
    due_date          date    NOT NULL,
    amount            bigint  NOT NULL CHECK (amount > 0),
    assessed_on       date    NOT NULL,
    message_id        uuid    NOT NULL,
    PRIMARY KEY (department, claim_id)
);
CREATE INDEX claims_debtor ON claims (debtor_id);
CREATE INDEX claims_source_person ON claims (department, source_person_id);

CREATE TABLE claim_adjustments (
    message_id    uuid    PRIMARY KEY,
    department    text    NOT NULL,
    claim_id      text    NOT NULL,
    debtor_id     text    NOT NULL,
    amount_delta  bigint  NOT NULL CHECK (amount_delta <> 0),
    reason        text    NOT NULL,
    adjusted_on   date    NOT NULL
);
CREATE INDEX claim_adjustments_debtor ON claim_adjustments (debtor_id);

CREATE TABLE claim_cancellations (
    department    text NOT NULL,
    claim_id      text NOT NULL,
    debtor_id     text NOT NULL,
    reason        text NOT NULL,
    cancelled_on  date NOT NULL,
    message_id    uuid NOT NULL,
    PRIMARY KEY (department, claim_id)
);
CREATE INDEX claim_cancellations_debtor ON claim_cancellations (debtor_id);

CREATE TABLE payments (
    department  text   NOT NULL,
    payment_id  text   NOT NULL,
    debtor_id   text   NOT NULL,
    source_person_id  text NOT NULL,
    claim_id    text,                      -- NULL: the payer did not name a claim; allocated by policy
    amount      bigint NOT NULL CHECK (amount > 0),
    paid_on     date   NOT NULL,
    channel     text   NOT NULL,
    message_id  uuid   NOT NULL,
    PRIMARY KEY (department, payment_id)
);
CREATE INDEX payments_debtor ON payments (debtor_id);
CREATE INDEX payments_source_person ON payments (department, source_person_id);

CREATE TABLE payment_reversals (
    department   text NOT NULL,
    payment_id   text NOT NULL,
    debtor_id    text NOT NULL,
    reason       text NOT NULL,
    reversed_on  date NOT NULL,
    message_id   uuid NOT NULL,
    PRIMARY KEY (department, payment_id)
);
CREATE INDEX payment_reversals_debtor ON payment_reversals (debtor_id);

-- Every read of personal data through the API, and every change (who, what, when).
CREATE TABLE audit_log (
    audit_id     bigserial PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    action       text NOT NULL,
    subject      text NOT NULL,
    detail       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_subject ON audit_log (subject, occurred_at);
