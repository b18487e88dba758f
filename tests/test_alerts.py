"""Alerting end to end on the real state store and the lab receiver: one alert per (rule,
listing), updates only on material change, the outbox survives a SIGKILL, permanent failures
stay in the outbox as failed, sent alerts land in the real `alerts` index."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from monitor.alerts import Alert, Alerter, AlertSender, EsAlertIndex, material_changes
from monitor.config import Rule, Term
from monitor.errors import ElasticsearchUnavailable
from monitor.es.client import make_async_client
from monitor.es.setup import alias_name
from monitor.lab.slack import SlackReceiver
from monitor.metrics import Metrics
from monitor.models import Listing, Price, Records, SampleLink, Seller, Victim
from monitor.rules import RuleSet
from monitor.slack import SlackNotifier
from monitor.state import db, outbox
from tests.fixtures.elasticsearch import kotz_listing
from tests.test_slack import bpjs_listing

BPJS_RULE = Rule(id="bpjs", terms=(Term("BPJS Kesehatan", aliases=("BPJS Health",)),),
                 severity="high")
RULES = RuleSet.compile([BPJS_RULE])


def step(conn, alerter: Alerter, listing: Listing) -> list[Alert]:
    """What the state step does: its own writes and the alerts in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        queued = alerter.process(conn, listing)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return queued


def drain(state_dir: Path, url: str, **kw) -> tuple[int, int, int]:
    async def go() -> tuple[int, int, int]:
        conn = db.connect(state_dir)
        async with SlackNotifier(backoff_s=0.01, **kw) as notifier:
            sender = AlertSender(conn, notifier, default_webhook=url)
            await sender.recover()
            r = await sender.drain()
        conn.close()
        return r.sent, r.failed, r.retry
    return asyncio.run(go())


def next_version(listing: Listing, **changes) -> Listing:
    return dataclasses.replace(listing, **{"version": listing.version + 1, **changes})


def test_new_alerts_once_unchanged_nothing_raised_count_one_update(
        tmp_path: Path, slack_receiver: SlackReceiver) -> None:
    slack_receiver.reset()
    conn = db.connect(tmp_path)
    alerter = Alerter(RULES)
    v1 = bpjs_listing(records=Records(claimed=200_000_000, sample=1_000_000))
    assert [a.kind for a in step(conn, alerter, v1)] == ["new"]
    assert drain(tmp_path, slack_receiver.webhook_url()) == (1, 0, 0)

    # Recrawled, nothing material changed (a new version with a touched body is not enough).
    assert step(conn, alerter, v1) == []
    assert step(conn, alerter, next_version(v1, body=v1.body + " bump")) == []
    assert drain(tmp_path, slack_receiver.webhook_url()) == (0, 0, 0)

    v3 = next_version(v1, version=3, records=Records(claimed=279_000_000, sample=1_000_000))
    [update] = step(conn, alerter, v3)
    assert update.kind == "update"
    assert update.changes == ("claimed records 200 million → 279 million",)
    assert drain(tmp_path, slack_receiver.webhook_url()) == (1, 0, 0)

    first, second = slack_receiver.messages()
    assert "200 million claimed" in json.dumps(first["payload"], ensure_ascii=False)
    body = json.dumps(second["payload"], ensure_ascii=False)
    assert "claimed records 200 million → 279 million" in body
    assert "279 million claimed · 1 million sample" in body
    assert [r.status for r in outbox.rows(conn)] == ["sent", "sent"]


def test_listing_that_matches_no_rule_queues_nothing(tmp_path: Path) -> None:
    conn = db.connect(tmp_path)
    assert step(conn, Alerter(RULES), bpjs_listing(
        title="Tokopedia 91M", body="users of tokopedia", victim=dataclasses.replace(
            bpjs_listing().victim, orgs=(), domains=()))) == []
    assert outbox.rows(conn) == []


def test_seller_history_is_counted(tmp_path: Path) -> None:
    conn = db.connect(tmp_path)
    alerter = Alerter(RULES)
    priors = []
    for i in range(3):
        listing = dataclasses.replace(bpjs_listing(), id=f"l{i}")
        priors.append(step(conn, alerter, listing)[0].seller_prior)
    assert priors == [0, 1, 2]


