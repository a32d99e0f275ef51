-- Outsourcing to lawyer teams: what each firm was last told about a case (so only changes are published, with a
-- growing version), the firms' recorded activities (contacts, promises, installments, payments, returns), and
-- the transactional outbox the case worker publishes through.
CREATE TABLE case_outsourcing (
    case_id      bigint PRIMARY KEY REFERENCES cases (case_id),
    firm_code    text NOT NULL,
    status       text NOT NULL CHECK (status IN ('assigned', 'withdrawn')),
    version      bigint NOT NULL,
    fingerprint  text NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE case_activities (
    activity_id  text PRIMARY KEY,
    case_id      bigint NOT NULL,
    firm_code    text NOT NULL,
    lawyer_id    text NOT NULL,
    kind         text NOT NULL,
    occurred_on  date NOT NULL,
    note         text NOT NULL,
    amount       bigint,
    promised_on  date,
    schedule     jsonb NOT NULL DEFAULT '[]'::jsonb,
    message_id   uuid NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_activities_case ON case_activities (case_id, occurred_on);

CREATE TABLE outbox (
    outbox_id    bigserial PRIMARY KEY,
    message_id   uuid  NOT NULL UNIQUE,
    topic        text  NOT NULL,
    message_key  bytea,
    value        bytea NOT NULL,
    headers      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
