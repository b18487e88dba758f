"""Which way a request goes: through tor with the source's own SOCKS credentials, or direct
(only for a source whose YAML says `direct: true`). Pure: no network."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.errors import ProxyRequiredError
from monitor.transport import UNSOURCED


@dataclass(frozen=True, slots=True)
class Route:
    source_id: str
    proxy: str | None  # "socks5h://host:port": the host name goes to tor; None: direct
    username: str | None = None
    password: str | None = None

    @property
    def kind(self) -> str:
        return "tor" if self.proxy else "direct"


def socks_credentials(source_id: str, token: str) -> tuple[str, str]:
    """The SOCKS username/password of a source. tor's IsolateSOCKSAuth puts streams with other
    credentials on other circuits, so each source (and its login account) keeps its circuits;
    the per-process token makes a restart start on fresh circuits."""
    return source_id, token


def route_for(source_id: str | None, *, socks: tuple[str, int] | None,
              direct_sources: frozenset[str], token: str) -> Route:
    """The route of a request for `source_id`. Raises ProxyRequiredError when the source is not
    `direct: true` and no tor SOCKS port is configured: such a request never goes out."""
    source = source_id or UNSOURCED
    if source in direct_sources:
        return Route(source, None)
    if socks is None:
        raise ProxyRequiredError(
            f"source {source!r}: no tor SOCKS port configured and the source is not "
            f"direct: true; refusing to send the request without Tor")
    host, port = socks
    username, password = socks_credentials(source, token)
    return Route(source, f"socks5h://{host}:{port}", username, password)


def browser_proxy_for(source_id: str | None, *, socks: tuple[str, int] | None,
                      browser_ports: dict[str, int], direct_sources: frozenset[str]) -> str | None:
    """The proxy of a source's browser context: its own SocksPort (Chromium cannot send SOCKS
    credentials, so a port per source is what keeps its circuits apart), None for a direct
    source. Raises ProxyRequiredError when it has neither."""
    source = source_id or UNSOURCED
    if source in direct_sources:
        return None
    port = browser_ports.get(source)
    if port is None or socks is None:
        raise ProxyRequiredError(
            f"source {source!r}: no SocksPort of its own for the browser "
            f"(BAZAARWATCH_BROWSER_SOCKS) and not direct: true; refusing to render")
    return f"socks5://{socks[0]}:{port}"
