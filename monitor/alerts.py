"""Alerts: from a listing leaving the state step to a Slack message and an `alerts` document.

The state step calls `Alerter.process(conn, listing)` for every new or changed listing *inside
its own transaction*: rules are evaluated, and each (rule, listing) that never alerted, or whose
listing changed materially since its last alert (claimed records up, a new sample link, a new
or lower price, a different seller, another post type), gets one row in the outbox with the
message already rendered. Once the transaction commits, `AlertSender.drain()` sends what the
outbox holds; after a crash, the next start sends it (see monitor.state.outbox).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from monitor.errors import ElasticsearchUnavailable, StateError
from monitor.fold import fold
from monitor.models import Listing
from monitor.rules import Hit, RuleMatch, RuleSet
from monitor.slack import (
    SlackDeliveryError,
    SlackNotifier,
    describe_price,
    escape,
    number_words,
    render,
)
from monitor.state import outbox

log = logging.getLogger(__name__)

STORED_BODY_CHARS = 10_000  # of a listing's body kept in the outbox with its alert


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert: a rule matched a listing (kind "new"), or matched it again after a material
    change (kind "update", with `changes` saying what changed)."""

    id: str  # <rule id>:<listing id>:<listing version>, also the `alerts` document _id
    kind: str  # new | update
    rule_id: str
    severity: str
    channel: str | None
    listing: Listing
    hits: tuple[Hit, ...] = ()
    changes: tuple[str, ...] = ()
    seller_prior: int | None = None  # listings this seller had before this one

    @property
    def terms(self) -> tuple[str, ...]:
        """Names of the terms that matched, in the order first seen."""
        return tuple(dict.fromkeys(h.term for h in self.hits if not h.regex))

    @property
    def regexes(self) -> tuple[str, ...]:
        """Patterns of the regexes that matched."""
        return tuple(dict.fromkeys(h.term for h in self.hits if h.regex))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "rule_id": self.rule_id,
                "severity": self.severity, "channel": self.channel,
                "listing_id": self.listing.id, "listing": _trimmed(self.listing.to_doc()),
                "hits": [h.to_json() for h in self.hits],
                "changes": list(self.changes), "seller_prior": self.seller_prior}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Alert:
        hits = tuple(Hit.from_json(d["rule_id"], h) for h in d.get("hits", ()))
        return cls(id=d["id"], kind=d["kind"], rule_id=d["rule_id"], severity=d["severity"],
                   channel=d.get("channel"),
                   listing=Listing.from_doc(d["listing_id"], d["listing"]), hits=hits,
                   changes=tuple(d.get("changes", ())), seller_prior=d.get("seller_prior"))

    def to_doc(self, *, status: str, attempts: int = 0, error: str | None = None,
               http_status: int | None = None, sent_at: str | None = None) -> dict[str, Any]:
        """The `alerts` index document (monitor.es.mappings.ALERT_PROPERTIES); `_id` is id."""
        lst = self.listing
        doc: dict[str, Any] = {
            "@timestamp": sent_at or outbox.now_iso(),
            "kind": self.kind,
            "rule": {"id": self.rule_id, "severity": self.severity, "channel": self.channel},
            "matched": {"terms": list(self.terms), "regexes": list(self.regexes)},
            "listing": {"id": lst.id, "version": lst.version, "title": lst.title,
                        "url": lst.url.full,
                        "@timestamp": lst.timestamp.isoformat() if lst.timestamp else None},
            "source": {"id": lst.source.id, "name": lst.source.name},
            "seller": {"handle": lst.seller.handle, "handle_key": lst.seller.handle_key},
            "victim": {"orgs": list(lst.victim.orgs), "domains": list(lst.victim.domains),
                       "country": lst.victim.country},
            "records": {"claimed": lst.records.claimed, "sample": lst.records.sample},
            "price": {"amount": lst.price.amount, "currency": lst.price.currency,
                      "usd": lst.price.usd},
            "post_type": lst.post_type,
            "delivery": {"status": status, "attempts": attempts, "error": error,
                         "http_status": http_status},
        }
        return _drop_empty(doc)


