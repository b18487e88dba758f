"""Transport failures that are both Scrapy's own download exceptions (so RetryMiddleware and
errbacks treat them as usual) and `monitor.errors.TransportError` (so our code catches one
family)."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)

from monitor.errors import TransportError


class TorUnavailableError(DownloadConnectionRefusedError, TransportError):
    """tor's SOCKS port refused the connection (tor down or restarting)."""


class CircuitFailedError(DownloadConnectionRefusedError, TransportError):
    """tor accepted the request but could not reach the host (SOCKS error reply)."""


class ConnectFailedError(DownloadConnectionRefusedError, TransportError):
    """A direct connection (a `direct: true` source) was refused."""


class TransportTimeoutError(DownloadTimeoutError, TransportError):
    """Connecting, a pause in the body, or the whole download took too long."""


class HostNotFoundError(CannotResolveHostError, TransportError):
    """A direct source's host name did not resolve (tor resolves the others)."""


class DataLossError(ResponseDataLossError, TransportError):
    """The connection closed before the whole body arrived."""


class DownloadError(DownloadFailedError, TransportError):
    """Any other failure to carry a request (TLS, protocol, ...)."""
