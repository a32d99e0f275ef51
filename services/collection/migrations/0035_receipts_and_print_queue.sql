-- 領収証書 (receipts of the central window) are issued documents of kind 'receipt': found by the window's receipt
-- number. Documents issued one at a time wait for a print wave (batch_id NULL): found by their day.
CREATE INDEX issued_documents_receipt ON issued_documents ((body -> 'document' ->> 'receipt_id'))
    WHERE kind = 'receipt';
CREATE INDEX issued_documents_waiting ON issued_documents (issued_on) WHERE batch_id IS NULL;
