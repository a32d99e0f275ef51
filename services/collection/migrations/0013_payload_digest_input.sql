-- The SHA-256 of each applied message's payload, so that a known message id arriving with another payload is
-- dead-lettered instead of dropped as a redelivery (issue 21). NULL for messages applied before this column:
-- they are compared with nothing. Independent of every other migration (one column, added if missing).
ALTER TABLE processed_messages ADD COLUMN IF NOT EXISTS payload_sha256 bytea;