BASE = bpjs_listing(records=Records(claimed=200_000_000, sample=1_000_000),
                    price=Price(0.2, "BTC", 7_000.0),
                    samples=(SampleLink("https://mega.nz/file/a", "mega.nz"),))


@pytest.mark.parametrize(("after", "changes"), [
    ({}, ()),
    ({"body": "other words", "title": "other title"}, ()),
    ({"records": Records(claimed=279_000_000, sample=1_000_000)},
     ("claimed records 200 million → 279 million",)),
    ({"records": Records(claimed=100_000_000)}, ()),  # fewer claimed is not news
    ({"records": Records(claimed=200_000_000, sample=2_000_000)}, ()),
    ({"samples": (*BASE.samples, SampleLink("https://bayfiles.com/x", "bayfiles.com"))},
     ("new sample link on bayfiles.com",)),
    ({"samples": ()}, ()),  # a removed link is not news
    ({"price": Price(0.15, "BTC", 5_400.0)},
     ("price lowered 0.2 BTC (≈ $7,000) → 0.15 BTC (≈ $5,400)",)),
    ({"price": Price(0.3, "BTC", 10_500.0)}, ()),  # dearer is not news
    ({"price": Price(5_000.0, "USD", 5_000.0)}, ("price 0.2 BTC (≈ $7,000) → $5,000",)),
    ({"price": Price(9_000.0, "USD", 9_000.0)}, ()),
    ({"seller": Seller("Reseller", "reseller")}, ("seller Kotz → Reseller",)),
    ({"seller": Seller("KOTZ", "kotz")}, ()),
    ({"post_type": "leak"}, ("post type sell → leak",)),
    ({"records": Records(claimed=300_000_000), "post_type": "leak"},
     ("claimed records 200 million → 300 million", "post type sell → leak")),
])  # fmt: skip
def test_material_changes(after: dict, changes: tuple[str, ...]) -> None:
    assert material_changes(BASE, dataclasses.replace(BASE, **after)) == changes


def test_new_price_where_there_was_none() -> None:
    before = dataclasses.replace(BASE, price=Price(text="DM me"))
    assert material_changes(before, BASE) == ("price now 0.2 BTC (≈ $7,000)",)


def test_permanent_4xx_is_kept_failed_and_resend_sends_it(
        tmp_path: Path, slack_receiver: SlackReceiver) -> None:
    slack_receiver.reset()
    conn = db.connect(tmp_path)
    step(conn, Alerter(RULES), bpjs_listing())
    slack_receiver.fail_next(1, 404, body="no_service")
    assert drain(tmp_path, slack_receiver.webhook_url()) == (0, 1, 0)
    [row] = outbox.rows(conn)
    assert (row.status, row.http_status, row.attempts) == ("failed", 404, 1)
    assert "no_service" in (row.last_error or "")
    assert drain(tmp_path, slack_receiver.webhook_url()) == (0, 0, 0)  # not retried by itself

    assert outbox.requeue_failed(conn, "1970-01-01") == 1
    assert drain(tmp_path, slack_receiver.webhook_url()) == (1, 0, 0)
    assert len(slack_receiver.messages()) == 1


def test_transient_failure_stays_pending(tmp_path: Path, slack_receiver: SlackReceiver) -> None:
    slack_receiver.reset()
    conn = db.connect(tmp_path)
    step(conn, Alerter(RULES), bpjs_listing())
    slack_receiver.fail_next(2, 500)
    assert drain(tmp_path, slack_receiver.webhook_url(), max_attempts=2) == (0, 0, 1)
    assert [r.status for r in outbox.rows(conn)] == ["pending"]
    assert drain(tmp_path, slack_receiver.webhook_url()) == (1, 0, 0)


