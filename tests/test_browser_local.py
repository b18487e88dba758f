"""Chromium through the transport without the Tor network: a `direct: true` source rendered from
loopback, and a source whose SocksPort is down failing loudly instead of going direct."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from monitor.transport import chromium
from tests.fixtures.transport import LabSite, run_probe

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def _chromium_installed() -> None:
    if not os.access(chromium.CHROMIUM_BINARY, os.X_OK):
        pytest.fail(f"{chromium.CHROMIUM_BINARY} missing: {chromium.INSTALL_HINT}", pytrace=False)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_direct_source_renders_from_loopback(lab_site: LabSite, tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{lab_site.server_port}"
    results, summary = run_probe("--direct", "lab", "--body", "--screenshot-dir", str(tmp_path),
                                 "--render-url", f"lab={base}/js",
                                 "--render-url", f"lab={base}/leaky")

    by_path = {r["url"].rsplit("/", 1)[1]: r for r in results}
    assert by_path["js"]["status"] == 200, results
    assert "rendered by javascript" in by_path["js"]["body"]
    assert Path(by_path["js"]["screenshot"]).read_bytes().startswith(b"\x89PNG")
    # same host (127.0.0.1) is the source's own; the clearnet ones are aborted
    assert summary["stats"]["bazaarwatch/browser/aborted_foreign"] >= 2
    assert summary["stats"]["bazaarwatch/browser/requests/direct"] == 2


def test_socksport_down_fails_loudly_and_never_goes_direct(lab_site: LabSite) -> None:
    seen = len(lab_site.paths)
    results, summary = run_probe(
        "--socks", f"127.0.0.1:{_closed_port()}", "--browser-socks", f"forum={_closed_port()}",
        "--retries", "0", "--render-url", f"forum=http://127.0.0.1:{lab_site.server_port}/js")

    assert [r.get("error") for r in results] == ["TorUnavailableError"], results
    assert len(lab_site.paths) == seen  # the page was never fetched without the proxy
    assert summary["stats"]["bazaarwatch/browser/errors/TorUnavailableError"] == 1
