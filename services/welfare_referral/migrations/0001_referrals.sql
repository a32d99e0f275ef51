-- The welfare referral service's own database (services/welfare_referral/README.md).

-- The latest standing of each debtor as collection published it (DebtorStandingChanged), and its hardship score.
CREATE TABLE standings (
    debtor_id       text PRIMARY KEY,
    version         integer NOT NULL,
    as_of           date NOT NULL,
    facts           jsonb NOT NULL,
    arrears         bigint NOT NULL,
    collected       bigint NOT NULL,
    points          integer NOT NULL DEFAULT 0,
    suggest         boolean NOT NULL DEFAULT false,
    signals         text[] NOT NULL DEFAULT '{}',
    reasons         jsonb NOT NULL DEFAULT '[]',
    policy_version  text,
    scored_on       date,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX standings_suggest ON standings (debtor_id) WHERE suggest;

-- A referral (lifecycle.py): its state, consent and outcome, the signals that suggested it, the arrears and
-- collections of the person when it was suggested (the funnel report's "collection results later"), and the
-- details the person agreed to share (personal data: only what the consent's scope allows, cleared on withdrawal).
CREATE TABLE referrals (
    referral_id         text PRIMARY KEY,
    debtor_id           text NOT NULL,
    state               text NOT NULL,
    version             integer NOT NULL DEFAULT 1,
    suggested_on        date NOT NULL,
    origin              text NOT NULL CHECK (origin IN ('signals', 'staff')),
    points              integer NOT NULL,
    signals             text[] NOT NULL,
    reasons             jsonb NOT NULL,
    policy_version      text NOT NULL,
    consent_by          text,
    consent_on          date,
    consent_scope       text[],
    outcome             text,
    shared_details      jsonb,
    baseline_arrears    bigint NOT NULL,
    baseline_collected  bigint NOT NULL,
    closed_on           date,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX referrals_one_open ON referrals (debtor_id) WHERE state <> 'closed';
CREATE INDEX referrals_suggested_on ON referrals (suggested_on);

-- Every applied event, in order: the referral's course and every consent change, for audit.
CREATE TABLE referral_history (
    referral_id  text NOT NULL REFERENCES referrals (referral_id),
    seq          integer NOT NULL,
    kind         text NOT NULL,
    done_on      date NOT NULL,
    done_by      text NOT NULL,
    role         text NOT NULL,
    from_state   text,
    to_state     text NOT NULL,
    reason       text NOT NULL DEFAULT '',
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (referral_id, seq)
);

-- Webhook deliveries to the welfare side's system, tried until delivered or given up (signing.py schedule).
CREATE TABLE deliveries (
    delivery_id      bigserial PRIMARY KEY,
    referral_id      text NOT NULL REFERENCES referrals (referral_id),
    event            text NOT NULL,
    body             bytea NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';

-- 納付相談会: joint sessions with the welfare desk, the debtors invited and who came.
CREATE TABLE consultation_days (
    day_id        bigserial PRIMARY KEY,
    held_on       date NOT NULL,
    venue         text NOT NULL,
    welfare_desk  text NOT NULL,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE invitations (
    day_id       bigint NOT NULL REFERENCES consultation_days (day_id),
    debtor_id    text NOT NULL,
    referral_id  text REFERENCES referrals (referral_id),
    points       integer NOT NULL,
    invited_by   text NOT NULL,
    attended     boolean,
    recorded_by  text,
    PRIMARY KEY (day_id, debtor_id)
);

-- Once-a-day work done (rescoring every standing for a new business date).
CREATE TABLE service_state (
    key    text PRIMARY KEY,
    value  text NOT NULL
);

-- Every read of referral details (personal data) and every change, by whom.
CREATE TABLE audit_log (
    audit_id     bigserial PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    staff_id     text NOT NULL,
    action       text NOT NULL,
    target       text,
    detail       jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE outbox (
    outbox_id    bigserial PRIMARY KEY,
    message_id   uuid  NOT NULL UNIQUE,
    topic        text  NOT NULL,
    message_key  bytea,
    value        bytea NOT NULL,
    headers      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
