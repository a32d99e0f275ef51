-- Rates are published with two decimals (95.40): the targets staff enter keep them. Idempotent, so it runs in any
-- order with other migrations.
ALTER TABLE report_targets ALTER COLUMN current_rate TYPE numeric(5, 2), ALTER COLUMN overall_rate TYPE numeric(5, 2);
