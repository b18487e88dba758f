"""Listing state: what the monitor knows of every listing it has seen, to tell a *new* listing
from a *changed* one (its content hash moved: title, body, records, price, samples, seller) and
from an *unchanged* one, and to keep its version number and first/last seen times.

`ListingStore.record()` runs one listing's state change and the hooks that must commit with it
(the alert outbox, the Elasticsearch spool) atomically, on a thread of its own so the reactor
never waits on SQLite. Listings that arrive while that thread is busy share one transaction
(group commit): their stored states are read in one query, their state rows and the batch
hooks' rows (the spool) written with one `executemany` each, and the waiting callers woken
with one call into the loop. Unchanged listings only move `last_seen`, in one batched UPDATE
per flush.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, runtime_checkable

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

STATE_CHECKPOINT_PAGES = 4000  # WAL pages before the state connection checkpoints itself

Status = Literal["new", "changed", "unchanged"]
NEW: Status = "new"
CHANGED: Status = "changed"
UNCHANGED: Status = "unchanged"


@dataclass(frozen=True, slots=True)
class Observation:
    """A listing as the state store placed it: `listing` carries the version, first_seen and
    last_seen the store assigned; `content_sha256` is its `Listing.content_sha256()` when the
    store computed it (hooks may replace the listing, never its hashed fields)."""

    status: Status
    listing: Listing
    content_sha256: str | None = None


# A step that commits together with the state change (alert outbox, index spool). It may
# return a replacement observation (e.g. with `rules_matched` filled), or None to keep it.
Hook = Callable[[sqlite3.Connection, Observation], "Observation | None"]


@runtime_checkable
class BatchHook(Protocol):
    """A step whose rows are written once per group (the index spool): `prepare` runs per
    listing, without SQL (raising fails that listing only); `write` once per group, in the
    same transaction, with what the group's recorded listings prepared, in their order."""

    def prepare(self, obs: Observation) -> Any: ...

    def write(self, conn: sqlite3.Connection, prepared: list[Any]) -> None: ...


# A listing's stored state: (version, content_sha256, first_seen as stored).
Stored = tuple[int, str, str]


@dataclass
class _Writes:
    """State rows of one group, written together when the group's listings are placed."""

    inserts: list[tuple[str, str, str, str, str, str, str]] = field(default_factory=list)
    updates: list[tuple[int, str, str, str, str]] = field(default_factory=list)

    def write(self, conn: sqlite3.Connection) -> None:
        if self.inserts:
            conn.executemany(
                "INSERT INTO listing_state (id, source_id, url, version, content_sha256,"
                " first_seen, last_seen, changed_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
                self.inserts)
        if self.updates:
            conn.executemany("UPDATE listing_state SET version = ?, content_sha256 = ?, "
                             "last_seen = ?, changed_at = ? WHERE id = ?", self.updates)


def stored(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, Stored]:
    """The stored state of the listings `ids` that have one, in one query."""
    unique = list(dict.fromkeys(ids))
    marks = ",".join("?" * len(unique))
    rows = conn.execute("SELECT id, version, content_sha256, first_seen FROM listing_state "
                        f"WHERE id IN ({marks})", unique)
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def place(listing: Listing, known: dict[str, Stored], now: datetime, writes: _Writes,
          ) -> Observation:
    """Place `listing` against its state in `known` (updated in place, so a listing seen twice
    in one group is placed against its first sighting) and queue its state row in `writes`.
    An unchanged listing's row is not written: see `touch()`."""
    digest = listing.content_sha256()
    stamp = now.isoformat()
    row = known.get(listing.id)
    if row is None:
        writes.inserts.append((listing.id, listing.source.id, listing.url.full, digest, stamp,
                               stamp, stamp))
        known[listing.id] = (1, digest, stamp)
        return Observation(NEW, _placed(listing, 1, now, now), digest)
    version, old_digest, first_stamp = row
    first_seen = datetime.fromisoformat(first_stamp)
    if old_digest == digest:
        return Observation(UNCHANGED, _placed(listing, version, first_seen, now), digest)
    version += 1
    writes.updates.append((version, digest, stamp, stamp, listing.id))
    known[listing.id] = (version, digest, first_stamp)
    return Observation(CHANGED, _placed(listing, version, first_seen, now), digest)


def observe(conn: sqlite3.Connection, listing: Listing, now: datetime) -> Observation:
    """Place `listing` against its stored state and write the new state (the caller owns the
    transaction). An unchanged listing is returned with the stored version and first_seen but
    its row is not written: see `touch()`."""
    writes = _Writes()
    obs = place(listing, stored(conn, [listing.id]), now, writes)
    writes.write(conn)
    return obs


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


