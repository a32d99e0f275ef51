-- Every document collection issued (services/collection/api/documents.py): its number (the serial of its fiscal
-- year, re-issues counted), what it was for, who issued it, and the document's data exactly as rendered, so the
-- very same PDF can be produced again (rendering is deterministic; the hash proves it).
CREATE TABLE issued_documents (
    document_number  text PRIMARY KEY,
    fiscal_year      integer NOT NULL,
    serial           integer NOT NULL,
    reissue          integer NOT NULL DEFAULT 0,
    reissue_of       text REFERENCES issued_documents (document_number),
    kind             text NOT NULL,
    debtor_id        text NOT NULL,
    claim_keys       text[] NOT NULL,
    batch_id         bigint,
    issued_on        date NOT NULL,
    issued_by        text NOT NULL,
    issued_at        timestamptz NOT NULL DEFAULT now(),
    body             jsonb NOT NULL,
    sha256           text NOT NULL,
    pages            integer NOT NULL,
    UNIQUE (fiscal_year, serial, reissue)
);
CREATE INDEX issued_documents_debtor ON issued_documents (debtor_id, issued_on);
CREATE INDEX issued_documents_batch ON issued_documents (batch_id) WHERE batch_id IS NOT NULL;

-- The serial of each fiscal year's documents (文書番号 6債管第123号): taken under a row lock, never reused.
CREATE TABLE document_serials (
    fiscal_year  integer PRIMARY KEY,
    last_serial  integer NOT NULL
);

-- A wave of notices issued together (one combined PDF for the print shop).
CREATE TABLE document_batches (
    batch_id    bigserial PRIMARY KEY,
    kind        text NOT NULL,
    selection   text NOT NULL,
    issued_on   date NOT NULL,
    issued_by   text NOT NULL,
    documents   integer NOT NULL,
    pages       integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
