"""The indexer: listings into Elasticsearch, in bulk, losing nothing.

The state step stages each new, changed or unchanged listing's bulk actions into the spool
(monitor.state.spool) inside its own SQLite transaction (`Indexer.stage`, a ListingStore batch
hook), then calls `observed()`. Each action is spooled as its two bulk lines, serialised once. The
indexer drains the spool oldest first, in batches sent when `batch_size` actions wait or
`flush_delay_s` after the first one, so the alert path never waits on Elasticsearch; a restart
replays what the spool holds before anything new.

- `listings`: one document per listing, `_id` = listing id, written with the listing's version
  as an external version (`external_gte`): replaying a batch is harmless and an older version
  never overwrites a newer one (Elasticsearch answers 409, counted as stale).
- `listing-history`: one document per version, `_id` = `<listing id>:<version>`, op `create`:
  a replay answers 409, counted as a duplicate.
- Per document: 2xx, 409 -> done; 429, 5xx (and a missing index) -> stays in the spool, retried
  after a back-off; any other 4xx (a mapping error) -> logged with the listing id and reason
  and dropped, while the rest of the batch is indexed.
- The whole request fails (connection refused, timeout, 429, 5xx) -> every action stays in the
  spool; retries back off exponentially between `retry_min_s` and `retry_max_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from elasticsearch import ApiError, AsyncElasticsearch
from elasticsearch import TransportError as EsTransportError

from monitor.es.mappings import HISTORY, LISTINGS
from monitor.es.setup import alias_name
from monitor.models import Listing
from monitor.state import spool
from monitor.state.listings import UNCHANGED, Observation, transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")

BULK_ANSWER = ("items.*.status", "items.*.error.type", "items.*.error.reason")
RETRIABLE_ERRORS = frozenset({"index_not_found_exception", "es_rejected_execution_exception",
                              "unavailable_shards_exception", "cluster_block_exception"})


@dataclass(frozen=True, slots=True)
class IndexNames:
    """The aliases the indexer writes to."""

    listings: str = LISTINGS
    history: str = HISTORY

    @classmethod
    def with_prefix(cls, prefix: str) -> IndexNames:
        return cls(listings=alias_name(prefix, LISTINGS), history=alias_name(prefix, HISTORY))


def listing_actions(obs: Observation, names: IndexNames) -> list[dict[str, Any]]:
    """The bulk actions an observed listing calls for: its `listings` document, and for a new
    or changed one its `listing-history` version. (Unchanged listings are rewritten whole to
    move `last_seen`: a partial update would bump Elasticsearch's version past the listing's.
    Incremental crawling refetches a thread only when its board row moved, so this is rare.)"""
    listing = obs.listing
    doc = listing.to_doc(obs.content_sha256)
    actions: list[dict[str, Any]] = [{
        "_op_type": "index", "_index": names.listings, "_id": listing.id,
        "version": listing.version, "version_type": "external_gte", "_source": doc,
    }]
    if obs.status != UNCHANGED:
        actions.append({
            "_op_type": "create", "_index": names.history,
            "_id": f"{listing.id}:{listing.version}", "_source": {**doc, "listing_id": listing.id},
        })
    return actions


def document_json(listing: Listing, content_sha256: str | None = None) -> str:
    """`listing.to_doc()` serialised, made by orjson from the dataclasses themselves (its
    fields that are None left out, as `to_doc()` does): building the dict first took most of
    the state step's time."""
    doc = _set_fields(listing)
    del doc["id"]
    timestamp = doc.pop("timestamp", None)
    if timestamp is not None:
        doc["@timestamp"] = timestamp
    doc["content_sha256"] = content_sha256 or listing.content_sha256()
    return orjson.dumps(doc, default=_set_fields,
                        option=orjson.OPT_PASSTHROUGH_DATACLASS).decode()


_FIELDS: dict[type, tuple[str, ...]] = {}


def _set_fields(value: Any) -> dict[str, Any]:
    """A dataclass's fields that are not None, by name (orjson's `default`)."""
    names = _FIELDS.get(type(value))
    if names is None:
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            raise TypeError(f"cannot index a {type(value).__name__}")
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    return {name: v for name in names if (v := getattr(value, name)) is not None}


def spool_items(obs: Observation, names: IndexNames) -> list[spool.SpoolItem]:
    """`listing_actions()` as spool items, written straight as their bulk lines: the document
    is serialised once for both indices (the history line is it plus `listing_id`)."""
    listing = obs.listing
    doc = document_json(listing, obs.content_sha256)
    quoted_id = spool.dumps(listing.id)
    items = [spool.SpoolItem(listing.id, f'{{"index":{{"_index":{spool.dumps(names.listings)},'
                                         f'"_id":{quoted_id},"version":{listing.version:d},'
                                         '"version_type":"external_gte"}}', doc)]
    if obs.status != UNCHANGED:
        history_id = f"{listing.id}:{listing.version:d}"
        items.append(spool.SpoolItem(
            history_id, f'{{"create":{{"_index":{spool.dumps(names.history)},'
                        f'"_id":{spool.dumps(history_id)}}}}}',
            f'{doc[:-1]},"listing_id":{quoted_id}}}'))
    return items


