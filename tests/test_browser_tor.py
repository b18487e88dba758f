"""Chromium over Tor (monitor.transport.browser) on the lab's private network, in real crawls:
the rendered page and its screenshot, no stream to any host but the onion (stem STREAM events),
nothing through Chromium's launch-level proxy (a recording SOCKS sink), foreign requests of a
page aborted, plain pages never starting a browser, and a render request refused without a
SocksPort of its own."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.config import SourceConfig
from monitor.lab.tornet import TorNetwork
from monitor.tor import TorController
from monitor.transport import chromium
from monitor.transport.socksports import BrowserPorts
from tests.fixtures.transport import LabSite, run_probe

pytestmark = [pytest.mark.tor, pytest.mark.browser]


@pytest.fixture(scope="module", autouse=True)
def _chromium_installed() -> None:
    if not os.access(chromium.CHROMIUM_BINARY, os.X_OK):
        pytest.fail(f"{chromium.CHROMIUM_BINARY} missing: {chromium.INSTALL_HINT}", pytrace=False)


@pytest.fixture(scope="module")
def tor_control(tornet: TorNetwork) -> Iterator[TorController]:
    """monitor.tor's controller attached to the lab client (external mode)."""
    with TorController(mode="external", control_port=tornet.control_port,
                       cookie_path=tornet.control_cookie_path) as tor:
        yield tor


@pytest.fixture(scope="module")
def browser_ports(tor_control: TorController) -> BrowserPorts:
    return BrowserPorts(tor_control)


@pytest.fixture(scope="module")
def browser_port(browser_ports: BrowserPorts) -> int:
    """A SocksPort of its own for the rendering source, added at run time through stem."""
    return browser_ports.port_for("forum-r")


def _source(source_id: str, render: str, direct: bool = False) -> SourceConfig:
    return SourceConfig(id=source_id, name=source_id, engine="mybb",
                        base_url="http://example.onion/", boards=(), interval_s=900,
                        jitter_s=60, render=render, direct=direct)


def test_each_rendering_source_gets_a_socksport_of_its_own(browser_ports: BrowserPorts,
                                                           browser_port: int) -> None:
    sources = [_source("forum-r", "always"), _source("forum-c", "challenge"),
               _source("forum-p", "false"), _source("lab", "always", direct=True)]

    ports = browser_ports.for_sources(sources)

    assert set(ports) == {"forum-r", "forum-c"}
    assert ports["forum-r"] == browser_port  # kept for the process
    assert ports["forum-c"] != browser_port
    assert browser_ports.for_sources(sources) == ports
    for port in ports.values():
        socket.create_connection(("127.0.0.1", port), timeout=5).close()  # tor listens


