"""The entities every part of Bazaarwatch agrees on: the raw post a spider yields and the listing
the normalizer makes of it. A listing's attribute names are the Elasticsearch field names
(`Listing.to_doc()` is the indexed document), so the mapping in `monitor/es/mappings.py` and
this module change together.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

PostType = Literal["sell", "leak", "buy", "request", "other"]
POST_TYPES: tuple[str, ...] = ("sell", "leak", "buy", "request", "other")

DATA_FIELDS: tuple[str, ...] = (
    "national_id", "passport", "phone", "email", "address", "name", "dob", "gender", "religion",
    "password", "password_hash", "card", "bank_account", "iban", "tax_id", "health", "salary",
    "photo", "ip", "location",
)  # fmt: skip


def listing_id(source_id: str, thread_url: str) -> str:
    """The stable `_id` of a listing: sha256 of the source id and the canonical thread URL."""
    return hashlib.sha256(f"{source_id}\n{thread_url}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Evidence:
    """The thread page as it was fetched: its sha256, the file it was kept in (under the state
    directory's `evidence/`) and a PNG of it when Chromium rendered it."""

    html_sha256: str | None = None
    path: str | None = None
    screenshot: str | None = None


@dataclass(frozen=True, slots=True)
class RawPost:
    """A thread's opening post as a spider read it. Spiders fill it; nothing else parses HTML."""

    source_id: str
    url: str  # canonical thread URL (no session ids, no page numbers)
    title: str
    body_text: str
    body_html: str = ""
    board: str | None = None
    author: str | None = None
    author_url: str | None = None
    posted_at: datetime | None = None  # timezone-aware
    last_post_at: datetime | None = None
    replies: int | None = None
    views: int | None = None
    page_url: str | None = None  # the page it was read from
    source_name: str | None = None
    engine: str | None = None
    crawled_at: datetime | None = None
    evidence: Evidence = Evidence()  # filled by monitor.middleware.evidence

    def to_json(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    name: str | None = None
    engine: str | None = None


@dataclass(frozen=True, slots=True)
class Forum:
    board: str | None = None


@dataclass(frozen=True, slots=True)
class Url:
    full: str
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class Seller:
    handle: str | None = None  # as shown on the forum
    handle_key: str | None = None  # folded for joins (see monitor.normalize)
    profile_url: str | None = None


@dataclass(frozen=True, slots=True)
class Records:
    claimed: int | None = None  # total the seller claims
    sample: int | None = None  # size of the sample offered
    text: tuple[str, ...] = ()  # the words the numbers came from


@dataclass(frozen=True, slots=True)
class Price:
    amount: float | None = None  # for auctions: the start price
    currency: str | None = None  # ISO 4217, or BTC / XMR / ETH / USDT / LTC
    usd: float | None = None  # when a rate table is configured
    text: str | None = None
    negotiable: bool = False
    auction_step: float | None = None
    buy_now: float | None = None


@dataclass(frozen=True, slots=True)
class SampleLink:
    url: str
    host: str
    onion: bool = False
    defanged: bool = False  # was it written defanged in the post


@dataclass(frozen=True, slots=True)
class Contact:
    type: str  # telegram | xmpp | tox | session | email
    value: str


@dataclass(frozen=True, slots=True)
class CryptoAddress:
    currency: str  # BTC | XMR | ETH | USDT-TRC20
    address: str


@dataclass(frozen=True, slots=True)
class Victim:
    orgs: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    country: str | None = None  # ISO 3166-1 alpha-2


@dataclass(frozen=True, slots=True)
class Listing:
    """One forum thread that offers or leaks data; `to_doc()` is its Elasticsearch document."""

    id: str
    source: Source
    url: Url
    title: str
    body: str
    timestamp: datetime | None = None  # posted; indexed as @timestamp
    crawled_at: datetime | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    version: int = 1
    forum: Forum = field(default_factory=Forum)
    lang: str | None = None
    seller: Seller = field(default_factory=Seller)
    post_type: PostType = "other"
    records: Records = field(default_factory=Records)
    price: Price = field(default_factory=Price)
    samples: tuple[SampleLink, ...] = ()
    links: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = ()
    crypto_addresses: tuple[CryptoAddress, ...] = ()
    victim: Victim = field(default_factory=Victim)
    data_fields: tuple[str, ...] = ()
    evidence: Evidence = field(default_factory=Evidence)
    rules_matched: tuple[str, ...] = ()

    def content_sha256(self) -> str:
        """Hash of the fields whose change makes a new version (title, body, records, price,
        samples, seller); bookkeeping fields and times are left out on purpose."""
        material = {
            "title": self.title,
            "body": self.body,
            "records": _plain(self.records),
            "price": _plain(self.price),
            "samples": sorted(s.url for s in self.samples),
            "seller": self.seller.handle_key or self.seller.handle,
        }
        blob = json.dumps(material, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def to_doc(self, content_sha256: str | None = None) -> dict[str, Any]:
        """The Elasticsearch document (without `_id`, which is `self.id`). `content_sha256`:
        this listing's `content_sha256()` when the caller has it already (it is not cheap)."""
        doc = _plain(self, drop_none=True)
        del doc["id"]
        timestamp = doc.pop("timestamp", None)
        if timestamp is not None:
            doc["@timestamp"] = timestamp
        doc["content_sha256"] = content_sha256 or self.content_sha256()
        return doc

    @classmethod
    def from_doc(cls, doc_id: str, doc: dict[str, Any]) -> Listing:
        """The inverse of `to_doc()`: read a listing back from its document."""
        d = dict(doc)
        d.pop("content_sha256", None)
        ts = d.pop("@timestamp", None)

        def dt(v: Any) -> datetime | None:
            return datetime.fromisoformat(v) if isinstance(v, str) else v

        return cls(
            id=doc_id,
            source=Source(**d.get("source", {})),
            url=Url(**d.get("url", {})),
            title=d.get("title", ""),
            body=d.get("body", ""),
            timestamp=dt(ts),
            crawled_at=dt(d.get("crawled_at")),
            first_seen=dt(d.get("first_seen")),
            last_seen=dt(d.get("last_seen")),
            version=d.get("version", 1),
            forum=Forum(**d.get("forum", {})),
            lang=d.get("lang"),
            seller=Seller(**d.get("seller", {})),
            post_type=d.get("post_type", "other"),
            records=Records(**{**d.get("records", {}), "text": tuple(
                d.get("records", {}).get("text", ()))}),
            price=Price(**d.get("price", {})),
            samples=tuple(SampleLink(**s) for s in d.get("samples", ())),
            links=tuple(d.get("links", ())),
            contacts=tuple(Contact(**c) for c in d.get("contacts", ())),
            crypto_addresses=tuple(CryptoAddress(**c) for c in d.get("crypto_addresses", ())),
            victim=Victim(
                orgs=tuple(d.get("victim", {}).get("orgs", ())),
                domains=tuple(d.get("victim", {}).get("domains", ())),
                country=d.get("victim", {}).get("country"),
            ),
            data_fields=tuple(d.get("data_fields", ())),
            evidence=Evidence(**d.get("evidence", {})),
            rules_matched=tuple(d.get("rules_matched", ())),
        )


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_LEAVES = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any, drop_none: bool = False) -> Any:
    """Dataclasses to dicts, datetimes to ISO 8601 strings, tuples to lists, recursively:
    JSON-ready; with `drop_none`, dataclass fields that are None are left out. (Not
    `dataclasses.asdict()`: it deep-copies every value, which made `to_doc()` the indexing
    pipeline's slowest step; these values are immutable.)"""
    if type(value) in _LEAVES:
        return value
    names = _FIELD_NAMES.get(type(value))
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        if drop_none:
            return {name: _plain(v, True) for name in names
                    if (v := getattr(value, name)) is not None}
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v, drop_none) for k, v in value.items()
                if not (drop_none and v is None)}
    if isinstance(value, (list, tuple)):
        return [_plain(v, drop_none) for v in value]
    return value
