"""Operator alerts: a source failing for longer than a threshold, a login failing, a board whose
parser suddenly finds nothing (markup changed), tor down, Elasticsearch unreachable for longer
than a threshold. Each is announced once per incident and followed by one recovery message;
incidents live in the state store, so a restart neither repeats nor forgets them."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from monitor.slack import escape
from monitor.state import incidents

log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class SourceHealth:
    first_failure: float | None = None  # wall-clock start of the current failure streak
    last_error: str | None = None
    login_failed: bool = False
    empty_boards: tuple[str, ...] = ()  # boards that had threads and now parse to none


@dataclass(frozen=True)
class Snapshot:
    sources: dict[str, SourceHealth] = field(default_factory=dict)
    tor_ok: bool = True
    tor_detail: str = ""
    es_unreachable_since: float | None = None


class OpsAlerts:
    def __init__(self, conn: sqlite3.Connection, send: Send | None, *,
                 source_fail_after_s: float = 3600.0, es_down_after_s: float = 600.0):
        self.conn = conn
        self.send = send
        self.source_fail_after_s = source_fail_after_s
        self.es_down_after_s = es_down_after_s

    async def evaluate(self, snap: Snapshot, now: float | None = None) -> None:
        """Open what is wrong now, close what has recovered, announce what is unannounced."""
        now = time.time() if now is None else now
        problems: dict[str, str] = {}
        for sid, h in snap.sources.items():
            if h.first_failure is not None and now - h.first_failure >= self.source_fail_after_s:
                minutes = (now - h.first_failure) / 60
                problems[f"source_failing:{sid}"] = (
                    f"Source {sid} has failed for {minutes:.0f} min: {h.last_error or 'unknown'}")
            if h.login_failed:
                problems[f"login_failed:{sid}"] = (
                    f"Source {sid}: login failed; its boards behind the login are not read")
            if h.empty_boards:
                names = ", ".join(f"'{b}'" for b in h.empty_boards)
                plural = "s" if len(h.empty_boards) > 1 else ""
                problems[f"markup:{sid}"] = (
                    f"Source {sid}: board{plural} {names} parsed to zero threads but had some "
                    "before (the forum's markup may have changed)")
        if not snap.tor_ok:
            problems["tor_down"] = f"tor is down: {snap.tor_detail or 'no circuit'}"
        if (snap.es_unreachable_since is not None
                and now - snap.es_unreachable_since >= self.es_down_after_s):
            minutes = (now - snap.es_unreachable_since) / 60
            problems["es_down"] = (f"Elasticsearch has been unreachable for {minutes:.0f} min; "
                                   "listings wait in the spool")
        for key, message in problems.items():
            if incidents.open_incident(self.conn, key, message):
                log.warning("ops incident opened: %s", message)
        for key in incidents.open_keys(self.conn) - problems.keys():
            closed = incidents.close_incident(self.conn, key)
            if closed and closed[1]:
                log.info("ops incident recovered: %s", key)
                await self._send(_message(f"Recovered: {_describe(key)}", closed[0], now,
                                          recovered=True))
        for key, message in incidents.unannounced(self.conn):
            if await self._send(_message(message, None, now, recovered=False)):
                incidents.mark_announced(self.conn, key)

    async def _send(self, payload: dict[str, Any]) -> bool:
        if self.send is None:
            return False
        try:
            await self.send(payload)
        except Exception as e:  # an ops message must never take the daemon down
            log.warning("ops alert could not be sent (will retry): %s", e)
            return False
        return True


def _describe(key: str) -> str:
    kind, _, rest = key.partition(":")
    return {"source_failing": f"source {rest} crawls again",
            "login_failed": f"source {rest} logs in again",
            "markup": f"boards of source {rest} list threads again",
            "tor_down": "tor is up", "es_down": "Elasticsearch answers again"}.get(kind, key)


def _message(text: str, opened_at: float | None, now: float, *, recovered: bool) -> dict:
    icon = ":white_check_mark:" if recovered else ":rotating_light:"
    line = f"{icon} *Bazaarwatch ops* — {escape(text)}"
    if opened_at is not None:
        line += f" (after {(now - opened_at) / 60:.0f} min)"
    return {"text": f"Bazaarwatch ops: {text}",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": line[:3000]}}]}
