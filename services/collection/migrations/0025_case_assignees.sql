-- The officer (担当者) who works an open case within its group (services/collection/staff_assignment.py says who may
-- assign whom), and every change of it: who gave the case to whom, or took it back, when and why. A closed case
-- keeps its last 担当者 as history; the lists read open cases only.
CREATE TABLE case_assignees (
    case_id      bigint PRIMARY KEY REFERENCES cases (case_id),
    staff_id     text NOT NULL REFERENCES staff_accounts (staff_id),
    assigned_by  text NOT NULL,
    note         text NOT NULL DEFAULT '',
    assigned_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_assignees_staff ON case_assignees (staff_id);

CREATE TABLE case_assignee_history (
    history_id     bigserial PRIMARY KEY,
    case_id        bigint NOT NULL REFERENCES cases (case_id),
    from_staff_id  text,                 -- NULL: the case had no 担当者
    to_staff_id    text,                 -- NULL: taken back
    changed_by     text NOT NULL,
    note           text NOT NULL DEFAULT '',
    changed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_assignee_history_case ON case_assignee_history (case_id, history_id);
