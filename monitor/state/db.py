"""Opening the state store. Each concern module defines ``SCHEMA`` (idempotent DDL); the
modules listed in ``SCHEMA_MODULES`` are applied on every open, so a new table needs only a new
module and one line here."""

from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path

from monitor.errors import StateError

DB_NAME = "state.sqlite3"

SCHEMA_MODULES: tuple[str, ...] = (
    "monitor.state.outbox",
    "monitor.state.incidents",
    "monitor.state.threads",
    "monitor.state.sessions",
    "monitor.state.listings",
    "monitor.state.spool",
)


def connect(state_dir: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) the state database in `state_dir`, in WAL mode.

    Raises StateError when the directory or the database cannot be opened."""
    path = Path(state_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path / DB_NAME, timeout=30, isolation_level=None,
                               check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        for name in SCHEMA_MODULES:
            conn.executescript(importlib.import_module(name).SCHEMA)
    except (OSError, sqlite3.Error) as e:
        raise StateError(f"cannot open state store in {path}: {e}") from e
    return conn
