"""Faults the daemon must ride out without losing or repeating anything: Elasticsearch cut off
for a while, its managed tor killed, the Slack receiver answering 500 for a minute, and the
daemon itself SIGKILLed in the middle of a crawl and started again on the same state dir.
`bazaarwatch run` is a real process crawling the lab forums into the real Elasticsearch and
alerting the lab Slack receiver. After each fault every lab thread of the crawled boards is in
`listings` once with the state store's version (and each version once in `listing-history`),
every queued alert reached the receiver once, and the spool and the outbox are empty."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from monitor.lab.forum import LabForums
from monitor.lab.slack import SlackReceiver
from monitor.lab.tornet import TorNetwork
from monitor.state import db, outbox, spool
from monitor.tor import free_ports
from tests.crawl_helpers import lab_source
from tests.daemon_helpers import (
    DaemonRun,
    alert_messages,
    assert_alerted_once,
    assert_indexed_once,
    daemon_run,
    es_proxy,
    lab_threads,
    ops_texts,
    stored_versions,
    wait_for,
)
from tests.fixtures.elasticsearch import EsProxy

BOARDS = ["databases", "leaks"]
OUTAGE_S = 60.0  # how long the receiver keeps answering 500
ES_OUTAGE_S = 40.0  # how long Elasticsearch is cut off
ES_DOWN_AFTER_S = 10  # ops.es_down_after in the test's monitor.yaml


def outbox_waiting(state_dir: Path) -> int:
    conn = db.connect(state_dir)
    try:
        return outbox.depth(conn)
    finally:
        conn.close()


def spool_waiting(state_dir: Path) -> int:
    conn = db.connect(state_dir)
    try:
        return spool.depth(conn).rows
    finally:
        conn.close()


def add_posts(forums: LabForums, board: str, tag: str) -> list[str]:
    """Two posts on the lab MyBB board that the test watchlist alerts on; their titles."""
    titles = [f"[SELLING] BPJS Kesehatan 279M peserta ({tag})",
              f"Data nasabah Indonesia 12 juta NIK ({tag})"]
    for title in titles:
        forums.add_thread("mybb", board, title, f"{title}: 279 juta data. Sample "
                          "https://mega.nz/file/x#k. Price 0.15 BTC", author="Kotz")
    return titles


def alerted(receiver: SlackReceiver, titles: list[str]) -> bool:
    """Has the receiver accepted an alert for each of `titles`?"""
    return all(any(t in str(m["payload"]) for m in alert_messages(receiver)) for t in titles)


def sleep_until(moment: float) -> None:
    """Hold a fault until `moment` (time.monotonic()): the outage lasts, nothing is timed."""
    time.sleep(max(0.0, moment - time.monotonic()))


def refused_posts(receiver: SlackReceiver, needle: str) -> int:
    return sum(1 for r in receiver.requests() if r["status"] == 500 and needle in str(r["payload"]))


def test_receiver_answering_500_for_a_minute(tmp_path: Path, forums: LabForums,
                                             slack_receiver: SlackReceiver, es: Elasticsearch,
                                             es_url: str, es_prefix: str) -> None:
    slack_receiver.reset()
    source = lab_source(forums, "mybblab", "mybb", BOARDS, interval="4s", jitter="0s")
    with daemon_run(tmp_path, sources=[source], es_url=es_url, prefix=es_prefix,
                    receiver=slack_receiver) as d:
        d.start()
        d.wait_crawls("mybblab")
        wait_for("the seeded listings' alerts", lambda: outbox_waiting(d.state_dir) == 0
                 and alert_messages(slack_receiver), proc=d.proc)

        slack_receiver.fail_next(1_000_000, 500)  # until told otherwise
        down = time.monotonic()
        titles = add_posts(forums, "databases", "outage")
        # the oldest is tried (and retried) first; the other waits behind it
        wait_for("the new alerts queued, the first refused with 500",
                 lambda: refused_posts(slack_receiver, titles[0])
                 and outbox_waiting(d.state_dir) == 2, proc=d.proc)
        d.wait_crawls("mybblab", 2)  # crawling goes on while Slack is down
        sleep_until(down + OUTAGE_S)
        assert outbox_waiting(d.state_dir) == 2
        assert not any(t in str(m["payload"]) for m in alert_messages(slack_receiver)
                       for t in titles)

        slack_receiver.stop_failing()  # Slack answers again
        wait_for("the waiting alerts delivered", lambda: alerted(slack_receiver, titles),
                 proc=d.proc)
        d.wait_crawls("mybblab", 2)
        assert d.stop() == 0
    assert_alerted_once(slack_receiver, d.state_dir, titles)
    assert_indexed_once(es, es_prefix, d.state_dir, lab_threads(forums, "mybblab", "mybb", BOARDS))


def test_sigkill_during_a_crawl_then_restart(tmp_path: Path, forums: LabForums,
                                             slack_receiver: SlackReceiver, es: Elasticsearch,
                                             es_url: str, es_prefix: str) -> None:
    slack_receiver.reset()
    # Slack refuses everything until the restart: the alerts queued before the kill must be
    # delivered by the next run. (With Slack answering, a kill between its 200 and the outbox's
    # `sent` write may repeat an alert: webhooks carry no idempotency key; see
    # monitor.state.outbox. Refusing keeps this test about the kill, not about that window.)
    slack_receiver.fail_next(1_000_000, 500)
    # a slow first crawl (about 30 pages a quarter second apart), to be killed in the middle
    sources = [lab_source(forums, "mybblab", "mybb", BOARDS, interval="4s", jitter="0s",
                          download_delay="0.25s"),
               lab_source(forums, "xflab", "xenforo", ["databases"], interval="6s",
                          jitter="0s", download_delay="0.25s")]
    with daemon_run(tmp_path, sources=sources, es_url=es_url, prefix=es_prefix,
                    receiver=slack_receiver) as d:
        d.start()
        wait_for("listings recorded and alerts queued in the first crawl",
                 lambda: len(stored_versions(d.state_dir)) >= 3
                 and outbox_waiting(d.state_dir) >= 1, proc=d.proc)
        assert d.crawls_done("mybblab") == 0  # still crawling
        d.kill()
        queued = outbox_waiting(d.state_dir)
        assert queued >= 1 and not alert_messages(slack_receiver)
        slack_receiver.stop_failing()  # Slack answers again

        title = "[SELLING] BPJS Kesehatan 279M peserta (after the kill)"
        forums.add_thread("mybb", "leaks", title, "279 juta data BPJS Kesehatan. Sample "
                          "https://mega.nz/file/x#k. Price 0.15 BTC", author="Kotz")
        d.start()  # same state dir
        wait_for("the new post's alert", lambda: any(
            title in str(m["payload"]) for m in alert_messages(slack_receiver)), proc=d.proc)
        d.wait_crawls("mybblab", 2)
        d.wait_crawls("xflab", 1)
        wait_for("the outbox emptied", lambda: outbox_waiting(d.state_dir) == 0, proc=d.proc)
        assert d.stop() == 0
    rows = assert_alerted_once(slack_receiver, d.state_dir, [title])
    assert len(rows) > queued
    expected = {**lab_threads(forums, "mybblab", "mybb", BOARDS),
                **lab_threads(forums, "xflab", "xenforo", ["databases"])}
    assert_indexed_once(es, es_prefix, d.state_dir, expected)


def test_elasticsearch_unreachable_for_a_while(tmp_path: Path, forums: LabForums,
                                               slack_receiver: SlackReceiver, es: Elasticsearch,
                                               es_url: str, es_prefix: str) -> None:
    slack_receiver.reset()
    with behind_es_proxy(tmp_path, forums, slack_receiver, es_url, es_prefix) as (proxy, d):
        d.start()
        d.wait_crawls("mybblab")
        wait_for("the seeded listings indexed and alerted", lambda: spool_waiting(d.state_dir)
                 == 0 and outbox_waiting(d.state_dir) == 0 and alert_messages(slack_receiver),
                 proc=d.proc)

        proxy.mode = "drop"  # the node is gone: connections cut without an answer
        down = time.monotonic()
        titles = add_posts(forums, "leaks", "ES down")
        forums.add_thread("mybb", "databases", "Random forum chatter (ES down)",
                          "nothing for sale here", author="ghostlurk")
        # alerts never wait for Elasticsearch; the listings wait in the spool
        wait_for("the alerts while Elasticsearch is down",
                 lambda: alerted(slack_receiver, titles), proc=d.proc)
        wait_for("the listings spooled", lambda: spool_waiting(d.state_dir) >= 6, proc=d.proc)
        wait_for("the ES-down ops alert", lambda: ops_texts(slack_receiver), proc=d.proc)
        d.wait_crawls("mybblab", 2)  # crawling goes on
        sleep_until(down + ES_OUTAGE_S)
        assert spool_waiting(d.state_dir) == 6  # 3 listings: `listings` + `listing-history`
        assert proxy.requests.get("drop", 0) > 0

        proxy.mode = "up"
        wait_for("the spool drained", lambda: spool_waiting(d.state_dir) == 0, proc=d.proc)
        wait_for("the recovery message", lambda: len(ops_texts(slack_receiver)) >= 2,
                 proc=d.proc)
        d.wait_crawls("mybblab", 2)
        assert d.stop() == 0
    assert_es_outage_survived(es, es_prefix, forums, slack_receiver, d.state_dir, titles)


def test_elasticsearch_lost_while_nothing_is_indexed(tmp_path: Path, forums: LabForums,
                                                     slack_receiver: SlackReceiver,
                                                     es_url: str, es_prefix: str) -> None:
    """With no new listing, no bulk request would notice an outage: the health probe
    (`ops.es_probe_every`) does, so the ops alert and its recovery still come."""
    slack_receiver.reset()
    source = lab_source(forums, "mybblab", "mybb", BOARDS, interval="4s", jitter="0s")
    ops = {"es_down_after": "4s", "es_probe_every": "1s"}
    with es_proxy(es_url) as proxy, daemon_run(
            tmp_path, sources=[source], es_url=proxy.url, prefix=es_prefix,
            receiver=slack_receiver, monitor={"ops": ops}) as d:
        d.start()
        d.wait_crawls("mybblab")
        wait_for("the seeded listings indexed and alerted", lambda: spool_waiting(d.state_dir)
                 == 0 and outbox_waiting(d.state_dir) == 0, proc=d.proc)

        proxy.mode = "drop"
        wait_for("the failing health check logged",
                 lambda: d.logged("does not answer its health check"), proc=d.proc)
        wait_for("the ES-down ops alert", lambda: ops_texts(slack_receiver), proc=d.proc)
        assert spool_waiting(d.state_dir) == 0  # nothing waited to be indexed: the probe saw it

        proxy.mode = "up"
        wait_for("the recovery message", lambda: len(ops_texts(slack_receiver)) >= 2,
                 proc=d.proc)
        assert d.stop() == 0
    down_msg, recovered = ops_texts(slack_receiver)
    assert "Elasticsearch has been unreachable" in down_msg
    assert recovered.startswith("Bazaarwatch ops: Recovered: Elasticsearch answers again")


@contextmanager
def behind_es_proxy(tmp_path: Path, forums: LabForums, receiver: SlackReceiver, es_url: str,
                    prefix: str) -> Iterator[tuple[EsProxy, DaemonRun]]:
    """A daemon crawling the lab MyBB forum every 4 s into Elasticsearch through a proxy the
    test can cut, with a short ES-down threshold for ops alerts. Not started yet."""
    source = lab_source(forums, "mybblab", "mybb", BOARDS, interval="4s", jitter="0s")
    with es_proxy(es_url) as proxy, daemon_run(
            tmp_path, sources=[source], es_url=proxy.url, prefix=prefix, receiver=receiver,
            monitor={"ops": {"es_down_after": f"{ES_DOWN_AFTER_S}s"}}) as d:
        yield proxy, d


def assert_es_outage_survived(es: Elasticsearch, prefix: str, forums: LabForums,
                              receiver: SlackReceiver, state_dir: Path,
                              titles: list[str]) -> None:
    """One ES-down ops alert and one recovery; nothing lost or sent twice; every alert sent
    is in the `alerts` index too (indexed late, once Elasticsearch answered)."""
    down_msg, recovered = ops_texts(receiver)
    assert "Elasticsearch has been unreachable" in down_msg
    assert recovered.startswith("Bazaarwatch ops: Recovered: Elasticsearch answers again")
    rows = assert_alerted_once(receiver, state_dir, titles)
    assert_indexed_once(es, prefix, state_dir, lab_threads(forums, "mybblab", "mybb", BOARDS))
    hits = es.search(index=f"{prefix}alerts", size=1000, source=False)["hits"]["hits"]
    assert sorted(h["_id"] for h in hits) == sorted(r.id for r in rows)


def torrc_yaml(options: dict[str, Any]) -> dict[str, Any]:
    """torrc options as monitor.yaml's tor.extra_torrc takes them (a list: several lines)."""
    return {k: [str(x) for x in v] if isinstance(v, list | tuple) else str(v)
            for k, v in options.items()}