class SocksSink:
    """A SOCKS5 server on loopback that records each CONNECT target and refuses it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.connections.append(self._target(conn))

    @staticmethod
    def _target(conn: socket.socket) -> str:
        try:
            conn.settimeout(5)
            greeting = conn.recv(2 + 255)
            conn.sendall(b"\x05\x00")
            request = conn.recv(4 + 256 + 2)
            conn.sendall(b"\x05\x04\x00\x01" + bytes(6))  # host unreachable
        except OSError:
            return "?"
        if len(greeting) < 2 or len(request) < 5:
            return "?"
        if request[3] == 3:
            return request[5:5 + request[4]].decode("latin-1")
        return request[4:-2].hex()


@pytest.fixture
def sink() -> Iterator[SocksSink]:
    s = SocksSink()
    yield s
    s.sock.close()


def test_rendered_page_screenshot_and_no_stream_but_the_onion(
        tornet: TorNetwork, lab_onion: str, lab_site: LabSite, browser_port: int,
        sink: SocksSink, tor_streams: Any, tmp_path: Path) -> None:
    # lab_site is shared by the session: a direct source's test may have loaded its loopback
    # probe already (allowed there), so only what this test causes counts
    paths_before, stun_before = len(lab_site.paths), len(lab_site.stun_packets)
    with tor_streams(tornet) as streams:
        results, summary = run_probe(
            "--socks", f"127.0.0.1:{tornet.socks_port}", "--body",
            "--browser-socks", f"forum-r={browser_port}",
            "--browser-fallback-proxy", f"socks5://127.0.0.1:{sink.port}",
            "--render-url", f"forum-r=http://{lab_onion}/js",
            "--render-url", f"forum-r=http://{lab_onion}/leaky",
            "--screenshot-dir", str(tmp_path), "--linger", "20")

    by_path = {r["url"].rsplit("/", 1)[1]: r for r in results}
    assert by_path["js"]["status"] == 200, results
    assert "rendered by javascript" in by_path["js"]["body"]  # the DOM after scripts ran
    assert "playwright" in by_path["js"]["flags"]
    # the context's cookies (set by a script and HttpOnly from the server) come back for the jar
    assert by_path["js"]["cookies"] == ["challenge", "lab_session"]
    shot = Path(by_path["js"]["screenshot"])
    assert shot.parent == tmp_path and shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert by_path["leaky"]["status"] == 200

    # every stream the browser opened in tor went to the onion, none to Google or elsewhere
    assert streams.events, "the browser opened no stream at all"
    assert streams.targets() == {f"{lab_onion}:80"}
    # nothing went through Chromium's launch-level proxy (its own background requests)
    assert sink.connections == []
    # the page's third-party and loopback requests were aborted before leaving
    assert summary["stats"]["bazaarwatch/browser/aborted_foreign"] >= 3
    assert "/p/local-probe" not in lab_site.paths[paths_before:]
    assert lab_site.stun_packets[stun_before:] == []  # WebRTC sent no UDP (no STUN request)
    assert summary["resolved"] == []


def test_plain_pages_never_start_a_browser(tornet: TorNetwork, lab_onion: str,
                                           browser_port: int) -> None:
    results, summary = run_probe(
        "--socks", f"127.0.0.1:{tornet.socks_port}", "--browser-socks", f"forum-r={browser_port}",
        "--url", f"forum-r=http://{lab_onion}/p/plain")

    assert [r.get("status") for r in results] == [200]
    assert not any(k.startswith(("playwright/", "bazaarwatch/browser/"))
                   for k in summary["stats"]), summary["stats"]


def test_one_crawl_mixes_browser_and_plain_requests(tornet: TorNetwork, lab_onion: str,
                                                    browser_port: int) -> None:
    results, summary = run_probe(
        "--socks", f"127.0.0.1:{tornet.socks_port}", "--browser-socks", f"forum-r={browser_port}",
        "--url", f"forum-r=http://{lab_onion}/p/mixed-plain",
        "--render-url", f"forum-r=http://{lab_onion}/js")

    flags = {r["url"].rsplit("/", 1)[1]: r["flags"] for r in results}
    assert [r.get("status") for r in results] == [200, 200], results
    assert flags == {"mixed-plain": [], "js": ["playwright"]}
    assert summary["stats"]["bazaarwatch/transport/requests/tor"] == 1
    assert summary["stats"]["bazaarwatch/browser/requests/tor"] == 1


def test_render_without_a_socksport_of_its_own_is_refused(
        tornet: TorNetwork, lab_onion: str, tor_streams: Any) -> None:
    with tor_streams(tornet) as streams:
        results, summary = run_probe("--socks", f"127.0.0.1:{tornet.socks_port}",
                                     "--render-url", f"forum-x=http://{lab_onion}/js")

    assert [r.get("error") for r in results] == ["ProxyRequiredError"]
    assert streams.events == []
    assert summary["stats"]["bazaarwatch/browser/refused/proxy_required"] == 1
    assert not any(k.startswith("playwright/") for k in summary["stats"])  # no driver either


def test_browser_resolves_nothing_locally(tornet: TorNetwork, browser_port: int, dns_trap: tuple,
                                          sink: SocksSink, tor_streams: Any) -> None:
    name, port, hosts, trap = dns_trap
    with tor_streams(tornet) as streams:
        results, _ = run_probe(
            "--socks", f"127.0.0.1:{tornet.socks_port}", "--body",
            "--browser-socks", f"forum-r={browser_port}",
            "--browser-fallback-proxy", f"socks5://127.0.0.1:{sink.port}",
            "--render-url", f"forum-r=http://{name}:{port}/p/browser-dns", hosts_file=hosts)

    assert [r.get("status") for r in results] == [200], results
    assert "<title>Page browser-dns</title>" in results[0]["body"]
    assert trap.connections == 0 and sink.connections == []
    # tor got the name (and mapped it to the onion itself), not an address
    assert {s.target for s in streams.events if s.status == "NEW"} == {f"{name}:{port}"}
