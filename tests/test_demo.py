"""`bazaarwatch demo` end to end: Elasticsearch, the private Tor network, the lab forums as an
onion service, the Slack receiver and the daemon; the new Kotz-style listing's alert arrives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_shows_the_alert_arriving(tmp_path: Path, es_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "demo", "--state-dir", str(tmp_path / "demo"),
         "--interval", "10", "--timeout", "400"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-4000:]
    assert "ALERT received" in out
    assert "279 million claimed · 1 million sample" in out
    assert "hxxps://mega[.]nz/file/demoBPJS#key" in out
    assert "new post → Slack alert" in out and "did not arrive" not in out
    assert out.rstrip().endswith("stopped what the demo started")
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path / "demo")], capture_output=True,
                              text=True, check=False)
    assert leftover.stdout.strip() == "", "the demo left processes running"
