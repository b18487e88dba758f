"""`bazaarwatch run`: the long-lived process. Loads the config, starts or attaches tor, sets up
Elasticsearch, replays the spool and the outbox, then crawls every source on its schedule in
one asyncio reactor, with systemd notifications, metrics, ops alerts, SIGHUP reload and one
SIGTERM path that loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor import crawl as crawling
from monitor.alerts import (
    Alerter,
    EsAlertIndex,
    alerter_from_config,
    sender_from_config,
    webhooks_from_config,
)
from monitor.config import Config, RuntimeEnv, SourceConfig, load_config
from monitor.errors import BazaarwatchError, ConfigError, ElasticsearchUnavailable
from monitor.es.client import make_async_client, make_client
from monitor.es.setup import alias_name, setup_indices
from monitor.indexer import Indexer, IndexNames
from monitor.metrics import Metrics, MetricsServer
from monitor.normalize import COMPILED, normalize
from monitor.ops import OpsAlerts, Snapshot, SourceHealth
from monitor.pipelines import FLOW_SETTING, ListingFlow, hooks
from monitor.scheduler import Scheduler
from monitor.sdnotify import Notifier
from monitor.slack import SlackNotifier
from monitor.state import db, evidence, outbox, spool, threads
from monitor.state.listings import ListingStore
from monitor.tor import TorController
from monitor.transport.socksports import BrowserPorts

log = logging.getLogger(__name__)

STOP_GRACE_S = 30.0  # in-flight crawls get this long after SIGTERM
ES_SETUP_RETRY_S = 15.0
HOUSEKEEPING_S = 5.0
EVIDENCE_PRUNE_S = 3600.0


class _WhenReady:
    """The alerts index, refusing (so the sender keeps the alert for later) until `es setup`
    has created the indices and aliases."""

    def __init__(self, index: EsAlertIndex, ready: asyncio.Event):
        self.index, self.ready = index, ready

    async def index_alert(self, alert_id: str, doc: dict[str, Any]) -> None:
        if not self.ready.is_set():
            raise ElasticsearchUnavailable("Elasticsearch is not set up yet")
        await self.index.index_alert(alert_id, doc)


@dataclass
class CrawlMemory:
    """What the daemon remembers of a source's last crawls, for health and ops alerts."""

    login_failed: bool = False
    boards_with_threads: set[str] = field(default_factory=set)
    empty_boards: tuple[str, ...] = ()


