"""Bazaarwatch's own exception tree. Adapters (tor, Elasticsearch, Slack, SQLite) translate their
library's exceptions into these with ``raise ... from e``, so callers handle one family."""

from __future__ import annotations


class BazaarwatchError(Exception):
    """Base of every error Bazaarwatch raises on purpose."""


class ConfigError(BazaarwatchError):
    """The configuration is invalid; ``errors`` has one line per problem: file:line: field: why."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class TorError(BazaarwatchError):
    """tor is missing, refused us, or did not bootstrap."""


class TransportError(BazaarwatchError):
    """A request could not be carried (proxy down, circuit failed, timeout)."""


class ProxyRequiredError(TransportError):
    """A request for a source that is not `direct: true` would have gone out without Tor."""


class ElasticsearchUnavailable(BazaarwatchError):
    """Elasticsearch did not answer, or answered 429/5xx: the work waits in the spool."""


class IndexSetupError(BazaarwatchError):
    """Templates, indices or aliases could not be created as specified."""


class SlackError(BazaarwatchError):
    """A Slack webhook post failed."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None,
                 permanent: bool = False):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.permanent = permanent


class StateError(BazaarwatchError):
    """The SQLite state store failed."""


class LoginFailed(BazaarwatchError):
    """A forum login failed (wrong credentials, expired cookies, changed form)."""


class KibanaError(BazaarwatchError):
    """Kibana did not answer, refused the saved objects upload, or failed to import some."""
