"""The transport over the lab's private Tor network, in real crawls (monitor.transport.probe):
an onion page through the handler, per-source circuits, no local name resolution, and a managed
tor killed in the middle of a crawl."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.lab.tornet import TorNetwork
from monitor.tor import TorController
from tests.fixtures.transport import run_probe

pytestmark = pytest.mark.tor


def _socks(tornet: TorNetwork) -> str:
    return f"127.0.0.1:{tornet.socks_port}"


def test_onion_page_through_the_handler(tornet: TorNetwork, lab_onion: str,
                                        tor_streams: Any) -> None:
    with tor_streams(tornet) as streams:
        results, summary = run_probe("--socks", _socks(tornet), "--body",
                                     "--url", f"forum-a=http://{lab_onion}/p/1")

    [result] = results
    assert result["status"] == 200, result
    assert "<title>Page 1</title>" in result["body"]
    assert summary["stats"]["bazaarwatch/transport/requests/tor"] == 1
    assert streams.targets() == {f"{lab_onion}:80"}
    assert {s.socks_username for s in streams.events} == {"forum-a"}


def test_sources_get_their_own_circuits_and_keep_them(tornet: TorNetwork, lab_onion: str,
                                                      tor_streams: Any) -> None:
    urls = [arg for n in range(6) for source in ("forum-a", "forum-b")
            for arg in ("--url", f"{source}=http://{lab_onion}/slow/{source}-{n}")]
    with tor_streams(tornet) as streams:
        results, _ = run_probe("--socks", _socks(tornet), "--concurrency", "4", *urls)

    assert [r.get("status") for r in results] == [200] * 12, results
    a, b = streams.circuits("forum-a"), streams.circuits("forum-b")
    assert len(a) == 1 and len(b) == 1, streams.events  # each source on one circuit...
    assert a.isdisjoint(b)  # ...and never the other's
    # the same source opened several streams (connections) and all went on its circuit
    assert len(streams.stream_ids("forum-a")) >= 2 and len(streams.stream_ids("forum-b")) >= 2


def test_host_names_are_resolved_by_tor_only(tornet: TorNetwork, dns_trap: tuple,
                                             tor_streams: Any) -> None:
    name, port, hosts, trap = dns_trap
    with tor_streams(tornet) as streams:
        results, summary = run_probe("--socks", _socks(tornet), "--audit-dns", "--body",
                                     "--url", f"forum-a=http://{name}:{port}/p/dns",
                                     hosts_file=hosts)

    assert [r.get("status") for r in results] == [200], results
    assert "<title>Page dns</title>" in results[0]["body"]
    assert trap.connections == 0  # nothing went direct
    assert summary["resolved"] == []  # no getaddrinfo/gethostbyname from Python either
    assert {s.socks_username for s in streams.events} == {"forum-a"}
    # tor got the name (and mapped it to the onion itself), not an address
    assert {s.target for s in streams.events if s.status == "NEW"} == {f"{name}:{port}"}


@pytest.fixture
def managed_tor(tornet: TorNetwork, tmp_path: Path) -> Iterator[TorController]:
    tor = TorController(data_dir=tmp_path / "tor", extra_torrc=tornet.client_torrc_options())
    with tor:
        yield tor


def test_tor_killed_mid_crawl_is_restarted_and_the_crawl_completes(
        managed_tor: TorController, lab_onion: str) -> None:
    pages = 24
    urls = [a for n in range(pages) for a in ("--url", f"forum-a=http://{lab_onion}/slow/k{n}")]
    killed = threading.Event()
    old_pid = managed_tor.pid
    assert old_pid is not None

    def kill_after_a_few(result: dict[str, Any]) -> None:
        if not killed.is_set() and "status" in result:
            killed.set()
            os.kill(old_pid, signal.SIGKILL)

    results, summary = run_probe("--socks", f"127.0.0.1:{managed_tor.socks_port}",
                                 "--concurrency", "2", "--tor-wait", "180", "--retries", "3",
                                 *urls, timeout=420, on_line=kill_after_a_few)

    assert killed.is_set()
    assert managed_tor.restarts >= 1 and managed_tor.pid != old_pid
    assert sorted(r["url"] for r in results if r.get("status") == 200) == sorted(
        u.split("=", 1)[1] for u in urls[1::2]), results
    stats = summary["stats"]
    # some requests failed while tor was down and were carried again once it was back
    assert stats.get("bazaarwatch/transport/tor_came_back", 0) + stats.get(
        "retry/count", 0) >= 1, stats