def test_managed_tor_killed(tmp_path: Path, tornet: TorNetwork, forums: LabForums,
                            slack_receiver: SlackReceiver, es: Elasticsearch, es_url: str,
                            es_prefix: str) -> None:
    slack_receiver.reset()
    onion = tornet.add_onion(forums.port, name=f"faults-{tmp_path.name}")
    root = f"http://{onion}"
    source = lab_source(forums, "mybbonion", "mybb", BOARDS, root=root, interval="5s",
                        jitter="0s")
    socks_port, control_port = free_ports(2)  # never tor's usual 9150/9151 in a test
    tor = {"mode": "managed", "bootstrap_timeout": "120s", "socks_port": socks_port,
           "control_port": control_port,
           "extra_torrc": torrc_yaml(tornet.client_torrc_options())}
    with daemon_run(tmp_path, sources=[source], es_url=es_url, prefix=es_prefix,
                    receiver=slack_receiver, monitor={"tor": tor}) as d:
        d.start()
        d.wait_crawls("mybbonion", timeout=300)
        wait_for("the seeded listings' alerts", lambda: outbox_waiting(d.state_dir) == 0
                 and alert_messages(slack_receiver), proc=d.proc)

        pid = int((d.state_dir / "tor" / "tor.pid").read_text())
        assert any(f"tor: launched pid {pid}" in m for m in d.messages())
        os.kill(pid, signal.SIGKILL)
        titles = add_posts(forums, "databases", "tor killed")
        wait_for("tor relaunched", lambda: next(
            (m for m in d.messages() if m.startswith("tor relaunched as pid")), None),
            timeout=180, proc=d.proc)
        wait_for("the new posts' alerts", lambda: alerted(slack_receiver, titles),
                 timeout=180, proc=d.proc)
        d.wait_crawls("mybbonion", 2, timeout=180)
        relaunched = [int(n) for m in d.messages()
                      for n in re.findall(r"^tor: launched pid (\d+)", m)]
        assert len(relaunched) == 2 and relaunched[0] == pid and relaunched[1] != pid
        assert d.stop() == 0
    assert_alerted_once(slack_receiver, d.state_dir, titles)
    assert_indexed_once(es, es_prefix, d.state_dir,
                        lab_threads(forums, "mybbonion", "mybb", BOARDS, root))
    tor_down = [t for t in ops_texts(slack_receiver) if "tor is down" in t]
    tor_up = [t for t in ops_texts(slack_receiver) if "Recovered: tor is up" in t]
    assert len(tor_down) <= 1 and len(tor_up) == len(tor_down)


