"""Evidence: every post read carries the sha256 of its thread page and the file the page was
kept in (under the state directory); a thread Chromium renders (`render: always`) also gets a
screenshot. Real crawls of the lab forums."""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

import pytest

from monitor.lab.forum import LabForums
from tests.test_crawl_lab import expected_threads, run


def test_every_post_keeps_its_page(tmp_path: Path, forums: LabForums) -> None:
    boards = ["databases"]
    result = run(tmp_path, forums, "mybb", boards)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(result.posts) == len(expected_threads(forums, "mybb", boards))
    kept = tmp_path / "state" / "evidence" / "lab"
    for post in result.posts:
        evidence = post["evidence"]
        page = Path(evidence["path"])
        assert page.is_relative_to(kept), page
        assert hashlib.sha256(page.read_bytes()).hexdigest() == evidence["html_sha256"]
        assert post["title"] in html.unescape(page.read_text())  # the page of that thread
        assert evidence["screenshot"] is None  # plain fetches are not rendered
    assert not list(kept.rglob("*.tmp"))


@pytest.mark.browser
def test_rendered_threads_get_a_screenshot(tmp_path: Path, forums: LabForums) -> None:
    result = run(tmp_path, forums, "mybb", ["databases"], render="always", max_pages=4)
    assert result.returncode == 0, result.stderr[-3000:]
    shots = [Path(p["evidence"]["screenshot"]) for p in result.posts]
    assert shots, "no thread was read"
    for shot in shots:
        assert shot.is_relative_to(tmp_path / "state" / "evidence" / "screenshots")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
