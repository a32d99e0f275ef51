-- Targets per fiscal year, department and receivable (Nagoya's outstanding-balance target, Hatsukaichi's
-- collection-rate targets), entered by supervisors and compared with actuals in the management reports.
CREATE TABLE report_targets (
    fiscal_year       integer NOT NULL,
    department        text    NOT NULL,
    receivable_type   text    NOT NULL,
    outstanding       bigint,            -- 収入未済額 target for the fiscal year's end, yen
    current_rate      numeric(5, 1),     -- 現年度分 collection rate target, percent
    overall_rate      numeric(5, 1),     -- 全体 collection rate target, percent
    set_by            text    NOT NULL,
    set_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (fiscal_year, department, receivable_type)
);
