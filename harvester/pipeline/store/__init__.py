"""The store: engine and sessions, idempotent upserts, report loading, the run log and
watermarks, account state, and the schema migrations."""
