-- Each missed installment found (services/collection/installments.py), so that it is announced once.
CREATE TABLE installment_misses (
    department    text NOT NULL,
    agreement_id  text NOT NULL,
    due_date      date NOT NULL,
    debtor_id     text NOT NULL,
    shortfall     bigint NOT NULL,
    found_on      date NOT NULL,
    PRIMARY KEY (department, agreement_id, due_date)
);
CREATE INDEX installment_misses_debtor ON installment_misses (debtor_id);
