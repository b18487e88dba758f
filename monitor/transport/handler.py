"""`TorDownloadHandler`: Scrapy's http/https download handler over tor's SOCKS5 port.

curl_cffi carries the requests: `socks5h` (the host name goes to tor, never to the system
resolver), Tor Browser's TLS/HTTP2 fingerprint (`impersonate="tor"`), and a streamed body that
is cut at BAZAARWATCH_MAX_RESPONSE_BYTES. Each source gets its own curl session with its own
SOCKS credentials, so tor's IsolateSOCKSAuth keeps its circuits apart and keep-alive
connections of one source are never lent to another. A request for a source that is not
`direct: true` fails with ProxyRequiredError when no SOCKS port is configured, before any
connection is made.

Why curl_cffi and not Scrapy 2.19's HttpxDownloadHandler (httpx2 + socksio), both tried on the
lab network (tests/benchmarks/tor_transport.py): both resolve remotely and keep connections
alive, and their throughput was about the same (medians of three runs: 32.6-33.3 pages/s for
this handler, 25.6-34.7 for httpx, 35.9-39.2 for bare curl, on 2 shared cores). What decides
is that only curl_cffi looks like Tor Browser on the wire (TLS ClientHello, HTTP/2 settings,
header order): a Python TLS stack is what anti-bot walls in front of forums single out.
Scrapy's httpx handler is also marked experimental and has no idle timeout.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from curl_cffi import CurlECode, CurlOpt
from curl_cffi.requests import AsyncSession
from curl_cffi.requests.exceptions import RequestException
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import is_asyncio_available

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
from monitor.transport.options import TransportOptions
from monitor.transport.route import Route, route_for

if TYPE_CHECKING:
    from curl_cffi.requests import Response as CurlResponse
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

STATS_PREFIX = "bazaarwatch/transport"
# Headers the transport owns: the proxy's (never sent to a forum) and the encodings curl
# negotiates and decodes itself as Tor Browser would.
_DROPPED_REQUEST_HEADERS = (b"Proxy-Authorization", b"Accept-Encoding")
_DATALOSS_CODES = frozenset({CurlECode.PARTIAL_FILE, CurlECode.RECV_ERROR,
                             CurlECode.HTTP2, CurlECode.HTTP2_STREAM})


class TorDownloadHandler(BaseDownloadHandler):
    lazy = False

    def __init__(self, crawler: Crawler, options: TransportOptions, *, max_clients: int):
        super().__init__(crawler)
        self.options = options
        self.stats = crawler.stats
        self._max_clients = max_clients
        self._sessions: dict[Route, AsyncSession] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TorDownloadHandler:
        if not is_asyncio_available():
            raise NotConfigured("TorDownloadHandler needs TWISTED_REACTOR = asyncio")
        options = TransportOptions.from_settings(crawler.settings)
        return cls(crawler, options,
                   max_clients=max(1, crawler.settings.getint("CONCURRENT_REQUESTS")))

    def route(self, request: Request) -> Route:
        """The route of `request`; raises ProxyRequiredError before anything is sent."""
        if request.meta.get("proxy"):
            raise ProxyRequiredError(
                f"source {request.meta.get(META_SOURCE)!r}: meta['proxy'] is not honoured; "
                f"the transport chooses the route ({request.url})")
        return route_for(request.meta.get(META_SOURCE), socks=self.options.socks,
                         direct_sources=self.options.direct_sources,
                         token=self.options.socks_token)

    async def download_request(self, request: Request) -> Response:
        try:
            route = self.route(request)
        except ProxyRequiredError:
            self.stats.inc_value(f"{STATS_PREFIX}/refused/proxy_required")
            raise
        self.stats.inc_value(f"{STATS_PREFIX}/requests/{route.kind}")
        try:
            try:
                return await self._download_once(request, route)
            except TorUnavailableError:
                if not await self._wait_for_socks(route):
                    raise
            # Nothing reached the forum: tor refused the connection. It is back: go again.
            return await self._download_once(request, route)
        except TransportError as e:
            self.stats.inc_value(f"{STATS_PREFIX}/errors/{type(e).__name__}")
            logger.info("source %s: %s failed: %s", route.source_id, request.url, e)
            raise

    async def _download_once(self, request: Request, route: Route) -> Response:
        timeout = float(request.meta.get("download_timeout") or self.options.timeout_s)
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                response = await self._fetch(request, route)
        except TimeoutError as e:
            raise TransportTimeoutError(
                f"source {route.source_id}: {request.url} took longer than {timeout:g} s") from e
        except RequestException as e:
            raise await self._translate(e, request, route) from e
        request.meta["download_latency"] = time.monotonic() - started
        return response

    async def _fetch(self, request: Request, route: Route) -> Response:
        session = self._session(route)
        curl_response = await session.request(
            request.method, request.url, headers=self._request_headers(request),
            data=request.body or None, stream=True, discard_cookies=True)
        complete = truncated = False
        try:
            headers = Headers(curl_response.headers.multi_items())
            headers.pop(b"Content-Encoding", None)  # curl has decoded the body
            body, truncated = await self._read_body(curl_response, request, route)
            complete = True
        finally:
            await _close_stream(curl_response, abort=not complete or truncated)
        flags = ["truncated"] if truncated else []
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        self.stats.inc_value(f"{STATS_PREFIX}/response_bytes", len(body))
        return respcls(url=request.url, status=curl_response.status_code, headers=headers,
                       body=body, flags=flags, request=request)

    async def _read_body(self, curl_response: CurlResponse, request: Request,
                         route: Route) -> tuple[bytes, bool]:
        """The body up to the size limit; True when it was cut there (the rest is not read)."""
        limit = int(request.meta.get("download_maxsize") or self.options.max_response_bytes)
        body = bytearray()
        chunks = curl_response.aiter_content()
        while True:
            try:
                async with asyncio.timeout(self.options.idle_timeout_s):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                break
            except TimeoutError as e:
                raise TransportTimeoutError(
                    f"source {route.source_id}: {request.url}: no data for "
                    f"{self.options.idle_timeout_s:g} s mid-body") from e
            room = limit - len(body)
            if len(chunk) > room:
                body += chunk[:room]
                self._report_truncated(request, route, limit)
                return bytes(body), True
            body += chunk
        return bytes(body), False

    def _report_truncated(self, request: Request, route: Route, limit: int) -> None:
        request.meta[META_TRUNCATED] = limit
        self.stats.inc_value(f"{STATS_PREFIX}/truncated")
        logger.warning("source %s: %s is larger than %d bytes; cut there", route.source_id,
                       request.url, limit)

    @staticmethod
    def _request_headers(request: Request) -> list[tuple[str, str]]:
        headers = request.headers.copy()
        for name in _DROPPED_REQUEST_HEADERS:
            headers.pop(name, None)
        return [(k.decode("latin-1"), v.decode("latin-1"))
                for k, values in headers.items() for v in values]

    def _session(self, route: Route) -> AsyncSession:
        session = self._sessions.get(route)
        if session is None:
            kwargs: dict[str, Any] = {}
            if route.proxy:
                kwargs.update(proxy=route.proxy, proxy_auth=(route.username, route.password))
            session = AsyncSession(
                max_clients=self._max_clients, impersonate=self.options.impersonate,
                trust_env=False,  # no *_proxy variables: the route is ours to choose
                allow_redirects=False,  # Scrapy's RedirectMiddleware follows, through us
                verify=self.options.verify_tls, timeout=self.options.connect_timeout_s,
                curl_options={
                    # a body that delivers nothing for idle_timeout_s is abandoned
                    CurlOpt.LOW_SPEED_LIMIT: 1,
                    CurlOpt.LOW_SPEED_TIME: max(1, round(self.options.idle_timeout_s)),
                },
                **kwargs)
            self._sessions[route] = session
        return session

    async def _translate(self, e: RequestException, request: Request,
                         route: Route) -> TransportError:
        """curl's error as the matching Scrapy/Bazaarwatch exception."""
        code = getattr(e, "code", 0)
        where = f"source {route.source_id}: {request.url}"
        if code == CurlECode.OPERATION_TIMEDOUT:
            return TransportTimeoutError(f"{where}: timed out ({e})")
        if code == CurlECode.COULDNT_CONNECT:
            if route.proxy and not await _port_open(*self._socks()):
                return TorUnavailableError(f"{where}: tor's SOCKS port refused ({e})")
            if route.proxy:
                return CircuitFailedError(f"{where}: {e}")
            return ConnectFailedError(f"{where}: {e}")
        if code == CurlECode.PROXY:
            return CircuitFailedError(f"{where}: tor could not reach the host ({e})")
        if code == CurlECode.COULDNT_RESOLVE_HOST:
            return HostNotFoundError(f"{where}: {e}")
        if code in _DATALOSS_CODES:
            return DataLossError(f"{where}: connection lost mid-response ({e})")
        return DownloadError(f"{where}: {e}")

    def _socks(self) -> tuple[str, int]:
        assert self.options.socks is not None
        return self.options.socks

    async def _wait_for_socks(self, route: Route) -> bool:
        """Wait up to BAZAARWATCH_TOR_WAIT for tor's SOCKS port to accept again (a managed tor
        being restarted); True when it does."""
        logger.warning("source %s: tor's SOCKS port %s:%d refuses; waiting up to %g s",
                       route.source_id, *self._socks(), self.options.tor_wait_s)
        deadline = time.monotonic() + self.options.tor_wait_s
        while time.monotonic() < deadline:
            if await _port_open(*self._socks()):
                self.stats.inc_value(f"{STATS_PREFIX}/tor_came_back")
                return True
            await asyncio.sleep(0.5)
        return False

    async def close(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()


async def _port_open(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


async def _close_stream(curl_response: CurlResponse, *, abort: bool) -> None:
    """Finish a streamed transfer; when `abort`, stop curl instead of reading to the end."""
    task = curl_response.astream_task
    if task is None:
        return
    if abort:
        curl_response.quit_now.set()
        task.cancel()
    await asyncio.wait([task])
