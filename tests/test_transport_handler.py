"""The transport's download handler against real HTTP servers on loopback (no Tor needed): routes,
the refusal to send without a proxy, the size cap, timeouts, a SOCKS port that is down."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from curl_cffi import CurlECode
from curl_cffi.requests.exceptions import code2error
from scrapy import Request
from scrapy.exceptions import DownloadTimeoutError, NotConfigured
from scrapy.settings import Settings
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from monitor.errors import ProxyRequiredError, TransportError
from monitor.transport import META_SOURCE, META_TRUNCATED
from monitor.transport.errors import (
    CircuitFailedError,
    ConnectFailedError,
    DataLossError,
    DownloadError,
    HostNotFoundError,
    TorUnavailableError,
    TransportTimeoutError,
)
from monitor.transport.handler import TorDownloadHandler
from monitor.transport.options import TransportOptions
from monitor.transport.route import Route, browser_proxy_for, route_for

PAGE = b"<html><head><title>lab</title></head><body><p>hello</p></body></html>"


class _Handler(BaseHTTPRequestHandler):
    server: _LabServer

    def do_GET(self) -> None:
        if self.path == "/page":
            self._send(200, PAGE)
        elif self.path.startswith("/big/"):
            self._send(200, b"A" * int(self.path.rsplit("/", 1)[1]))
        elif self.path == "/stall":
            # headers and half the body, then nothing until the test ends
            self.send_response(200)
            self.send_header("Content-Length", "2000")
            self.end_headers()
            self.wfile.write(b"B" * 1000)
            self.wfile.flush()
            self.server.release.wait(30)
        elif self.path == "/trickle":
            # a byte every 0.2 s: never idle long enough for the idle timeout
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(100000):
                if self.server.release.wait(0.2):
                    break
                self.wfile.write(b"C")
                self.wfile.flush()
        else:
            self._send(404, b"no")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _LabServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.release = threading.Event()
        self.connections = 0

    def get_request(self) -> tuple[socket.socket, Any]:
        self.connections += 1
        return super().get_request()


@pytest.fixture
def server() -> Iterator[_LabServer]:
    srv = _LabServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _download(settings: dict[str, Any], *requests: Request) -> list[Any]:
    """Each request through a fresh handler; a response or the exception raised."""
    async def go() -> list[Any]:
        crawler = get_crawler(settings_dict=settings)
        handler = TorDownloadHandler.from_crawler(crawler)
        out: list[Any] = []
        try:
            for request in requests:
                try:
                    out.append(await handler.download_request(request))
                except Exception as e:
                    out.append(e)
        finally:
            await handler.close()
        out.append(crawler.stats.get_stats())
        return out
    return asyncio.run(go())


def _req(url: str, source: str | None = "lab", **meta: Any) -> Request:
    if source is not None:
        meta[META_SOURCE] = source
    return Request(url, meta=meta)


DIRECT = {"BAZAARWATCH_DIRECT_SOURCES": ["lab"], "BAZAARWATCH_SOCKS_TOKEN": "t"}


# -- routes (pure) ------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "socks", "direct", "expected"), [
    ("a", ("127.0.0.1", 9050), frozenset(), Route("a", "socks5h://127.0.0.1:9050", "a", "tok")),
    ("b", ("127.0.0.1", 9050), frozenset(), Route("b", "socks5h://127.0.0.1:9050", "b", "tok")),
    (None, ("127.0.0.1", 9050), frozenset(), Route("-", "socks5h://127.0.0.1:9050", "-", "tok")),
    ("lab", ("127.0.0.1", 9050), frozenset({"lab"}), Route("lab", None)),
    ("lab", None, frozenset({"lab"}), Route("lab", None)),
])
def test_route_for(source: str | None, socks: tuple[str, int] | None, direct: frozenset[str],
                   expected: Route) -> None:
    assert route_for(source, socks=socks, direct_sources=direct, token="tok") == expected


@pytest.mark.parametrize(("source", "direct"), [
    ("forum", frozenset()),
    ("forum", frozenset({"lab"})),
    (None, frozenset({"lab"})),
])
def test_route_without_proxy_is_refused(source: str | None, direct: frozenset[str]) -> None:
    with pytest.raises(ProxyRequiredError, match="refusing to send the request without Tor"):
        route_for(source, socks=None, direct_sources=direct, token="tok")


@pytest.mark.parametrize(("source", "socks", "ports", "direct", "expected"), [
    ("r", ("127.0.0.1", 9050), {"r": 9052}, frozenset(), "socks5://127.0.0.1:9052"),
    ("lab", ("127.0.0.1", 9050), {}, frozenset({"lab"}), None),
    ("r", ("127.0.0.1", 9050), {"s": 9052}, frozenset(), ProxyRequiredError),
    (None, ("127.0.0.1", 9050), {"r": 9052}, frozenset(), ProxyRequiredError),
    ("r", None, {"r": 9052}, frozenset(), ProxyRequiredError),
])
def test_browser_proxy_for(source: str | None, socks: tuple[str, int] | None,
                           ports: dict[str, int], direct: frozenset[str], expected: Any) -> None:
    if expected is ProxyRequiredError:
        with pytest.raises(ProxyRequiredError, match="no SocksPort of its own"):
            browser_proxy_for(source, socks=socks, browser_ports=ports, direct_sources=direct)
    else:
        assert browser_proxy_for(source, socks=socks, browser_ports=ports,
                                 direct_sources=direct) == expected


@pytest.mark.parametrize(("settings", "message"), [
    ({}, "no request may leave"),
    ({"BAZAARWATCH_TOR_SOCKS": "localhost"}, "is not HOST:PORT"),
    ({"BAZAARWATCH_TOR_SOCKS": "127.0.0.1:99999"}, "is not HOST:PORT"),
    ({"BAZAARWATCH_TOR_SOCKS": "127.0.0.1:9050", "BAZAARWATCH_MAX_RESPONSE_BYTES": 0},
     "is not positive"),
    ({"BAZAARWATCH_TOR_SOCKS": "127.0.0.1:9050", "BAZAARWATCH_BROWSER_SOCKS": {"a": 9050}},
     "reuses BAZAARWATCH_TOR_SOCKS"),
    ({"BAZAARWATCH_TOR_SOCKS": "127.0.0.1:9050",
      "BAZAARWATCH_BROWSER_SOCKS": {"a": 9052, "b": 9052}}, "the same port"),
])
def test_options_reject(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(NotConfigured, match=message):
        TransportOptions.from_settings(Settings(settings))


def test_options_token_is_random_per_process() -> None:
    settings = Settings({"BAZAARWATCH_TOR_SOCKS": "[::1]:9050"})
    a, b = TransportOptions.from_settings(settings), TransportOptions.from_settings(settings)
    assert a.socks == ("::1", 9050)
    assert a.socks_token != b.socks_token and len(a.socks_token) == 32


# -- the handler on loopback ---------------------------------------------------------------------

def test_direct_source_gets_the_page(server: _LabServer) -> None:
    url = f"http://127.0.0.1:{server.server_port}/page"
    response, stats = _download(DIRECT, _req(url))
    assert response.status == 200 and response.body == PAGE
    assert response.css("title::text").get() == "lab"
    assert stats["bazaarwatch/transport/requests/direct"] == 1


@pytest.mark.parametrize(("settings", "source", "meta"), [
    (DIRECT, "forum", {}),  # not direct, and no SOCKS port configured
    (DIRECT, None, {}),  # no source at all
    (DIRECT, "lab", {"proxy": "http://127.0.0.1:3128"}),  # someone chose a proxy for us
])
def test_refused_before_any_connection(server: _LabServer, settings: dict[str, Any],
                                       source: str | None, meta: dict[str, Any]) -> None:
    url = f"http://127.0.0.1:{server.server_port}/page"
    error, stats = _download(settings, _req(url, source, **meta))
    assert isinstance(error, ProxyRequiredError)
    assert server.connections == 0
    assert stats["bazaarwatch/transport/refused/proxy_required"] == 1


def test_not_configured_without_tor_or_direct_sources() -> None:
    async def build() -> None:
        TorDownloadHandler.from_crawler(get_crawler(settings_dict={}))
    with pytest.raises(NotConfigured):
        asyncio.run(build())


@pytest.mark.parametrize(("size", "limit", "truncated"), [
    (999, 1000, False),
    (1000, 1000, False),
    (1001, 1000, True),
    (3_000_000, 100_000, True),
])
def test_size_limit_cuts_and_reports(server: _LabServer, size: int, limit: int,
                                     truncated: bool) -> None:
    url = f"http://127.0.0.1:{server.server_port}/big/{size}"
    response, stats = _download({**DIRECT, "BAZAARWATCH_MAX_RESPONSE_BYTES": limit}, _req(url))
    assert response.status == 200
    assert len(response.body) == min(size, limit)
    assert ("truncated" in response.flags) is truncated
    assert response.meta.get(META_TRUNCATED) == (limit if truncated else None)
    assert stats.get("bazaarwatch/transport/truncated", 0) == int(truncated)


def test_stall_mid_body_times_out(server: _LabServer) -> None:
    url = f"http://127.0.0.1:{server.server_port}/stall"
    error, stats = _download({**DIRECT, "BAZAARWATCH_IDLE_TIMEOUT": 1},
                             _req(url, download_timeout=20))
    assert isinstance(error, TransportTimeoutError)
    assert isinstance(error, DownloadTimeoutError) and isinstance(error, TransportError)
    assert stats["bazaarwatch/transport/errors/TransportTimeoutError"] == 1


def test_trickling_body_hits_the_total_timeout(server: _LabServer) -> None:
    url = f"http://127.0.0.1:{server.server_port}/trickle"
    error, _ = _download({**DIRECT, "BAZAARWATCH_IDLE_TIMEOUT": 5}, _req(url, download_timeout=1.5))
    assert isinstance(error, TransportTimeoutError)
    assert "took longer than 1.5 s" in str(error)


def test_socks_port_down_waits_then_fails_retryably(server: _LabServer) -> None:
    url = f"http://127.0.0.1:{server.server_port}/page"
    settings = {"BAZAARWATCH_TOR_SOCKS": f"127.0.0.1:{_closed_port()}",
                "BAZAARWATCH_TOR_WAIT": 0.5}
    error, stats = _download(settings, _req(url, "forum"))
    assert isinstance(error, TorUnavailableError)
    assert "SOCKS port refused" in str(error)
    assert server.connections == 0  # never went direct instead
    assert stats["bazaarwatch/transport/requests/tor"] == 1


# -- curl's errors as Scrapy's and ours (the exceptions curl_cffi raises, built from codes) ---

@pytest.mark.parametrize(("code", "proxied", "socks_listening", "expected"), [
    (CurlECode.OPERATION_TIMEDOUT, True, True, TransportTimeoutError),
    (CurlECode.COULDNT_CONNECT, True, False, TorUnavailableError),
    (CurlECode.COULDNT_CONNECT, True, True, CircuitFailedError),
    (CurlECode.COULDNT_CONNECT, False, True, ConnectFailedError),
    (CurlECode.PROXY, True, True, CircuitFailedError),
    (CurlECode.COULDNT_RESOLVE_HOST, False, True, HostNotFoundError),
    (CurlECode.PARTIAL_FILE, True, True, DataLossError),
    (CurlECode.RECV_ERROR, True, True, DataLossError),
    (CurlECode.SSL_CONNECT_ERROR, True, True, DownloadError),
    (CurlECode.PEER_FAILED_VERIFICATION, True, True, DownloadError),
])
def test_curl_errors_are_translated(code: CurlECode, proxied: bool, socks_listening: bool,
                                    expected: type[Exception]) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1] if socks_listening else _closed_port()
    error = code2error(code, "curl says no")("curl says no", code)

    async def translate() -> TransportError:
        handler = TorDownloadHandler.from_crawler(get_crawler(
            settings_dict={"BAZAARWATCH_TOR_SOCKS": f"127.0.0.1:{port}"}))
        route = Route("forum", f"socks5h://127.0.0.1:{port}", "forum", "t") if proxied \
            else Route("forum", None)
        return await handler._translate(error, Request("http://x.onion/"), route)

    try:
        translated = asyncio.run(translate())
    finally:
        listener.close()
    assert type(translated) is expected
    assert isinstance(translated, TransportError)
    assert "source forum: http://x.onion/" in str(translated)
    assert any(isinstance(translated, t) for t in RETRYABLE), "RetryMiddleware would give up"


RETRYABLE = tuple(load_object(p) for p in Settings().getlist("RETRY_EXCEPTIONS")
                  if isinstance(p, str) and p.startswith("scrapy."))
