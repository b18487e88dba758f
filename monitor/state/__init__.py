"""The SQLite state store (WAL) in the state dir: thread state, listing versions, the alert
outbox, the Elasticsearch spool, login sessions. It is what makes restarts and outages lose
nothing. `db.connect()` opens it and creates every table; one module per concern holds the
queries (threads.py, listings.py, spool.py, outbox.py, sessions.py)."""