def test_elasticsearch_unreachable_at_start(tmp_path: Path, forums: LabForums,
                                            slack_receiver: SlackReceiver, es: Elasticsearch,
                                            es_url: str, es_prefix: str) -> None:
    """Before `es setup` could run: the first crawls go to the spool, alerts go out at once,
    and once Elasticsearch answers the setup runs and the whole spool is replayed."""
    slack_receiver.reset()
    with behind_es_proxy(tmp_path, forums, slack_receiver, es_url, es_prefix) as (proxy, d):
        proxy.mode = "drop"
        d.start()
        d.wait_crawls("mybblab", 2)
        wait_for("the seeded listings' alerts", lambda: outbox_waiting(d.state_dir) == 0
                 and alert_messages(slack_receiver), proc=d.proc)
        wait_for("the ES-down ops alert", lambda: ops_texts(slack_receiver), proc=d.proc)
        spooled = spool_waiting(d.state_dir)
        assert spooled == 2 * len(lab_threads(forums, "mybblab", "mybb", BOARDS))
        assert not es.indices.exists_alias(name=f"{es_prefix}listings")

        proxy.mode = "up"
        wait_for("the spool replayed", lambda: spool_waiting(d.state_dir) == 0, proc=d.proc)
        wait_for("the recovery message", lambda: len(ops_texts(slack_receiver)) >= 2,
                 proc=d.proc)
        titles = add_posts(forums, "leaks", "after setup")
        wait_for("the new posts' alerts", lambda: alerted(slack_receiver, titles), proc=d.proc)
        d.wait_crawls("mybblab", 2)
        assert d.stop() == 0
    assert_es_outage_survived(es, es_prefix, forums, slack_receiver, d.state_dir, titles)
