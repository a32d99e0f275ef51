-- Feeds back to the departments: what the central division did on a department's claims (central-window
-- payments, 督促 and 催告 it sent, 分納誓約, 執行停止, 不納欠損), each gathered once from collection's own records
-- (source_ref is unique), published once through the outbox on the department's topic, and kept until the
-- department acknowledges it (POST /feeds/{department}/receipts).
CREATE TABLE department_feed (
    feed_id           bigserial PRIMARY KEY,
    source_ref        text NOT NULL UNIQUE,       -- 'action:<action_id>' or 'payment:<department>:<payment_id>'
    department        text NOT NULL,
    kind              text NOT NULL,
    source_person_id  text NOT NULL,
    claim_id          text,
    receivable_type   text,
    fiscal_year       integer,
    installment       integer,
    occurred_on       date NOT NULL,
    amount            bigint,
    reference         text NOT NULL,
    ground            text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    acknowledged_at   timestamptz,
    acknowledged_by   text
);
CREATE INDEX department_feed_pending ON department_feed (department, feed_id) WHERE acknowledged_at IS NULL;