class SpoolStage:
    """The ListingStore batch hook that spools a group's index actions in its transaction:
    each listing's bulk lines made on `prepare`, all of the group's rows in one `executemany`
    on `write`."""

    def __init__(self, indexer: Indexer):
        self.indexer = indexer

    def prepare(self, obs: Observation) -> list[spool.SpoolItem]:
        return spool_items(obs, self.indexer.names)

    def write(self, conn: sqlite3.Connection, prepared: list[list[spool.SpoolItem]]) -> None:
        staged = spool.enqueue(conn, itertools.chain.from_iterable(prepared),
                               self.indexer.clock())
        self.indexer.stats.staged += staged


@dataclass
class IndexerStats:
    staged: int = 0  # actions written to the spool
    indexed: int = 0  # taken by Elasticsearch
    stale: int = 0  # 409: a newer (or the same) version was already there
    rejected: int = 0  # 4xx for the document itself: logged and dropped
    retried: int = 0  # actions that stayed in the spool after a failed attempt
    unavailable: int = 0  # bulk requests that failed as a whole
    batches: int = 0
    last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "last_error"}


@dataclass
class DrainResult:
    sent: int = 0
    done: int = 0
    unavailable: bool = False
    errors: list[str] = field(default_factory=list)


class Indexer:
    """Drains the spool into Elasticsearch. `conn` is a connection of the indexer's own (it is
    used on one worker thread); `client` an AsyncElasticsearch on the reactor's loop."""

    def __init__(self, client: AsyncElasticsearch, conn: sqlite3.Connection,
                 names: IndexNames | None = None, *, batch_size: int = 500,
                 batch_bytes: int = 5_000_000, flush_delay_s: float = 0.5,
                 retry_min_s: float = 1.0, retry_max_s: float = 30.0,
                 refresh: bool | str = False, clock: Callable[[], datetime] | None = None,
                 on_bulk: Callable[[float], None] | None = None):
        self.client = client
        self.conn = conn
        self.names = names or IndexNames()
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self.flush_delay_s = flush_delay_s
        self.retry_min_s = retry_min_s
        self.retry_max_s = retry_max_s
        self.refresh = refresh
        self.clock = clock or (lambda: datetime.now(UTC))
        self.on_bulk = on_bulk  # called with each answered bulk request's seconds (metrics)
        self.stats = IndexerStats()
        self.failing_since: float | None = None  # wall clock of the first failed drain in a row
        self._pending = 0
        self._kicked = asyncio.Event()
        self._full = asyncio.Event()
        self._closing = False
        self._eager = False  # no more listings expected for now: send partial batches at once
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="indexer-spool")
        # The ListingStore hook that spools each recorded listing's actions with its state.
        self.stage = SpoolStage(self)

    # -- producer side ------------------------------------------------------------------------
    def observed(self, obs: Observation) -> None:
        """Tell the drain loop a listing was recorded (and staged; call on the loop's thread)."""
        self.notify(1 if obs.status == UNCHANGED else 2)

    def notify(self, staged: int = 1) -> None:
        """Tell the drain loop that `staged` more actions wait (call on the loop's thread)."""
        self._pending += staged
        self._eager = False
        self._kicked.set()
        if self._pending >= self.batch_size:
            self._full.set()

    def send_now(self) -> None:
        """No more listings are coming for now (a crawl ended): send what waits without the
        flush delay, partial batches included, until the next listing is staged."""
        self._eager = True
        self._kicked.set()
        self._full.set()

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> asyncio.Task[None]:
        """Start the drain loop; it first replays what an earlier run left in the spool."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="indexer")
        return self._task

    async def close(self, timeout_s: float = 30.0) -> DrainResult:
        """Stop the loop, then try once more to empty the spool (what stays is kept for the
        next start). A second call does nothing."""
        if self._closing:
            return DrainResult()
        self._closing = True
        self._stop.set()
        self._kicked.set()
        self._full.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout_s)
            except TimeoutError:
                self._task.cancel()
        result = await self.drain()
        self._executor.shutdown(wait=True)
        return result

    async def run(self) -> None:
        backoff = 0.0
        self._kicked.set()
        self._full.set()  # replay what an earlier run left at once, before anything new
        while not self._closing:
            if backoff:
                await self._wait(self._stop, backoff)
            else:
                await self._kicked.wait()
                if not self._closing and self._pending < self.batch_size and not self._eager:
                    await self._wait(self._full, self.flush_delay_s)
            if self._closing:
                return
            self._kicked.clear()
            self._full.clear()
            try:
                result = await self.drain(until_empty=False)
            except Exception as e:  # a bug or a broken state store: keep the loop alive
                logger.exception("draining the spool failed; retrying after a back-off")
                result = DrainResult(unavailable=True, errors=[repr(e)])
            if result.unavailable:
                backoff = min(max(2 * backoff, self.retry_min_s), self.retry_max_s)
                self._kicked.set()  # the spool is not empty: come back after the back-off
                self.failing_since = self.failing_since or time.time()
            else:
                backoff = 0.0
                self.failing_since = None

    @staticmethod
    async def _wait(event: asyncio.Event, timeout_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout_s)

    # -- draining -----------------------------------------------------------------------------
    async def drain(self, *, until_empty: bool = True) -> DrainResult:
        """Send the spool to Elasticsearch, oldest first, until it is empty or Elasticsearch
        is unavailable. With `until_empty=False` (the drain loop, while listings keep coming)
        a partial batch goes only first: the rest waits to fill up or for the flush delay."""
        result = DrainResult()
        while True:
            self._pending = 0  # before peeking: what is staged later kicks the loop again
            rows = await self._db(spool.peek, self.conn, self.batch_size,
                                  max_bytes=self.batch_bytes)
            if not rows:
                return result
            if not until_empty and not self._eager and result.sent and self._partial(rows):
                self.notify(len(rows))  # a partial batch waits for the delay or more rows
                return result
            batch = await self._send(rows)
            result.sent += len(rows)
            result.done += len(batch.done)
            await self._db(self._settle, batch)
            if batch.error is not None:
                result.unavailable = True
                result.errors.append(batch.error)
                return result

    def _partial(self, rows: list[spool.SpoolRow]) -> bool:
        """Fewer rows than a batch, and not because the byte limit cut them."""
        size = sum(len(r.item.op) + len(r.item.source) for r in rows)
        return len(rows) < self.batch_size and size < self.batch_bytes // 2

    async def spool_depth(self) -> spool.SpoolDepth:
        return await self._db(spool.depth, self.conn)

    async def _send(self, rows: list[spool.SpoolRow]) -> _Batch:
        batch = _Batch(rows)
        # Sent as spooled (serialised once, when staged), as one body; the answer is cut to
        # what `_classify` reads: parsing whole answers cost as much as the rest of a batch.
        body = "\n".join(line for row in rows for line in (row.item.op, row.item.source))
        self.stats.batches += 1
        started = time.monotonic()
        try:
            resp = await self.client.bulk(operations=(body + "\n").encode(),
                                          refresh=self.refresh, filter_path=BULK_ANSWER)
            if self.on_bulk is not None:
                self.on_bulk(time.monotonic() - started)
        except EsTransportError as e:
            return self._unavailable(batch, f"Elasticsearch unreachable: {e}")
        except ApiError as e:
            if e.meta.status == 429 or e.meta.status >= 500:
                return self._unavailable(batch, f"Elasticsearch answered {e.meta.status}: {e}")
            logger.error("bulk request of %d actions refused (%s); they stay in the spool: %s",
                         len(rows), e.meta.status, e)
            return self._unavailable(batch, f"bulk refused with {e.meta.status}: {e}")
        for row, item in zip(rows, resp["items"], strict=True):
            self._classify(batch, row, next(iter(item.values())))
        if batch.retry:
            batch.error = f"{len(batch.retry)} actions answered 429/5xx"
            self.stats.unavailable += 1
        return batch

    def _classify(self, batch: _Batch, row: spool.SpoolRow, item: dict[str, Any]) -> None:
        status = item.get("status", 0)
        error = item.get("error") or {}
        if 200 <= status < 300:
            self.stats.indexed += 1
            batch.done.append(row.seq)
        elif status == 409:
            self.stats.stale += 1
            batch.done.append(row.seq)
            logger.debug("%s: %s already holds this or a newer version", _source_id(row),
                         _where(row))
        elif status == 429 or status >= 500 or error.get("type") in RETRIABLE_ERRORS:
            self.stats.retried += 1
            batch.retry.append(row.seq)
            batch.retry_reason = f"{status} {error.get('type')}: {error.get('reason')}"
        else:
            self.stats.rejected += 1
            batch.done.append(row.seq)
            logger.error("%s: %s rejected by Elasticsearch (%s %s): %s", _source_id(row),
                         _where(row), status, error.get("type"), error.get("reason"))

    def _unavailable(self, batch: _Batch, message: str) -> _Batch:
        self.stats.unavailable += 1
        self.stats.retried += len(batch.rows)
        self.stats.last_error = message
        batch.retry = [r.seq for r in batch.rows]
        batch.retry_reason = batch.error = message
        logger.warning("%s; %d actions stay in the spool", message, len(batch.rows))
        return batch

    def _settle(self, batch: _Batch) -> None:
        with transaction(self.conn):
            spool.remove(self.conn, batch.done)
            if batch.retry:
                spool.note_failure(self.conn, batch.retry, batch.retry_reason or "")

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))


@dataclass
class _Batch:
    rows: list[spool.SpoolRow]
    done: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    retry_reason: str | None = None
    error: str | None = None


def _source_id(row: spool.SpoolRow) -> str:
    """The source a spooled document is about (parsed only for a log line)."""
    try:
        return str(json.loads(row.item.source).get("source", {}).get("id", "?"))
    except ValueError:
        return "?"


def _where(row: spool.SpoolRow) -> str:
    """`<index> document <id>` of a spooled action."""
    meta = next(iter(row.op.values()), {})
    return f"{meta.get('_index')} document {row.item.doc_id}"
