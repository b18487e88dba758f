"""`bazaarwatch crawl` against the lab forums over loopback: full crawls of each markup (every
thread exactly once, with its fields), politeness under 429, ban pages, challenge pages without a
browser. Each crawl is a real process; the lab counts every request it serves."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.lab.forum import LabForums
from tests.crawl_helpers import CrawlRun, crawl, lab_source, write_config

SITE_KEYS = {"mybb": "mybb", "xenforo": "xf", "market": "market"}


def public_boards(lab: LabForums, forum: str) -> list[str]:
    return [b.key for b in lab.state.sites[SITE_KEYS[forum]].boards if not b.login_required]


def expected_threads(lab: LabForums, forum: str, boards: list[str]) -> dict[str, Any]:
    site = lab.state.sites[SITE_KEYS[forum]]
    out = {}
    for key in boards:
        board = site.board(key)
        for t in site.board_threads(board):
            out[lab.thread_url(forum, t.tid)] = (board, t, site.user(t.first.author))
    return out


def minute(value: str | datetime) -> datetime:
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dt.replace(second=0, microsecond=0)


def status_of(state_dir: Path, source_id: str) -> tuple[str, str | None]:
    conn = sqlite3.connect(state_dir / "state.sqlite3")
    try:
        row = conn.execute("SELECT status, detail FROM source_sessions WHERE source_id = ?",
                           (source_id,)).fetchone()
    finally:
        conn.close()
    return (row[0], row[1]) if row else ("none", None)


def run(tmp_path: Path, lab: LabForums, forum: str, boards: list[str], **extra: Any) -> CrawlRun:
    source = lab_source(lab, "lab", forum, boards, **extra)
    config = write_config(tmp_path / "config", [source], state_dir=tmp_path / "state")
    result = crawl(config, "lab", tmp_path / "posts.jsonl")
    assert isinstance(result, CrawlRun)
    return result


@pytest.mark.parametrize("forum", ["mybb", "xenforo", "market"])
def test_full_crawl_finds_every_thread_once_with_its_fields(tmp_path: Path, forums: LabForums,
                                                            forum: str) -> None:
    boards = public_boards(forums, forum)
    result = run(tmp_path, forums, forum, boards)
    assert result.returncode == 0, result.stderr[-3000:]
    assert ": finished: " in result.report
    expected = expected_threads(forums, forum, boards)
    urls = [p["url"] for p in result.posts]
    assert sorted(urls) == sorted(expected), "every thread exactly once"
    for post in result.posts:
        board, thread, author = expected[post["url"]]
        assert post["source_id"] == "lab"
        assert post["title"] == thread.title
        assert post["board"] == board.name
        assert post["author"] == author.name
        assert re.search(rf"\b{author.uid}\b", post["author_url"] or ""), post["author_url"]
        assert minute(post["posted_at"]) == minute(thread.first.posted)
        assert minute(post["last_post_at"]) == minute(thread.last.posted)
        assert post["replies"] == thread.replies
        # the board was read before the crawl's own visit of the thread counted as a view
        seen = (thread.views - 1, thread.views)
        if forum == "xenforo":  # number_short: 1516 views print as "2K"
            seen = tuple(round(v / 1000) * 1000 if v >= 1000 else v for v in seen)
        assert post["views"] in seen
        first_words = re.sub(r"\[[^\]]*\]", "", thread.first.body).split()[:4]
        assert " ".join(first_words) in " ".join(post["body_text"].split()), post["url"]
        assert post["body_html"] and post["page_url"] and post["engine"]
    assert f"threads new {len(expected)} changed 0 unchanged 0" in result.report
    assert f"posts {len(expected)}" in result.report


def test_429_backs_off_honouring_retry_after_and_completes(tmp_path: Path,
                                                           forums: LabForums) -> None:
    forums.set_faults("mybb", rate_limit_next=3, retry_after_s=1)
    boards = public_boards(forums, "mybb")
    result = run(tmp_path, forums, "mybb", boards)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p["url"] for p in result.posts) == sorted(expected_threads(forums, "mybb",
                                                                            boards))
    assert result.stderr.count("rate limited on") == 3
    assert "backing off 1.0 s" in result.stderr
    statuses = [r["status"] for r in forums.state.report(0)["log"]]
    assert statuses.count(429) == 3


def test_ban_page_stops_the_source_and_reports_it(tmp_path: Path, forums: LabForums) -> None:
    forums.set_faults("mybb", banned=True)
    result = run(tmp_path, forums, "mybb", public_boards(forums, "mybb"))
    assert result.returncode == 2
    assert ": banned: " in result.report
    assert "banned:" in result.stderr and "stopping the source" in result.stderr
    assert result.posts == []
    status, detail = status_of(tmp_path / "state", "lab")
    assert status == "banned" and "ban page" in (detail or "")
    # one request per board in flight at most: the source stops at the first ban page
    assert forums.state.report(0)["total"] <= 2


def test_challenge_without_render_stops_with_challenge_failed(tmp_path: Path,
                                                              forums: LabForums) -> None:
    forums.set_faults("mybb", challenge=True)
    result = run(tmp_path, forums, "mybb", ["databases"])
    assert result.returncode == 2
    assert ": challenge_failed: " in result.report
    assert "not set to render" in result.report
    assert status_of(tmp_path / "state", "lab")[0] == "challenge_failed"


def test_page_budget_caps_a_crawl(tmp_path: Path, forums: LabForums) -> None:
    result = run(tmp_path, forums, "mybb", ["databases"], max_pages=5)
    assert result.returncode == 0, result.stderr[-2000:]
    assert forums.state.report(0)["total"] == 5
    assert "page budget of 5 reached" in result.stderr


def test_a_generic_source_without_post_selectors_is_refused_clearly(tmp_path: Path,
                                                                   forums: LabForums) -> None:
    source = lab_source(forums, "lab", "market", ["databases"])
    source["selectors"] = {"thread_row": "div.mk-listing", "title_link": ".mk-title a"}
    config = write_config(tmp_path / "config", [source], state_dir=tmp_path / "state")
    result = crawl(config, "lab", tmp_path / "posts.jsonl")
    assert isinstance(result, CrawlRun)
    assert result.returncode == 1
    # the config loader refuses it, before any request, naming file, line and field
    assert "sources.yaml:" in result.stderr
    assert "sources[0].selectors.post: is required" in result.stderr
    assert "sources[0].selectors.post_body: is required" in result.stderr
    assert "Traceback" not in result.stderr
    assert forums.requests()["total"] == 0
