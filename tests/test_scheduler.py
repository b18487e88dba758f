"""The scheduler on real asyncio time with short intervals; assertions are on what ran, never
on how long it took."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from monitor.config import Board, SourceConfig
from monitor.scheduler import Scheduler


def source(sid: str, interval: float = 0.05, jitter: float = 0.0) -> SourceConfig:
    return SourceConfig(id=sid, name=sid, engine="mybb", base_url="http://127.0.0.1/",
                        boards=(Board("b", "http://127.0.0.1/b"),), interval_s=interval,
                        jitter_s=jitter)


class Recorder:
    def __init__(self, work_s: float = 0.02, fail: set[str] | None = None):
        self.work_s, self.fail = work_s, fail or set()
        self.active: Counter[str] = Counter()
        self.max_per_source: Counter[str] = Counter()
        self.max_total = 0
        self.runs: Counter[str] = Counter()

    async def __call__(self, src: SourceConfig) -> None:
        self.active[src.id] += 1
        self.max_per_source[src.id] = max(self.max_per_source[src.id], self.active[src.id])
        self.max_total = max(self.max_total, sum(self.active.values()))
        try:
            await asyncio.sleep(self.work_s)
            self.runs[src.id] += 1
            if src.id in self.fail:
                raise RuntimeError(f"{src.id} is down")
        finally:
            self.active[src.id] -= 1


async def run_for(scheduler: Scheduler, seconds: float, grace: float = 1.0) -> None:
    scheduler.start()
    await asyncio.sleep(seconds)
    await scheduler.stop(grace)


@pytest.mark.parametrize("cap,sources", [(1, 4), (2, 5), (4, 3)])
def test_global_cap_and_one_crawl_per_source(cap: int, sources: int) -> None:
    rec = Recorder(work_s=0.03)
    srcs = [source(f"s{i}", interval=0.001) for i in range(sources)]
    sched_holder: list[Scheduler] = []

    async def main() -> None:
        sched = Scheduler(srcs, rec, max_concurrent=cap, rng=random.Random(1))
        sched_holder.append(sched)
        await run_for(sched, 0.6)

    asyncio.run(main())
    assert rec.max_total == min(cap, sources)
    assert max(rec.max_per_source.values()) == 1
    assert all(rec.runs[s.id] >= 2 for s in srcs), rec.runs


def test_failing_source_backs_off_and_never_stops_others() -> None:
    rec = Recorder(work_s=0.005, fail={"bad"})
    srcs = [source("bad", interval=10), source("good", interval=0.01)]

    async def main() -> Scheduler:
        sched = Scheduler(srcs, rec, max_concurrent=2, rng=random.Random(1), retry_base_s=0.05)
        await run_for(sched, 0.8)
        return sched

    sched = asyncio.run(main())
    bad, good = sched.states["bad"], sched.states["good"]
    # back-off doubles from 0.05 s: 0.05, 0.1, 0.2, 0.4 -> a handful of retries, not hundreds
    assert 2 <= rec.runs["bad"] <= 6, rec.runs
    assert bad.failures == rec.runs["bad"] and "bad is down" in bad.last_error
    assert bad.first_failure is not None and bad.last_success is None
    assert rec.runs["good"] >= 10 and good.failures == 0 and good.last_success is not None


def test_reload_adds_removes_and_updates() -> None:
    rec = Recorder(work_s=0.001)

    async def main() -> Scheduler:
        sched = Scheduler([source("a", 0.01), source("b", 0.01)], rec, max_concurrent=3)
        sched.start()
        await asyncio.sleep(0.2)
        runs_b = rec.runs["b"]
        sched.reload([source("a", 100), source("c", 0.01)])
        await asyncio.sleep(0.3)
        assert rec.runs["b"] <= runs_b + 1  # at most the crawl in flight finished
        await sched.stop(1)
        return sched

    sched = asyncio.run(main())
    assert set(sched.states) == {"a", "c"}
    assert sched.states["a"].source.interval_s == 100
    assert rec.runs["c"] >= 5


def test_run_now_wakes_a_sleeping_source() -> None:
    rec = Recorder(work_s=0.001)

    async def main() -> None:
        sched = Scheduler([source("slow", interval=3600)], rec, max_concurrent=1)
        sched.start()
        await asyncio.sleep(0.1)
        assert rec.runs["slow"] == 1
        sched.run_now("slow")
        await asyncio.sleep(0.1)
        await sched.stop(1)

    asyncio.run(main())
    assert rec.runs["slow"] == 2


def test_stop_lets_in_flight_finish_and_cancels_hung_crawls() -> None:
    finished: list[str] = []
    cancelled: list[str] = []

    async def crawl(src: SourceConfig) -> None:
        try:
            await asyncio.sleep(0.1 if src.id == "quick" else 60)
            finished.append(src.id)
        except asyncio.CancelledError:
            cancelled.append(src.id)
            raise

    async def main() -> None:
        sched = Scheduler([source("quick", 3600), source("hung", 3600)], crawl,
                          max_concurrent=2)
        sched.start()
        await asyncio.sleep(0.02)
        await sched.stop(grace_s=0.5)

    asyncio.run(main())
    assert finished == ["quick"] and cancelled == ["hung"]
