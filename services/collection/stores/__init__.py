"""Where the collection API's SQL lives: one module per area of the API (``services/collection/api/``), each a set of
async functions taking an asyncpg connection and plain arguments and returning rows. The routes map HTTP only
(parsing, authorisation, calling these and the pure domain functions, audit, the response) and pass their
connection, so statements a route runs in one transaction still run in that one transaction. The ledger's own
reads and writes of billing events stay in ``services/collection/store.py``."""
