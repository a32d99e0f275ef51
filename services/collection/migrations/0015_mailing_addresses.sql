-- 送付先: where the central division's letters to a debtor go, chosen by staff (one of the addresses the
-- departments recorded, or one the debtor gave). Without it, a notice goes to the address the claim's department
-- last sent; with it, every notice to the debtor goes here, so two letters of one day never go to two addresses.
CREATE TABLE mailing_addresses (
    debtor_id    text PRIMARY KEY,
    name         text NOT NULL,
    postal_code  text NOT NULL,
    address      text NOT NULL,
    source       text NOT NULL,          -- 'department:<code>' (copied from that department's record) or 'staff'
    reason       text NOT NULL,
    set_by       text NOT NULL,
    set_at       timestamptz NOT NULL DEFAULT now()
);
