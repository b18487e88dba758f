"""Slack: the Block Kit message an analyst acts on, and the webhook sender with retries.

Everything that came from a forum is untrusted: it is cleaned of control, bidi and zero-width
characters, escaped for mrkdwn (&, <, >, so `<!channel>` or `<https://evil|click>` show as text),
and `@channel`-style words are broken so nothing pings anybody. Sample links are shown
defanged (hxxps://mega[.]nz/...), never as links. Block Kit's limits (header 150 characters,
section text 3000, 10 fields of 2000, 50 blocks) are kept by truncating with an ellipsis.

`SlackNotifier.post()` retries with exponential back-off, honours Retry-After on 429, and treats
any other 4xx as permanent; it raises SlackDeliveryError, which the sender records in the
outbox — a notification never crashes the crawl.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from monitor.errors import SlackError
from monitor.models import Listing, Price

if TYPE_CHECKING:
    from monitor.alerts import Alert

log = logging.getLogger(__name__)

HEADER_MAX = 150
SECTION_MAX = 3000
FIELD_MAX = 2000
FIELDS_MAX = 10
BLOCKS_MAX = 50
CONTEXT_ELEMENTS_MAX = 10
FALLBACK_MAX = 3000
EXCERPT_CHARS = 600
SAMPLES_SHOWN = 10

_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\ufeff\ufff9-\ufffb]")
_MENTION_WORDS = re.compile(r"@(?=(channel|here|everyone)\b)", re.IGNORECASE)
_ENTITY_TAIL = re.compile(r"&[a-z]{0,4}$")
_URL_IN_TEXT = re.compile(r"\b(?:https?|ftps?|wss?)://[^\s<>\"'`]+", re.IGNORECASE)
_HOST_IN_TEXT = re.compile(
    r"(?<![\w.\[-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:[a-z]{2}|com|net|org|info|biz|io|onion|gov|edu|mil|xyz|top|site|online|app|dev|cloud"
    r"|shop|store|link|live|club|pro|name|mobi|asia|tech|space|website)(?![\w-])",
    re.IGNORECASE)
_URL_PARTS = re.compile(r"^([a-z][a-z0-9+.-]*)://([^/?#]*)(.*)$", re.IGNORECASE | re.DOTALL)
_SEVERITY_MARK = {"low": "⚪", "medium": "🟡", "high": "🟠", "critical": "🔴"}


class SlackDeliveryError(SlackError):
    """A webhook post failed after `attempts` tries (`permanent`: Slack refused the message
    itself, retrying cannot help)."""

    def __init__(self, message: str, *, attempts: int, status: int | None = None,
                 retry_after: float | None = None, permanent: bool = False):
        super().__init__(message, status=status, retry_after=retry_after, permanent=permanent)
        self.attempts = attempts


# -- text -------------------------------------------------------------------------------------
def clean(text: str | None, *, newlines: bool = True) -> str:
    """Forum text without control, bidi and zero-width characters; tabs (and, unless
    `newlines`, line breaks) become single spaces."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if not newlines:
        text = re.sub(r"\s+", " ", text)
    return _INVISIBLE.sub("", text)


def defang_text(text: str) -> str:
    """URLs and host names in free text defanged, so Slack links none of them."""
    text = _URL_IN_TEXT.sub(lambda m: defang(m.group(0)), text)
    return _HOST_IN_TEXT.sub(lambda m: m.group(0).replace(".", "[.]"), text)


def escape(text: str | None, *, newlines: bool = True) -> str:
    """Forum text made safe for mrkdwn: cleaned, links and host names defanged, &, <, >
    escaped, mention words broken."""
    text = defang_text(clean(text, newlines=newlines))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION_WORDS.sub("@\u2060", text)


