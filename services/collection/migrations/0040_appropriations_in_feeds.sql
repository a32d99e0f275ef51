-- 充当 and 還付 as decided when the money was taken (services/collection/appropriations.py): the central window
-- stores, in the transaction that records a lump sum, which claims each departmental part settled and with how
-- much of each component, and what of it is due back. The feeds back to the departments read these rows (kinds
-- appropriation and refund), so what a department learns does not change when later money arrives.
CREATE TABLE payment_appropriations (
    payment_department  text NOT NULL,
    payment_id          text NOT NULL,
    department          text NOT NULL,     -- owns the claim: the feed goes there
    claim_id            text NOT NULL,
    central_payment_id  text,
    appropriated_on     date NOT NULL,
    principal           bigint NOT NULL DEFAULT 0 CHECK (principal >= 0),
    demand_fee          bigint NOT NULL DEFAULT 0 CHECK (demand_fee >= 0),
    late_charge         bigint NOT NULL DEFAULT 0 CHECK (late_charge >= 0),
    disposition_cost    bigint NOT NULL DEFAULT 0 CHECK (disposition_cost >= 0),
    decided_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (payment_department, payment_id, department, claim_id)
);
CREATE INDEX payment_appropriations_claim ON payment_appropriations (department, claim_id);

CREATE TABLE payment_refunds_due (
    department          text NOT NULL,
    payment_id          text NOT NULL,
    claim_id            text,
    central_payment_id  text,
    amount              bigint NOT NULL CHECK (amount > 0),
    reason              text NOT NULL,     -- excess, after_extinction
    decided_on          date NOT NULL,
    decided_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (department, payment_id)
);

-- The feed items of kind appropriation carry the parts; a refund its amount.
ALTER TABLE department_feed
    ADD COLUMN principal bigint,
    ADD COLUMN demand_fee bigint,
    ADD COLUMN late_charge bigint,
    ADD COLUMN disposition_cost bigint;