CHILD = textwrap.dedent("""
    import sys, time
    from monitor.alerts import Alerter
    from monitor.config import Rule, Term
    from monitor.rules import RuleSet
    from monitor.state import db
    from tests.test_slack import bpjs_listing

    conn = db.connect(sys.argv[1])
    alerter = Alerter(RuleSet.compile([Rule(id="bpjs", terms=(Term("BPJS Kesehatan"),))]))
    conn.execute("BEGIN IMMEDIATE")
    alerter.process(conn, bpjs_listing())
    conn.execute("COMMIT")
    print("queued", flush=True)
    time.sleep(600)  # the send would start here; the test kills us first
""")


def test_killed_after_outbox_write_sends_once_after_restart(
        tmp_path: Path, slack_receiver: SlackReceiver) -> None:
    slack_receiver.reset()
    root = Path(__file__).resolve().parents[1]
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], cwd=root,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "queued"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    assert slack_receiver.requests() == []

    # The restart sends what the outbox holds; a second restart sends nothing more.
    assert drain(tmp_path, slack_receiver.webhook_url()) == (1, 0, 0)
    assert drain(tmp_path, slack_receiver.webhook_url()) == (0, 0, 0)
    assert len(slack_receiver.messages()) == 1


def test_a_crash_mid_send_is_recovered_at_start(tmp_path: Path,
                                               slack_receiver: SlackReceiver) -> None:
    slack_receiver.reset()
    conn = db.connect(tmp_path)
    step(conn, Alerter(RULES), bpjs_listing())
    assert len(outbox.claim(conn)) == 1  # claimed as `sending`, then the process died
    assert drain(tmp_path, slack_receiver.webhook_url()) == (1, 0, 0)
    assert len(slack_receiver.messages()) == 1


def test_alert_json_round_trip() -> None:
    alert = step_free_alert()
    again = Alert.from_json(json.loads(json.dumps(alert.to_json())))
    assert again.to_json() == alert.to_json()


def step_free_alert() -> Alert:
    listing = bpjs_listing()
    [match] = RULES.evaluate(listing)
    return Alert(id="bpjs:abc123:1", kind="new", rule_id="bpjs", severity="high",
                 channel=None, listing=listing, hits=match.hits, seller_prior=2)


def test_rolled_back_state_transaction_leaves_no_alert(tmp_path: Path) -> None:
    conn = db.connect(tmp_path)
    conn.execute("BEGIN IMMEDIATE")
    assert len(Alerter(RULES).process(conn, bpjs_listing())) == 1
    conn.execute("ROLLBACK")  # the state step failed after queueing
    assert outbox.rows(conn) == []
    assert len(step(conn, Alerter(RULES), bpjs_listing())) == 1  # and alerts next time


class _Unreachable:
    async def index_alert(self, alert_id: str, doc: dict) -> None:
        raise ElasticsearchUnavailable("Elasticsearch is down (test)")


@pytest.mark.elasticsearch
def test_sent_alerts_are_indexed_into_alerts(tmp_path: Path, slack_receiver: SlackReceiver,
                                             es: Elasticsearch, es_url: str,
                                             es_indices: str) -> None:
    slack_receiver.reset()
    conn = db.connect(tmp_path)
    listing = kotz_listing()
    [queued] = step(conn, Alerter(RULES), listing)

    async def go(index: object) -> None:
        async with SlackNotifier(backoff_s=0.01) as notifier:
            sender = AlertSender(db.connect(tmp_path), notifier,
                                 default_webhook=slack_receiver.webhook_url(), index=index)
            await sender.drain()

    asyncio.run(go(_Unreachable()))  # sent, but Elasticsearch is down: kept for later
    assert [(r.status, r.indexed) for r in outbox.rows(conn)] == [("sent", False)]

    async def with_es() -> None:
        client = make_async_client(es_url)
        try:
            await go(EsAlertIndex(client, alias_name(es_indices, "alerts")))
        finally:
            await client.close()

    asyncio.run(with_es())
    assert [(r.status, r.indexed) for r in outbox.rows(conn)] == [("sent", True)]
    assert len(slack_receiver.messages()) == 1
    doc = es.get(index=alias_name(es_indices, "alerts"), id=queued.id)["_source"]
    assert queued.id == f"bpjs:{listing.id}:{listing.version}"
    assert doc["kind"] == "new"
    assert doc["rule"] == {"id": "bpjs", "severity": "high"}
    assert doc["matched"] == {"terms": ["BPJS Kesehatan"]}
    assert doc["records"] == {"claimed": 279_000_000, "sample": 1_000_000}
    assert doc["delivery"] == {"status": "sent", "attempts": 1, "http_status": 200}
    assert doc["listing"]["@timestamp"] == "2021-05-12T08:30:00+00:00"


