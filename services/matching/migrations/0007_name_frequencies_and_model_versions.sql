-- Term frequencies for matching (名寄せ v2): how many person records hold each surname and given name, so that
-- a common name agreeing weighs less than a rare one. Kept current in the transaction that stores the records;
-- hashed like the blocking keys, so the table holds no readable personal data.
CREATE TABLE name_frequencies (
    value_hash  bytea  PRIMARY KEY,
    records     bigint NOT NULL CHECK (records >= 0)
);

-- Fellegi–Sunter model versions: one estimated by EM is stored as proposed and used only once an administrator
-- activates it through the API (at most one active version; none: the packaged model).
CREATE TABLE model_versions (
    version       text PRIMARY KEY,
    model         jsonb NOT NULL,
    report        jsonb NOT NULL DEFAULT '{}'::jsonb,   -- m/u per level, sample size, iterations
    status        text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'active', 'retired')),
    proposed_at   timestamptz NOT NULL DEFAULT now(),
    activated_by  text,
    activated_at  timestamptz
);
CREATE UNIQUE INDEX model_versions_one_active ON model_versions ((status)) WHERE status = 'active';
