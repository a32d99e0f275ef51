-- The transactional outbox of a service (shared/outbox.py), created by the service runtime at start in the
-- service's own database (shared/runtime.py). The four services that existed before the runtime created the same
-- table in one of their own migrations; IF NOT EXISTS leaves theirs as it is.
CREATE TABLE IF NOT EXISTS outbox (
    outbox_id    bigserial PRIMARY KEY,
    message_id   uuid  NOT NULL UNIQUE,   -- one pending copy per message; a redelivery adds nothing
    topic        text  NOT NULL,
    message_key  bytea,
    value        bytea NOT NULL,
    headers      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
