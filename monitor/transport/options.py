"""The transport's settings, read once from Scrapy settings into a frozen object. Contradictions
and malformed values are rejected here, loudly, before any request is sent."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

DEFAULT_MAX_RESPONSE_BYTES = 5_000_000
# Over Tor, building a rendezvous circuit to an onion takes 5-60 s: connect generously, but
# give up on a body that stops flowing well before the whole download's timeout.
DEFAULT_CONNECT_TIMEOUT_S = 60.0
DEFAULT_IDLE_TIMEOUT_S = 45.0
DEFAULT_TOR_WAIT_S = 60.0
DEFAULT_IMPERSONATE = "tor"  # curl_cffi's Tor Browser fingerprint (TLS, HTTP/2, headers)


def parse_endpoint(value: str, setting: str) -> tuple[str, int]:
    """'127.0.0.1:9050' -> ('127.0.0.1', 9050). Raises NotConfigured naming the setting."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise NotConfigured(f"{setting}: {value!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


@dataclass(frozen=True, slots=True)
class TransportOptions:
    socks: tuple[str, int] | None  # tor's SOCKS port; None: only direct sources can be fetched
    direct_sources: frozenset[str]
    max_response_bytes: int
    timeout_s: float  # the whole download (Scrapy's DOWNLOAD_TIMEOUT unless meta says otherwise)
    connect_timeout_s: float
    idle_timeout_s: float
    tor_wait_s: float  # how long a request waits for a SOCKS port that refuses (tor restarting)
    impersonate: str
    socks_token: str  # the SOCKS password of every source in this process
    verify_tls: bool
    browser_socks_ports: dict[str, int]  # source id -> SocksPort of its own, for Chromium

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> TransportOptions:
        """Raises NotConfigured when neither Tor nor any direct source is configured, or when a
        value is malformed."""
        socks_value = settings.get("BAZAARWATCH_TOR_SOCKS")
        socks = parse_endpoint(socks_value, "BAZAARWATCH_TOR_SOCKS") if socks_value else None
        direct = frozenset(settings.getlist("BAZAARWATCH_DIRECT_SOURCES"))
        if socks is None and not direct:
            raise NotConfigured(
                "neither BAZAARWATCH_TOR_SOCKS nor BAZAARWATCH_DIRECT_SOURCES is set: "
                "no request may leave this process")
        max_bytes = settings.getint("BAZAARWATCH_MAX_RESPONSE_BYTES", DEFAULT_MAX_RESPONSE_BYTES)
        if max_bytes <= 0:
            raise NotConfigured(f"BAZAARWATCH_MAX_RESPONSE_BYTES: {max_bytes} is not positive")
        ports = {str(k): int(v) for k, v in settings.getdict("BAZAARWATCH_BROWSER_SOCKS").items()}
        if socks is not None and socks[1] in ports.values():
            # Chromium cannot send SOCKS credentials: sharing the main port would put every
            # browser context on the circuits of unauthenticated requests.
            raise NotConfigured("BAZAARWATCH_BROWSER_SOCKS reuses BAZAARWATCH_TOR_SOCKS's port")
        if len(set(ports.values())) != len(ports):
            raise NotConfigured("BAZAARWATCH_BROWSER_SOCKS gives two sources the same port")
        return cls(
            socks=socks,
            direct_sources=direct,
            max_response_bytes=max_bytes,
            timeout_s=settings.getfloat("DOWNLOAD_TIMEOUT", 180.0),
            connect_timeout_s=settings.getfloat(
                "BAZAARWATCH_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT_S),
            idle_timeout_s=settings.getfloat("BAZAARWATCH_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT_S),
            tor_wait_s=settings.getfloat("BAZAARWATCH_TOR_WAIT", DEFAULT_TOR_WAIT_S),
            impersonate=settings.get("BAZAARWATCH_IMPERSONATE") or DEFAULT_IMPERSONATE,
            socks_token=settings.get("BAZAARWATCH_SOCKS_TOKEN") or secrets.token_hex(16),
            verify_tls=settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES", True),
            browser_socks_ports=ports,
        )
