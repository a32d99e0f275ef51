-- Merges decided in the review queue, with what moved, so that a merge can be undone (a split) exactly.
CREATE TABLE debtor_merges (
    merge_id        text PRIMARY KEY,
    review_id       bigint NOT NULL REFERENCES review_queue (review_id),
    from_debtor_id  text NOT NULL,
    into_debtor_id  text NOT NULL,
    records         jsonb NOT NULL,        -- [{"department": …, "source_person_id": …}] moved by the merge
    decided_by      text NOT NULL,
    reason          text NOT NULL,
    merged_at       timestamptz NOT NULL DEFAULT now(),
    undone_by       text,
    undone_at       timestamptz,
    undo_reason     text
);
CREATE INDEX debtor_merges_debtors ON debtor_merges (into_debtor_id, from_debtor_id);
