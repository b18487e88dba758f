"""Incremental crawling against the lab forums: a second crawl with no change reads only the
boards' first pages; after the lab adds one thread and edits another, the third crawl fetches
exactly those two threads."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from monitor.lab.forum import LabForums
from tests.crawl_helpers import CrawlRun, crawl, lab_source, write_config

THREAD_PATH = {"mybb": "showthread.php", "xenforo": "/threads/"}
BOARD_PATH = {"mybb": "forumdisplay.php", "xenforo": "/forums/"}


@pytest.mark.parametrize("forum", ["mybb", "xenforo"])
def test_unchanged_crawl_reads_only_board_pages_then_only_what_changed(
        tmp_path: Path, forums: LabForums, forum: str) -> None:
    site = forums.state.sites["xf" if forum == "xenforo" else forum]
    boards = [b.key for b in site.boards if not b.login_required]
    config = write_config(tmp_path / "config", [lab_source(forums, "lab", forum, boards)],
                          state_dir=tmp_path / "state")
    out = tmp_path / "posts.jsonl"

    def crawl_once() -> tuple[CrawlRun, list[str]]:
        since = time.time()
        result = crawl(config, "lab", out)
        assert isinstance(result, CrawlRun)
        assert result.returncode == 0, result.stderr[-3000:]
        return result, [r["path"] for r in forums.requests(since)["log"]]

    first, _ = crawl_once()
    total = sum(len(site.board_threads(site.board(b))) for b in boards)
    assert len(first.posts) == total

    second, paths = crawl_once()
    assert second.posts == []
    assert all(BOARD_PATH[forum] in p for p in paths), paths
    assert len(paths) == len(boards)  # the first page of each board, nothing else
    assert "threads new 0 changed 0 unchanged " in second.report

    victim = site.board_threads(site.board(boards[0]))[-1]  # the oldest, on the last page
    added = forums.add_thread(forum, boards[-1], "Fresh dump: Ministry of Fisheries 4M records",
                              "Selling 4M citizen records, NIK and phone. Sample on request.",
                              author="Kotz")
    forums.edit_thread(forum, victim.tid, body="Price dropped: 0.05 BTC for the full 2.1M rows.")

    third, paths = crawl_once()
    fetched = sorted(p for p in paths if THREAD_PATH[forum] in p)
    assert len(fetched) == 2, paths
    assert {p["url"] for p in third.posts} == {forums.thread_url(forum, added["tid"]),
                                               forums.thread_url(forum, victim.tid)}
    edited = next(p for p in third.posts if p["url"] == forums.thread_url(forum, victim.tid))
    assert "Price dropped: 0.05 BTC" in edited["body_text"]
    assert "threads new 1 changed 1" in third.report


def test_an_edit_without_bump_is_read_once_the_thread_is_due_for_a_recheck(
        tmp_path: Path, forums: LabForums) -> None:
    """Editing the opening post changes nothing on the board (no bump, same replies): only the
    re-read after `recheck_after` sees it."""
    site = forums.state.sites["mybb"]
    board = next(b.key for b in site.boards if not b.login_required)
    config = write_config(tmp_path / "config",
                          [lab_source(forums, "lab", "mybb", [board], recheck_after="15s")],
                          state_dir=tmp_path / "state")
    out = tmp_path / "posts.jsonl"
    first = crawl(config, "lab", out)
    assert isinstance(first, CrawlRun) and first.returncode == 0, first
    victim = site.board_threads(site.board(board))[0]
    forums.edit_thread("mybb", victim.tid, body="Edited quietly: now 0.01 BTC.", bump=False)

    second = crawl(config, "lab", out)  # at once: nothing is due yet
    assert isinstance(second, CrawlRun) and second.returncode == 0
    assert second.posts == [] and " rechecked " not in second.report

    time.sleep(15)
    third = crawl(config, "lab", out)
    assert isinstance(third, CrawlRun) and third.returncode == 0, third.stderr[-3000:]
    edited = [p for p in third.posts if p["url"] == forums.thread_url("mybb", victim.tid)]
    assert edited and "Edited quietly: now 0.01 BTC." in edited[0]["body_text"]
    assert " rechecked " in third.report
