"""The alert outbox: alerts are written here in the same SQLite transaction as the listing's
state, then sent. A row goes pending -> sending -> sent | failed; `sending` rows left by a crash
are pending again at the next start (so an alert is sent at least once, and once unless the
process dies between Slack's answer and the `sent` write).

Also kept here: the last alerted version of each (rule, listing), the baseline for "what
changed", and which listings each seller has had, for "seen N times before".

Functions take the connection and never commit or begin: the caller owns the transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_outbox (
    id              TEXT PRIMARY KEY,       -- <rule id>:<listing id>:<listing version>
    rule_id         TEXT NOT NULL,
    listing_id      TEXT NOT NULL,
    listing_version INTEGER NOT NULL,
    kind            TEXT NOT NULL,          -- new | update
    status          TEXT NOT NULL DEFAULT 'pending',  -- pending | sending | sent | failed
    alert_json      TEXT NOT NULL,
    payload_json    TEXT NOT NULL,          -- the Slack message, rendered when enqueued
    attempts        INTEGER NOT NULL DEFAULT 0,
    http_status     INTEGER,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    indexed         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS alert_outbox_status ON alert_outbox (status, created_at);
CREATE TABLE IF NOT EXISTS alert_last (
    rule_id     TEXT NOT NULL,
    listing_id  TEXT NOT NULL,
    alert_id    TEXT NOT NULL,
    listing_doc TEXT NOT NULL,              -- the listing as last alerted (Listing.to_doc())
    PRIMARY KEY (rule_id, listing_id)
);
CREATE TABLE IF NOT EXISTS seller_listings (
    seller_key TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (seller_key, listing_id)
);
"""

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: str
    rule_id: str
    listing_id: str
    listing_version: int
    kind: str
    status: str
    alert: dict[str, Any]
    payload: dict[str, Any]
    attempts: int
    http_status: int | None
    last_error: str | None
    created_at: str
    sent_at: str | None
    indexed: bool

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> OutboxRow:
        return cls(id=row["id"], rule_id=row["rule_id"], listing_id=row["listing_id"],
                   listing_version=row["listing_version"], kind=row["kind"],
                   status=row["status"], alert=json.loads(row["alert_json"]),
                   payload=json.loads(row["payload_json"]), attempts=row["attempts"],
                   http_status=row["http_status"], last_error=row["last_error"],
                   created_at=row["created_at"], sent_at=row["sent_at"],
                   indexed=bool(row["indexed"]))


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def add(conn: sqlite3.Connection, *, alert_id: str, rule_id: str, listing_id: str,
        listing_version: int, kind: str, alert: dict[str, Any], payload: dict[str, Any],
        listing_doc: dict[str, Any]) -> bool:
    """Queue an alert and record it as the (rule, listing)'s last; False when that alert id is
    already queued (the same listing version seen twice)."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO alert_outbox (id, rule_id, listing_id, listing_version, kind,"
        " alert_json, payload_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (alert_id, rule_id, listing_id, listing_version, kind,
         json.dumps(alert, ensure_ascii=False), json.dumps(payload, ensure_ascii=False),
         now_iso()))
    if cur.rowcount == 0:
        return False
    conn.execute(
        "INSERT INTO alert_last (rule_id, listing_id, alert_id, listing_doc) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (rule_id, listing_id) DO UPDATE SET alert_id = excluded.alert_id,"
        " listing_doc = excluded.listing_doc",
        (rule_id, listing_id, alert_id, json.dumps(listing_doc, ensure_ascii=False)))
    return True


def last_alerted(conn: sqlite3.Connection, rule_id: str, listing_id: str
                 ) -> dict[str, Any] | None:
    """The listing document the last alert of (rule, listing) was about, or None."""
    row = conn.execute("SELECT listing_doc FROM alert_last WHERE rule_id = ? AND listing_id = ?",
                       (rule_id, listing_id)).fetchone()
    return json.loads(row["listing_doc"]) if row else None


def note_seller(conn: sqlite3.Connection, seller_key: str, listing_id: str) -> int:
    """Record that the seller has this listing; returns how many *other* listings of theirs
    were seen before it."""
    conn.execute("INSERT OR IGNORE INTO seller_listings (seller_key, listing_id, first_seen)"
                  " VALUES (?, ?, ?)", (seller_key, listing_id, now_iso()))
    row = conn.execute(
        "SELECT COUNT(*) FROM seller_listings WHERE seller_key = ? AND listing_id != ? AND"
        " first_seen <= (SELECT first_seen FROM seller_listings WHERE seller_key = ?"
        " AND listing_id = ?)", (seller_key, listing_id, seller_key, listing_id)).fetchone()
    return int(row[0])


def claim(conn: sqlite3.Connection, limit: int = 100) -> list[OutboxRow]:
    """Mark up to `limit` pending alerts as sending and return them, oldest first."""
    rows = conn.execute("SELECT * FROM alert_outbox WHERE status = ? ORDER BY created_at, id"
                        " LIMIT ?", (PENDING, limit)).fetchall()
    claimed = []
    for row in rows:
        cur = conn.execute("UPDATE alert_outbox SET status = ? WHERE id = ? AND status = ?",
                           (SENDING, row["id"], PENDING))
        if cur.rowcount:
            claimed.append(OutboxRow.from_row(row))
    return claimed


def release(conn: sqlite3.Connection, alert_ids: list[str]) -> None:
    """Claimed alerts that were not tried go back to pending."""
    conn.executemany("UPDATE alert_outbox SET status = ? WHERE id = ? AND status = ?",
                     [(PENDING, i, SENDING) for i in alert_ids])


def finish(conn: sqlite3.Connection, alert_id: str, *, status: str, attempts: int,
           http_status: int | None = None, error: str | None = None) -> None:
    """Record the outcome of a send: SENT, FAILED (permanent) or PENDING (try again later)."""
    conn.execute(
        "UPDATE alert_outbox SET status = ?, attempts = attempts + ?, http_status = ?,"
        " last_error = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
        (status, attempts, http_status, error, status, now_iso(), alert_id))


def mark_indexed(conn: sqlite3.Connection, alert_id: str) -> None:
    conn.execute("UPDATE alert_outbox SET indexed = 1 WHERE id = ?", (alert_id,))


def unindexed(conn: sqlite3.Connection, limit: int = 500) -> list[OutboxRow]:
    """Sent or failed alerts not yet in the `alerts` index (Elasticsearch was down)."""
    rows = conn.execute("SELECT * FROM alert_outbox WHERE indexed = 0 AND status IN (?, ?)"
                        " ORDER BY created_at LIMIT ?", (SENT, FAILED, limit)).fetchall()
    return [OutboxRow.from_row(r) for r in rows]


def depth(conn: sqlite3.Connection) -> int:
    """Alerts waiting to be sent (pending or being sent)."""
    return int(conn.execute("SELECT COUNT(*) FROM alert_outbox WHERE status IN (?, ?)",
                            (PENDING, SENDING)).fetchone()[0])


def recover(conn: sqlite3.Connection) -> int:
    """At start: alerts a crash left in `sending` go back to pending. Returns how many."""
    return conn.execute("UPDATE alert_outbox SET status = ? WHERE status = ?",
                        (PENDING, SENDING)).rowcount


def requeue_failed(conn: sqlite3.Connection, since: str, rule_id: str | None = None) -> int:
    """Failed alerts created at or after `since` (ISO time) become pending again."""
    sql = "UPDATE alert_outbox SET status = ?, indexed = 0 WHERE status = ? AND created_at >= ?"
    args: list[Any] = [PENDING, FAILED, since]
    if rule_id:
        sql += " AND rule_id = ?"
        args.append(rule_id)
    return conn.execute(sql, args).rowcount


def rows(conn: sqlite3.Connection, status: str | None = None) -> list[OutboxRow]:
    """Every alert (or those with `status`), oldest first: for tests and the CLI."""
    if status is None:
        found = conn.execute("SELECT * FROM alert_outbox ORDER BY created_at, id").fetchall()
    else:
        found = conn.execute("SELECT * FROM alert_outbox WHERE status = ? ORDER BY created_at,"
                             " id", (status,)).fetchall()
    return [OutboxRow.from_row(r) for r in found]
