"""`bazaarwatch lab slack up` as a real process: it prints its webhook URL, accepts posts,
answers the control endpoints, and stops on SIGINT."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def http(url: str, body: object | None = None) -> tuple[int, str]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_lab_slack_up() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "lab", "slack", "up"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("webhook URL: http://127.0.0.1:"), line + proc.stderr.read()
        webhook = line.split(": ", 1)[1].strip()
        base = webhook.split("/services/")[0]
        assert http(f"{base}/_lab/fail", {"count": 1, "status": 429, "retry_after": 2}) == (
            200, "ok")
        assert http(webhook, {"text": "first"}) == (429, "rate_limited")
        assert http(webhook, {"text": "second"}) == (200, "ok")
        assert http(webhook, {}) == (400, "no_text")
        status, body = http(f"{base}/_lab/messages")
        assert status == 200
        seen = json.loads(body)
        assert [m["payload"]["text"] for m in seen["messages"]] == ["second"]
        assert [r["status"] for r in seen["requests"]] == [429, 200, 400]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
