"""One SocksPort per source that renders pages in Chromium. Chromium cannot send SOCKS
credentials, so a port of its own is what keeps a source's browser on circuits of its own
(streams from different SocksPorts never share a circuit). The ports are opened at run time
through the TorController (SETCONF SocksPort, kept across a managed tor's relaunch) the first
time a source needs one, and kept for the life of the process.

    ports = BrowserPorts(tor)
    settings["BAZAARWATCH_BROWSER_SOCKS"] = ports.for_sources(config.sources)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Protocol

logger = logging.getLogger(__name__)


class _AddsSocksPorts(Protocol):
    def add_socks_port(self, port: int | None = None, *, flags: str = ...) -> int: ...


class _Source(Protocol):
    id: str
    render: str
    direct: bool


class BrowserPorts:
    def __init__(self, tor: _AddsSocksPorts):
        self._tor = tor
        self._ports: dict[str, int] = {}
        self._lock = threading.Lock()

    def port_for(self, source_id: str) -> int:
        """The source's SocksPort, opened on first use. Raises TorError (monitor.errors)."""
        with self._lock:
            port = self._ports.get(source_id)
            if port is None:
                port = self._tor.add_socks_port()
                self._ports[source_id] = port
                logger.info("source %s: browser SocksPort %d", source_id, port)
            return port

    def for_sources(self, sources: Iterable[_Source]) -> dict[str, int]:
        """BAZAARWATCH_BROWSER_SOCKS for the sources that render (and are not direct)."""
        return {s.id: self.port_for(s.id) for s in sources
                if s.render in ("always", "challenge") and not s.direct}
