"""`bazaarwatch run` as systemd runs it: a real process with a NOTIFY_SOCKET the test owns,
crawling two lab forums (direct, on loopback) into the real Elasticsearch and alerting the lab
Slack receiver. READY, STATUS and WATCHDOG arrive; a post added at a random moment reaches the
receiver once; SIGHUP takes a new watchlist and refuses a broken one; SIGTERM ends it cleanly
with nothing left behind."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from monitor.lab.forum import LabForums
from monitor.lab.slack import SlackReceiver
from monitor.state import db, outbox, spool
from tests.crawl_helpers import ROOT, lab_source
from tests.daemon_helpers import WATCH_BPJS, wait_for

WATCH_BOTH = WATCH_BPJS + """
  - id: tokopedia
    terms: [Tokopedia]
"""


class NotifySocket:
    """A datagram socket standing in for systemd's: a thread records every notification."""

    def __init__(self, path: Path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[dict[str, str]] = []
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while not self.closed:
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.messages.append(dict(line.split("=", 1)
                                      for line in data.decode().splitlines() if "=" in line))

    def poll(self) -> list[dict[str, str]]:
        return list(self.messages)

    def has(self, key: str) -> bool:
        return any(key in m for m in self.poll())


class Daemon:
    def __init__(self, tmp_path: Path, forums: LabForums, receiver: SlackReceiver,
                 es_url: str, prefix: str):
        self.config_dir = tmp_path / "config"
        self.config_dir.mkdir()
        self.state_dir = tmp_path / "state"
        sources = [lab_source(forums, "mybblab", "mybb", ["databases", "leaks"], interval="4s",
                              jitter="0s"),
                   lab_source(forums, "xflab", "xenforo", ["databases"], interval="20s",
                              jitter="1s")]
        (self.config_dir / "monitor.yaml").write_text(
            f"state_dir: {self.state_dir}\nmetrics: {{port: 0}}\n"
            f"elasticsearch: {{index_prefix: '{prefix}'}}\n"
            "slack: {webhook_env: LAB_HOOK, ops_webhook_env: LAB_OPS_HOOK}\n"
            "defaults: {download_delay: 0s, backfill_pages: 10, overlap: 0s}\n")
        (self.config_dir / "sources.yaml").write_text(json.dumps({"sources": sources}))
        (self.config_dir / "watchlists.yaml").write_text(WATCH_BPJS)
        self.notify = NotifySocket(tmp_path / "notify.sock")
        self.log = (tmp_path / "daemon.log").open("w+")
        env = {**os.environ, "NOTIFY_SOCKET": str(self.notify.path),
               "WATCHDOG_USEC": "1500000", "BAZAARWATCH_ES_URL": es_url,
               "LAB_HOOK": receiver.webhook_url(),
               "LAB_OPS_HOOK": receiver.webhook_url("T0LAB/B0LAB/ops")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--config-dir", str(self.config_dir)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, text=True)

    def events(self) -> list[dict[str, Any]]:
        lines = Path(self.log.name).read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def logged(self, needle: str) -> bool:
        return any(needle in e.get("msg", "") for e in self.events())

    def crawls_done(self, source: str) -> int:
        return sum(1 for e in self.events()
                   if e.get("msg", "").startswith(f"source {source}: crawl done"))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        finally:
            self.log.close()


@pytest.fixture
def daemon(tmp_path: Path, forums: LabForums, slack_receiver: SlackReceiver, es_url: str,
           es_prefix: str) -> Iterator[Daemon]:
    slack_receiver.reset()
    d = Daemon(tmp_path, forums, slack_receiver, es_url, es_prefix)
    try:
        yield d
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()


def bpjs_messages(receiver: SlackReceiver, needle: str) -> list[dict[str, Any]]:
    return [m for m in receiver.messages() if needle in json.dumps(m["payload"])]


def test_daemon_under_systemd_notify(daemon: Daemon, forums: LabForums,
                                     slack_receiver: SlackReceiver, es: Elasticsearch,
                                     es_prefix: str) -> None:
    wait_for("READY=1", lambda: any(m.get("READY") == "1" for m in daemon.notify.poll()),
             proc=daemon.proc)
    wait_for("the first crawls", lambda: daemon.crawls_done("mybblab") >= 1
             and daemon.crawls_done("xflab") >= 1, proc=daemon.proc)
    wait_for("WATCHDOG=1", lambda: daemon.notify.has("WATCHDOG"), proc=daemon.proc)
    statuses = [m["STATUS"] for m in daemon.notify.poll() if "STATUS" in m]
    assert any(s.startswith("2 sources,") and "spool" in s and "outbox" in s for s in statuses)

    # the metrics endpoint is up and counts the crawls
    port = wait_for("metrics port", lambda: next(
        (int(e["msg"].rsplit(":", 1)[1].split("/")[0]) for e in daemon.events()
         if e.get("msg", "").startswith("metrics on http://")), None))
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    assert b'bazaarwatch_crawls_total{outcome="finished",source="mybblab"}' in metrics

    # a Kotz-style post added at a random moment reaches the receiver exactly once
    slack_receiver.reset()
    time.sleep(random.uniform(0, 3))
    forums.add_thread("mybb", "databases", "[SELLING] BPJS Kesehatan 279M peserta",
                      "279 juta data BPJS Kesehatan. Sample 1 juta https://mega.nz/file/x#k. "
                      "Price 0.15 BTC", author="Kotz")
    wait_for("the alert", lambda: bpjs_messages(slack_receiver, "279M peserta"))
    crawls = daemon.crawls_done("mybblab")
    wait_for("two more crawls", lambda: daemon.crawls_done("mybblab") >= crawls + 2,
             proc=daemon.proc)
    assert len(bpjs_messages(slack_receiver, "279M peserta")) == 1
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    assert b"bazaarwatch_es_bulk_seconds_count " in metrics
    assert b"bazaarwatch_es_bulk_seconds_count 0.0" not in metrics

    # SIGHUP with a new watchlist: the next crawl uses it
    (daemon.config_dir / "watchlists.yaml").write_text(WATCH_BOTH)
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for("the reload", lambda: daemon.logged("configuration reloaded: 2 sources, 2 rules"))
    forums.add_thread("mybb", "leaks", "Tokopedia 91M users full dump",
                      "Tokopedia 91 million accounts, free download https://gofile.io/d/Tk91",
                      author="ShinyHunters")
    wait_for("the new rule's alert", lambda: bpjs_messages(slack_receiver, "Tokopedia 91M"))

    # a broken config on SIGHUP is refused; the daemon keeps running with the old one
    (daemon.config_dir / "watchlists.yaml").write_text("rules:\n  - id: Bad Id\n")
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for("the refusal", lambda: daemon.logged("reload refused"))
    crawls = daemon.crawls_done("mybblab")
    wait_for("a crawl after the refusal", lambda: daemon.crawls_done("mybblab") > crawls,
             proc=daemon.proc)

    # SIGTERM: clean exit, nothing left in the spool or the outbox, everything indexed once
    assert daemon.stop() == 0
    assert daemon.notify.has("STOPPING")
    conn = db.connect(daemon.state_dir)
    assert spool.depth(conn).rows == 0 and outbox.depth(conn) == 0
    es.indices.refresh(index=f"{es_prefix}listings")
    threads = sum(len(site.threads) for key, site in forums.state.sites.items()
                  if key in ("mybb", "xf"))
    count = es.count(index=f"{es_prefix}listings")["count"]
    assert 0 < count <= threads
    assert daemon.logged("stopped; for the next start 0 index actions wait in the spool, 0 alerts")


def ops_messages(receiver: SlackReceiver) -> list[str]:
    return [m["payload"]["text"] for m in receiver.messages() if m["path"].endswith("/ops")]


def test_markup_change_alerts_the_operator_once_then_recovers(
        daemon: Daemon, forums: LabForums, slack_receiver: SlackReceiver) -> None:
    wait_for("the first crawls", lambda: daemon.crawls_done("mybblab") >= 1, proc=daemon.proc)
    forums.set_faults("mybb", broken_markup=True)  # a theme update renamed every class
    wait_for("the ops alert", lambda: ops_messages(slack_receiver), proc=daemon.proc)
    crawls = daemon.crawls_done("mybblab")
    wait_for("two more crawls", lambda: daemon.crawls_done("mybblab") >= crawls + 2,
             proc=daemon.proc)
    [alert] = ops_messages(slack_receiver)
    assert "mybblab" in alert and "zero threads" in alert
    forums.set_faults("mybb", broken_markup=False)
    wait_for("the recovery", lambda: len(ops_messages(slack_receiver)) >= 2, proc=daemon.proc)
    crawls = daemon.crawls_done("mybblab")
    wait_for("two more crawls", lambda: daemon.crawls_done("mybblab") >= crawls + 2,
             proc=daemon.proc)
    messages = ops_messages(slack_receiver)
    assert len(messages) == 2 and messages[1].startswith("Bazaarwatch ops: Recovered: board")
    assert daemon.stop() == 0
