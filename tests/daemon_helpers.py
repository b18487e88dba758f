"""What the daemon's fault tests share: `bazaarwatch run` as a real process that can be killed
and started again on the same state dir, an Elasticsearch proxy on a thread of its own (to cut
the daemon off from the shared node), and the checks that nothing was lost or sent twice:
every lab thread of the crawled boards once in `listings` with the state store's version, every
version once in `listing-history`, every queued alert sent and received once, spool and outbox
empty."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from monitor.lab.forum import LabForums
from monitor.lab.slack import SlackReceiver
from monitor.models import listing_id
from monitor.state import db, outbox, spool
from tests.crawl_helpers import ROOT
from tests.fixtures.elasticsearch import EsProxy

ALERTS_PATH = "T0LAB/B0LAB/lab"
OPS_PATH = "T0LAB/B0LAB/ops"

# The BPJS rule of the demo; with a second rule that matches several seeded threads (WATCHLIST),
# a fault meets alerts in flight.
WATCH_BPJS = """
rules:
  - id: bpjs
    terms:
      - name: BPJS Kesehatan
        aliases: [BPJS Health]
    severity: critical
"""
WATCHLIST = WATCH_BPJS + """
  - id: indonesia
    terms: [Indonesia, Indonesian, nasabah, NIK]
    severity: high
