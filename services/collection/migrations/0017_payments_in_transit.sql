-- Payments in transit: a collection agent's 速報 (PaymentReported) arrives the day the payer pays; the money and
-- the 確報 (PaymentReceived with the same payment_id) come days to two weeks later. Until then the claim is not
-- demanded or escalated (services/collection/workflow.py), and the money is not counted.
ALTER TABLE payments ADD COLUMN reported_on date;  -- 報告日: when the city learned of the payment (NULL: not said)

CREATE TABLE payment_reports (
    department        text   NOT NULL,
    payment_id        text   NOT NULL,
    debtor_id         text   NOT NULL,
    source_person_id  text   NOT NULL,
    claim_id          text   NOT NULL,
    amount            bigint NOT NULL CHECK (amount > 0),
    paid_on           date   NOT NULL,
    channel           text   NOT NULL,
    reported_on       date   NOT NULL,
    expected_by       date   NOT NULL,
    message_id        uuid   NOT NULL,
    PRIMARY KEY (department, payment_id)
);
CREATE INDEX payment_reports_debtor ON payment_reports (debtor_id);

-- The 本税 part of a case claim's balance: the 督促 task list names claims whose principal is open (a claim whose
-- principal was paid late keeps its 延滞金 in the case, but no 督促 demands it). NULL until the next refresh.
ALTER TABLE case_claims ADD COLUMN principal_balance bigint;
