"""The spiders on the lab forums' saved pages (tests/data/pages/, see its README): every field of
every thread row of every saved board page against the lab's fixtures, the opening posts of the
saved thread pages, and what each special page is."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cache
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from monitor.lab.forum import thread_url
from monitor.lab.forum_store import Site, load_sites
from spiders.base import ForumSpider
from spiders.generic import GenericSpider
from spiders.mybb import MybbSpider
from spiders.pages import PageKind
from spiders.xenforo import XenforoSpider
from tests.crawl_helpers import MARKET_SELECTORS

PAGES = Path(__file__).parent / "data" / "pages"
MANIFEST = json.loads((PAGES / "manifest.json").read_text())
ROOT = "http://lab-forums.test"
SPIDERS: dict[str, ForumSpider] = {
    "mybb": MybbSpider(source_id="mybb", base_url=f"{ROOT}/mybb/"),
    "xenforo": XenforoSpider(source_id="xf", base_url=f"{ROOT}/xf/"),
    "market": GenericSpider(source_id="market", base_url=f"{ROOT}/market/",
                            selectors=MARKET_SELECTORS),
}
SITE_KEY = {"mybb": "mybb", "xenforo": "xf", "market": "market"}


def saved(name: str) -> HtmlResponse:
    meta = MANIFEST[name]
    now = datetime.fromisoformat(meta["now"])
    return HtmlResponse(meta["url"], status=meta["status"], body=(PAGES / name).read_bytes(),
                        headers={"Date": format_datetime(now, usegmt=True)},
                        request=Request(meta["url"]), encoding="utf-8")


@cache
def site(engine: str, now: str) -> Site:
    return load_sites(datetime.fromisoformat(now))[SITE_KEY[engine]]


def board_page(name: str) -> tuple[str, int]:
    """(board key, page number) of a saved board page, from its URL."""
    url = MANIFEST[name]["url"]
    page = re.search(r"(?:page=|page-)(\d+)", url)
    if "/c/" in url:
        key = url.split("/c/")[1].split("?")[0]
    else:
        fid = int(re.search(r"fid=(\d+)|\.(\d+)/", url).group(1)  # type: ignore[union-attr]
                  or re.search(r"\.(\d+)/", url).group(1))  # type: ignore[union-attr]
        key = next(b.key for b in site(name.split("/")[0], MANIFEST[name]["now"]).boards
                   if b.fid == fid)
    return key, int(page.group(1)) if page else 1


BOARD_PAGES = [n for n in MANIFEST if re.search(r"/(board(_page\d|_leaks|_private_member)?"
                                                r"|category(_page\d)?)\.html$", n)]
ROWS = []
for _name in BOARD_PAGES:
    _engine = _name.split("/")[0]
    _site = site(_engine, MANIFEST[_name]["now"])
    _key, _page = board_page(_name)
    _threads = _site.board_threads(_site.board(_key))
    _per = _site.threads_per_page
    ROWS += [(_name, i) for i in range(len(_threads[(_page - 1) * _per:_page * _per]))]


def minute(dt: datetime | None) -> datetime | None:
    return dt.replace(second=0, microsecond=0) if dt else None


@pytest.mark.parametrize(("name", "index"), ROWS)
def test_every_field_of_every_row(name: str, index: int) -> None:
    engine = name.split("/")[0]
    spider = SPIDERS[engine]
    lab_site = site(engine, MANIFEST[name]["now"])
    key, page = board_page(name)
    per = lab_site.threads_per_page
    threads = lab_site.board_threads(lab_site.board(key))[(page - 1) * per:page * per]
    rows = spider.board_rows(saved(name))
    assert len(rows) == len(threads)
    row, thread = rows[index], threads[index]
    author = lab_site.user(thread.first.author)
    assert row.url == thread_url(lab_site, thread, ROOT)
    assert row.title == thread.title
    assert row.author == author.name
    assert row.author_url and re.search(rf"\b{author.uid}\b", row.author_url)
    assert minute(row.last_post_at) == minute(thread.last.posted)
    if engine != "market":  # the market prints only when a listing was bumped
        assert minute(row.started_at) == minute(thread.first.posted)
    assert row.replies == thread.replies
    views = max(thread.views, thread.replies + 1) if engine == "xenforo" else thread.views
    if engine == "xenforo" and views >= 1000:  # number_short: "2K"
        views = round(views / 1000) * 1000
    assert row.views == views
    assert row.sticky == thread.sticky


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# board_late.html: printed at 23:50, with a thread the save script posted that morning
@pytest.mark.parametrize(("name", "started"), [
    ("mybb/board_late.html", [
        utc(2021, 5, 13, 22, 31), utc(2021, 5, 14, 18, 50), utc(2021, 5, 14, 23, 10),
        utc(2021, 5, 12, 15, 48), utc(2021, 5, 10, 4, 20), utc(2021, 5, 13, 21, 50),
        utc(2021, 5, 14, 9, 50), utc(2021, 4, 28, 9, 3)]),
    ("xenforo/board_late.html", [
        utc(2021, 5, 14, 23, 25), utc(2021, 5, 13, 22, 31), utc(2021, 5, 14, 19, 50),
        utc(2021, 5, 12, 15, 50), utc(2021, 5, 8, 6, 0), utc(2021, 5, 14, 9, 50),
        utc(2021, 5, 13, 18, 50), utc(2021, 4, 30, 10, 0)]),
])
def test_today_yesterday_and_hours_ago_late_in_the_day(name: str,
                                                       started: list[datetime]) -> None:
    rows = SPIDERS[name.split("/")[0]].board_rows(saved(name))
    assert [r.started_at for r in rows] == started


@pytest.mark.parametrize(("name", "kind"), [
    ("mybb/banned.html", PageKind.BANNED), ("xenforo/banned.html", PageKind.BANNED),
    ("mybb/nopermission.html", PageKind.LOGIN_REQUIRED),
    ("xenforo/nopermission.html", PageKind.LOGIN_REQUIRED),
    ("mybb/challenge.html", PageKind.CHALLENGE), ("xenforo/challenge.html", PageKind.CHALLENGE),
    ("mybb/ratelimit.html", PageKind.RATE_LIMITED),
    ("xenforo/ratelimit.html", PageKind.RATE_LIMITED),
    *[(n, PageKind.OK) for n in BOARD_PAGES],
    ("mybb/thread.html", PageKind.OK), ("xenforo/thread.html", PageKind.OK),
    ("mybb/index.html", PageKind.OK), ("xenforo/index.html", PageKind.OK),
    ("mybb/login.html", PageKind.OK), ("xenforo/login.html", PageKind.OK),
])
def test_what_each_page_is(name: str, kind: PageKind) -> None:
    assert SPIDERS[name.split("/")[0]].page_kind(saved(name)) is kind


@pytest.mark.parametrize(("name", "logged_in"), [
    ("mybb/board.html", False), ("mybb/board_private_member.html", True),
    ("mybb/thread_member.html", True), ("mybb/login_redirect.html", None),
    ("xenforo/board.html", False), ("xenforo/board_private_member.html", True),
    ("xenforo/thread_member.html", True), ("xenforo/logged_out.html", False),
])
def test_logged_in_or_guest(name: str, logged_in: bool | None) -> None:
    assert SPIDERS[name.split("/")[0]].is_logged_in(saved(name)) is logged_in


@pytest.mark.parametrize("name", ["mybb/board_broken.html", "xenforo/board_broken.html"])
def test_broken_markup_reads_no_rows(name: str) -> None:
    # the crawl logs and counts an empty board page (bazaarwatch/parse/empty_board_page)
    assert SPIDERS[name.split("/")[0]].board_rows(saved(name)) == []


@pytest.mark.parametrize("name", ["mybb/thread.html", "mybb/thread_member.html",
                                  "mybb/thread_short.html", "xenforo/thread.html",
                                  "xenforo/thread_member.html", "xenforo/thread_english.html",
                                  "market/offer.html"])
def test_opening_post_of_each_saved_thread(name: str) -> None:
    engine = name.split("/")[0]
    lab_site = site(engine, MANIFEST[name]["now"])
    tid = int(re.search(r"(?:tid=|/offer/|\.|threads/)(\d+)/?$",  # type: ignore[union-attr]
                        MANIFEST[name]["url"]).group(1))
    thread = lab_site.threads[tid]
    post = SPIDERS[engine].first_post(saved(name))
    assert post is not None
    assert post.author == thread.first.author
    assert minute(post.posted_at) == minute(thread.first.posted)
    raw = SPIDERS[engine].raw_post(saved(name), None, post)
    assert raw.url == thread_url(lab_site, thread, ROOT)
    first_words = " ".join(re.sub(r"\[[^\]]*\]", " ", thread.first.body).split()[:3])
    assert first_words in " ".join(raw.body_text.split())
    if name.endswith("_member.html"):  # members see the hidden box's content
        assert "register or login to view" not in raw.body_text.lower()
