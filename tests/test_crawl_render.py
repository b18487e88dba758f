"""`render: challenge` against the lab's JavaScript challenge: the challenge page is fetched again
in Chromium (the transport's browser handler), its script sets the cookie and reloads, and the
plain requests that follow carry that cookie, so the browser is needed once per crawl."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.lab.forum import LabForums
from tests.test_crawl_lab import expected_threads, run


@pytest.mark.browser
def test_challenge_passes_with_render_challenge_and_its_cookie_serves_the_rest(
        tmp_path: Path, forums: LabForums) -> None:
    forums.set_faults("mybb", challenge=True)
    boards = ["databases"]
    result = run(tmp_path, forums, "mybb", boards, render="challenge")
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p["url"] for p in result.posts) == sorted(expected_threads(forums, "mybb",
                                                                            boards))
    # one challenge met, passed once in Chromium; every later plain request carried its cookie
    assert "'bazaarwatch/challenge/seen': 1," in result.stderr
    assert "'bazaarwatch/challenge/passed': 1," in result.stderr
    assert "fetching it with the browser" in result.stderr
