"""When each source is crawled: every `interval ± jitter`, never two crawls of one source at once,
at most `max_concurrent` crawls in all, and a failing source retried with exponential back-off
(capped at its interval) without holding up the others. Pure asyncio; the crawl itself is a
callable the daemon supplies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from monitor.config import SourceConfig

log = logging.getLogger(__name__)

RETRY_BASE_S = 30.0


@dataclass
class SourceState:
    source: SourceConfig
    next_run: float
    running: bool = False
    crawls: int = 0
    failures: int = 0  # consecutive
    last_start: float | None = None
    last_success: float | None = None  # wall-clock time
    last_error: str | None = None
    first_failure: float | None = None  # wall-clock time the current failure streak began
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    wake: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


Crawl = Callable[[SourceConfig], Awaitable[None]]


class Scheduler:
    def __init__(self, sources: Iterable[SourceConfig], crawl: Crawl, *, max_concurrent: int,
                 rng: random.Random | None = None, retry_base_s: float = RETRY_BASE_S,
                 first_run_spread_s: float = 0.0):
        self._crawl = crawl
        self._limit = asyncio.Semaphore(max_concurrent)
        self._rng = rng or random.Random()
        self._retry_base = retry_base_s
        self._spread = first_run_spread_s
        self._stopping = False
        self.states: dict[str, SourceState] = {}
        self._initial = list(sources)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        for source in self._initial:
            self._add(source)

    def reload(self, sources: Iterable[SourceConfig]) -> None:
        """Take a new source list: new ids start, removed ids stop after their crawl, changed
        ones use the new settings from their next crawl on (their timing is kept)."""
        new = {s.id: s for s in sources}
        for sid in list(self.states):
            if sid not in new:
                state = self.states.pop(sid)
                if state.task and not state.running:
                    state.task.cancel()
                log.info("source %s removed from the schedule", sid)
        for sid, source in new.items():
            if sid in self.states:
                self.states[sid].source = source
            else:
                self._add(source)

    async def stop(self, grace_s: float) -> None:
        """Stop scheduling; let crawls in flight finish within `grace_s`, then cancel them."""
        self._stopping = True
        tasks = [s.task for s in self.states.values() if s.task]
        idle = [s.task for s in self.states.values() if s.task and not s.running]
        for task in idle:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace_s)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("abandoned %d crawl(s) still running after %.0f s", len(pending),
                            grace_s)
                await asyncio.wait(pending, timeout=5)

    def _add(self, source: SourceConfig) -> None:
        delay = self._rng.uniform(0, self._spread) if self._spread else 0.0
        state = SourceState(source=source, next_run=time.monotonic() + delay)
        self.states[source.id] = state
        state.task = asyncio.get_running_loop().create_task(self._loop(state),
                                                            name=f"source:{source.id}")

    # -- the per-source loop -------------------------------------------------------------------
    async def _loop(self, state: SourceState) -> None:
        sid = state.source.id
        while not self._stopping and self.states.get(sid) is state:
            await self._sleep_until_due(state)
            if self._stopping or self.states.get(sid) is not state:
                return
            async with self._limit:
                if self._stopping:
                    return
                await self._run_once(state)

    @staticmethod
    async def _sleep_until_due(state: SourceState) -> None:
        while (remaining := state.next_run - time.monotonic()) > 0:
            state.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.wake.wait(), remaining)

    async def _run_once(self, state: SourceState) -> None:
        source = state.source
        state.running, state.last_start = True, time.monotonic()
        try:
            await self._crawl(source)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a failing source must never stop the others
            state.failures += 1
            state.last_error = f"{type(e).__name__}: {e}"
            state.first_failure = state.first_failure or time.time()
            delay = min(source.interval_s, self._retry_base * 2 ** (state.failures - 1))
            log.warning("source %s: crawl failed (%d in a row), retry in %.0f s: %s", source.id,
                        state.failures, delay, state.last_error, extra={"source": source.id})
        else:
            state.failures, state.last_error, state.first_failure = 0, None, None
            state.last_success = time.time()
            delay = self._next_interval(source)
            log.info("source %s: crawl done, next in %.0f s", source.id, delay,
                     extra={"source": source.id})
        finally:
            state.running = False
            state.crawls += 1
        state.next_run = time.monotonic() + delay

    def _next_interval(self, source: SourceConfig) -> float:
        jitter = self._rng.uniform(-source.jitter_s, source.jitter_s) if source.jitter_s else 0
        return max(0.0, source.interval_s + jitter)

    # -- introspection -------------------------------------------------------------------------
    def run_now(self, source_id: str) -> None:
        """Make a source due at once (used by tests and the demo)."""
        state = self.states[source_id]
        state.next_run = time.monotonic()
        state.wake.set()

    @property
    def running(self) -> int:
        return sum(1 for s in self.states.values() if s.running)