"""


def wait_for(what: str, predicate: Callable[[], Any], timeout: float = 120.0,
             proc: subprocess.Popen[str] | None = None) -> Any:
    """Poll `predicate` until it returns something true; fail the test saying what it waited
    for (or that the daemon died) when `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the daemon exited ({proc.returncode}) while waiting for {what}")
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


class DaemonRun:
    """`bazaarwatch run` on a config folder of its own; `start()` again after `kill()` or
    `stop()` reuses the state dir. Each start logs to its own file (daemon-N.log)."""

    def __init__(self, workdir: Path, *, sources: list[dict[str, Any]], es_url: str,
                 prefix: str, receiver: SlackReceiver, monitor: dict[str, Any] | None = None,
                 watchlists: str = WATCHLIST):
        self.workdir = workdir
        self.config_dir = workdir / "config"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir = workdir / "state"
        settings: dict[str, Any] = {
            "state_dir": str(self.state_dir), "metrics": {"port": 0},
            "elasticsearch": {"index_prefix": prefix},
            "slack": {"webhook_env": "LAB_HOOK", "ops_webhook_env": "LAB_OPS_HOOK"},
            "defaults": {"download_delay": "0s", "backfill_pages": 10, "overlap": "0s"},
        }
        for key, value in (monitor or {}).items():
            settings[key] = {**settings.get(key, {}), **value} if isinstance(value, dict) \
                else value
        (self.config_dir / "monitor.yaml").write_text(json.dumps(settings, indent=1))
        (self.config_dir / "sources.yaml").write_text(json.dumps({"sources": sources}))
        (self.config_dir / "watchlists.yaml").write_text(watchlists)
        self.env = {**os.environ, "BAZAARWATCH_ES_URL": es_url,
                    "LAB_HOOK": receiver.webhook_url(ALERTS_PATH),
                    "LAB_OPS_HOOK": receiver.webhook_url(OPS_PATH)}
        self.logs: list[Path] = []
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> DaemonRun:
        log = self.workdir / f"daemon-{len(self.logs) + 1}.log"
        self.logs.append(log)
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "monitor", "run", "--config-dir", str(self.config_dir)],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, text=True)
        return self

    def events(self, run: int = -1) -> list[dict[str, Any]]:
        """The JSON log events of one start (the latest by default)."""
        if not self.logs:
            return []
        lines = self.logs[run].read_text(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def messages(self, run: int = -1) -> list[str]:
        return [e.get("msg", "") for e in self.events(run)]

    def logged(self, needle: str) -> bool:
        return any(needle in m for m in self.messages())

    def crawls_done(self, source: str) -> int:
        return sum(1 for m in self.messages() if m.startswith(f"source {source}: crawl done"))

    def wait_crawls(self, source: str, more: int = 1, timeout: float = 120.0) -> None:
        """Wait for `more` crawls of `source` to finish after now."""
        done = self.crawls_done(source)
        wait_for(f"{more} more crawls of {source}",
                 lambda: self.crawls_done(source) >= done + more, timeout, proc=self.proc)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> int:
        """SIGTERM and wait: the daemon's exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=90)

    def close(self) -> None:
        """Whatever happened in the test, no process is left behind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def daemon_run(tmp_path: Path, **kwargs: Any) -> Iterator[DaemonRun]:
    run = DaemonRun(tmp_path, **kwargs)
    try:
        yield run
    finally:
        run.close()


@contextmanager
def es_proxy(upstream: str) -> Iterator[EsProxy]:
    """An `EsProxy` serving on a thread of its own (the daemon is another process); set its
    `mode` from the test to cut Elasticsearch off ("drop") and back ("up")."""
    loop = asyncio.new_event_loop()
    proxy = EsProxy(upstream)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(proxy.__aenter__())
        started.set()
        loop.run_forever()
        loop.run_until_complete(proxy.__aexit__(None, None, None))
        loop.close()

    thread = threading.Thread(target=serve, name="es-proxy", daemon=True)
    thread.start()
    if not started.wait(30):
        pytest.fail("the Elasticsearch proxy did not start")
    try:
        yield proxy
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


# -- what must hold after a fault ---------------------------------------------------------------
def lab_threads(forums: LabForums, source_id: str, forum: str, boards: list[str],
                root: str | None = None) -> dict[str, str]:
    """listing id -> thread URL of every thread on the lab forum's `boards` now."""
    site = forums.state.sites[{"xenforo": "xf"}.get(forum, forum)]
    keys = {site.board(b).key for b in boards}
    urls = [forums.thread_url(forum, t.tid, root) for t in list(site.threads.values())
            if t.board in keys]
    return {listing_id(source_id, url): url for url in urls}


def stored_versions(state_dir: Path) -> dict[str, int]:
    conn = db.connect(state_dir)
    try:
        return {r["id"]: r["version"] for r in conn.execute("SELECT id, version FROM "
                                                             "listing_state")}
    finally:
        conn.close()


def assert_indexed_once(es: Elasticsearch, prefix: str, state_dir: Path,
                        expected: dict[str, str]) -> None:
    """Every expected listing is in `listings` once, with the version the state store gave
    it, and each of its versions is in `listing-history` once; nothing else is there."""
    versions = stored_versions(state_dir)
    assert set(versions) == set(expected), "the state store lost or invented listings"
    es.indices.refresh(index=f"{prefix}*")
    hits = es.search(index=f"{prefix}listings", size=10_000, query={"match_all": {}},
                     source=["url.full"], version=True)["hits"]["hits"]
    found = Counter(h["_id"] for h in hits)
    assert set(found) == set(expected), (
        f"missing from ES: {sorted(expected[i] for i in set(expected) - set(found))}; "
        f"unexpected: {sorted(set(found) - set(expected))}")
    assert all(n == 1 for n in found.values())
    assert {h["_id"]: h["_version"] for h in hits} == versions
    assert {h["_id"]: h["_source"]["url"]["full"] for h in hits} == expected
    history = es.search(index=f"{prefix}listing-history", size=10_000,
                        query={"match_all": {}}, source=False)["hits"]["hits"]
    assert sorted(h["_id"] for h in history) == sorted(
        f"{i}:{v}" for i, n in versions.items() for v in range(1, n + 1))


def alert_messages(receiver: SlackReceiver) -> list[dict[str, Any]]:
    """Accepted posts to the alerts webhook (not the ops one)."""
    return [m for m in receiver.messages() if m["path"].endswith(ALERTS_PATH)]


def ops_texts(receiver: SlackReceiver) -> list[str]:
    return [m["payload"]["text"] for m in receiver.messages() if m["path"].endswith(OPS_PATH)]


def assert_alerted_once(receiver: SlackReceiver, state_dir: Path,
                        needles: list[str] = ()) -> list[outbox.OutboxRow]:
    """The outbox is empty and every alert in it was sent; the receiver accepted exactly one
    message per alert (the message rendered into the outbox) and nothing more; each of `needles`
    (titles of posts added in the test) is among them. Returns the outbox rows."""
    conn = db.connect(state_dir)
    try:
        assert spool.depth(conn).rows == 0, "index actions left in the spool"
        assert outbox.depth(conn) == 0, "alerts left in the outbox"
        rows = outbox.rows(conn)
    finally:
        conn.close()
    assert rows and {r.status for r in rows} == {outbox.SENT}
    got = alert_messages(receiver)
    texts = [json.dumps(m["payload"], ensure_ascii=False) for m in got]
    per_alert = {r.id: sum(1 for m in got if m["payload"] == r.payload) for r in rows}
    assert per_alert == dict.fromkeys(per_alert, 1), f"alerts not received once: {per_alert}"
    assert len(got) == len(rows), f"{len(got)} messages for {len(rows)} alerts"
    for needle in needles:
        assert sum(needle in t for t in texts) == 1, f"{needle!r} not alerted once"
    return rows

