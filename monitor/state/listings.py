"""Listing state: what the monitor knows of every listing it has seen, to tell a *new* listing
from a *changed* one (its content hash moved: title, body, records, price, samples, seller) and
from an *unchanged* one, and to keep its version number and first/last seen times.

`ListingStore.record()` runs one listing's state change and the hooks that must commit with it
(the alert outbox, the Elasticsearch spool) atomically, on a thread of its own so the reactor
never waits on SQLite. Listings that arrive while that thread is busy share one transaction
(group commit), each in a savepoint of its own. Unchanged listings only move `last_seen`, in one
batched UPDATE per flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from monitor.errors import StateError
from monitor.models import Listing

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS listing_state (
    id             TEXT PRIMARY KEY,        -- Listing.id
    source_id      TEXT NOT NULL,
    url            TEXT NOT NULL,
    version        INTEGER NOT NULL,
    content_sha256 TEXT NOT NULL,
    first_seen     TEXT NOT NULL,
    last_seen      TEXT NOT NULL,
    changed_at     TEXT NOT NULL            -- when `version` last moved
);
CREATE INDEX IF NOT EXISTS listing_state_source ON listing_state (source_id);
"""

Status = Literal["new", "changed", "unchanged"]
NEW: Status = "new"
CHANGED: Status = "changed"
UNCHANGED: Status = "unchanged"


@dataclass(frozen=True, slots=True)
class Observation:
    """A listing as the state store placed it: `listing` carries the version, first_seen and
    last_seen the store assigned."""

    status: Status
    listing: Listing


# A step that commits together with the state change (alert outbox, index spool). It may
# return a replacement observation (e.g. with `rules_matched` filled), or None to keep it.
Hook = Callable[[sqlite3.Connection, Observation], "Observation | None"]


def observe(conn: sqlite3.Connection, listing: Listing, now: datetime) -> Observation:
    """Place `listing` against its stored state and write the new state (the caller owns the
    transaction). An unchanged listing is returned with the stored version and first_seen but
    its row is not written: see `touch()`."""
    digest = listing.content_sha256()
    row = conn.execute("SELECT version, content_sha256, first_seen FROM listing_state "
                       "WHERE id = ?", (listing.id,)).fetchone()
    stamp = now.isoformat()
    if row is None:
        conn.execute(
            "INSERT INTO listing_state (id, source_id, url, version, content_sha256, first_seen,"
            " last_seen, changed_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
            (listing.id, listing.source.id, listing.url.full, digest, stamp, stamp, stamp))
        return Observation(NEW, _placed(listing, 1, now, now))
    first_seen = datetime.fromisoformat(row["first_seen"])
    if row["content_sha256"] == digest:
        return Observation(UNCHANGED, _placed(listing, row["version"], first_seen, now))
    version = row["version"] + 1
    conn.execute("UPDATE listing_state SET version = ?, content_sha256 = ?, last_seen = ?, "
                 "changed_at = ? WHERE id = ?", (version, digest, stamp, stamp, listing.id))
    return Observation(CHANGED, _placed(listing, version, first_seen, now))


def touch(conn: sqlite3.Connection, seen: Sequence[tuple[str, datetime]]) -> None:
    """Move `last_seen` of many listings at once: `(listing id, when)` pairs."""
    conn.executemany("UPDATE listing_state SET last_seen = max(last_seen, ?) WHERE id = ?",
                     [(when.isoformat(), lid) for lid, when in seen])


