"""Operator alerts: once per incident, one recovery, nothing repeated across a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from monitor.ops import OpsAlerts, Snapshot, SourceHealth
from monitor.state.db import connect

NOW = 1_000_000.0


class Sink:
    def __init__(self, fail: int = 0) -> None:
        self.messages: list[str] = []
        self.fail = fail

    async def __call__(self, payload: dict[str, Any]) -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("slack down")
        self.messages.append(payload["text"])


def evaluate(ops: OpsAlerts, snap: Snapshot, now: float = NOW) -> None:
    asyncio.run(ops.evaluate(snap, now=now))


@pytest.mark.parametrize(("snap", "expected"), [
    (Snapshot(sources={"a": SourceHealth(first_failure=NOW - 7200, last_error="timeout")}),
     "Source a has failed for 120 min: timeout"),
    (Snapshot(sources={"a": SourceHealth(login_failed=True)}), "Source a: login failed"),
    (Snapshot(sources={"a": SourceHealth(empty_boards=("Databases",))}),
     "Source a: board 'Databases' parsed to zero threads"),
    (Snapshot(tor_ok=False, tor_detail="bootstrap 45%"), "tor is down: bootstrap 45%"),
    (Snapshot(es_unreachable_since=NOW - 900), "Elasticsearch has been unreachable for 15 min"),
])
def test_each_incident_once_then_one_recovery(tmp_path: Path, snap: Snapshot,
                                              expected: str) -> None:
    sink = Sink()
    ops = OpsAlerts(connect(tmp_path), sink, source_fail_after_s=3600, es_down_after_s=600)
    for i in range(3):
        evaluate(ops, snap, NOW + i)
    assert len(sink.messages) == 1 and expected in sink.messages[0], sink.messages
    evaluate(ops, Snapshot(sources={"a": SourceHealth()}), NOW + 10)
    evaluate(ops, Snapshot(sources={"a": SourceHealth()}), NOW + 11)
    assert len(sink.messages) == 2 and sink.messages[1].startswith("Bazaarwatch ops: Recovered")


@pytest.mark.parametrize("snap", [
    Snapshot(sources={"a": SourceHealth(first_failure=NOW - 60, last_error="x")}),
    Snapshot(es_unreachable_since=NOW - 30),
])
def test_below_threshold_nothing_is_sent(tmp_path: Path, snap: Snapshot) -> None:
    sink = Sink()
    evaluate(OpsAlerts(connect(tmp_path), sink), snap)
    assert sink.messages == []


def test_restart_does_not_repeat_and_unsent_is_retried(tmp_path: Path) -> None:
    snap = Snapshot(tor_ok=False, tor_detail="dead")
    sink = Sink(fail=1)
    evaluate(OpsAlerts(connect(tmp_path), sink), snap)
    assert sink.messages == []  # Slack failed: the incident stays unannounced
    evaluate(OpsAlerts(connect(tmp_path), sink), snap, NOW + 1)  # "restart", Slack back
    evaluate(OpsAlerts(connect(tmp_path), sink), snap, NOW + 2)  # and again: no repeat
    assert sink.messages == ["Bazaarwatch ops: tor is down: dead"]
