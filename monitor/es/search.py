"""Searching `listings`: the query behind `bazaarwatch search` and the compact table it prints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch
from elasticsearch import TransportError as EsTransportError

from monitor.errors import ElasticsearchUnavailable
from monitor.normalize.seller import handle_key

SEARCH_FIELDS = ("title^3", "seller.handle^2", "victim.orgs^2", "victim.domains", "body",
                 "forum.board", "source.name", "records.text", "data_fields", "price.text")
_SINCE = re.compile(r"(\d+)([smhdw])")


def since_filter(since: str) -> dict[str, Any]:
    """`7d`, `12h`, `30m`, `2w` (relative to now) or an ISO 8601 date: a range on @timestamp.
    Raises ValueError for anything else."""
    if _SINCE.fullmatch(since):
        return {"range": {"@timestamp": {"gte": f"now-{since}"}}}
    try:
        datetime.fromisoformat(since)
    except ValueError:
        raise ValueError(f"--since {since!r}: use 7d, 12h, 30m, 2w or a date like 2026-01-31"
                         ) from None
    return {"range": {"@timestamp": {"gte": since}}}


def build_query(text: str | None = None, *, since: str | None = None, seller: str | None = None,
                min_records: int | None = None) -> dict[str, Any]:
    must: list[dict[str, Any]] = []
    filters: list[dict[str, Any]] = []
    if text and text.strip() not in ("", "*"):
        must.append({"multi_match": {"query": text, "fields": list(SEARCH_FIELDS),
                                     "type": "best_fields", "operator": "and"}})
    if since:
        filters.append(since_filter(since))
    if seller:
        filters.append({"bool": {"minimum_should_match": 1, "should": [
            {"term": {"seller.handle.keyword": seller}},
            {"term": {"seller.handle_key": handle_key(seller)}},
            {"match": {"seller.handle": {"query": seller, "operator": "and"}}},
        ]}})
    if min_records is not None:
        filters.append({"range": {"records.claimed": {"gte": min_records}}})
    return {"bool": {"must": must or [{"match_all": {}}], "filter": filters}}


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    score: float | None
    doc: dict[str, Any]
    highlight: dict[str, list[str]]


def search(es: Elasticsearch, index: str, query: dict[str, Any], *, size: int = 20,
           marks: tuple[str, str] = ("«", "»")) -> list[Hit]:
    """Raises ElasticsearchUnavailable when the cluster does not answer or refuses."""
    scored = "match_all" not in query["bool"]["must"][0]
    sort = (["_score", {"@timestamp": {"order": "desc", "missing": "_last"}}] if scored
            else [{"@timestamp": {"order": "desc", "missing": "_last"}}])
    try:
        resp = es.search(index=index, query=query, size=size, sort=sort, highlight={
            "pre_tags": [marks[0]], "post_tags": [marks[1]],
            "fields": {"title": {"number_of_fragments": 0},
                       "body": {"fragment_size": 90, "number_of_fragments": 1}},
        })
    except (EsTransportError, ApiError) as e:
        raise ElasticsearchUnavailable(f"search on {index} failed: {e}") from e
    return [Hit(h["_id"], h.get("_score"), h["_source"], h.get("highlight", {}))
            for h in resp["hits"]["hits"]]


def human_count(n: int | None) -> str:
    if n is None:
        return "-"
    for size, unit in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if n >= size:
            value = n / size
            return f"{value:.0f}{unit}" if value >= 100 or value == int(value) else \
                f"{value:.1f}{unit}"
    return str(n)


def price_text(price: dict[str, Any]) -> str:
    if price.get("amount") is None:
        return "-"
    amount = f"{price['amount']:g}"
    return f"{amount} {price.get('currency') or ''}".strip()


def table(hits: list[Hit]) -> list[str]:
    """One line per hit: time, forum, seller, records, price, title (matched words marked)."""
    rows = [("TIME", "FORUM", "SELLER", "RECORDS", "PRICE", "TITLE")]
    for hit in hits:
        d = hit.doc
        when = (d.get("@timestamp") or d.get("first_seen") or "")[:16].replace("T", " ")
        forum = d.get("source", {}).get("name") or d.get("source", {}).get("id", "")
        title = (hit.highlight.get("title") or [d.get("title", "")])[0]
        body = hit.highlight.get("body")
        if body and not hit.highlight.get("title"):
            title = f"{title}  — …{body[0].strip()}…"
        rows.append((when or "-", forum, d.get("seller", {}).get("handle") or "-",
                     human_count(d.get("records", {}).get("claimed")),
                     price_text(d.get("price", {})), title))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return ["  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5]
            for r in rows]
