-- Probabilistic matching (名寄せ): every departmental person record with its normalised fields, the blocking
-- keys it can be found under (hashed), each decision with its per-field evidence, and the doubtful pairs that
-- wait for a person. The exact key of the first version is replaced by the blocking keys.
CREATE TABLE person_records (
    department        text  NOT NULL,
    source_person_id  text  NOT NULL,
    normalised        jsonb NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (department, source_person_id),
    FOREIGN KEY (department, source_person_id) REFERENCES source_links (department, source_person_id)
);

CREATE TABLE blocking_keys (
    key_hash          bytea NOT NULL,
    department        text  NOT NULL,
    source_person_id  text  NOT NULL,
    PRIMARY KEY (key_hash, department, source_person_id)
);

CREATE TABLE match_decisions (
    decision_id                  bigserial PRIMARY KEY,
    department                   text NOT NULL,
    source_person_id             text NOT NULL,
    debtor_id                    text NOT NULL,
    decision                     text NOT NULL CHECK (decision IN ('link', 'review', 'new')),
    candidate_department         text,
    candidate_source_person_id   text,
    score                        double precision,
    contributions                jsonb,
    model_version                text NOT NULL,
    decided_at                   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX match_decisions_record ON match_decisions (department, source_person_id);

CREATE TABLE review_queue (
    review_id                    bigserial PRIMARY KEY,
    department                   text NOT NULL,
    source_person_id             text NOT NULL,
    candidate_department         text NOT NULL,
    candidate_source_person_id   text NOT NULL,
    score                        double precision NOT NULL,
    contributions                jsonb NOT NULL,
    model_version                text NOT NULL,
    status                       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
    decided_by                   text,
    decided_at                   timestamptz,
    reason                       text,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (department, source_person_id, candidate_department, candidate_source_person_id)
);
CREATE INDEX review_queue_open ON review_queue (status, created_at);

DROP TABLE exact_keys;