def fit(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis, never inside an &entity;."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    cut = _ENTITY_TAIL.sub("", cut)
    return cut + "…"


def defang(url: str) -> str:
    """hxxps://mega[.]nz/file/... : readable, not clickable, not auto-linked."""
    url = clean(url, newlines=False).strip()
    m = _URL_PARTS.match(url)
    if not m:
        return url.replace(".", "[.]")
    scheme, host, rest = m.groups()
    scheme = re.sub(r"^http", "hxxp", re.sub(r"^ftp", "fxp", scheme.lower()))
    return f"{scheme}://{host.replace('.', '[.]')}{rest}"


def link(url: str | None, label: str) -> str:
    """A mrkdwn link to a URL we trust the shape of (http/https only), or the label alone."""
    if not url:
        return label
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return label
    safe = quote(url, safe=":/?#[]@!$'()*+,;=%~-._").replace("&", "&amp;")
    return f"<{safe}|{label}>"


def number_words(n: int | None) -> str:
    """279000000 -> "279 million", 1500000 -> "1.5 million", 100002 -> "100,002"."""
    if n is None:
        return "unknown"
    for size, word in ((10**12, "trillion"), (10**9, "billion"), (10**6, "million")):
        if abs(n) >= size:
            value = n / size
            shown = f"{value:.1f}".rstrip("0").rstrip(".") if value < 100 else f"{value:.0f}"
            return f"{shown} {word}"
    return f"{n:,}"


def describe_price(price: Price) -> str:
    if price.amount is None:
        return clean(price.text, newlines=False) or "not given"
    amount = f"{price.amount:,.8f}".rstrip("0").rstrip(".")
    if price.currency == "USD":
        shown = f"${amount}"
    else:
        shown = f"{amount} {price.currency or ''}".strip()
        if price.usd is not None:
            shown += f" (≈ ${price.usd:,.0f})"
    if price.negotiable:
        shown += ", negotiable"
    return shown


def describe_records(listing: Listing) -> str:
    parts = []
    if listing.records.claimed is not None:
        parts.append(f"{number_words(listing.records.claimed)} claimed")
    if listing.records.sample is not None:
        parts.append(f"{number_words(listing.records.sample)} sample")
    return " · ".join(parts) or "not given"


def excerpt(alert: Alert) -> str:
    """Escaped mrkdwn: the body around the first term hit in it, the hit in bold."""
    body = alert.listing.body or ""
    hit = next((h for h in alert.hits if h.field == "body" and h.item is None), None)
    if hit is None:
        return escape(body[:EXCERPT_CHARS]) + ("…" if len(body) > EXCERPT_CHARS else "")
    start = max(0, hit.start - EXCERPT_CHARS // 2)
    end = min(len(body), hit.end + EXCERPT_CHARS // 2)
    before, word, after = body[start:hit.start], body[hit.start:hit.end], body[hit.end:end]
    marked = escape(word, newlines=False).replace("*", "")
    return ("…" if start else "") + escape(before) + f"*{marked}*" + escape(after) + (
        "…" if end < len(body) else "")


# -- the message ------------------------------------------------------------------------------
def kibana_link(kibana_url: str, listing_id: str) -> str:
    query = quote(f"(query:(language:kuery,query:'_id:\"{listing_id}\"'))", safe="(),:'")
    return f"{kibana_url.rstrip('/')}/app/discover#/?_a={query}"


def render(alert: Alert, *, kibana_url: str | None = None) -> dict[str, Any]:
    """The webhook payload (`text` fallback and `blocks`) for an alert."""
    lst = alert.listing
    title = clean(lst.title, newlines=False) or "(no title)"
    mark = _SEVERITY_MARK.get(alert.severity, "")
    kind = "Updated" if alert.kind == "update" else "New"
    blocks: list[dict[str, Any]] = [
        # Escaped here too: Slack reads &, <, > entities in every text object.
        {"type": "header", "text": {"type": "plain_text", "emoji": False,
                                    "text": fit(f"{mark} {escape(title)}".strip(), HEADER_MAX)}},
        _context(f"{kind} listing · rule *{escape(alert.rule_id)}* · severity"
                 f" *{escape(alert.severity)}*" + (
                     f" · #{escape(alert.channel.lstrip('#'))}" if alert.channel else "")),
    ]
    if alert.changes:
        changed = "\n".join(f"• {escape(c)}" for c in alert.changes)
        blocks.append(_section(f"*What changed*\n{changed}"))
    blocks.append({"type": "section", "fields": _fields(alert)})
    if lst.samples:
        lines = [f"• {escape(s.host)} — `{escape(defang(s.url), newlines=False).replace('`', '')}`"
                 + (" (onion)" if s.onion else "") for s in lst.samples[:SAMPLES_SHOWN]]
        if len(lst.samples) > SAMPLES_SHOWN:
            lines.append(f"…and {len(lst.samples) - SAMPLES_SHOWN} more")
        blocks.append(_section("*Samples* (not followed)\n" + "\n".join(lines)))
    if lst.body:
        blocks.append(_section("*Excerpt*\n" + excerpt(alert)))
    links = [link(lst.url.full, "Open thread (Tor)")]
    if kibana_url:
        links.append(link(kibana_link(kibana_url, lst.id), "Listing in Kibana"))
    blocks.append(_section(" · ".join(links)))
    blocks = blocks[:BLOCKS_MAX]
    fallback = f"{mark} {kind} listing for rule {alert.rule_id}: {escape(title, newlines=False)}"
    return {"text": fit(fallback.strip(), FALLBACK_MAX), "blocks": blocks,
            "unfurl_links": False, "unfurl_media": False}


def _fields(alert: Alert) -> list[dict[str, str]]:
    lst = alert.listing
    forum = escape(lst.source.name or lst.source.id, newlines=False)
    if lst.forum.board:
        forum += f" › {escape(lst.forum.board, newlines=False)}"
    seller = escape(lst.seller.handle, newlines=False) or "unknown"
    prior = alert.seller_prior
    if lst.seller.handle and prior is not None:
        seller += (f" ({prior} earlier listing{'s' if prior != 1 else ''})" if prior
                   else " (first listing seen)")
    victim = ", ".join(escape(v, newlines=False) for v in (*lst.victim.orgs, *lst.victim.domains))
    country = lst.victim.country or "unknown"
    hits: dict[str, set[str]] = {}
    for h in alert.hits:
        hits.setdefault(h.term, set()).add(h.field)
    matched = "; ".join(f"{escape(t, newlines=False)} ({', '.join(sorted(f))})"
                        for t, f in hits.items())
    pairs = [
        ("Forum", forum),
        ("Seller", seller),
        ("Records", describe_records(lst)),
        ("Price", escape(describe_price(lst.price), newlines=False)),
        ("Victim", f"{victim or 'unknown'} ({escape(country)})"),
        ("Data fields", ", ".join(escape(d) for d in lst.data_fields) or "not given"),
        ("Matched", matched or "conditions only"),
        ("Post type", escape(lst.post_type)),
    ]
    return [{"type": "mrkdwn", "text": fit(f"*{name}*\n{value}", FIELD_MAX)}
            for name, value in pairs][:FIELDS_MAX]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(text, SECTION_MAX)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": fit(text, SECTION_MAX)}]}


# -- sending ----------------------------------------------------------------------------------
class SlackNotifier:
    """Posts payloads to Slack incoming webhooks (slack-sdk's AsyncWebhookClient, its own retry
    handlers off: the retry policy is here, where the outbox can see it)."""

    def __init__(self, *, timeout_s: float = 10.0, max_attempts: int = 6,
                 backoff_s: float = 1.0, backoff_max_s: float = 60.0,
                 retry_after_max_s: float = 300.0):
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.retry_after_max_s = retry_after_max_s
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SlackNotifier:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self, url: str) -> AsyncWebhookClient:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_s), trust_env=False)
        return AsyncWebhookClient(url, timeout=int(self.timeout_s), session=self._session,
                                  retry_handlers=[])

    async def post(self, url: str, payload: dict[str, Any], *, rule_id: str) -> int:
        """Send one message; returns the number of attempts it took. Raises
        SlackDeliveryError (permanent for 4xx other than 429)."""
        client = self._client(url)
        delay = self.backoff_s
        for attempt in range(1, self.max_attempts + 1):
            wait: float | None = None
            try:
                resp = await client.send_dict(payload)
            except (aiohttp.ClientError, TimeoutError, OSError) as e:
                status, problem = None, f"{type(e).__name__}: {e}"
            else:
                status, problem = resp.status_code, f"HTTP {resp.status_code} {resp.body!r}"
                if status == 200:
                    return attempt
                if status == 429:
                    wait = self._retry_after(resp.headers.get("Retry-After"))
                elif 400 <= status < 500:  # the caller logs it, with the alert
                    raise SlackDeliveryError(f"Slack refused the message: {problem}",
                                             attempts=attempt, status=status, permanent=True)
            if attempt == self.max_attempts:
                raise SlackDeliveryError(f"gave up after {attempt} attempts: {problem}",
                                         attempts=attempt, status=status, retry_after=wait)
            if wait is None:
                wait = min(delay, self.backoff_max_s) * random.uniform(0.8, 1.2)
                delay *= 2
            log.warning("rule %s: Slack post attempt %d failed (%s); retrying in %.1fs",
                        rule_id, attempt, problem, wait)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_after(self, value: str | None) -> float:
        try:
            seconds = float(value) if value is not None else self.backoff_s
        except ValueError:
            seconds = self.backoff_s
        return max(0.0, min(seconds, self.retry_after_max_s))