@dataclasses.dataclass(frozen=True)
class Observation:
    """The shape monitor.state.listings hands its hooks: status and the placed listing."""

    status: str
    listing: Listing


def test_state_hook_fills_rules_matched_and_wakes_the_running_sender(
        tmp_path: Path, slack_receiver: SlackReceiver) -> None:
    slack_receiver.reset()
    alerter = Alerter(RULES)

    def state_step(obs: Observation) -> Observation:
        conn = db.connect(tmp_path)  # the state step's own thread and connection
        conn.execute("BEGIN IMMEDIATE")
        placed = alerter.hook(conn, obs) or obs
        conn.execute("COMMIT")
        conn.close()
        return placed

    async def go() -> list[Observation]:
        async with SlackNotifier(backoff_s=0.01) as notifier:
            sender = AlertSender(db.connect(tmp_path), notifier,
                                 default_webhook=slack_receiver.webhook_url())
            stop = asyncio.Event()
            task = asyncio.create_task(sender.run(stop, idle_s=3600))
            await asyncio.sleep(0.05)
            placed = []
            for obs in (Observation("new", bpjs_listing()),
                        Observation("unchanged", bpjs_listing()),
                        Observation("new", dataclasses.replace(bpjs_listing(), id="other",
                                                               title="x", body="y",
                                                               victim=Victim()))):
                placed.append(await asyncio.to_thread(state_step, obs))
                sender.wake()
            for _ in range(3000):  # up to a minute; a missed wake would wait an hour
                if slack_receiver.messages():
                    break
                await asyncio.sleep(0.02)
            stop.set()
            await task
            return placed

    placed = asyncio.run(go())
    assert [p.listing.rules_matched for p in placed] == [("bpjs",), (), ()]
    assert len(slack_receiver.messages()) == 1


def test_after_a_transient_failure_the_rest_waits(tmp_path: Path,
                                                   slack_receiver: SlackReceiver) -> None:
    slack_receiver.reset()
    conn = db.connect(tmp_path)
    for i in range(3):
        step(conn, Alerter(RULES), dataclasses.replace(bpjs_listing(), id=f"l{i}"))
    slack_receiver.fail_next(1, 500)
    assert drain(tmp_path, slack_receiver.webhook_url(), max_attempts=1) == (0, 0, 1)
    assert len(slack_receiver.requests()) == 1
    assert [r.status for r in outbox.rows(conn)] == ["pending"] * 3
    assert drain(tmp_path, slack_receiver.webhook_url()) == (3, 0, 0)


def test_metrics_count_sent_and_failed_alerts(tmp_path: Path,
                                             slack_receiver: SlackReceiver) -> None:
    slack_receiver.reset()
    conn = db.connect(tmp_path)
    for i in range(3):
        step(conn, Alerter(RULES), dataclasses.replace(bpjs_listing(), id=f"l{i}"))
    slack_receiver.fail_next(1, 410, body="channel_is_archived")
    metrics = Metrics()

    async def go() -> None:
        async with SlackNotifier(backoff_s=0.01) as notifier:
            await AlertSender(db.connect(tmp_path), notifier, metrics=metrics,
                              default_webhook=slack_receiver.webhook_url()).drain()

    asyncio.run(go())
    sample = metrics.registry.get_sample_value
    assert sample("bazaarwatch_alerts_sent_total", {"rule": "bpjs"}) == 2
    assert sample("bazaarwatch_alerts_failed_total", {"rule": "bpjs"}) == 1
    assert sample("bazaarwatch_outbox_depth") == 0
