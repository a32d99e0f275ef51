-- The person record as the department sent it (the evidence a reviewer compares side by side), and the audit
-- log of every read of personal data and every decision made through the API.
ALTER TABLE person_records ADD COLUMN recorded jsonb;

CREATE TABLE audit_log (
    audit_id     bigserial PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    action       text NOT NULL,
    subject      text NOT NULL,
    detail       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_subject ON audit_log (subject, occurred_at);
