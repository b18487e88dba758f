"""Login sessions and the health of each source's access: the cookies a login earned (kept across
runs so every crawl does not log in again) and the last verdict — ``ok``, ``login_failed``,
``banned``, ``challenge_failed`` — which the daemon reads to alert the operator. A source in
``login_failed`` must never look like a source with no new posts.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.errors import StateError

SCHEMA = """
CREATE TABLE IF NOT EXISTS source_sessions (
    source_id   TEXT PRIMARY KEY,
    cookies     TEXT,
    status      TEXT NOT NULL DEFAULT 'ok',
    detail      TEXT,
    updated_at  TEXT NOT NULL
);
"""

STATUSES = ("ok", "login_failed", "banned", "challenge_failed", "rate_limited")


@dataclass(frozen=True, slots=True)
class SourceSession:
    source_id: str
    cookies: list[dict[str, Any]]
    status: str
    detail: str | None
    updated_at: datetime


def get(conn: sqlite3.Connection, source_id: str) -> SourceSession | None:
    """The stored session of a source, or None. Raises StateError."""
    try:
        r = conn.execute("SELECT * FROM source_sessions WHERE source_id = ?",
                         (source_id,)).fetchone()
    except sqlite3.Error as e:
        raise StateError(f"{source_id}: cannot read session: {e}") from e
    if r is None:
        return None
    return SourceSession(source_id=source_id, cookies=json.loads(r["cookies"] or "[]"),
                         status=r["status"], detail=r["detail"],
                         updated_at=datetime.fromisoformat(r["updated_at"]))


def save_cookies(conn: sqlite3.Connection, source_id: str, cookies: list[dict[str, Any]]) -> None:
    _upsert(conn, source_id, "cookies = excluded.cookies", cookies=json.dumps(cookies),
            status="ok")


def set_status(conn: sqlite3.Connection, source_id: str, status: str,
               detail: str | None = None) -> None:
    """Record a source's access verdict (one of STATUSES). Raises StateError, ValueError."""
    if status not in STATUSES:
        raise ValueError(f"unknown source status {status!r}")
    _upsert(conn, source_id, "status = excluded.status, detail = excluded.detail",
            status=status, detail=detail)


def _upsert(conn: sqlite3.Connection, source_id: str, update: str, *, cookies: str | None = None,
            status: str = "ok", detail: str | None = None) -> None:
    try:
        conn.execute(
            "INSERT INTO source_sessions (source_id, cookies, status, detail, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (source_id) DO UPDATE SET "
            f"{update}, updated_at = excluded.updated_at",
            (source_id, cookies, status, detail, datetime.now(UTC).isoformat()))
    except sqlite3.Error as e:
        raise StateError(f"{source_id}: cannot write session: {e}") from e