def get(conn: sqlite3.Connection, listing_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM listing_state WHERE id = ?", (listing_id,)).fetchone()


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT on a connection in autocommit mode (as monitor.state.db opens
    them); ROLLBACK on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _settle(future: asyncio.Future[Observation], result: Observation | BaseException) -> None:
    if future.done():  # the caller went away (cancelled)
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


def _placed(listing: Listing, version: int, first_seen: datetime, now: datetime) -> Listing:
    return dataclasses.replace(listing, version=version, first_seen=first_seen, last_seen=now,
                               crawled_at=listing.crawled_at or now)


class ListingStore:
    """The state step of the pipeline. Owns its SQLite connection and the one thread it is used
    on. Listings recorded while that thread is busy are committed together (one transaction,
    a savepoint each, so one failing listing does not take the others with it)."""

    def __init__(self, conn: sqlite3.Connection, hooks: Sequence[Hook] = (), *,
                 touch_batch: int = 500, max_group: int = 200,
                 clock: Callable[[], datetime] | None = None):
        self.conn = conn
        self.hooks = list(hooks)
        self.touch_batch = touch_batch
        self.max_group = max_group
        self.clock = clock or (lambda: datetime.now(UTC))
        self._touched: list[tuple[str, datetime]] = []
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="listing-state")
        self._lock = threading.Lock()
        self._queue: list[tuple[Listing, asyncio.Future[Observation]]] = []
        self._running = False

    def add_hook(self, hook: Hook) -> None:
        self.hooks.append(hook)

    async def record(self, listing: Listing) -> Observation:
        """Place `listing` and run the hooks, committed. Raises StateError when SQLite fails
        (the listing is then not recorded anywhere), or what a hook raised."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Observation] = loop.create_future()
        with self._lock:
            self._queue.append((listing, future))
            start, self._running = not self._running, True
        if start:
            loop.run_in_executor(self._executor, self._work, loop)
        return await future

    async def flush(self) -> None:
        """Write the batched `last_seen` moves of unchanged listings."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self.flush_sync)

    def record_sync(self, listing: Listing) -> Observation:
        (result,) = self._record_group([listing])
        if isinstance(result, BaseException):
            raise result
        return result

    def _work(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the store's thread: commit what is queued, group by group, until nothing is."""
        while True:
            with self._lock:
                group, self._queue = self._queue[:self.max_group], self._queue[self.max_group:]
                if not group:
                    self._running = False
                    return
            try:
                results = self._record_group([listing for listing, _ in group])
            except BaseException as e:  # the commit itself failed: the whole group did
                results = [e] * len(group)
            for (_, future), result in zip(group, results, strict=True):
                with contextlib.suppress(RuntimeError):  # the loop closed under us
                    loop.call_soon_threadsafe(_settle, future, result)

    def _record_group(self, listings: Sequence[Listing]) -> list[Observation | BaseException]:
        results: list[Observation | BaseException] = []
        try:
            with transaction(self.conn):
                for listing in listings:
                    results.append(self._record_one(listing))
        except sqlite3.Error as e:
            raise StateError(f"cannot commit {len(listings)} listings: {e}") from e
        for result in results:
            if isinstance(result, Observation) and result.status == UNCHANGED:
                self._touched.append((result.listing.id, result.listing.last_seen or self.clock()))
        if len(self._touched) >= self.touch_batch:
            try:
                self.flush_sync()
            except StateError:  # only last_seen: the listings themselves are committed
                logger.exception("last_seen of unchanged listings not written")
        return results

    def _record_one(self, listing: Listing) -> Observation | BaseException:
        self.conn.execute("SAVEPOINT listing")
        try:
            obs = observe(self.conn, listing, self.clock())
            for hook in self.hooks:
                obs = hook(self.conn, obs) or obs
        except Exception as e:
            self.conn.execute("ROLLBACK TO listing")
            self.conn.execute("RELEASE listing")
            if isinstance(e, sqlite3.Error):
                error = StateError(f"{listing.source.id}: cannot record listing {listing.id}: {e}")
                error.__cause__ = e
                return error
            return e
        self.conn.execute("RELEASE listing")
        return obs

    def flush_sync(self) -> None:
        if not self._touched:
            return
        batch, self._touched = self._touched, []
        try:
            with transaction(self.conn):
                touch(self.conn, batch)
        except sqlite3.Error as e:
            raise StateError(f"cannot update last_seen of {len(batch)} listings: {e}") from e
        logger.debug("last_seen moved for %d unchanged listings", len(batch))

    def close(self) -> None:
        self.flush_sync()
        self._executor.shutdown(wait=True)
