-- Merges and splits of debtor identities (decided in matching's review queue). A merge moves every row of
-- one debtor to another and leaves an alias, so a message still carrying the old id lands right; a split moves
-- the named departmental records back and pins them, so a message of theirs carrying the merged id lands right.
CREATE TABLE debtor_aliases (
    from_debtor_id  text PRIMARY KEY,
    into_debtor_id  text NOT NULL,
    merge_id        text NOT NULL
);

CREATE TABLE record_owners (
    department        text NOT NULL,
    source_person_id  text NOT NULL,
    debtor_id         text NOT NULL,
    merge_id          text NOT NULL,
    PRIMARY KEY (department, source_person_id)
);

CREATE TABLE identity_changes (
    change_id        bigserial PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('merged', 'split')),
    merge_id         text NOT NULL,
    from_debtor_id   text NOT NULL,
    into_debtor_id   text NOT NULL,
    records          jsonb NOT NULL,
    applied_at       timestamptz NOT NULL DEFAULT now()
);

-- So that a split can move these back by the departmental record they came from.
ALTER TABLE installment_agreements ADD COLUMN source_person_id text;
ALTER TABLE exemption_applications ADD COLUMN source_person_id text;
ALTER TABLE water_supply_events ADD COLUMN source_person_id text;
