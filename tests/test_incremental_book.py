"""What the incremental crawl decides from its book (pure), the Retry-After it honours, and the
state store round trip of threads, boards and source status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.middleware.incremental import RECHECKS_PER_CRAWL, CrawlBook
from monitor.middleware.ratelimit import retry_after
from monitor.models import RawPost
from monitor.state import db, sessions, threads
from monitor.state.threads import SourceState, ThreadState
from spiders.base import ThreadRow

T0 = datetime(2021, 5, 12, 12, 0, tzinfo=UTC)
KNOWN = ThreadState(url="http://f/t1", board="DB", last_post_at=T0, replies=3,
                    content_sha256="x", first_seen=T0, last_fetched=T0)


def book(boards: dict[str, datetime] | None = None, overlap_s: float = 600.0) -> CrawlBook:
    return CrawlBook(source_id="s", known=SourceState(threads={KNOWN.url: KNOWN},
                                                      boards=boards or {}),
                     backfill_pages=3, overlap_s=overlap_s)


@pytest.mark.parametrize(("url", "last_post", "replies", "verdict"), [
    ("http://f/t1", T0, 3, "unchanged"),
    ("http://f/t1", T0 + timedelta(minutes=1), 4, "changed"),
    ("http://f/t1", T0, 4, "changed"),  # a reply whose time the board rounds away
    ("http://f/t1", T0 + timedelta(minutes=1), 3, "changed"),  # an edit that bumps
    ("http://f/t2", T0, 0, "new"),
])
def test_thread_verdict(url: str, last_post: datetime, replies: int, verdict: str) -> None:
    row = ThreadRow(url=url, link=url, title="t", last_post_at=last_post, replies=replies)
    assert book().thread_verdict(row) == verdict


@pytest.mark.parametrize(("read_ago", "recheck_after", "verdict"), [
    (timedelta(hours=7), 6 * 3600.0, "recheck"),  # an edit would not show on the board
    (timedelta(hours=5), 6 * 3600.0, "unchanged"),
    (timedelta(days=30), 0.0, "unchanged"),  # rechecks off
])
def test_unchanged_thread_is_reread_after_a_while(read_ago: timedelta, recheck_after: float,
                                                  verdict: str) -> None:
    b = CrawlBook(source_id="s", known=SourceState(threads={KNOWN.url: KNOWN}, boards={}),
                  recheck_after_s=recheck_after, started_at=T0 + read_ago)
    row = ThreadRow(url=KNOWN.url, link=KNOWN.url, title="t", last_post_at=T0, replies=3)
    assert b.thread_verdict(row) == verdict


def test_rechecks_per_crawl_are_capped() -> None:
    """Threads read in one backfill come due together: the re-reads spread over crawls."""
    known = {f"http://f/t{i}": ThreadState(url=f"http://f/t{i}", board="DB", last_post_at=T0,
                                           replies=1, content_sha256="x", first_seen=T0,
                                           last_fetched=T0) for i in range(50)}
    b = CrawlBook(source_id="s", known=SourceState(threads=known, boards={}),
                  recheck_after_s=3600.0, started_at=T0 + timedelta(days=1))
    verdicts = []
    for url in known:
        verdict = b.thread_verdict(ThreadRow(url=url, link=url, title="t", last_post_at=T0,
                                             replies=1))
        b.counts[verdict] += 1  # what the middleware does with each verdict
        verdicts.append(verdict)
    assert verdicts.count("recheck") == RECHECKS_PER_CRAWL
    assert verdicts.count("unchanged") == 50 - RECHECKS_PER_CRAWL


@pytest.mark.parametrize(("boards", "page", "oldest", "wanted"), [
    ({}, 2, T0, True), ({}, 3, T0, True), ({}, 4, T0, False),  # first crawl: backfill 3 pages
    ({"DB": T0}, 2, T0 - timedelta(minutes=5), True),  # inside the overlap
    ({"DB": T0}, 2, T0 - timedelta(minutes=11), False),  # older than last read - overlap
    ({"DB": T0}, 2, T0 + timedelta(hours=1), True),
    ({"DB": T0}, 7, None, True),  # a page without dates: keep reading (the budget caps it)
])
def test_board_paging(boards: dict[str, datetime], page: int, oldest: datetime | None,
                      wanted: bool) -> None:
    assert book(boards).want_board_page("DB", page, oldest) is wanted


def test_book_survives_scrapy_settings_copy() -> None:
    import copy

    b = book()
    assert copy.deepcopy(b) is b


@pytest.mark.parametrize(("value", "seconds"), [
    (b"2", 2.0), ("120", 120.0), (b"1.5", 1.5), (None, None), (b"soon", None),
    (b"Wed, 12 May 2021 12:00:30 GMT", 30.0), (b"Wed, 12 May 2021 11:00:00 GMT", 0.0),
])
def test_retry_after(value: bytes | str | None, seconds: float | None) -> None:
    assert retry_after(value, now=T0) == seconds


def test_state_round_trip(tmp_path: Path) -> None:
    conn = db.connect(tmp_path)
    try:
        b = book()
        b.record(RawPost(source_id="s", url="http://f/t9", title="t9", body_text="b",
                         body_html="<b>b</b>", board="DB", last_post_at=T0, replies=1))
        threads.save(conn, "s", list(b.fetched.values()), {"DB": T0})
        loaded = threads.load(conn, "s")
        assert loaded.boards == {"DB": T0}
        state = loaded.threads["http://f/t9"]
        assert (state.board, state.last_post_at, state.replies) == ("DB", T0, 1)
        assert state.unchanged(T0, 1)
        assert threads.load(conn, "other").threads == {}

        sessions.set_status(conn, "s", "login_failed", "login refused")
        got = sessions.get(conn, "s")
        assert got is not None and (got.status, got.detail) == ("login_failed", "login refused")
        sessions.set_status(conn, "s", "ok")
        assert sessions.get(conn, "s").status == "ok"  # type: ignore[union-attr]
        with pytest.raises(ValueError, match="unknown source status"):
            sessions.set_status(conn, "s", "sleepy")
    finally:
        conn.close()
