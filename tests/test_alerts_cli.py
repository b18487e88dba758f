"""`bazaarwatch alerts test` and `alerts resend` on a real config folder, state store and the
lab receiver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.alerts import Alerter
from monitor.cli import main
from monitor.config import load_config
from monitor.lab.slack import SlackReceiver
from monitor.rules import RuleSet
from monitor.state import db, outbox
from tests.test_slack import bpjs_listing

WATCHLISTS = """
rules:
  - id: bpjs
    terms:
      - name: BPJS Kesehatan
        aliases: [BPJS Health]
    conditions:
      min_claimed: 1000000
    severity: critical
    channel: "#cti-indonesia"
  - id: huge
    terms: [BPJS Kesehatan]
    conditions:
      min_claimed: 1000000000
"""


def config_dir(tmp_path: Path, webhook: str) -> Path:
    d = tmp_path / "config"
    d.mkdir()
    (tmp_path / "webhook").write_text(webhook + "\n")
    (d / "monitor.yaml").write_text(
        f"slack:\n  webhook_file: {tmp_path / 'webhook'}\n"
        f"  kibana_url: http://kibana.lab:5601\nstate_dir: {tmp_path / 'state'}\n")
    (d / "sources.yaml").write_text("sources: []\n")
    (d / "watchlists.yaml").write_text(WATCHLISTS)
    return d


def listing_file(tmp_path: Path) -> Path:
    path = tmp_path / "listing.json"
    listing = bpjs_listing()
    path.write_text(json.dumps({"_id": listing.id, **listing.to_doc()}))
    return path


def test_alerts_test_says_why_and_renders(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config_dir(tmp_path, "http://127.0.0.1:9/services/x")
    code = main(["alerts", "test", "bpjs", "--listing", str(listing_file(tmp_path)),
                 "--config-dir", str(cfg)])
    out = capsys.readouterr().out
    assert code == 0
    assert "rule bpjs: MATCHES listing abc123" in out
    assert "term 'BPJS Kesehatan' as 'BPJS Kesehatan' in body at 31-45" in out
    assert "[BPJS Kesehatan]" in out
    assert "condition records.claimed >= 1000000: yes" in out
    message = json.loads(out.split("message (not sent):\n", 1)[1])
    assert message["blocks"][0]["type"] == "header"
    assert "#cti-indonesia" in json.dumps(message)


def test_alerts_test_says_which_condition_failed(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config_dir(tmp_path, "http://127.0.0.1:9/services/x")
    code = main(["alerts", "test", "huge", "--listing", str(listing_file(tmp_path)),
                 "--config-dir", str(cfg)])
    out = capsys.readouterr().out
    assert code == 1
    assert "rule huge: does not match" in out
    assert "condition records.claimed >= 1000000000: NO" in out
    assert "message" not in out


def test_alerts_test_unknown_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config_dir(tmp_path, "http://127.0.0.1:9/services/x")
    assert main(["alerts", "test", "nope", "--listing", str(listing_file(tmp_path)),
                 "--config-dir", str(cfg)]) == 1
    assert "no rule 'nope' in watchlists.yaml (rules: bpjs, huge)" in capsys.readouterr().err


def test_alerts_resend_sends_failed_alerts(tmp_path: Path, slack_receiver: SlackReceiver,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    slack_receiver.reset()
    cfg = config_dir(tmp_path, slack_receiver.webhook_url())
    config = load_config(cfg)
    conn = db.connect(config.monitor.state_dir)
    conn.execute("BEGIN IMMEDIATE")
    Alerter(RuleSet.compile(config.watchlists.rules)).process(conn, bpjs_listing())
    conn.execute("COMMIT")
    [row] = outbox.claim(conn)
    outbox.finish(conn, row.id, status=outbox.FAILED, attempts=1, http_status=404,
                  error="no_service")

    assert main(["alerts", "resend", "--since", "1h", "--config-dir", str(cfg)]) == 0
    assert "1 failed alert queued again; sent 1, failed 0" in capsys.readouterr().out
    assert len(slack_receiver.messages()) == 1
    assert [r.status for r in outbox.rows(conn)] == ["sent"]

    assert main(["alerts", "list", "--config-dir", str(cfg)]) == 0
    assert "sent" in capsys.readouterr().out