def _settle(futures: Sequence[asyncio.Future[Observation]],
            results: Sequence[Observation | BaseException]) -> None:
    """On the loop: hand a group's results to the callers still waiting."""
    for future, result in zip(futures, results, strict=True):
        if future.done():  # the caller went away (cancelled)
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


def _placed(listing: Listing, version: int, first_seen: datetime, now: datetime) -> Listing:
    return dataclasses.replace(listing, version=version, first_seen=first_seen, last_seen=now,
                               crawled_at=listing.crawled_at or now)


class ListingStore:
    """The state step of the pipeline. Owns its SQLite connection and the one thread it is used
    on. Listings recorded while that thread is busy are committed together in one transaction;
    when plain hooks (which may write SQL) are installed, each listing runs in a savepoint of
    its own, so one failing listing does not take the others with it."""

    def __init__(self, conn: sqlite3.Connection, hooks: Sequence[Hook | BatchHook] = (), *,
                 touch_batch: int = 500, max_group: int = 200,
                 clock: Callable[[], datetime] | None = None):
        self.conn = conn
        # Checkpoints (the fsyncs of WAL mode) are left to the other connections, the indexer's
        # above all, which commit at SQLite's default of 1000 pages: so this thread, the one
        # every listing waits on, seldom does one. This is the backstop when no other writes.
        conn.execute(f"PRAGMA wal_autocheckpoint={STATE_CHECKPOINT_PAGES}")
        self.hooks: list[Hook | BatchHook] = []
        self.touch_batch = touch_batch
        self.max_group = max_group
        self.clock = clock or (lambda: datetime.now(UTC))
        self._touched: list[tuple[str, datetime]] = []
        self._steps: list[tuple[Hook | BatchHook, bool]] = []  # (hook, is a batch hook)
        self._batch_hooks: list[BatchHook] = []
        self._savepoints = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="listing-state")
        self._lock = threading.Lock()
        self._queue: list[tuple[Listing, asyncio.Future[Observation]]] = []
        self._running = False
        for hook in hooks:
            self.add_hook(hook)

    def add_hook(self, hook: Hook | BatchHook) -> None:
        self.hooks.append(hook)
        batch = isinstance(hook, BatchHook)  # once: a Protocol check is slow
        self._steps.append((hook, batch))
        if batch:
            self._batch_hooks.append(hook)  # type: ignore[arg-type]
        else:
            self._savepoints = True

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
            with contextlib.suppress(RuntimeError):  # the loop closed under us
                loop.call_soon_threadsafe(_settle, [f for _, f in group], results)

    def _record_group(self, listings: Sequence[Listing]) -> list[Observation | BaseException]:
        results: list[Observation | BaseException] = []
        try:
            with transaction(self.conn):
                known = stored(self.conn, [listing.id for listing in listings])
                writes = _Writes()
                prepared: list[list[Any]] = [[] for _ in self._batch_hooks]
                now = self.clock()
                for listing in listings:
                    results.append(self._record_one(listing, known, now, writes, prepared))
                writes.write(self.conn)
                for hook, items in zip(self._batch_hooks, prepared, strict=True):
                    hook.write(self.conn, items)
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

    def _record_one(self, listing: Listing, known: dict[str, Stored], now: datetime,
                    writes: _Writes, prepared: list[list[Any]]) -> Observation | BaseException:
        """Place one listing of a group and run the hooks. What it queued for the group's writes
        is taken back when it fails (and, with plain hooks, its savepoint rolled back)."""
        mark = (len(writes.inserts), len(writes.updates), known.get(listing.id))
        if self._savepoints:
            self.conn.execute("SAVEPOINT listing")
        try:
            obs = place(listing, known, now, writes)
            ready = []
            for hook, batch in self._steps:
                if batch:
                    ready.append(hook.prepare(obs))  # type: ignore[union-attr]
                else:
                    obs = hook(self.conn, obs) or obs  # type: ignore[operator]
        except Exception as e:
            if self._savepoints:
                self.conn.execute("ROLLBACK TO listing")
                self.conn.execute("RELEASE listing")
            del writes.inserts[mark[0]:], writes.updates[mark[1]:]
            if mark[2] is None:
                known.pop(listing.id, None)
            else:
                known[listing.id] = mark[2]
            if isinstance(e, sqlite3.Error):
                error = StateError(f"{listing.source.id}: cannot record listing {listing.id}: {e}")
                error.__cause__ = e
                return error
            return e
        if self._savepoints:
            self.conn.execute("RELEASE listing")
        for items, item in zip(prepared, ready, strict=True):
            items.append(item)
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
