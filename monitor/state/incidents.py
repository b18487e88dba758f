"""Open operator incidents (a source failing, a login failing, a board's markup changed, tor or
Elasticsearch down), so that each is announced once and recovered once, across restarts."""

from __future__ import annotations

import sqlite3
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    key        TEXT PRIMARY KEY,   -- e.g. 'source_failing:breachlab'
    opened_at  REAL NOT NULL,
    message    TEXT NOT NULL,
    announced  INTEGER NOT NULL DEFAULT 0
);
"""


def open_incident(conn: sqlite3.Connection, key: str, message: str) -> bool:
    """Record an incident; True when it is new (so it should be announced)."""
    cur = conn.execute("INSERT OR IGNORE INTO incidents (key, opened_at, message) VALUES (?,?,?)",
                       (key, time.time(), message))
    return cur.rowcount == 1


def mark_announced(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("UPDATE incidents SET announced = 1 WHERE key = ?", (key,))


def unannounced(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    rows = conn.execute("SELECT key, message FROM incidents WHERE announced = 0 ORDER BY opened_at")
    return [(r[0], r[1]) for r in rows]


def close_incident(conn: sqlite3.Connection, key: str) -> tuple[float, bool] | None:
    """Remove an incident; returns (opened_at, was_announced) or None when none was open."""
    row = conn.execute("SELECT opened_at, announced FROM incidents WHERE key = ?",
                       (key,)).fetchone()
    if row is None:
        return None
    conn.execute("DELETE FROM incidents WHERE key = ?", (key,))
    return float(row[0]), bool(row[1])


def open_keys(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT key FROM incidents")}
