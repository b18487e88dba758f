"""What `bazaarwatch es status` shows: cluster health and, per logical index, its alias, the
concrete index behind it and the document count."""

from __future__ import annotations

from dataclasses import dataclass

from elasticsearch import ApiError, Elasticsearch, NotFoundError
from elasticsearch import TransportError as EsTransportError

from monitor.errors import ElasticsearchUnavailable
from monitor.es.mappings import INDEX_NAMES
from monitor.es.setup import alias_name


@dataclass(frozen=True, slots=True)
class IndexStatus:
    alias: str
    indices: tuple[str, ...]  # concrete indices behind the alias; empty when not set up
    docs: int | None


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    cluster_name: str
    health: str  # green | yellow | red
    nodes: int
    indices: tuple[IndexStatus, ...]

    def lines(self) -> list[str]:
        out = [f"cluster {self.cluster_name}: {self.health} ({self.nodes} node"
               f"{'' if self.nodes == 1 else 's'})"]
        for ix in self.indices:
            if not ix.indices:
                out.append(f"  {ix.alias:<24} not set up (run: bazaarwatch es setup)")
            else:
                out.append(f"  {ix.alias:<24} -> {', '.join(ix.indices):<32} {ix.docs} docs")
        return out


def cluster_status(es: Elasticsearch, prefix: str = "") -> ClusterStatus:
    """Raises ElasticsearchUnavailable when the cluster does not answer its health API."""
    try:
        health = es.cluster.health()
        found = [_index_status(es, alias_name(prefix, n)) for n in INDEX_NAMES]
    except (EsTransportError, ApiError) as e:
        raise ElasticsearchUnavailable(f"Elasticsearch status failed: {e}") from e
    return ClusterStatus(cluster_name=health["cluster_name"], health=health["status"],
                         nodes=health["number_of_nodes"], indices=tuple(found))


def _index_status(es: Elasticsearch, alias: str) -> IndexStatus:
    try:
        held = sorted(es.indices.get_alias(name=alias))
    except NotFoundError:
        return IndexStatus(alias=alias, indices=(), docs=None)
    docs = es.count(index=alias)["count"]
    return IndexStatus(alias=alias, indices=tuple(held), docs=docs)