def material_changes(before: Listing, after: Listing) -> tuple[str, ...]:
    """What changed between two versions of a listing that is worth a new alert, each as a
    short sentence; empty when nothing material changed."""
    changes: list[str] = []
    old_c, new_c = before.records.claimed, after.records.claimed
    if new_c is not None and (old_c is None or new_c > old_c):
        changes.append(f"claimed records {number_words(old_c) if old_c else 'unknown'}"
                       f" → {number_words(new_c)}")
    old_urls = {s.url for s in before.samples}
    new_hosts = [s.host for s in after.samples if s.url not in old_urls]
    if new_hosts:
        hosts = ", ".join(dict.fromkeys(new_hosts))
        changes.append(f"new sample link{'s' if len(new_hosts) > 1 else ''} on {hosts}")
    price_change = _price_change(before, after)
    if price_change:
        changes.append(price_change)
    old_s = _seller_key(before)
    new_s = _seller_key(after)
    if new_s and new_s != old_s:
        changes.append(f"seller {before.seller.handle or 'unknown'} → {after.seller.handle}")
    if after.post_type != before.post_type:
        changes.append(f"post type {before.post_type} → {after.post_type}")
    return tuple(changes)


def _price_change(before: Listing, after: Listing) -> str | None:
    old, new = before.price, after.price
    if new.amount is None:
        return None
    if old.amount is None:
        return f"price now {describe_price(new)}"
    if old.currency != new.currency:
        if old.usd is not None and new.usd is not None and new.usd >= old.usd:
            return None
        return f"price {describe_price(old)} → {describe_price(new)}"
    if new.amount < old.amount:
        return f"price lowered {describe_price(old)} → {describe_price(new)}"
    return None


def _seller_key(listing: Listing) -> str | None:
    key = listing.seller.handle_key or listing.seller.handle
    return fold(key) if key else None


class Alerter:
    """Evaluates rules on listings leaving the state step and queues the alerts."""

    def __init__(self, rules: RuleSet, *, kibana_url: str | None = None):
        self.rules = rules
        self.kibana_url = kibana_url

    def process(self, conn: sqlite3.Connection, listing: Listing,
                matches: Sequence[RuleMatch] | None = None) -> list[Alert]:
        """Queue the alerts `listing` calls for, in the caller's open transaction on `conn`
        (pass `matches` when the caller already evaluated the rules, e.g. to fill
        `rules_matched`). Raises StateError when the outbox cannot be written."""
        if matches is None:
            matches = self.rules.evaluate(listing)
        try:
            return self._queue(conn, listing, matches)
        except sqlite3.Error as e:
            raise StateError(f"{listing.source.id}: cannot queue alerts for {listing.id}: {e}"
                             ) from e

    def hook(self, conn: sqlite3.Connection, obs: Any) -> Any:
        """The state step's hook (monitor.state.listings.ListingStore): for a new or changed
        listing, fill `rules_matched` and queue its alerts in the store's transaction. Wake the
        sender once `record()` returned (committed) when `obs.listing.rules_matched` is set."""
        if obs.status not in ("new", "changed"):
            return None
        matches = self.rules.evaluate(obs.listing)
        listing = dataclasses.replace(obs.listing,
                                      rules_matched=tuple(m.rule_id for m in matches))
        self.process(conn, listing, matches)
        return dataclasses.replace(obs, listing=listing)

    def _queue(self, conn: sqlite3.Connection, listing: Listing,
               matches: Sequence[RuleMatch]) -> list[Alert]:
        seller = _seller_key(listing)
        prior = outbox.note_seller(conn, seller, listing.id) if seller else None
        queued = []
        # The baseline of the next "what changed": material fields only, not the body.
        doc = {k: v for k, v in listing.to_doc().items() if k != "body"}
        for match in matches:
            baseline = outbox.last_alerted(conn, match.rule_id, listing.id)
            changes: tuple[str, ...] = ()
            if baseline is not None:
                changes = material_changes(Listing.from_doc(listing.id, baseline), listing)
                if not changes:
                    continue
            alert = Alert(id=f"{match.rule_id}:{listing.id}:{listing.version}",
                          kind="update" if baseline is not None else "new",
                          rule_id=match.rule_id, severity=match.severity,
                          channel=match.channel, listing=listing, hits=match.hits,
                          changes=changes, seller_prior=prior)
            payload = self._render(alert)
            if outbox.add(conn, alert_id=alert.id, rule_id=alert.rule_id,
                          listing_id=listing.id, listing_version=listing.version,
                          kind=alert.kind, alert=alert.to_json(), payload=payload,
                          listing_doc=doc):
                log.info("%s: alert %s queued (%s%s)", listing.source.id, alert.id, alert.kind,
                         ": " + "; ".join(changes) if changes else "")
                queued.append(alert)
        return queued

    def _render(self, alert: Alert) -> dict[str, Any]:
        try:
            return render(alert, kibana_url=self.kibana_url)
        except Exception:  # a rendering bug must not lose the alert nor the listing's state
            log.exception("%s: alert %s: message rendering failed; sending the short form",
                          alert.listing.source.id, alert.id)
            return {"text": f"Listing {escape(alert.listing.id)} matched rule "
                            f"{escape(alert.rule_id)} (message rendering failed; see the log)"}


