"""The Elasticsearch spool: bulk actions waiting to be indexed, in the order they were made.

Every action is written here in the same SQLite transaction as the listing state that caused
it (see monitor.state.listings), and removed once Elasticsearch has taken it. So while
Elasticsearch is down, answers 5xx or 429, or the process is killed, nothing is lost: the rows
wait, and the indexer replays them oldest first when Elasticsearch answers again, starting
with whatever an earlier run left. Depth and age say how far behind the index is.

Functions take the connection and never begin or commit: the caller owns the transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS es_spool (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,  -- replay order
    enqueued_at TEXT NOT NULL,
    doc_id      TEXT NOT NULL,
    op_json     TEXT NOT NULL,      -- the bulk action line: {"index": {"_index": ..., ...}}
    source_json TEXT NOT NULL,      -- the document line
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
"""


@dataclass(frozen=True, slots=True)
class SpoolItem:
    """One bulk action, serialised once: it goes to Elasticsearch as these two lines."""

    doc_id: str
    op: str  # {"index": {"_index": ..., "_id": ..., "version": ...}}
    source: str  # the document

    @classmethod
    def from_action(cls, action: dict[str, Any]) -> SpoolItem:
        """From an `elasticsearch.helpers`-style action: `_op_type`, `_index`, `_id`, optional
        `version` / `version_type`, `_source`."""
        meta = {k: action[k] for k in ("_index", "_id") if k in action}
        meta.update({k: action[k] for k in ("version", "version_type") if k in action})
        return cls(doc_id=str(action["_id"]), op=dumps({action["_op_type"]: meta}),
                   source=dumps(action["_source"]))


@dataclass(frozen=True, slots=True)
class SpoolRow:
    seq: int
    item: SpoolItem
    attempts: int

    @property
    def op(self) -> dict[str, Any]:
        """The parsed action line (for messages; sending uses the text)."""
        return json.loads(self.item.op)


@dataclass(frozen=True, slots=True)
class SpoolDepth:
    rows: int
    oldest: datetime | None  # when the oldest waiting action was made

    def age_s(self, now: datetime) -> float:
        return (now - self.oldest).total_seconds() if self.oldest else 0.0


def enqueue(conn: sqlite3.Connection, items: Iterable[SpoolItem], now: datetime) -> int:
    """Append bulk actions; returns how many."""
    stamp = now.isoformat()
    rows = [(stamp, i.doc_id, i.op, i.source) for i in items]
    conn.executemany("INSERT INTO es_spool (enqueued_at, doc_id, op_json, source_json) "
                     "VALUES (?, ?, ?, ?)", rows)
    return len(rows)


def peek(conn: sqlite3.Connection, limit: int, *, max_bytes: int | None = None) -> list[SpoolRow]:
    """The oldest `limit` actions (fewer when their JSON passes `max_bytes`; at least one)."""
    out: list[SpoolRow] = []
    size = 0
    for row in conn.execute("SELECT seq, doc_id, op_json, source_json, attempts FROM es_spool "
                            "ORDER BY seq LIMIT ?", (limit,)):
        size += len(row["op_json"]) + len(row["source_json"])
        if out and max_bytes is not None and size > max_bytes:
            break
        item = SpoolItem(row["doc_id"], row["op_json"], row["source_json"])
        out.append(SpoolRow(row["seq"], item, row["attempts"]))
    return out


def remove(conn: sqlite3.Connection, seqs: Sequence[int]) -> None:
    conn.executemany("DELETE FROM es_spool WHERE seq = ?", [(s,) for s in seqs])


def note_failure(conn: sqlite3.Connection, seqs: Sequence[int], error: str) -> None:
    """Count a failed attempt on rows that stay in the spool."""
    conn.executemany("UPDATE es_spool SET attempts = attempts + 1, last_error = ? WHERE seq = ?",
                     [(error[:500], s) for s in seqs])


def depth(conn: sqlite3.Connection) -> SpoolDepth:
    row = conn.execute("SELECT count(*) AS n, min(enqueued_at) AS oldest FROM es_spool"
                       ).fetchone()
    oldest = datetime.fromisoformat(row["oldest"]) if row["oldest"] else None
    return SpoolDepth(rows=row["n"], oldest=oldest)


def dumps(value: Any) -> str:
    """Compact JSON (orjson: serialising documents is most of the spool's cost)."""
    return orjson.dumps(value).decode()
