-- Transactional outbox: the matched messages a batch produces are written in the same transaction as the
-- debtor links they depend on, then relayed to Kafka and deleted. A crash between the commit and the relay
-- leaves them here, and the relay sends them on restart.
CREATE TABLE outbox (
    outbox_id    bigserial PRIMARY KEY,
    message_id   uuid  NOT NULL UNIQUE,   -- one pending copy per message; a redelivery adds nothing
    topic        text  NOT NULL,
    message_key  bytea,
    value        bytea NOT NULL,
    headers      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
