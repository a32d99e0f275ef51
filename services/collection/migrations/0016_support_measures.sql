-- DV等支援措置 (住民基本台帳事務における支援措置): a person whose address must not reach anyone outside the city.
-- One row per departmental person record, as the register (through a department's message) or staff last said;
-- the debtor is protected while any of its records is. Re-keyed with the other records on merges and splits.
CREATE TABLE support_measures (
    department        text NOT NULL,
    source_person_id  text NOT NULL,
    debtor_id         text NOT NULL,
    active            boolean NOT NULL,
    effective_on      date NOT NULL,
    source            text NOT NULL,          -- 'department:<code>' or 'staff'
    reason            text NOT NULL DEFAULT '',
    recorded_by       text NOT NULL,
    message_id        uuid,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (department, source_person_id)
);
CREATE INDEX support_measures_debtor ON support_measures (debtor_id) WHERE active;