def alerter_from_config(config: Any) -> Alerter:
    """The Alerter for a loaded Config (rules compiled once here)."""
    return Alerter(RuleSet.compile(config.watchlists.rules),
                   kibana_url=config.monitor.slack.kibana_url)


class AlertIndex(Protocol):
    """Where sent alerts are indexed (the `alerts` index); raises ElasticsearchUnavailable."""

    async def index_alert(self, alert_id: str, doc: dict[str, Any]) -> None: ...


class EsAlertIndex:
    """`AlertIndex` on an AsyncElasticsearch client and the `alerts` alias name."""

    def __init__(self, client: Any, index: str):
        self.client = client
        self.index = index

    async def index_alert(self, alert_id: str, doc: dict[str, Any]) -> None:
        try:
            # require_alias: before `es setup` made the alias, writing would create a concrete
            # index of that name and block the setup; fail and keep the alert for later instead.
            await self.client.index(index=self.index, id=alert_id, document=doc,
                                    require_alias=True)
        except Exception as e:  # the client's transport and API errors alike
            raise ElasticsearchUnavailable(f"cannot index alert {alert_id}: {e}") from e


@dataclass(slots=True)
class DrainResult:
    sent: int = 0
    failed: int = 0
    retry: int = 0  # transient failures, still pending


