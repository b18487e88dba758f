"""Thread and board state for incremental crawling.

A thread is refetched only when its board row shows a new last-post time or reply count; a
board is paged only down to the threads older than its last read (minus an overlap). Rows are
read once when a crawl starts and written once when it ends (`load` / `save`), so the reactor
never waits on SQLite in between.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from monitor.errors import StateError

SCHEMA = """
CREATE TABLE IF NOT EXISTS crawl_threads (
    source_id      TEXT NOT NULL,
    url            TEXT NOT NULL,
    board          TEXT,
    last_post_at   TEXT,
    replies        INTEGER,
    content_sha256 TEXT,
    first_seen     TEXT NOT NULL,
    last_fetched   TEXT NOT NULL,
    PRIMARY KEY (source_id, url)
);
CREATE TABLE IF NOT EXISTS crawl_boards (
    source_id  TEXT NOT NULL,
    board      TEXT NOT NULL,
    last_read  TEXT NOT NULL,
    PRIMARY KEY (source_id, board)
);
"""


@dataclass(frozen=True, slots=True)
class ThreadState:
    url: str
    board: str | None
    last_post_at: datetime | None
    replies: int | None
    content_sha256: str | None
    first_seen: datetime
    last_fetched: datetime

    def unchanged(self, last_post_at: datetime | None, replies: int | None) -> bool:
        """Whether a board row with these values shows nothing new since this state."""
        return self.last_post_at == last_post_at and self.replies == replies


@dataclass(frozen=True, slots=True)
class SourceState:
    threads: dict[str, ThreadState]
    boards: dict[str, datetime]  # board name -> when it was last read to the end


def load(conn: sqlite3.Connection, source_id: str) -> SourceState:
    """Everything known about a source's threads and boards. Raises StateError."""
    try:
        threads = {
            r["url"]: ThreadState(
                url=r["url"], board=r["board"], last_post_at=_dt(r["last_post_at"]),
                replies=r["replies"], content_sha256=r["content_sha256"],
                first_seen=_dt(r["first_seen"]), last_fetched=_dt(r["last_fetched"]))
            for r in conn.execute("SELECT * FROM crawl_threads WHERE source_id = ?", (source_id,))
        }
        boards = {r["board"]: _dt(r["last_read"]) for r in conn.execute(
            "SELECT board, last_read FROM crawl_boards WHERE source_id = ?", (source_id,))}
    except sqlite3.Error as e:
        raise StateError(f"{source_id}: cannot read thread state: {e}") from e
    return SourceState(threads=threads, boards=boards)  # type: ignore[arg-type]


def save(conn: sqlite3.Connection, source_id: str, threads: list[ThreadState],
         boards_read: dict[str, datetime]) -> None:
    """Record fetched threads and fully read boards in one transaction. Raises StateError."""
    try:
        with conn:
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO crawl_threads (source_id, url, board, last_post_at, replies,"
                " content_sha256, first_seen, last_fetched) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (source_id, url) DO UPDATE SET board = excluded.board,"
                " last_post_at = excluded.last_post_at, replies = excluded.replies,"
                " content_sha256 = excluded.content_sha256, last_fetched = excluded.last_fetched",
                [(source_id, t.url, t.board, _iso(t.last_post_at), t.replies, t.content_sha256,
                  _iso(t.first_seen), _iso(t.last_fetched)) for t in threads])
            conn.executemany(
                "INSERT INTO crawl_boards (source_id, board, last_read) VALUES (?, ?, ?)"
                " ON CONFLICT (source_id, board) DO UPDATE SET last_read = excluded.last_read",
                [(source_id, b, _iso(at)) for b, at in boards_read.items()])
    except sqlite3.Error as e:
        raise StateError(f"{source_id}: cannot write thread state: {e}") from e


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _dt(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None
