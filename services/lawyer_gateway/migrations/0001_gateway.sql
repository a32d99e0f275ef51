-- The lawyer gateway's own database: the firms and their clients (one per lawyer, secrets as scrypt hashes),
-- revoked tokens, the cases each firm holds (a projection of collection.outsourced-cases.v1: never a tax or
-- forced-collection claim, never more personal data than a firm may have), the activities firms record (sent
-- to collection through the outbox), the audit log of every request and the alerts on unusual access.
CREATE TABLE firms (
    firm_code   text PRIMARY KEY,
    name        text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE clients (
    client_id           text PRIMARY KEY,
    firm_code           text NOT NULL REFERENCES firms (firm_code),
    lawyer_id           text NOT NULL,
    display_name        text NOT NULL,
    secret_hash         text NOT NULL,
    active              boolean NOT NULL DEFAULT true,
    tokens_valid_after  timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    rotated_at          timestamptz
);

CREATE TABLE revoked_tokens (
    token_id    text PRIMARY KEY,
    revoked_by  text NOT NULL,
    revoked_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cases (
    case_ref       text PRIMARY KEY,
    firm_code      text NOT NULL,
    status         text NOT NULL CHECK (status IN ('assigned', 'withdrawn')),
    version        bigint NOT NULL,
    as_of          date NOT NULL,
    contact        jsonb,
    claims         jsonb NOT NULL,
    total_balance  bigint NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_of_firm ON cases (firm_code, status, case_ref);

CREATE TABLE activities (
    activity_id  text PRIMARY KEY,
    case_ref     text NOT NULL,
    firm_code    text NOT NULL,
    lawyer_id    text NOT NULL,
    kind         text NOT NULL,
    occurred_on  date NOT NULL,
    note         text NOT NULL,
    amount       bigint,
    promised_on  date,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activities_of_case ON activities (firm_code, case_ref, occurred_on);

CREATE TABLE processed_messages (
    message_id    uuid PRIMARY KEY,
    message_type  text NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now()
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

-- Every request: who (client, firm, lawyer), what (method, path, case), which fields were returned, the result.
CREATE TABLE audit_log (
    audit_id     bigserial PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    client_id    text,
    firm_code    text,
    lawyer_id    text,
    method       text NOT NULL,
    path         text NOT NULL,
    case_ref     text,
    fields       text[] NOT NULL DEFAULT '{}',
    status       integer NOT NULL,
    remote       text
);
CREATE INDEX audit_log_firm ON audit_log (firm_code, occurred_at);
CREATE INDEX audit_log_case ON audit_log (case_ref, occurred_at);
CREATE INDEX audit_log_client ON audit_log (client_id, occurred_at);

CREATE TABLE alerts (
    alert_id    bigserial PRIMARY KEY,
    raised_at   timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL,
    client_id   text,
    firm_code   text,
    lawyer_id   text,
    detail      text NOT NULL
);
