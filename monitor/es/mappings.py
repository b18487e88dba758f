"""Index mappings and templates for `listings`, `listing-history` and `alerts`.

The listing mapping names every field of `monitor.models.Listing.to_doc()` (tests/test_es_mapping.py
walks the dataclasses so a new field without a mapping fails there). Only what the Elasticsearch
server core provides is used: the `standard` analyzer, `keyword`, `long`, `double`, `date`,
`boolean`; no language analyzers, no `scaled_float`, no ingest pipelines.

`dynamic: strict` everywhere: a misspelled field is a rejected document, not a new field.
Changing a mapping means raising MAPPING_VERSION: `es setup` then creates `<name>-v<N+1>`,
copies the documents over and moves the alias (see monitor.es.setup).
"""

from __future__ import annotations

from typing import Any

MAPPING_VERSION = 1

# Logical names: each is an alias over `<prefix><name>-v<MAPPING_VERSION>`.
LISTINGS = "listings"
HISTORY = "listing-history"
ALERTS = "alerts"
INDEX_NAMES: tuple[str, ...] = (LISTINGS, HISTORY, ALERTS)

KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 2048}
LONG: dict[str, Any] = {"type": "long"}
DOUBLE: dict[str, Any] = {"type": "double"}
DATE: dict[str, Any] = {"type": "date"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
BODY_TEXT: dict[str, Any] = {"type": "text"}


def searchable(ignore_above: int = 512) -> dict[str, Any]:
    """Full-text searchable with a `.keyword` sub-field for exact filters, sorting and
    aggregations (the usual Kibana shape: `title` / `title.keyword`)."""
    return {"type": "text",
            "fields": {"keyword": {"type": "keyword", "ignore_above": ignore_above}}}


def obj(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "dynamic": "strict", "properties": properties}


LISTING_PROPERTIES: dict[str, Any] = {
    "@timestamp": DATE,
    "crawled_at": DATE,
    "first_seen": DATE,
    "last_seen": DATE,
    "version": LONG,
    "content_sha256": KEYWORD,
    "source": obj({"id": KEYWORD, "name": searchable(), "engine": KEYWORD}),
    "forum": obj({"board": searchable()}),
    "url": obj({"full": KEYWORD, "domain": KEYWORD}),
    "title": searchable(1024),
    "body": BODY_TEXT,
    "lang": KEYWORD,
    "seller": obj({"handle": searchable(), "handle_key": KEYWORD, "profile_url": KEYWORD}),
    "post_type": KEYWORD,
    "records": obj({"claimed": LONG, "sample": LONG, "text": KEYWORD}),
    "price": obj({
        "amount": DOUBLE, "currency": KEYWORD, "usd": DOUBLE, "text": searchable(),
        "negotiable": BOOLEAN, "auction_step": DOUBLE, "buy_now": DOUBLE,
    }),
    # Plain objects, not `nested`: Kibana filters and aggregates them directly, and no query
    # needs "url and host of the same sample".
    "samples": obj({"url": KEYWORD, "host": KEYWORD, "onion": BOOLEAN, "defanged": BOOLEAN}),
    "links": KEYWORD,
    "contacts": obj({"type": KEYWORD, "value": KEYWORD}),
    "crypto_addresses": obj({"currency": KEYWORD, "address": KEYWORD}),
    "victim": obj({"orgs": searchable(), "domains": KEYWORD, "country": KEYWORD}),
    "data_fields": KEYWORD,
    "evidence": obj({"html_sha256": KEYWORD, "path": KEYWORD, "screenshot": KEYWORD}),
    "rules_matched": KEYWORD,
}

# A history document is a listing version plus the id of the listing it is a version of;
# its own `_id` is `<listing id>:<version>` (see monitor.indexer).
HISTORY_PROPERTIES: dict[str, Any] = {**LISTING_PROPERTIES, "listing_id": KEYWORD}

# One document per alert sent (or given up on); `_id` is `<rule id>:<listing id>:<version>`.
ALERT_PROPERTIES: dict[str, Any] = {
    "@timestamp": DATE,  # when it was sent
    "kind": KEYWORD,  # new | update
    "rule": obj({"id": KEYWORD, "severity": KEYWORD, "channel": KEYWORD}),
    "matched": obj({"terms": KEYWORD, "regexes": KEYWORD}),
    "listing": obj({
        "id": KEYWORD, "version": LONG, "title": searchable(1024), "url": KEYWORD,
        "@timestamp": DATE,
    }),
    "source": obj({"id": KEYWORD, "name": searchable()}),
    "seller": obj({"handle": searchable(), "handle_key": KEYWORD}),
    "victim": obj({"orgs": searchable(), "domains": KEYWORD, "country": KEYWORD}),
    "records": obj({"claimed": LONG, "sample": LONG}),
    "price": obj({"amount": DOUBLE, "currency": KEYWORD, "usd": DOUBLE}),
    "post_type": KEYWORD,
    "delivery": obj({
        "status": KEYWORD,  # sent | failed
        "attempts": LONG,
        "error": KEYWORD,
        "http_status": LONG,
    }),
}

PROPERTIES: dict[str, dict[str, Any]] = {
    LISTINGS: LISTING_PROPERTIES,
    HISTORY: HISTORY_PROPERTIES,
    ALERTS: ALERT_PROPERTIES,
}


def settings_component() -> dict[str, Any]:
    # One shard is plenty for one forum-watching daemon; replicas follow the cluster size so
    # a single dev node is green and a three-node cluster keeps a copy.
    return {"template": {"settings": {
        "index": {"number_of_shards": 1, "auto_expand_replicas": "0-1",
                  "refresh_interval": "1s"},
    }}}


def mappings_component(name: str) -> dict[str, Any]:
    return {"template": {"mappings": {
        "dynamic": "strict",
        "date_detection": False,
        "properties": PROPERTIES[name],
    }}}


def template_names(prefix: str) -> dict[str, str]:
    """Names of the component templates: 'settings' and one per logical index."""
    return {"settings": f"{prefix}bazaarwatch-settings",
            **{n: f"{prefix}bazaarwatch-{n}-mappings" for n in INDEX_NAMES}}


def index_template(prefix: str, name: str, version: int = MAPPING_VERSION) -> dict[str, Any]:
    names = template_names(prefix)
    return {
        "index_patterns": [f"{prefix}{name}-v*"],
        "composed_of": [names["settings"], names[name]],
        "priority": 200,
        "version": version,
        "_meta": {"managed_by": "bazaarwatch", "mapping_version": version},
    }
