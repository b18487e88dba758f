"""The normalizer: a raw post in, a listing out. Pure functions, no network, no global mutable
state. Each part lives in a module named for what it reads:

- `text`: the post's HTML as text plus its link targets;
- `lang`: the language (en, id, ru, zh, pt, es, fr, hi, ar);
- `numbers` and `counts`: record counts (`records.claimed`, `records.sample`);
- `price`: amount, currency, negotiable, auction;
- `links` and `crypto`: links, sample links, contacts, crypto addresses;
- `classify`: the post type;
- `victim`: organisations, domains, country; `fields`: data fields; `seller`: handle and key.

A wheel of the project carries these modules compiled with mypyc (setup.py); an editable install
runs them as Python. `COMPILED` says which of the two this process runs.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping

from monitor.models import (
    DATA_FIELDS,
    Forum,
    Listing,
    Price,
    RawPost,
    Records,
    Source,
    Url,
    listing_id,
)
from monitor.normalize.classify import discussion, post_type
from monitor.normalize.counts import records
from monitor.normalize.crypto import addresses
from monitor.normalize.fields import data_fields
from monitor.normalize.fold import fold
from monitor.normalize.lang import detect
from monitor.normalize.lexicon import Tokens
from monitor.normalize.links import extract, host_of
from monitor.normalize.price import crypto_named, price
from monitor.normalize.scan import scan
from monitor.normalize.seller import handle_key, seller
from monitor.normalize.text import from_html
from monitor.normalize.victim import Org, OrgLike, victim

__all__ = ["COMPILED", "MAX_BODY_CHARS", "Org", "OrgLike", "handle_key", "normalize"]

# a compiled function is not a Python function object
COMPILED = not isinstance(records, types.FunctionType)
MAX_BODY_CHARS = 100_000  # a forum post's opening message is far shorter
MAX_TITLE_CHARS = 1_000


def normalize(raw: RawPost, *, organisations: Iterable[OrgLike] = (),
              rates: Mapping[str, float] | None = None) -> Listing:
    """The listing of `raw`. `organisations`: the operator's gazetteer (searched before the
    shipped one); `rates`: USD per unit of a currency, for `price.usd`. Bookkeeping fields
    (`first_seen`, `last_seen`, `version`) are left to the state step."""
    html = from_html(raw.body_html) if raw.body_html else None
    body = raw.body_text or (html.text if html else "")
    if html is not None and not raw.body_text:
        body = html.text
    hrefs = html.hrefs if html else ()
    title = (raw.title or "")[:MAX_TITLE_CHARS]
    # what is read is bounded, so a hostile page costs a bounded time; the listing keeps it all
    full_body, body = body, body[:MAX_BODY_CHARS]
    f_title, f_body = fold(title), fold(body)
    lang = detect(title, body, folded_title=f_title)
    both = f"{title}\n{body}"
    long_words = [word for word in both.split() if len(word) >= 26]  # links, IDs, addresses
    found = extract(both, hrefs, raw.url, long_words=long_words)
    s_title, s_body = scan(f_title, lang), scan(f_body, lang)
    counted = records(s_title, s_body, lang, original=both)
    asked = price(s_title, s_body, lang, rates=rates)
    kind = post_type(f_title, f_body, price_amount=asked.amount, has_samples=bool(found.samples),
                     paying=asked.amount is not None or asked.currency is not None)
    if kind in ("buy", "request", "other"):
        # a buyer's wish or a discussion claims no records; a discussion prices nothing
        counted = Records(text=counted.text)
        if kind == "request" or (kind == "other" and discussion(f_title)):
            asked = Price()
    if kind == "leak":  # shared for free, whatever price the post mentions in passing
        asked = Price(amount=0.0, currency=None, usd=0.0 if rates is not None else None)
    elif kind == "buy" and asked.amount is None and asked.currency is None:
        asked = Price(currency=crypto_named(f"{s_title.masked}\n{s_body.masked}"))
    body_words, title_words = Tokens(f_body), Tokens(f_title)
    hurt = victim(title, body, f_title, f_body, found.domains, organisations=organisations,
                  lang=lang, words=body_words, currency=asked.currency, title_words=title_words)
    fields = set(data_fields(f_title, title_words)) | set(data_fields(f_body, body_words))
    return Listing(
        id=listing_id(raw.source_id, raw.url),
        source=Source(id=raw.source_id, name=raw.source_name, engine=raw.engine),
        url=Url(full=raw.url, domain=host_of(raw.url) or None),
        title=raw.title or "",
        body=full_body,
        timestamp=raw.posted_at,
        crawled_at=raw.crawled_at,
        forum=Forum(board=raw.board),
        lang=lang,
        seller=seller(raw.author, raw.author_url),
        post_type=kind,
        records=counted,
        price=asked,
        samples=found.samples,
        links=found.links,
        contacts=found.contacts,
        crypto_addresses=addresses(both, long_words),
        victim=hurt,
        data_fields=tuple(sorted(fields, key=DATA_FIELDS.index)),
        evidence=raw.evidence,
    )
