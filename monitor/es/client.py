"""Elasticsearch client factories: the sync client for the CLI and setup, the async one for
code inside the reactor. Both are pinned to the 9.x server this project sets up."""

from __future__ import annotations

from collections.abc import Sequence

from elasticsearch import AsyncElasticsearch, Elasticsearch

DEFAULT_URL = "http://127.0.0.1:9200"
DEFAULT_TIMEOUT_S = 30.0


def make_client(hosts: str | Sequence[str] = DEFAULT_URL, *, api_key: str | None = None,
                verify_certs: bool = True, timeout_s: float = DEFAULT_TIMEOUT_S,
                max_retries: int = 2) -> Elasticsearch:
    """A sync client. `api_key` is the revealed secret (callers keep the Secret until here)."""
    return Elasticsearch(_hosts(hosts), api_key=api_key, verify_certs=verify_certs,
                         request_timeout=timeout_s, max_retries=max_retries,
                         retry_on_timeout=True)


def make_async_client(hosts: str | Sequence[str] = DEFAULT_URL, *, api_key: str | None = None,
                      verify_certs: bool = True, timeout_s: float = DEFAULT_TIMEOUT_S,
                      max_retries: int = 0) -> AsyncElasticsearch:
    """An async client. Retries default to 0: the indexer has its own retry and spool logic,
    and a client that retries on its own only delays the moment documents reach the spool."""
    return AsyncElasticsearch(_hosts(hosts), api_key=api_key, verify_certs=verify_certs,
                              request_timeout=timeout_s, max_retries=max_retries,
                              retry_on_timeout=False)


def _hosts(hosts: str | Sequence[str]) -> list[str]:
    return [hosts] if isinstance(hosts, str) else list(hosts)
