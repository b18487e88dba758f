"""`bazaarwatch alerts ...` — try a rule on a listing; re-send failed alerts; list the outbox."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.alerts import Alert, sender_from_config
from monitor.cli.check import add_config_dir
from monitor.config import load_config
from monitor.errors import BazaarwatchError
from monitor.models import Listing, listing_id
from monitor.rules import RuleSet
from monitor.slack import SlackNotifier, render
from monitor.state import db, outbox

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("alerts", help="try watchlist rules, re-send or list alerts")
    alerts_sub = p.add_subparsers(dest="alerts_command", metavar="COMMAND", required=True)

    t = alerts_sub.add_parser(
        "test", help="show whether and why a rule matches a listing, and the message",
        description="Evaluate one rule of watchlists.yaml on a listing (a JSON document as "
                    "`bazaarwatch normalize` writes it, or an Elasticsearch hit) and print "
                    "the terms and regexes that matched (field and offsets), each condition "
                    "and whether it held, then the Slack message it would send. Sends "
                    "nothing. Exits 0 when the rule matches, 1 when it does not.")
    t.add_argument("rule_id", metavar="RULE_ID")
    t.add_argument("--listing", required=True, type=Path, metavar="FILE.json",
                   help="the listing, as a JSON object ('-' for standard input)")
    add_config_dir(t)
    t.set_defaults(func=run_test)

    r = alerts_sub.add_parser(
        "resend", help="re-send failed alerts",
        description="Put alerts that failed for good (Slack answered 4xx) back in the outbox "
                    "and send everything the outbox holds, with the webhooks from the "
                    "configuration. Run it after fixing a webhook.")
    r.add_argument("--since", default="1h", metavar="DURATION",
                   help="only alerts created within this long (30m, 1h, 2d; default: 1h)")
    r.add_argument("--rule", metavar="RULE_ID", help="only this rule's alerts")
    add_config_dir(r)
    r.set_defaults(func=run_resend)

    ls = alerts_sub.add_parser("list", help="list the alerts in the outbox",
                               description="One line per alert: created, status, attempts, "
                                           "id, and the last error if any.")
    ls.add_argument("--status", choices=("pending", "sending", "sent", "failed"))
    add_config_dir(ls)
    ls.set_defaults(func=run_list)


def parse_duration(text: str) -> timedelta:
    m = _DURATION.match(text)
    if not m:
        raise BazaarwatchError(f"'{text}' is not a duration such as 30m, 1h or 2d")
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])


def read_listing(path: Path) -> Listing:
    """A listing from a JSON file: a listing document (with `id` or `_id`) or an ES hit."""
    try:
        raw = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        doc: dict[str, Any] = json.loads(raw)
    except (OSError, ValueError) as e:
        raise BazaarwatchError(f"cannot read a listing from {path}: {e}") from e
    if not isinstance(doc, dict):
        raise BazaarwatchError(f"{path}: expected a JSON object")
    if "_source" in doc:
        doc = {"_id": doc.get("_id"), **doc["_source"]}
    doc = dict(doc)
    lid = doc.pop("_id", None) or doc.pop("id", None)
    doc.pop("id", None)
    try:
        if not lid:
            lid = listing_id(doc["source"]["id"], doc["url"]["full"])
        return Listing.from_doc(str(lid), doc)
    except (KeyError, TypeError, ValueError) as e:
        raise BazaarwatchError(f"{path}: not a listing document: {e}") from e


def run_test(args: argparse.Namespace) -> int:
    config = load_config(args.config_dir)
    rules = RuleSet.compile(config.watchlists.rules)
    listing = read_listing(args.listing)
    try:
        ex = rules.explain(args.rule_id, listing)
    except KeyError:
        known = ", ".join(rules.rule_ids) or "none"
        raise BazaarwatchError(f"no rule '{args.rule_id}' in watchlists.yaml (rules: {known})"
                               ) from None
    print(f"rule {ex.rule_id}: {'MATCHES' if ex.matched else 'does not match'} listing "
          f"{listing.id}")
    if ex.needs_text:
        print(f"  terms/regexes: {len(ex.hits)} hit{'s' if len(ex.hits) != 1 else ''}"
              + ("" if ex.hits else " (none: a term or regex must match)"))
    for h in ex.hits:
        where = f"{h.field}[{h.item}]" if h.item is not None else h.field
        kind = "regex" if h.regex else "term"
        print(f"    {kind} {h.term!r} as {h.matched!r} in {where} at {h.start}-{h.end}: "
              f"{_context(listing, h.field, h.item, h.start, h.end)}")
    for text, ok in ex.conditions:
        print(f"  condition {text}: {'yes' if ok else 'NO'}")
    if ex.matched:
        rule = rules.rule(ex.rule_id)
        alert = Alert(id=f"{ex.rule_id}:{listing.id}:{listing.version}", kind="new",
                      rule_id=ex.rule_id, severity=rule.severity, channel=rule.channel,
                      listing=listing, hits=ex.hits)
        print("message (not sent):")
        print(json.dumps(render(alert, kibana_url=config.monitor.slack.kibana_url),
                         indent=2, ensure_ascii=False))
    return 0 if ex.matched else 1


def _context(listing: Listing, field: str, item: int | None, start: int, end: int) -> str:
    value: Any = {"title": listing.title, "body": listing.body,
                  "victim.orgs": listing.victim.orgs,
                  "victim.domains": listing.victim.domains}.get(field, "")
    text = value[item] if item is not None else value
    before = text[max(0, start - 30):start].replace("\n", " ")
    after = text[end:end + 30].replace("\n", " ")
    return f"…{before}[{text[start:end]}]{after}…"


def run_resend(args: argparse.Namespace) -> int:
    since = datetime.now(UTC) - parse_duration(args.since)
    config = load_config(args.config_dir)
    conn = db.connect(config.monitor.state_dir)
    conn.execute("BEGIN IMMEDIATE")
    requeued = outbox.requeue_failed(conn, since.isoformat(), args.rule)
    conn.execute("COMMIT")

    async def send() -> Any:
        async with SlackNotifier() as notifier:
            # No recover(): alerts in `sending` may be in flight in the running daemon.
            return await sender_from_config(config, conn, notifier).drain()

    result = asyncio.run(send())
    print(f"{requeued} failed alert{'s' if requeued != 1 else ''} queued again; sent "
          f"{result.sent}, failed {result.failed}, still pending {result.retry}")
    return 0 if not (result.failed or result.retry) else 1


def run_list(args: argparse.Namespace) -> int:
    config = load_config(args.config_dir)
    conn = db.connect(config.monitor.state_dir)
    for row in outbox.rows(conn, args.status):
        error = f"  {row.last_error}" if row.last_error else ""
        print(f"{row.created_at}  {row.status:<7}  {row.attempts:>2}  {row.id}{error}")
    return 0
