"""The spiders on saved pages of their engines (tests/data/spiders/, written after MyBB 1.8's
default-theme templates and XenForo 2's thread_list_macros/post_macros): every field of every
thread on a board page, the opening post of a thread page, and the special pages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from spiders.base import ThreadRow
from spiders.generic import GenericSpider
from spiders.mybb import MybbSpider
from spiders.pages import PageKind
from spiders.xenforo import XenforoSpider

DATA = Path(__file__).parent / "data" / "spiders"
PAGE_DATE = "Wed, 12 May 2021 15:00:00 GMT"  # 22:00 in Jakarta: "Today" is May 12 there


def page(name: str, url: str, status: int = 200, headers: dict[str, str] | None = None,
         body: bytes | None = None) -> HtmlResponse:
    return HtmlResponse(url, status=status, body=body if body is not None else (
        DATA / name).read_bytes(), headers={"Date": PAGE_DATE, **(headers or {})},
        request=Request(url), encoding="utf-8")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


MYBB = MybbSpider(source_id="lab-mybb", base_url="http://forum.lab/", timezone="Asia/Jakarta")
XF = XenforoSpider(source_id="lab-xf", base_url="http://xf.lab/")

MYBB_ROWS = [
    ThreadRow(url="http://forum.lab/showthread.php?tid=1",
              link="http://forum.lab/showthread.php?tid=1", title="[Rules] Read before selling",
              author="admin", author_url="http://forum.lab/member.php?action=profile&uid=1",
              started_at=utc(2021, 1, 3, 2, 0), last_post_at=utc(2021, 1, 3, 2, 0), replies=0,
              views=1204, sticky=True),
    ThreadRow(url="http://forum.lab/showthread.php?tid=5",
              link="http://forum.lab/showthread.php?tid=5",
              title="Indonesia BPJS Kesehatan 279M records - NIK, phone, address", author="Kotz",
              author_url="http://forum.lab/member.php?action=profile&uid=1337",
              started_at=utc(2021, 5, 12, 13, 15),  # "Today, 08:15 PM" in +07:00
              last_post_at=utc(2021, 5, 12, 14, 31),  # "29 minutes ago", title 09:31 PM
              replies=2, views=345),
    ThreadRow(url="http://forum.lab/showthread.php?tid=9",
              link="http://forum.lab/showthread.php?tid=9", title="Tokopedia 91M users full dump",
              author="ShinyHunters", author_url="http://forum.lab/member.php?action=profile&uid=42",
              started_at=utc(2021, 5, 11, 16, 50),  # "Yesterday, 11:50 PM"
              last_post_at=utc(2021, 5, 12, 12, 0),  # "3 hours ago", title 07:00 PM
              replies=1024, views=15301),
    ThreadRow(url="http://forum.lab/showthread.php?tid=12",  # the sid is not part of it
              link="http://forum.lab/showthread.php?tid=12&sid=abc123",
              title="[FREE] База интернет-магазина 2,9 млн", author="Вася",
              author_url="http://forum.lab/member.php?action=profile&uid=99",
              started_at=utc(2021, 4, 29, 18, 5), last_post_at=utc(2021, 4, 29, 18, 5),
              replies=0, views=88),
]

XF_ROWS = [
    ThreadRow(url="http://xf.lab/threads/2/",
              link="http://xf.lab/threads/rules-of-the-leaks-section.2/",
              title="Rules of the Leaks section", author="Admin",
              author_url="http://xf.lab/members/admin.1/", started_at=utc(2020, 11, 1, 7, 0),
              last_post_at=utc(2020, 11, 1, 7, 0), replies=0, views=9000, sticky=True),
    ThreadRow(url="http://xf.lab/threads/41/",  # not .../unread
              link="http://xf.lab/threads/bpjs-kesehatan-279m-records.41/",
              title="BPJS Kesehatan 279M records (NIK, phone, address)", author="Kotz",
              author_url="http://xf.lab/members/kotz.1337/", started_at=utc(2021, 5, 12, 17, 15),
              last_post_at=utc(2021, 5, 12, 18, 31), replies=23, views=1200),
    ThreadRow(url="http://xf.lab/threads/40/",
              link="http://xf.lab/threads/baza-rossiiskogo-magazina-2-9-mln.40/",
              title="База российского магазина 2,9 млн", author="Гость", author_url=None,
              started_at=utc(2021, 5, 10, 5, 0), last_post_at=utc(2021, 5, 11, 20, 50),
              replies=1, views=88),
]

BOARDS = {
    "mybb": (MYBB, "mybb_forumdisplay.html", "http://forum.lab/forumdisplay.php?fid=2",
             MYBB_ROWS, "http://forum.lab/forumdisplay.php?fid=2&page=2"),
    "xenforo": (XF, "xenforo_forum_view.html", "http://xf.lab/forums/leaks.3/", XF_ROWS,
                "http://xf.lab/forums/leaks.3/page-2"),
}


@pytest.mark.parametrize(("engine", "index"), [(e, i) for e, b in BOARDS.items()
                                               for i in range(len(b[3]))])
def test_board_row_fields(engine: str, index: int) -> None:
    spider, name, url, expected, _ = BOARDS[engine]
    rows = spider.board_rows(page(name, url))
    assert len(rows) == len(expected)
    assert rows[index] == expected[index]


@pytest.mark.parametrize("engine", list(BOARDS))
def test_board_next_page_and_kind(engine: str) -> None:
    spider, name, url, _, next_url = BOARDS[engine]
    response = page(name, url)
    assert spider.next_board_page(response) == next_url
    assert spider.page_kind(response) is PageKind.OK


THREADS = {
    "mybb": (MYBB, "mybb_showthread.html", "http://forum.lab/showthread.php?tid=5", {
        "author": "Kotz", "author_url": "http://forum.lab/member.php?action=profile&uid=1337",
        "posted_at": utc(2021, 5, 12, 13, 15),  # the post's date, not its "last modified"
        "title": "Indonesia BPJS Kesehatan 279M records - NIK, phone, address",
    }, "Selling full database of BPJS Kesehatan, 279 million records.\n"
       "Fields: NIK, name, phone, address, DOB.\n\nFree sample 1M: bayfiles[.]com/x1Y2z3\n"
       "Price: 0.15 BTC\nHidden Content\nContact: t.me/kotz_data",
       ('class="hidden-content"', "mycode_b")),
    "xenforo": (XF, "xenforo_thread_view.html",
                "http://xf.lab/threads/bpjs-kesehatan-279m-records.41/", {
        "author": "Kotz", "author_url": "http://xf.lab/members/kotz.1337/",
        "posted_at": utc(2021, 5, 12, 17, 15),
        "title": "BPJS Kesehatan 279M records (NIK, phone, address)",
    }, "Selling full database of BPJS Kesehatan, 279 million records.\n"
       "Fields: NIK, name, phone, address, DOB.\n\nSample: https://gofile.io/d/AbC123\n"
       "Hidden content\nPrice: 0.15 BTC, escrow accepted. Tox: 5F2A...",
       ("bbCodeBlock--hide", "<b>BPJS Kesehatan</b>")),
}


@pytest.mark.parametrize(("url", "canonical"), [
    ("http://xf.lab/threads/bpjs-kesehatan-279m-records.41/", "http://xf.lab/threads/41/"),
    ("http://xf.lab/threads/bpjs-kesehatan-279m-records.41/page-3", "http://xf.lab/threads/41/"),
    ("http://xf.lab/threads/edited-title.41/unread", "http://xf.lab/threads/41/"),
    ("http://xf.lab/threads/41/", "http://xf.lab/threads/41/"),
    ("http://xf.lab/index.php?threads/a-b.41/post-9", "http://xf.lab/index.php?threads/41/"),
])
def test_xenforo_canonical_url_drops_the_title_slug(url: str, canonical: str) -> None:
    assert XF.canonical_thread_url(url) == canonical


@pytest.mark.parametrize("engine", list(THREADS))
def test_thread_opening_post(engine: str) -> None:
    spider, name, url, fields, text, html_bits = THREADS[engine]
    response = page(name, url)
    post = spider.first_post(response)
    assert post is not None
    for key, value in fields.items():
        assert getattr(post, key) == value, key
    for bit in html_bits:
        assert bit in post.body_html
    assert "PM sent" not in post.body_html  # the reply is not part of the opening post
    raw = spider.raw_post(response, None, post)
    assert raw.body_text == text
    assert raw.url == spider.canonical_thread_url(url) and raw.page_url == url
    assert raw.engine == engine
    assert raw.source_id == spider.source_id


def test_thread_post_with_board_row_takes_row_fields() -> None:
    response = page("mybb_showthread.html", "http://forum.lab/showthread.php?tid=5&page=1")
    row = MYBB_ROWS[1]
    response.request.meta.update({"bazaarwatch_thread": row, "bazaarwatch_board": "Databases"})
    (raw,) = MYBB.parse_thread(response)
    assert (raw.url, raw.title, raw.board, raw.replies, raw.views, raw.last_post_at) == (
        row.url, row.title, "Databases", 2, 345, row.last_post_at)
    assert raw.page_url == "http://forum.lab/showthread.php?tid=5&page=1"
    assert raw.posted_at == utc(2021, 5, 12, 13, 15)


@pytest.mark.parametrize(("engine", "url", "canonical"), [
    ("mybb", "http://f.onion/showthread.php?tid=5&page=3&sid=xyz#pid9",
     "http://f.onion/showthread.php?tid=5"),
    ("mybb", "http://f.onion/showthread.php?tid=5&action=lastpost",
     "http://f.onion/showthread.php?tid=5"),
    ("mybb", "http://f.onion/thread-5-page-2.html", "http://f.onion/thread-5.html"),
    ("mybb", "http://f.onion/thread-5-lastpost.html", "http://f.onion/thread-5.html"),
    ("xenforo", "http://x.onion/threads/db-sale.41/page-3", "http://x.onion/threads/41/"),
    ("xenforo", "http://x.onion/threads/db-sale.41/unread", "http://x.onion/threads/41/"),
    ("xenforo", "http://x.onion/threads/db-sale.41/post-501#post-501",
     "http://x.onion/threads/41/"),
    ("xenforo", "http://x.onion/index.php?threads/db-sale.41/page-2",
     "http://x.onion/index.php?threads/41/"),
])
def test_canonical_thread_url(engine: str, url: str, canonical: str) -> None:
    spider = MYBB if engine == "mybb" else XF
    assert spider.canonical_thread_url(url) == canonical


MYBB_NOPERM = b"""<html><body><div id="content"><table class="tborder"><tr><td class="trow1">
You are either not logged in or do not have permission to view this page. This could be because
one of the following reasons:<ol><li>You are not logged in or registered.</li></ol>
<form action="member.php" method="post"><input type="hidden" name="action" value="do_login" />
<input type="text" name="username" /><input type="password" name="password" />
<input name="my_post_key" type="hidden" value="abc123key" /></form></td></tr></table></div>
</body></html>"""
MYBB_BANNED = b"""<html><body><table class="tborder"><tr><td class="trow1">I'm sorry, but you are
banned.  You may not post, read threads, or access the forum.</td></tr></table></body></html>"""
XF_LOGIN = b"""<html data-logged-in="false"><body><div class="blockMessage">You must be logged-in
to do that.</div><form action="/login/login" method="post"><input type="text" name="login" />
<input type="password" name="password" /><input type="checkbox" name="remember" value="1"
checked="checked" /><input type="hidden" name="_xfToken" value="1620831600,8c4ff" />
<input type="hidden" name="_xfRedirect" value="/forums/vip.4/" /></form></body></html>"""
XF_BANNED = b"""<html data-logged-in="true"><body><div class="blockMessage">You have been banned
for the following reason: scraping</div></body></html>"""
LOGGED_OUT = b"""<html><body><p>You have been logged out. Your session has expired.</p>
</body></html>"""
CHALLENGE = b"""<html><head><title>Checking</title><script>document.cookie="dcap=7f3a; path=/";
location.reload();</script></head><body><noscript>Enable JavaScript</noscript></body></html>"""
RATE_PAGE = b"""<html><body><h1>Slow down</h1><p>Too many requests from your circuit.</p>
</body></html>"""


@pytest.mark.parametrize(("engine", "body", "status", "kind"), [
    ("mybb", MYBB_NOPERM, 200, PageKind.LOGIN_REQUIRED),
    ("mybb", MYBB_BANNED, 200, PageKind.BANNED),
    ("mybb", LOGGED_OUT, 200, PageKind.LOGGED_OUT),
    ("mybb", CHALLENGE, 200, PageKind.CHALLENGE),
    ("mybb", RATE_PAGE, 200, PageKind.RATE_LIMITED),
    ("mybb", b"<html><body>busy</body></html>", 429, PageKind.RATE_LIMITED),
    ("xenforo", XF_LOGIN, 403, PageKind.LOGIN_REQUIRED),
    ("xenforo", XF_BANNED, 403, PageKind.BANNED),
    ("xenforo", CHALLENGE, 503, PageKind.CHALLENGE),
    ("xenforo", b"<html><body>nothing special</body></html>", 200, PageKind.OK),
])
def test_special_pages(engine: str, body: bytes, status: int, kind: PageKind) -> None:
    spider = MYBB if engine == "mybb" else XF
    assert spider.page_kind(page("", "http://f.lab/x", status=status, body=body)) is kind


@pytest.mark.parametrize(("engine", "body", "action", "user_field", "fields"), [
    ("mybb", MYBB_NOPERM, "http://f.lab/member.php", "username",
     {"action": "do_login", "my_post_key": "abc123key", "remember": "yes"}),
    ("xenforo", XF_LOGIN, "http://f.lab/login/login", "login",
     {"_xfToken": "1620831600,8c4ff", "_xfRedirect": "/forums/vip.4/", "remember": "1"}),
])
def test_login_form_with_csrf_token(engine: str, body: bytes, action: str, user_field: str,
                                    fields: dict[str, str]) -> None:
    spider = MYBB if engine == "mybb" else XF
    form = spider.login_form(page("", "http://f.lab/x", body=body))
    assert form is not None
    assert (form.action, form.username_field, form.password_field, form.fields) == (
        action, user_field, "password", fields)


def test_mybb_prefers_page_form_over_quick_login() -> None:
    form = MYBB.login_form(page("mybb_forumdisplay.html", "http://forum.lab/forumdisplay.php"))
    # the guest header only has the quick-login modal (quick_username): it is the one found
    assert form is not None and form.fields["my_post_key"] == "0f8e6a7d2b1c"
    assert MYBB.is_logged_in(page("mybb_forumdisplay.html", "http://forum.lab/")) is False


GENERIC_SELECTORS = {
    "thread_row": "div.structItem--thread", "title_link": ".structItem-title a[data-tp-primary]",
    "author": "ul.structItem-parts .username", "last_post": "time.structItem-latestDate",
    "started": "li.structItem-startDate time", "replies": "dl.pairs:nth-of-type(1) dd",
    "views": "dl.pairs:nth-of-type(2) dd", "sticky": ".structItem-status--sticky",
    "next_page": "a.pageNav-jump--next", "post": "article.message--post",
    "post_author": ".message-name .username", "post_date": "//header//time",
    "post_body": ".bbWrapper",
}


def test_generic_spider_reads_xenforo_markup_from_selectors() -> None:
    spider = GenericSpider(source_id="g", base_url="http://xf.lab/", selectors=GENERIC_SELECTORS)
    rows = spider.board_rows(page("xenforo_forum_view.html", "http://xf.lab/forums/leaks.3/"))
    # the generic spider keeps a thread's link as printed (it cannot know what "unread" means)
    assert [r.title for r in rows] == [r.title for r in XF_ROWS]
    assert [(r.author, r.author_url, r.started_at, r.last_post_at, r.replies, r.views, r.sticky)
            for r in rows] == [(r.author, r.author_url, r.started_at, r.last_post_at, r.replies,
                                r.views, r.sticky) for r in XF_ROWS]
    thread = page("xenforo_thread_view.html",
                  "http://xf.lab/threads/bpjs-kesehatan-279m-records.41/")
    post = spider.first_post(thread)
    assert post is not None and (post.author, post.posted_at) == ("Kotz", utc(2021, 5, 12, 17, 15))
    assert "bbCodeBlock--hide" in post.body_html


def test_generic_spider_needs_its_selectors() -> None:
    with pytest.raises(ValueError, match="post, post_body"):
        GenericSpider(source_id="g", base_url="http://x/", selectors={
            "thread_row": "tr", "title_link": "a"})


HOSTILE = [
    b"",
    b"\xff\xfe\x00garbage \xc3\x28 invalid utf-8 \xa0\xa1",
    b"<html><body><tr class='inline_row'><td><span id='tid_1'><a>no href</a></span>",
    b"<div class='structItem structItem--thread'><div class='structItem-title'><a href='/t/1'>"
    b"x</a></div><time class='structItem-latestDate u-dt' datetime='not-a-date'>?</time>",
    b"<html>" + b"<div>" * 20000 + b"deep" + b"</div>" * 10,
    b"<html><body>" + b"<p>" + b"A" * 2_000_000 + b"</p></body></html>",
    b"<script>document.cookie='x=1'</script>" * 3,
]


@pytest.mark.parametrize("engine", ["mybb", "xenforo"])
@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_pages_do_not_break_the_parsers(engine: str, body: bytes) -> None:
    spider = MYBB if engine == "mybb" else XF
    response = page("", "http://f.lab/x", body=body)
    rows = spider.board_rows(response)
    assert all(r.url.startswith("http://f.lab/") for r in rows)
    assert all(r.last_post_at is None or r.last_post_at.tzinfo for r in rows)
    spider.first_post(response)
    spider.next_board_page(response)
    assert isinstance(spider.page_kind(response), PageKind)


def test_titles_that_try_markup_stay_text() -> None:
    body = (b"<table><tr class='inline_row'><td><span id='tid_7'><a href='showthread.php?tid=7'>"
            b"&lt;!channel&gt; &lt;script&gt;alert(1)&lt;/script&gt; @here DB</a></span></td></tr>"
            b"</table>")
    (row,) = MYBB.board_rows(page("", "http://f.lab/forumdisplay.php?fid=2", body=body))
    assert row.title == "<!channel> <script>alert(1)</script> @here DB"
