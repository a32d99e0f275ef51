-- People named on another person's claim (連帯保証人, the child a fee is for, 世帯員): relations between
-- identities, never an identity of their own with the debtor.
CREATE TABLE relations (
    debtor_id          text NOT NULL,
    related_debtor_id  text NOT NULL,
    role               text NOT NULL,
    department         text NOT NULL,
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (debtor_id, related_debtor_id, role)
);
CREATE INDEX relations_related ON relations (related_debtor_id);
