"""The whole alert path on the lab: a MyBB lab forum crawled by `bazaarwatch crawl` (a real
process), each post normalized, recorded by the state step (ListingStore) with the Alerter as
its hook, and the outbox sent to the lab Slack receiver.

The daemon's pipeline wires these same parts; until it lands, this test wires them itself."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.alerts import AlertSender, alerter_from_config
from monitor.config import Config, load_config
from monitor.lab.forum import LabForums
from monitor.lab.slack import SlackReceiver
from monitor.models import RawPost
from monitor.normalize import normalize
from monitor.slack import SlackNotifier
from monitor.state import db
from monitor.state.listings import ListingStore
from tests.crawl_helpers import CrawlRun, crawl, lab_source, write_config

WATCHLISTS = """
organisations:
  - name: BPJS Kesehatan
    aliases: [BPJS Health, bpjs-kesehatan.go.id]
    country: ID
rules:
  - id: bpjs
    terms:
      - name: BPJS Kesehatan
        aliases: [BPJS Health, bpjs-kesehatan.go.id]
    severity: critical
    channel: "#cti-indonesia"
"""
NEW_TITLE = "[SELLING] BPJS-Kesehatan peserta 2024 - NIK, KK, No HP"
NEW_BODY = ("Fresh dump of bpjs kesehatan members, 150 juta records. Free sample 1 juta: "
            "https://mega.nz/file/LabBPJS#key and https://bayfiles.com/LabBPJS/sample. "
            "Price 0.2 BTC. Contact Telegram only.")


def raw_post(d: dict[str, Any]) -> RawPost:
    times = ("posted_at", "last_post_at", "crawled_at")
    return RawPost(**{k: datetime.fromisoformat(v) if k in times and v else v
                      for k, v in d.items()})


class Pipeline:
    """Crawl -> normalize -> state (+ alert hook) -> outbox -> receiver, one round at a time."""

    def __init__(self, tmp_path: Path, lab: LabForums, receiver: SlackReceiver):
        source = lab_source(lab, "lab", "mybb", ["databases", "leaks"])
        self.config_dir = write_config(tmp_path / "config", [source],
                                       state_dir=tmp_path / "state")
        (self.config_dir / "watchlists.yaml").write_text(WATCHLISTS)
        self.config: Config = load_config(self.config_dir)
        self.out = tmp_path / "posts.jsonl"
        self.receiver = receiver
        self.alerter = alerter_from_config(self.config)
        self.store = ListingStore(db.connect(self.config.monitor.state_dir),
                                  hooks=[self.alerter.hook])

    def round(self) -> list[str]:
        """One crawl; returns the ids of the listings the state step saw as new or changed."""
        run = crawl(self.config_dir, "lab", self.out)
        assert isinstance(run, CrawlRun) and run.returncode == 0, run.stderr[-2000:]
        touched = []
        orgs = self.config.watchlists.organisations
        for d in run.posts:
            listing = normalize(raw_post(d), organisations=orgs, rates=self.config.monitor.rates)
            obs = self.store.record_sync(listing)
            if obs.status != "unchanged":
                touched.append(obs.listing.id)
        self.store.flush_sync()
        asyncio.run(self._drain())
        return touched

    async def _drain(self) -> None:
        async with SlackNotifier(backoff_s=0.05) as notifier:
            sender = AlertSender(db.connect(self.config.monitor.state_dir), notifier,
                                 default_webhook=self.receiver.webhook_url())
            await sender.recover()
            await sender.drain()

    def close(self) -> None:
        self.store.close()


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message["payload"], ensure_ascii=False)


def test_new_bpjs_thread_alerts_once_then_one_update(tmp_path: Path, forums: LabForums,
                                                      slack_receiver: SlackReceiver) -> None:
    slack_receiver.reset()
    pipe = Pipeline(tmp_path, forums, slack_receiver)
    try:
        pipe.round()  # the seeded threads: some are about BPJS Kesehatan already
        seeded = slack_receiver.messages()
        assert any("Penduduk Indonesia (BPJS Kesehatan)" in text_of(m) for m in seeded)
        slack_receiver.reset()

        doc = forums.add_thread("mybb", "databases", NEW_TITLE, NEW_BODY, author="Kotz")
        pipe.round()
        [message] = slack_receiver.messages()
        text = text_of(message)
        assert "BPJS-Kesehatan peserta 2024" in text
        assert "RaidLab" in text or "Lab mybb" in text
        assert "Kotz (" in text and "earlier listing" in text  # Kotz sold here before
        assert "150 million claimed · 1 million sample" in text
        assert "0.2 BTC" in text
        assert "hxxps://mega[.]nz/file/LabBPJS#key" in text
        assert "hxxps://bayfiles[.]com/LabBPJS/sample" in text
        assert "*Matched*\\nBPJS Kesehatan (" in text
        assert "https://mega.nz" not in text

        slack_receiver.reset()
        pipe.round()  # recrawl: nothing new
        assert slack_receiver.messages() == []

        forums.edit_thread("mybb", doc["tid"],
                           body=NEW_BODY.replace("150 juta records", "220 juta records"))
        assert pipe.round(), "the edited thread was not seen as changed"
        [update] = slack_receiver.messages()
        text = text_of(update)
        assert "Updated listing" in text
        assert "claimed records 150 million → 220 million" in text
    finally:
        pipe.close()
