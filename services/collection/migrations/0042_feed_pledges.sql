-- A 分納誓約 the centre took (a central installment plan's pledge) goes back with the claim's own figures: what of
-- the plan settles this claim, by component (principal, demand_fee, late_charge, disposition_cost: the columns of
-- 0040), in how many instalments and from which first due date, so the standard layout 2026.04 (31 分納誓約: 本税,
-- 分納回数, 納期限) can carry it.
ALTER TABLE department_feed
    ADD COLUMN instalments integer,
    ADD COLUMN first_due_on date;