class AlertSender:
    """Sends what the outbox holds. Owns its own connection to the state store (the state
    step's connection stays in its thread and transaction); database calls run in a thread."""

    def __init__(self, conn: sqlite3.Connection, notifier: SlackNotifier, *,
                 webhooks: Mapping[str, str] | None = None, default_webhook: str | None = None,
                 index: AlertIndex | None = None, metrics: Any = None):
        self.conn = conn
        self.metrics = metrics  # monitor.metrics.Metrics: alerts sent/failed, outbox depth
        self.notifier = notifier
        self.webhooks = dict(webhooks or {})
        self.default_webhook = default_webhook
        self.index = index
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def recover(self) -> int:
        """At start: alerts a crash left half-sent are pending again."""
        return await asyncio.to_thread(outbox.recover, self.conn)

    def wake(self) -> None:
        """Ask `run()` to drain now: call it after the state transaction committed (an alert
        queued in a transaction not yet committed waits for the next wake). Any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self._wake.set()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stop: asyncio.Event, *, idle_s: float = 30.0) -> None:
        """Drain whenever woken (or every `idle_s`), until `stop` is set; then drain once more."""
        self._loop = asyncio.get_running_loop()
        await self.recover()
        while not stop.is_set():
            self._wake.clear()  # before draining: a wake during the drain is not lost
            try:
                await self.drain()
            except Exception:  # a notification never crashes the crawl
                log.exception("alert outbox: drain failed; trying again later")
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=idle_s,
                               return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
        try:
            await self.drain()
        except Exception:
            log.exception("alert outbox: last drain failed; the outbox keeps the alerts")

    async def drain(self) -> DrainResult:
        """Send every pending alert once (with the notifier's retries); never raises for a
        failed send: the outcome is in the outbox and the log."""
        result = DrainResult()
        async with self._lock:
            while True:
                batch = await asyncio.to_thread(outbox.claim, self.conn)
                if not batch:
                    break
                for i, row in enumerate(batch):
                    if result.retry:  # Slack is unwell: the rest waits for the next drain
                        await asyncio.to_thread(outbox.release, self.conn,
                                                [r.id for r in batch[i:]])
                        break
                    await self._send(row, result)
                if result.retry:
                    break
            await self._index_backlog()
            if self.metrics is not None:
                self.metrics.outbox_depth.set(await asyncio.to_thread(outbox.depth, self.conn))
        return result

    async def _send(self, row: outbox.OutboxRow, result: DrainResult) -> None:
        url = self.webhooks.get(row.rule_id) or self.default_webhook
        source = row.alert.get("listing", {}).get("source", {}).get("id", "?")
        if not url:
            log.error("%s: alert %s of rule %s: no Slack webhook configured", source, row.id,
                      row.rule_id)
            await self._finish(row, outbox.FAILED, 0, None, "no webhook configured")
            result.failed += 1
            self._count("alerts_failed", row.rule_id)
            return
        try:
            attempts = await self.notifier.post(url, row.payload, rule_id=row.rule_id)
        except SlackDeliveryError as e:
            status = outbox.FAILED if e.permanent else outbox.PENDING
            log.error("%s: alert %s of rule %s %s: %s", source, row.id, row.rule_id,
                      "failed for good" if e.permanent else "not sent yet", e)
            await self._finish(row, status, e.attempts, e.status, str(e))
            if e.permanent:
                result.failed += 1
                self._count("alerts_failed", row.rule_id)
            else:
                result.retry += 1
            return
        except Exception:  # a notification never crashes the crawl
            log.exception("%s: alert %s of rule %s: unexpected error while sending", source,
                          row.id, row.rule_id)
            await self._finish(row, outbox.PENDING, 1, None, "unexpected error")
            result.retry += 1
            return
        await self._finish(row, outbox.SENT, attempts, 200, None)
        result.sent += 1
        self._count("alerts_sent", row.rule_id)
        log.info("%s: alert %s of rule %s sent", source, row.id, row.rule_id)

    def _count(self, counter: str, rule_id: str) -> None:
        if self.metrics is not None:
            getattr(self.metrics, counter).labels(rule=rule_id).inc()

    async def _finish(self, row: outbox.OutboxRow, status: str, attempts: int,
                      http_status: int | None, error: str | None) -> None:
        await asyncio.to_thread(outbox.finish, self.conn, row.id, status=status,
                                attempts=attempts, http_status=http_status, error=error)

    async def _index_backlog(self) -> None:
        if self.index is None:
            return
        for row in await asyncio.to_thread(outbox.unindexed, self.conn):
            alert = Alert.from_json(row.alert)
            doc = alert.to_doc(status=row.status, attempts=row.attempts, error=row.last_error,
                               http_status=row.http_status, sent_at=row.sent_at)
            try:
                await self.index.index_alert(row.id, doc)
            except ElasticsearchUnavailable as e:
                log.warning("alert %s not indexed yet (kept for later): %s", row.id, e)
                return
            await asyncio.to_thread(outbox.mark_indexed, self.conn, row.id)


def sender_from_config(config: Any, conn: sqlite3.Connection, notifier: SlackNotifier,
                       index: AlertIndex | None = None, metrics: Any = None) -> AlertSender:
    """The AlertSender for a loaded Config, on its own connection to the state store."""
    webhooks, default = webhooks_from_config(config)
    return AlertSender(conn, notifier, webhooks=webhooks, default_webhook=default, index=index,
                       metrics=metrics)


def webhooks_from_config(config: Any) -> tuple[dict[str, str], str | None]:
    """(rule id -> webhook URL for rules with their own, the default webhook) from a Config."""
    rules = {r.id: r.webhook.reveal() for r in config.watchlists.rules if r.webhook}
    default = config.monitor.slack.webhook
    return rules, default.reveal() if default else None


def _trimmed(doc: dict[str, Any]) -> dict[str, Any]:
    """A listing document for the outbox: the body cut (the message is already rendered)."""
    body = doc.get("body") or ""
    return {**doc, "body": body[:STORED_BODY_CHARS]} if len(body) > STORED_BODY_CHARS else doc


def _drop_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v is not None and v != []}
    return value