class Daemon:
    def __init__(self, config_dir: str | Path, runtime: RuntimeEnv, *,
                 env: dict[str, str] | None = None):
        self.config_dir = Path(config_dir)
        self.runtime = runtime
        self.env = env
        self.config: Config = load_config(self.config_dir, env=env)
        self.notifier = Notifier(runtime.notify_socket)
        self.metrics = Metrics()
        self.stop_event = asyncio.Event()
        self.tor: TorController | None = None
        self.memory: dict[str, CrawlMemory] = {}
        self.es_unreachable_since: float | None = None  # while `es setup` fails
        self.es_probe_failing_since: float | None = None  # while health checks fail
        self._last_es_probe = 0.0
        self._last_prune = float("-inf")  # the first housekeeping prunes
        self.es_ready = asyncio.Event()
        self.started = time.monotonic()
        self._tasks: list[asyncio.Task[Any]] = []

    # -- start-up -------------------------------------------------------------------------------
    async def run(self) -> int:
        cfg = self.config
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop_event.set)
        loop.add_signal_handler(signal.SIGINT, self.stop_event.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(self.reload()))
        self.status("starting")
        await self._start_tor()
        state_dir = cfg.monitor.state_dir
        names = IndexNames.with_prefix(cfg.monitor.elasticsearch.index_prefix)
        es = cfg.monitor.elasticsearch
        api_key = es.api_key.reveal() if es.api_key else None
        self.es_client = make_async_client(es.hosts, api_key=api_key,
                                           verify_certs=es.verify_certs)
        self.indexer = Indexer(self.es_client, db.connect(state_dir), names,
                               on_bulk=self.metrics.es_bulk_seconds.observe)
        self.alerter: Alerter = alerter_from_config(cfg)
        self.store = ListingStore(db.connect(state_dir), hooks(self.indexer, self.alerter))
        self.slack = SlackNotifier()
        self.sender = sender_from_config(
            cfg, db.connect(state_dir), self.slack,
            _WhenReady(EsAlertIndex(self.es_client, alias_name(es.index_prefix, "alerts")),
                       self.es_ready), self.metrics)
        self.flow = ListingFlow(normalize=self._normalize, store=self.store,
                                indexer=self.indexer, on_recorded=self._recorded)
        self.ops_conn = db.connect(state_dir)
        self.ops = OpsAlerts(self.ops_conn, self._send_ops if cfg.monitor.slack.ops_webhook
                             else None, source_fail_after_s=cfg.monitor.ops.source_fail_after_s,
                             es_down_after_s=cfg.monitor.ops.es_down_after_s)
        self.server = MetricsServer(self.metrics, self.health, cfg.monitor.metrics.host,
                                    cfg.monitor.metrics.port)
        await self.server.start()
        self._tasks.append(loop.create_task(self._es_setup_loop(), name="es-setup"))
        self._tasks.append(loop.create_task(self.sender.run(self.stop_event), name="alerts"))
        self.scheduler = Scheduler(cfg.sources, self._crawl,
                                   max_concurrent=cfg.monitor.defaults.max_concurrent_crawls)
        self.scheduler.start()
        self._tasks.append(loop.create_task(self._housekeeping(), name="housekeeping"))
        self.notifier.ready(self.status_line())
        log.info("bazaarwatch running: %d sources, metrics on %s:%d, normalizer %s",
                 len(cfg.sources), cfg.monitor.metrics.host, self.server.port,
                 "compiled" if COMPILED else "pure Python (an editable install: slower)")
        await self.stop_event.wait()
        return await self.shutdown()

    async def _start_tor(self) -> None:
        cfg = self.config
        if all(s.direct for s in cfg.sources):
            log.info("every source is direct: tor is not started")
            return
        self.tor = TorController.from_config(cfg.monitor.tor)
        self.browser_ports = BrowserPorts(self.tor)
        self.status(f"waiting for tor ({cfg.monitor.tor.mode})")
        await asyncio.to_thread(self.tor.start)
        log.info("tor ready: SOCKS %s:%d", self.tor.socks_host, self.tor.socks_port)

    async def _es_setup_loop(self) -> None:
        """Templates, indices and aliases must exist before the spool drains into them; while
        Elasticsearch is away, listings wait in the spool and this retries."""
        es = self.config.monitor.elasticsearch
        while not self.stop_event.is_set():
            try:
                client = make_client(es.hosts, api_key=es.api_key.reveal() if es.api_key
                                     else None, verify_certs=es.verify_certs, timeout_s=10,
                                     max_retries=0)
                try:
                    await asyncio.to_thread(setup_indices, client, es.index_prefix)
                finally:
                    client.close()
            except Exception as e:  # ES down or refusing: the spool keeps everything
                self.es_unreachable_since = self.es_unreachable_since or time.time()
                log.warning("Elasticsearch setup failed, retry in %.0f s: %s", ES_SETUP_RETRY_S,
                            e)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop_event.wait(), ES_SETUP_RETRY_S)
                continue
            self.es_unreachable_since = None
            self.indexer.start()  # replays what an earlier run left in the spool first
            self.es_ready.set()
            log.info("Elasticsearch ready; indexer started")
            return

    # -- crawling -------------------------------------------------------------------------------
    def _normalize(self, raw: Any) -> Any:
        mon = self.config
        return normalize(raw, organisations=mon.watchlists.organisations, rates=mon.monitor.rates)

    def _recorded(self, obs: Any) -> None:
        self.metrics.listings.labels(obs.listing.source.id, obs.status).inc()
        if obs.listing.rules_matched:
            self.sender.wake()

    async def _crawl(self, source: SourceConfig) -> None:
        overrides: dict[str, Any] = {FLOW_SETTING: self.flow}
        if self.tor is not None:
            overrides["BAZAARWATCH_TOR_SOCKS"] = f"{self.tor.socks_host}:{self.tor.socks_port}"
            # Chromium cannot authenticate to SOCKS: a rendering source gets a SocksPort of its
            # own, opened on first use and kept for the life of the process.
            overrides["BAZAARWATCH_BROWSER_SOCKS"] = await asyncio.to_thread(
                self.browser_ports.for_sources, [source])
        memory = self.memory.get(source.id)
        if memory is None:
            memory = self.memory[source.id] = CrawlMemory(
                boards_with_threads=await asyncio.to_thread(self._boards_seen, source.id))
        report = await crawling.crawl_source(self.config, source, overrides=overrides)
        self.metrics.pages_fetched.labels(source.id).inc(report.pages)
        self.metrics.pages_failed.labels(source.id).inc(report.errors)
        self.metrics.crawls.labels(source.id, report.reason).inc()
        memory.login_failed = report.reason == "login_failed"
        self._check_boards(source, report, memory)
        if not report.ok:
            self.metrics.source_up.labels(source.id).set(0)
            raise BazaarwatchError(f"{report.reason}: {report.detail or 'no detail'}")
        self.metrics.source_up.labels(source.id).set(1)
        self.metrics.last_success.labels(source.id).set(time.time())

    def _boards_seen(self, source_id: str) -> set[str]:
        """Boards that listed threads in earlier runs (from the thread state)."""
        conn = db.connect(self.config.monitor.state_dir)
        try:
            known = threads.load(conn, source_id)
        finally:
            conn.close()
        return {t.board for t in known.threads.values() if t.board}

    @staticmethod
    def _check_boards(source: SourceConfig, report: Any, memory: CrawlMemory) -> None:
        """A board that listed threads before and now parses to none: the markup changed."""
        rows = report.board_rows
        if not report.ok:
            return
        empty = tuple(b for b, n in rows.items() if n == 0 and b in memory.boards_with_threads)
        memory.boards_with_threads |= {b for b, n in rows.items() if n > 0}
        memory.empty_boards = empty
        if empty:
            log.error("source %s: boards %s parsed to zero threads (markup changed?)", source.id,
                      ", ".join(empty), extra={"source": source.id})

    # -- reload, health, housekeeping -----------------------------------------------------------
    async def reload(self) -> None:
        """SIGHUP: load the config again; a broken one is refused and the old one kept."""
        try:
            new = await asyncio.to_thread(load_config, self.config_dir, env=self.env)
        except ConfigError as e:
            log.error("reload refused, keeping the running config:\n%s", "\n".join(e.errors))
            self.notifier.status(f"reload refused ({len(e.errors)} errors); {self.status_line()}")
            return
        self.config = new
        self.alerter.rules = alerter_from_config(new).rules
        # a rule's own webhook (or the default one) may have changed too
        by_rule, default = webhooks_from_config(new)
        self.sender.webhooks, self.sender.default_webhook = by_rule, default
        self.scheduler.reload(new.sources)
        log.info("configuration reloaded: %d sources, %d rules", len(new.sources),
                 len(new.watchlists.rules))

    def status_line(self) -> str:
        sched = getattr(self, "scheduler", None)
        if sched is None:
            return "starting"
        last = [s.last_success for s in sched.states.values() if s.last_success]
        ago = f"{time.time() - max(last):.0f} s ago" if last else "none yet"
        spool = self._gauge(self.metrics.spool_depth)
        outbox = self._gauge(self.metrics.outbox_depth)
        return (f"{len(sched.states)} sources, {sched.running} crawling, last crawl {ago}, "
                f"spool {spool:.0f}, outbox {outbox:.0f}")

    @staticmethod
    def _gauge(gauge: Any) -> float:
        return gauge._value.get()

    def status(self, text: str) -> None:
        self.notifier.status(text)
        log.info("status: %s", text)

    def health(self) -> dict[str, Any]:
        sched = getattr(self, "scheduler", None)
        sources = {}
        for sid, st in (sched.states.items() if sched else ()):
            sources[sid] = {"ok": st.failures == 0, "failures": st.failures,
                            "last_success": st.last_success, "last_error": st.last_error,
                            "running": st.running}
        tor = self.tor.health() if self.tor else None
        tor_ok = tor is None or bool(tor.running and tor.circuit_established)
        es_ok = self._es_down_since() is None
        return {"healthy": tor_ok and es_ok, "status": self.status_line(), "tor_ok": tor_ok,
                "elasticsearch_ok": es_ok, "sources": sources}

    def _es_down_since(self) -> float | None:
        """Since when Elasticsearch has been unreachable: at setup, or later for the indexer
        (bulk requests failing as a whole while listings wait in the spool)."""
        indexer = getattr(self, "indexer", None)
        failing = indexer.failing_since if indexer else None
        return self.es_unreachable_since or failing or self.es_probe_failing_since

    async def _probe_es(self) -> None:
        """With nothing to index, no bulk request would notice an outage: ask the cluster's
        health now and then, so /healthz and the ops alert still know."""
        now = time.monotonic()
        every = self.config.monitor.ops.es_probe_every_s
        if not self.es_ready.is_set() or now - self._last_es_probe < every:
            return
        self._last_es_probe = now
        try:
            await self.es_client.options(request_timeout=5).cluster.health()
        except Exception as e:  # any transport or API error means "not answering as it should"
            if self.es_probe_failing_since is None:
                log.warning("Elasticsearch does not answer its health check: %s", e)
            self.es_probe_failing_since = self.es_probe_failing_since or time.time()
        else:
            self.es_probe_failing_since = None

    async def _housekeeping(self) -> None:
        interval = HOUSEKEEPING_S
        if self.runtime.watchdog_s:
            interval = min(interval, self.runtime.watchdog_s / 3)
        while not self.stop_event.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_event.wait(), interval)
            try:
                await self._update_gauges()
                await self._probe_es()
                await self._prune_evidence()
                await self.ops.evaluate(self._snapshot())
            except Exception:  # housekeeping must never stop the daemon
                log.exception("housekeeping failed")
            self.notifier.notify(watchdog=1, status=self.status_line())

    async def _prune_evidence(self) -> None:
        """Once an hour (and at start), off the reactor: a walk of the evidence folder."""
        now = time.monotonic()
        if now - self._last_prune < EVIDENCE_PRUNE_S:
            return
        self._last_prune = now
        mon = self.config.monitor
        await asyncio.to_thread(evidence.prune, mon.state_dir / "evidence", mon.evidence_keep_s)

    async def _update_gauges(self) -> None:
        depth = await self.indexer.spool_depth()
        self.metrics.spool_depth.set(depth.rows)
        self.metrics.spool_age.set(depth.age_s(self.store.clock()) or 0)
        if self.tor is not None:
            h = await asyncio.to_thread(self.tor.health)
            self.metrics.tor_bootstrap.set(h.bootstrap.progress if h.bootstrap else 0)
            self.metrics.tor_circuits.set(h.built_circuits)

    def _snapshot(self) -> Snapshot:
        sources = {}
        for sid, st in self.scheduler.states.items():
            mem = self.memory.get(sid, CrawlMemory())
            sources[sid] = SourceHealth(first_failure=st.first_failure,
                                        last_error=st.last_error,
                                        login_failed=mem.login_failed,
                                        empty_boards=mem.empty_boards)
        tor_ok, detail = True, ""
        if self.tor is not None:
            h = self.tor.health()
            tor_ok = bool(h.running and h.circuit_established)
            detail = h.last_warning or ("not running" if not h.running else "no circuit")
        return Snapshot(sources=sources, tor_ok=tor_ok, tor_detail=detail,
                        es_unreachable_since=self._es_down_since())

    async def _send_ops(self, payload: dict[str, Any]) -> None:
        hook = self.config.monitor.slack.ops_webhook
        if hook is not None:
            await self.slack.post(hook.reveal(), payload, rule_id="ops")

    # -- shutdown -------------------------------------------------------------------------------
    async def shutdown(self) -> int:
        """Stop scheduling, let crawls finish within a bound, flush outbox and spool, exit 0."""
        log.info("stopping: finishing crawls in flight (at most %.0f s)", STOP_GRACE_S)
        self.notifier.stopping("stopping: finishing crawls in flight")
        self.stop_event.set()
        await self.scheduler.stop(STOP_GRACE_S)
        await self.store.flush()
        if self.es_ready.is_set():
            await self.indexer.close(timeout_s=10)
        for task in self._tasks:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, 15)
        await self.server.stop()
        await self.es_client.close()
        self.store.close()
        if self.tor is not None:
            await asyncio.to_thread(self.tor.stop)
        conn = db.connect(self.config.monitor.state_dir)
        depth, pending = spool.depth(conn).rows, outbox.depth(conn)
        conn.close()
        log.info("stopped; for the next start %d index actions wait in the spool, %d alerts in "
                 "the outbox", depth, pending)
        self.notifier.close()
        return 0


def run_daemon(config_dir: str | Path, runtime: RuntimeEnv) -> int:
    """Install the asyncio reactor, run the daemon in it, return its exit status."""
    from scrapy.utils.defer import deferred_from_coro
    from scrapy.utils.reactor import install_reactor

    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 PID` prints every thread's stack
    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor

    outcome: list[Any] = []

    async def main() -> int:
        daemon = Daemon(config_dir, runtime)
        return await daemon.run()

    def done(result: Any) -> None:
        outcome.append(result)
        reactor.stop()  # type: ignore[attr-defined]

    d = deferred_from_coro(main())
    d.addBoth(done)
    reactor.run(installSignalHandlers=False)  # type: ignore[attr-defined]
    result = outcome[0] if outcome else 1
    if hasattr(result, "value"):  # a Failure
        raise result.value
    return int(result)
