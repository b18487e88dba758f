"""Idempotent index setup: component and index templates, versioned indices behind aliases.

`listings` is an alias over `listings-v<MAPPING_VERSION>` (likewise `listing-history`, `alerts`,
all under an optional name prefix). Running setup again changes nothing. After a mapping change
(MAPPING_VERSION + 1) setup creates the new index, copies the documents of the old one with a
client-side scan and bulk (this server build has no `_reindex`), and moves the alias in one
atomic `_aliases` call; the old index is left for the operator to delete.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError
from elasticsearch import TransportError as EsTransportError
from elasticsearch.helpers import BulkIndexError, ScanError, bulk, scan

from monitor.errors import ElasticsearchUnavailable, IndexSetupError
from monitor.es.mappings import (
    INDEX_NAMES,
    MAPPING_VERSION,
    index_template,
    mappings_component,
    settings_component,
    template_names,
)

logger = logging.getLogger(__name__)


def index_name(prefix: str, name: str, version: int = MAPPING_VERSION) -> str:
    """The concrete index of a logical name: `<prefix><name>-v<version>`."""
    return f"{prefix}{name}-v{version}"


def alias_name(prefix: str, name: str) -> str:
    """The alias readers and writers use: `<prefix><name>`."""
    return f"{prefix}{name}"


@dataclass
class SetupReport:
    """What a setup run did, one line per change (empty `changes` means it was already set up)."""

    changes: list[str] = field(default_factory=list)
    indices: dict[str, str] = field(default_factory=dict)  # alias -> concrete index

    def add(self, line: str) -> None:
        logger.info("es setup: %s", line)
        self.changes.append(line)


def setup_indices(es: Elasticsearch, prefix: str = "",
                  version: int = MAPPING_VERSION) -> SetupReport:
    """Create or update templates, indices and aliases.

    Raises ElasticsearchUnavailable when the cluster does not answer, IndexSetupError when it
    refuses a template, an index or an alias (or a concrete index squats an alias name)."""
    report = SetupReport()
    try:
        _put_templates(es, prefix, version, report)
        for name in INDEX_NAMES:
            _ensure_index(es, prefix, name, version, report)
    except EsTransportError as e:
        raise ElasticsearchUnavailable(f"Elasticsearch did not answer during setup: {e}") from e
    except (ApiError, BulkIndexError, ScanError) as e:
        raise IndexSetupError(f"index setup failed: {e}") from e
    return report


def _put_templates(es: Elasticsearch, prefix: str, version: int, report: SetupReport) -> None:
    names = template_names(prefix)
    wanted = {names["settings"]: settings_component(),
              **{names[n]: mappings_component(n) for n in INDEX_NAMES}}
    # Elasticsearch hands templates back normalised (numbers as strings, ...), so what is
    # compared is a digest of what we wrote, kept in the template's `_meta`.
    for tname, body in wanted.items():
        meta = {"managed_by": "bazaarwatch", "digest": _digest(body)}
        if _meta_of(es.cluster.get_component_template, "component_templates",
                    "component_template", tname) != meta:
            es.cluster.put_component_template(name=tname, template=body["template"], meta=meta)
            report.add(f"component template {tname} written")
    for name in INDEX_NAMES:
        tname = f"{prefix}bazaarwatch-{name}"
        body = index_template(prefix, name, version)
        body["_meta"] = {**body["_meta"], "digest": _digest(body)}
        if _meta_of(es.indices.get_index_template, "index_templates", "index_template",
                    tname) != body["_meta"]:
            es.indices.put_index_template(name=tname, **body)
            report.add(f"index template {tname} written (mapping version {version})")


def _digest(body: dict) -> str:
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _meta_of(get: Callable[..., Any], list_key: str, item_key: str, name: str) -> dict | None:
    try:
        found = get(name=name)[list_key]
    except NotFoundError:
        return None
    return found[0][item_key].get("_meta") if found else None


def _ensure_index(es: Elasticsearch, prefix: str, name: str, version: int,
                  report: SetupReport) -> None:
    concrete = index_name(prefix, name, version)
    alias = alias_name(prefix, name)
    report.indices[alias] = concrete
    if es.indices.exists(index=alias) and not es.indices.exists_alias(name=alias):
        raise IndexSetupError(
            f"{alias!r} is a concrete index, not an alias: move its documents and delete it")
    if not es.indices.exists(index=concrete):
        try:
            es.indices.create(index=concrete)
            report.add(f"index {concrete} created")
        except ApiError as e:
            if e.error != "resource_already_exists_exception":  # a concurrent setup won
                raise
    holders = _alias_holders(es, alias)
    if holders == {concrete: True}:
        return
    old = sorted(i for i in holders if i != concrete)
    for src in old:
        copied = _copy_documents(es, src, concrete)
        report.add(f"copied {copied} documents from {src} to {concrete}")
    actions: list[dict] = [{"remove": {"index": src, "alias": alias}} for src in old]
    actions.append({"add": {"index": concrete, "alias": alias, "is_write_index": True}})
    es.indices.update_aliases(actions=actions)
    report.add(f"alias {alias} -> {concrete}" + (f" (was {', '.join(old)})" if old else ""))


def _copy_documents(es: Elasticsearch, src: str, dest: str) -> int:
    """Scan and bulk, client side: this server build has no `_reindex` (and the client's
    `helpers.reindex` asks for the data-streams API, which it lacks too)."""
    actions = ({"_index": dest, "_id": hit["_id"], "_source": hit["_source"]}
               for hit in scan(es, index=src, size=500, query={"query": {"match_all": {}}}))
    copied, _ = bulk(es, actions, chunk_size=500, refresh="wait_for")
    return copied


def _alias_holders(es: Elasticsearch, alias: str) -> dict[str, bool]:
    """Indices holding `alias`, each with whether it is the write index."""
    try:
        resp = es.indices.get_alias(name=alias)
    except NotFoundError:
        return {}
    return {index: bool(body["aliases"][alias].get("is_write_index"))
            for index, body in resp.items()}
