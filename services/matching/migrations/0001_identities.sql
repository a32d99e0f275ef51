-- Debtor identities and how departmental person records link to them (exact keys only for now).
CREATE TABLE debtors (
    debtor_id   text PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One departmental person record (department + its own person id) belongs to exactly one debtor.
CREATE TABLE source_links (
    department        text NOT NULL,
    source_person_id  text NOT NULL,
    debtor_id         text NOT NULL REFERENCES debtors (debtor_id),
    decided_by        text NOT NULL,      -- 'source_id' | 'exact_key' | 'new_identity'
    linked_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (department, source_person_id)
);
CREATE INDEX source_links_debtor ON source_links (debtor_id);

-- Exact blocking key: normalised name + birth date. A hash, so the table holds no readable personal data.
CREATE TABLE exact_keys (
    key_hash   bytea PRIMARY KEY,
    debtor_id  text NOT NULL REFERENCES debtors (debtor_id)
);
