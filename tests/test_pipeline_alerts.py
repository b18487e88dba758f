"""The alert step inside the state transaction (real rules, real outbox, SQLite only):
rules_matched on every listing, alerts only for new and materially changed ones."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from monitor.alerts import Alerter
from monitor.config import Rule, Term
from monitor.indexer import Indexer, IndexNames
from monitor.models import Records
from monitor.pipelines import hooks
from monitor.rules import RuleSet
from monitor.state import db, spool
from monitor.state.listings import CHANGED, NEW, UNCHANGED, ListingStore

from .fixtures.elasticsearch import kotz_listing

BASE = dataclasses.replace(kotz_listing(), rules_matched=())
MORE = dataclasses.replace(BASE, records=Records(claimed=400_000_000))
OTHER_TEXT = dataclasses.replace(BASE, body=BASE.body + " Escrow accepted.")


@pytest.mark.parametrize(("second", "status", "alerts"), [
    (BASE, UNCHANGED, 1),
    (MORE, CHANGED, 2),  # more records: an update alert
    (OTHER_TEXT, CHANGED, 1),  # a new version, but nothing an analyst needs again
])
def test_rules_and_alerts_commit_with_the_state(tmp_path: Path, second: object, status: str,
                                                alerts: int) -> None:
    conn = db.connect(tmp_path)
    alerter = Alerter(RuleSet.compile([Rule(id="bpjs", terms=(Term("BPJS Kesehatan"),)),
                                       Rule(id="other", terms=(Term("Telkomsel"),))]))
    indexer = Indexer(None, db.connect(tmp_path), IndexNames())  # only its spool is used here
    store = ListingStore(conn, hooks(indexer, alerter))
    first = store.record_sync(BASE)
    again = store.record_sync(second)  # type: ignore[arg-type]
    assert first.status == NEW and again.status == status
    assert first.listing.rules_matched == again.listing.rules_matched == ("bpjs",)
    assert conn.execute("SELECT count(*) FROM alert_outbox").fetchone()[0] == alerts
    spooled = [json.loads(r.item.source) for r in spool.peek(conn, 10)]
    assert [d.get("rules_matched") for d in spooled if "listing_id" not in d] == [["bpjs"]] * 2
