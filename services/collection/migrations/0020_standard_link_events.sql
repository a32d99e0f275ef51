-- Events of the standard data link (services/standard_link_adapter) that had no table yet.
--
-- 還付 and 充当 of an overpayment (PaymentRefunded): the receipt counts only for what was not refunded; a 充当
-- counts on the claim it was applied to (appropriated_to) from refunded_on. The ledger reads both through its
-- payments query (services/collection/store.py), so a refund that arrives before its receipt waits for it.
CREATE TABLE IF NOT EXISTS payment_refunds (
    department        text NOT NULL,
    refund_id         text NOT NULL,
    debtor_id         text NOT NULL,
    source_person_id  text NOT NULL,
    payment_id        text NOT NULL,
    amount            bigint NOT NULL CHECK (amount > 0),
    refunded_on       date NOT NULL,
    appropriated_to   text,
    message_id        uuid NOT NULL UNIQUE,
    PRIMARY KEY (department, refund_id)
);
CREATE INDEX IF NOT EXISTS payment_refunds_payment ON payment_refunds (department, payment_id);
CREATE INDEX IF NOT EXISTS payment_refunds_debtor ON payment_refunds (debtor_id);

-- A department's decisions that change a claim's dates (ClaimDecisionRecorded): 繰上徴収 (the claim falls due on
-- on_date, earlier than its 納期限) and 時効完成 (the department's day the claim's prescription completes). The
-- other decisions (猶予, 執行停止, 不納欠損) are legal actions and go to claim_actions.
CREATE TABLE IF NOT EXISTS claim_department_dates (
    message_id   uuid PRIMARY KEY,
    department   text NOT NULL,
    claim_id     text NOT NULL,
    debtor_id    text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('accelerated_collection', 'prescription_completed')),
    on_date      date NOT NULL,
    decided_on   date NOT NULL,
    ground       text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS claim_department_dates_claim ON claim_department_dates (department, claim_id);
