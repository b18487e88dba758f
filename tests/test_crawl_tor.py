"""A full crawl of a lab forum published as an onion service of the lab's private Tor network:
the same threads and fields as over loopback, every request through tor's SOCKS port."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.lab.forum import LabForums
from monitor.lab.tornet import TorNetwork
from tests.crawl_helpers import CrawlRun, crawl, lab_source, write_config


@pytest.mark.tor
@pytest.mark.parametrize("forum", ["mybb", "xenforo"])
def test_full_crawl_of_an_onion_forum_over_lab_tor(tmp_path: Path, tornet: TorNetwork,
                                                   forums: LabForums, forum: str) -> None:
    onion = tornet.add_onion(forums.port, name=f"crawl-{forum}")
    root = f"http://{onion}"
    site = forums.state.sites["xf" if forum == "xenforo" else forum]
    boards = [b.key for b in site.boards if not b.login_required]
    config = write_config(
        tmp_path / "config", [lab_source(forums, "onionlab", forum, boards, root=root)],
        state_dir=tmp_path / "state", defaults={"timeout": "120s"},
        tor={"mode": "external", "socks_port": tornet.socks_port,
             "control_port": tornet.control_port,
             "cookie_path": str(tornet.control_cookie_path)})
    result = crawl(config, "onionlab", tmp_path / "posts.jsonl")
    assert isinstance(result, CrawlRun)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = sorted(forums.thread_url(forum, t.tid, root) for b in boards
                      for t in site.board_threads(site.board(b)))
    assert sorted(p["url"] for p in result.posts) == expected
    assert all(p["url"].startswith(root) for p in result.posts)
    titles = {forums.thread_url(forum, t.tid, root): t.title for t in site.threads.values()}
    assert all(p["title"] == titles[p["url"]] for p in result.posts)
    # every request went through tor (the transport counts its routes), none directly
    assert "'bazaarwatch/transport/requests/tor'" in result.stderr
    assert "'bazaarwatch/transport/requests/direct'" not in result.stderr
