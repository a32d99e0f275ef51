-- Events that do not change balances but that collection work needs: installment agreements (分納誓約),
-- exemption applications (減免申請) and the supply status of water contracts (給水停止).
CREATE TABLE installment_agreements (
    department    text   NOT NULL,
    agreement_id  text   NOT NULL,
    debtor_id     text   NOT NULL,
    claim_ids     text[] NOT NULL,
    schedule      jsonb  NOT NULL,       -- [{"due_date": "2024-08-31", "amount": 5000}, …]
    agreed_on     date   NOT NULL,
    message_id    uuid   NOT NULL,
    PRIMARY KEY (department, agreement_id, message_id)
);
CREATE INDEX installment_agreements_debtor ON installment_agreements (debtor_id);

CREATE TABLE exemption_applications (
    department       text NOT NULL,
    application_id   text NOT NULL,
    debtor_id        text NOT NULL,
    receivable_type  text NOT NULL,
    claim_id         text,
    reason           text NOT NULL,
    applied_on       date NOT NULL,
    message_id       uuid NOT NULL,
    PRIMARY KEY (department, application_id)
);
CREATE INDEX exemption_applications_debtor ON exemption_applications (debtor_id);

CREATE TABLE water_supply_events (
    message_id    uuid PRIMARY KEY,
    department    text NOT NULL,
    contract_id   text NOT NULL,
    debtor_id     text NOT NULL,
    status        text NOT NULL,
    effective_on  date NOT NULL
);
CREATE INDEX water_supply_events_debtor ON water_supply_events (debtor_id);

-- Other people named on a claim (連帯保証人, the child a fee is for, 世帯主), as the department recorded them.
CREATE TABLE claim_related_persons (
    department        text NOT NULL,
    claim_id          text NOT NULL,
    role              text NOT NULL,
    source_person_id  text NOT NULL,
    PRIMARY KEY (department, claim_id, role, source_person_id)
);
