-- Central installment plans (分納計画, services/collection/plans.py): a plan a collector agreed with a debtor over
-- claims of one or more departments, its schedule (each instalment with what it settles) and its pledge document.
-- Each department's share is also an installment_agreements row (agreement_id 'central-<plan_id>'), so missed
-- instalments are detected exactly as for the departments' own plans; a cancelled plan is no longer watched.
CREATE TABLE central_plans (
    plan_id          bigserial PRIMARY KEY,
    debtor_id        text NOT NULL,              -- as agreed; reads follow the agreements' rows through merges
    claim_keys       text[] NOT NULL,            -- department:claim_id
    total            bigint NOT NULL CHECK (total > 0),
    terms            jsonb NOT NULL,             -- count or amount, first_due, day_of_month
    schedule         jsonb NOT NULL,             -- [{"number", "due_date", "amount", "parts": [...]}, …]
    agreed_on        date NOT NULL,
    agreed_by        text NOT NULL,
    document_number  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    cancelled_on     date,
    cancelled_by     text,
    cancel_reason    text
);
CREATE INDEX central_plans_debtor ON central_plans (debtor_id);

ALTER TABLE installment_agreements ADD COLUMN central_plan_id bigint REFERENCES central_plans (plan_id);
ALTER TABLE installment_agreements ADD COLUMN cancelled_on date;
CREATE INDEX installment_agreements_central_plan ON installment_agreements (central_plan_id)
    WHERE central_plan_id IS NOT NULL;
