"""The lab forums: pages render with the engines' markup, pagination reaches every thread, logins
with CSRF tokens, session expiry, 429s, the JS challenge (in real Chromium too), the admin API,
request counting, Host-relative links, and the saved pages staying in step with the app."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from parsel import Selector

from monitor.lab import forum_dates, forum_xenforo
from monitor.lab.forum import LabForums
from monitor.lab.forum_bbcode import Viewer, render
from monitor.lab.save_pages import LOGIN, Browser, _field
from monitor.lab.save_pages import main as save_pages_main
from monitor.lab.tornet import TorNetwork
from monitor.lab.tornet_socks import socks5_connect
from monitor.transport.chromium import (
    BLACKHOLE_PROXY,
    CHROMIUM_BINARY,
    INSTALL_HINT,
    launch_options,
)

PAGES = Path(__file__).parent / "data" / "pages"
NOW = datetime(2021, 5, 14, 1, 12, tzinfo=UTC)


def browser(lab: LabForums, host: str | None = None) -> Browser:
    return Browser(lab, host=host)


def admin(lab: LabForums, method: str, path: str, body: dict | None = None,
          host: str | None = None) -> tuple[int, dict | str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(lab.url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json",
                                          **({"Host": host} if host else {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def login_mybb(b: Browser, password: str = LOGIN[1]) -> tuple[int, str, dict]:
    page = b.get("/mybb/member.php?action=login")[1]
    return b.get("/mybb/member.php", {"action": "do_login", "username": LOGIN[0],
                                      "password": password, "url": "",
                                      "my_post_key": _field(page, "my_post_key")})


def login_xf(b: Browser, password: str = LOGIN[1]) -> tuple[int, str, dict]:
    page = b.get("/xf/login/")[1]
    return b.get("/xf/login/login", {"login": LOGIN[0], "password": password,
                                     "_xfToken": _field(page, "_xfToken"), "_xfRedirect": ""})


# -- pure parts, table-driven ------------------------------------------------------------------
@pytest.mark.parametrize(("posted", "expected"), [
    (datetime(2021, 5, 14, 1, 11, 30, tzinfo=UTC),
     '<span title="05-14-2021, 01:11 AM">Less than 1 minute ago</span>'),
    (datetime(2021, 5, 14, 1, 7, tzinfo=UTC),
     '<span title="05-14-2021, 01:07 AM">5 minutes ago</span>'),
    (datetime(2021, 5, 14, 0, 10, tzinfo=UTC),
     '<span title="05-14-2021, 12:10 AM">1 hour ago</span>'),
    (datetime(2021, 5, 13, 20, 0, tzinfo=UTC),
     '<span title="05-13-2021, 08:00 PM">5 hours ago</span>'),
    (datetime(2021, 5, 13, 10, 31, tzinfo=UTC),
     '<span title="05-13-2021">Yesterday</span>, 10:31 AM'),
    (datetime(2021, 5, 12, 15, 48, tzinfo=UTC), "05-12-2021, 03:48 PM"),
])
def test_mybb_dates(posted: datetime, expected: str) -> None:
    assert str(forum_dates.mybb_date(posted, NOW)) == expected


def test_mybb_today() -> None:
    now = datetime(2021, 5, 14, 23, 0, tzinfo=UTC)
    posted = datetime(2021, 5, 14, 9, 5, tzinfo=UTC)
    expected = '<span title="05-14-2021">Today</span>, 09:05 AM'
    assert str(forum_dates.mybb_date(posted, now)) == expected


@pytest.mark.parametrize(("posted", "expected"), [
    (datetime(2021, 5, 14, 1, 11, 30, tzinfo=UTC), "A moment ago"),
    (datetime(2021, 5, 14, 1, 11, tzinfo=UTC), "1 minute ago"),
    (datetime(2021, 5, 14, 0, 30, tzinfo=UTC), "42 minutes ago"),
    (datetime(2021, 5, 14, 0, 5, tzinfo=UTC), "Today at 12:05 AM"),
    (datetime(2021, 5, 13, 22, 31, tzinfo=UTC), "Yesterday at 10:31 PM"),
    (datetime(2021, 5, 10, 9, 0, tzinfo=UTC), "Monday at 9:00 AM"),
    (datetime(2021, 4, 1, 9, 0, tzinfo=UTC), "Apr 1, 2021"),
])
def test_xf_relative(posted: datetime, expected: str) -> None:
    assert forum_dates.xf_relative(posted, NOW) == expected


def test_xf_time_attributes() -> None:
    html = str(forum_dates.xf_time(datetime(2021, 5, 13, 22, 31, tzinfo=UTC), NOW))
    t = Selector(text=html).css("time.u-dt")
    assert t.attrib["datetime"] == "2021-05-13T22:31:00+0000"
    assert t.attrib["data-time"] == "1620945060"
    assert t.attrib["title"] == "May 13, 2021 at 10:31 PM"


@pytest.mark.parametrize(("title", "slug"), [
    ("Selling: fitness tracker app 2M users w/ GPS tracks",
     "selling-fitness-tracker-app-2m-users-w-gps-tracks"),
    ("Продам базу клиентов МегаМаркет.ру 2,9 млн (ФИО, телефон, адрес)", "29"),
    ("Доступ к панели банка", ""),
    ("  [FREE] Слив базы форума игроков 600к", "free-600"),
])
def test_xf_slug(title: str, slug: str) -> None:
    assert forum_xenforo.slug(title) == slug


GUEST = Viewer(logged_in=False, login_url="L", register_url="R")
MEMBER = Viewer(logged_in=True, login_url="L", register_url="R")


@pytest.mark.parametrize(("engine", "viewer", "body", "expected"), [
    ("mybb", GUEST, "[b]0.15 BTC[/b]", '<span style="font-weight: bold;" class="mycode_b">'
                                        "0.15 BTC</span>"),
    ("xenforo", GUEST, "[b]x[/b]", "<b>x</b>"),
    ("mybb", GUEST, "see https://mega.nz/x.", 'see <a href="https://mega.nz/x" target="_blank" '
                                               'rel="noopener" class="mycode_url">'
                                               "https://mega.nz/x</a>."),
    ("mybb", GUEST, "hxxps://gofile[.]io/d/x", "hxxps://gofile[.]io/d/x"),
    ("xenforo", GUEST, "[url=https://a.example/]a[/url]",
     '<a href="https://a.example/" target="_blank" class="link link--external" '
     'rel="nofollow ugc noopener">a</a>'),
    ("mybb", GUEST, "a <script>", "a &lt;script&gt;"),
    ("xenforo", MEMBER, "[hide]secret[/hide]",
     '<div class="bbCodeBlock bbCodeBlock--hide"><div class="bbCodeBlock-title">Hidden content'
     '</div><div class="bbCodeBlock-content">secret</div></div>'),
])
def test_bbcode(engine: str, viewer: Viewer, body: str, expected: str) -> None:
    assert str(render(body, engine, viewer)) == expected


@pytest.mark.parametrize("engine", ["mybb", "xenforo", "market"])
def test_hidden_content_not_shown_to_guests(engine: str) -> None:
    html = str(render("[hide]https://mega.nz/secret[/hide]", engine, GUEST))
    assert "secret" not in html
    assert "secret" in str(render("[hide]https://mega.nz/secret[/hide]", engine, MEMBER))


# -- pages -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "rows"), [
    ("/mybb/forumdisplay.php?fid=2", "tr.inline_row"),
    ("/mybb/forumdisplay.php?fid=3", "tr.inline_row"),
    ("/xf/forums/databases.2/", "div.structItem--thread"),
    ("/xf/forums/leaks.3/", "div.structItem--thread"),
    ("/market/c/databases", "div.mk-listing"),
])
def test_board_pages_render(forums: LabForums, path: str, rows: str) -> None:
    status, html, headers = browser(forums).get(path)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert len(Selector(text=html).css(rows)) >= 4


@pytest.mark.parametrize(("forum", "board", "row", "link", "next_link", "min_pages"), [
    ("mybb", "databases", "tr.inline_row", "span.subject_old a::attr(href)",
     "a.pagination_next::attr(href)", 3),
    ("xf", "databases", "div.structItem--thread", "div.structItem-title a[data-tp-primary]"
     "::attr(href)", "a.pageNav-jump--next::attr(href)", 3),
    ("market", "databases", "div.mk-listing", ".mk-title a::attr(href)",
     "a.mk-next::attr(href)", 2),
])
def test_board_pagination_reaches_every_thread(forums: LabForums, forum: str, board: str,
                                               row: str, link: str, next_link: str,
                                               min_pages: int) -> None:
    b = browser(forums)
    url, pages, seen = forums.board_url(forum, board), 0, []
    while url:
        status, html, _ = b.get(url)
        assert status == 200
        sel = Selector(text=html)
        seen += [urllib.parse.urljoin(url, h) for r in sel.css(row) for h in r.css(link).getall()]
        nxt = sel.css(next_link).get()
        url = urllib.parse.urljoin(url, nxt) if nxt else ""
        pages += 1
    site = forums.state.sites[forum]
    expected = [forums.thread_url(forum, t.tid) for t in site.board_threads(site.board(board))]
    # pages link XenForo threads with their title slug; thread_url is the canonical form
    seen = [re.sub(r"/threads/[^/]*\.(\d+)/$", r"/threads/\1/", u) for u in seen]
    assert pages >= min_pages
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(("path", "post", "next_link"), [
    ("/mybb/showthread.php?tid=101", "div.post_body", "a.pagination_next::attr(href)"),
    ("/xf/threads/29.1001/", "article.message-body", "a.pageNav-jump--next::attr(href)"),
])
def test_thread_replies_span_pages(forums: LabForums, path: str, post: str,
                                   next_link: str) -> None:
    b = browser(forums)
    url, pages, posts = forums.url + path, 0, 0
    while url:
        html = b.get(url)[1]
        sel = Selector(text=html)
        posts += len(sel.css(post))
        nxt = sel.css(next_link).get()
        url = urllib.parse.urljoin(url, nxt) if nxt else ""
        pages += 1
    tid = int(re.search(r"(\d+)/?$", path).group(1))
    thread = forums.state.sites[path.split("/")[1]].threads[tid]
    assert pages >= 2
    assert posts == len(thread.posts)


def test_links_follow_the_host_header(forums: LabForums) -> None:
    onion = "labforumabcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopq.onion"
    html = browser(forums, host=onion).get("/mybb/forumdisplay.php?fid=2")[1]
    profiles = Selector(text=html).css("span.author a::attr(href)").getall()
    assert profiles and all(p.startswith(f"http://{onion}/mybb/member.php") for p in profiles)
    html = browser(forums, host=onion).get("/xf/threads/29.1001/")[1]
    assert f'<link rel="canonical" href="http://{onion}/xf/threads/29.1001/" />' in html


# -- logins ------------------------------------------------------------------------------------
def test_mybb_login_with_post_key(forums: LabForums) -> None:
    b = browser(forums)
    assert "You are either not logged in" in b.get("/mybb/forumdisplay.php?fid=4")[1]
    status, html, headers = login_mybb(b)
    assert status == 200 and "You have successfully been logged in." in html
    assert "mybbuser=" in headers["Set-Cookie"]
    html = b.get("/mybb/forumdisplay.php?fid=4")[1]
    assert "Welcome back, analyst" in html
    assert len(Selector(text=html).css("tr.inline_row")) == 3
    assert "Full dump: 279M rows" in b.get("/mybb/showthread.php?tid=101")[1]


def test_mybb_login_rejects_bad_post_key_and_password(forums: LabForums) -> None:
    b = browser(forums)
    b.get("/mybb/member.php?action=login")
    html = b.get("/mybb/member.php", {"action": "do_login", "username": LOGIN[0],
                                      "password": LOGIN[1], "my_post_key": "0" * 32})[1]
    assert "Authorization code mismatch" in html
    status, html, _ = login_mybb(b, password="wrong")
    assert status == 200 and "invalid username/password combination" in html
    assert "You are either not logged in" in b.get("/mybb/forumdisplay.php?fid=4")[1]


def test_xf_login_with_token(forums: LabForums) -> None:
    b = browser(forums)
    status, html, _ = b.get("/xf/forums/access.4/")
    assert status == 403 and "You must be logged-in to do that." in html
    status, _, headers = login_xf(b)
    assert status == 303 and headers["Location"] == "/xf/"
    status, html, _ = b.get("/xf/forums/access.4/")
    assert status == 200 and 'data-logged-in="true"' in html
    assert len(Selector(text=html).css("div.structItem--thread")) == 3


def test_xf_login_rejects_bad_token_and_password(forums: LabForums) -> None:
    b = browser(forums)
    b.get("/xf/login/")
    status, html, _ = b.get("/xf/login/login", {"login": LOGIN[0], "password": LOGIN[1],
                                                "_xfToken": "1,deadbeef"})
    assert status == 400 and "Security error occurred" in html
    status, html, _ = login_xf(b, password="wrong")
    assert "Incorrect password" in html
    assert b.get("/xf/forums/access.4/")[0] == 403


def test_session_expires_mid_crawl(forums: LabForums) -> None:
    b = browser(forums)
    login_mybb(b)
    assert "Welcome back" in b.get("/mybb/forumdisplay.php?fid=4")[1]
    assert admin(forums, "POST", "/_admin/sessions/expire", {"forum": "mybb"}) == (
        200, {"expired": 1})
    html = b.get("/mybb/forumdisplay.php?fid=4")[1]
    assert "You are either not logged in" in html and "Hello There, Guest!" in html
    login_mybb(b)
    assert "Welcome back" in b.get("/mybb/forumdisplay.php?fid=4")[1]


def test_session_lifetime_is_configurable(forums: LabForums) -> None:
    """A lifetime of 0: the session is dead by the next request, with no waiting in the test."""
    forums.set_faults("xf", session_lifetime_s=0)
    b = browser(forums)
    assert login_xf(b)[0] == 303
    status, html, _ = b.get("/xf/forums/access.4/")
    assert status == 403 and 'data-logged-in="false"' in html


@pytest.mark.parametrize(("forum", "member_marker"), [
    ("mybb", "Welcome back, analyst"), ("xf", 'data-logged-in="true"')])
def test_session_ends_after_a_set_number_of_pages(forums: LabForums, forum: str,
                                                  member_marker: str) -> None:
    forums.set_faults(forum, session_max_requests=2)
    b = browser(forums)
    (login_mybb if forum == "mybb" else login_xf)(b)
    pages = [b.get(forums.board_url(forum, "databases"))[1] for _ in range(3)]
    assert [member_marker in html for html in pages] == [True, True, False]


def test_logout_pages(forums: LabForums) -> None:
    b = browser(forums)
    login_mybb(b)
    html = b.get("/mybb/index.php")[1]
    href = Selector(text=html).css("a.logout::attr(href)").get()
    assert "You have successfully been logged out." in b.get(href)[1]
    assert "You are either not logged in" in b.get("/mybb/forumdisplay.php?fid=4")[1]
    login_xf(b)
    href = Selector(text=b.get("/xf/")[1]).css("a.menu-linkRow::attr(href)").get()
    status, _, headers = b.get(href)
    assert status == 303 and headers["Location"] == "/xf/"
    assert 'data-logged-in="false"' in b.get("/xf/")[1]


# -- faults ------------------------------------------------------------------------------------
def test_rate_limit_then_success(forums: LabForums) -> None:
    status, body = admin(forums, "POST", "/_admin/faults",
                         {"forum": "mybb", "rate_limit_next": 2, "retry_after_s": 7})
    assert status == 200 and body["mybb"]["rate_limit_next"] == 2
    b = browser(forums)
    for _ in range(2):
        status, html, headers = b.get("/mybb/forumdisplay.php?fid=2")
        assert status == 429 and headers["Retry-After"] == "7" and "Too Many Requests" in html
    assert b.get("/mybb/forumdisplay.php?fid=2")[0] == 200
    assert b.get("/xf/")[0] == 200


def _challenge_cookie(html: str) -> str:
    seed = Selector(text=html).css("#ddos-guard::attr(data-seed)").get()
    return seed[::-1] + str(sum(map(ord, seed)))


def test_challenge_needs_its_cookie(forums: LabForums) -> None:
    forums.set_faults("xf", challenge=True)
    b = browser(forums)
    status, html, _ = b.get("/xf/forums/databases.2/")
    assert status == 200 and "Checking your browser" in html and "structItem" not in html
    b.set_cookie("dcap", "wrong", "/xf/")
    assert "Checking your browser" in b.get("/xf/forums/databases.2/")[1]
    b.set_cookie("dcap", _challenge_cookie(html), "/xf/")
    html = b.get("/xf/forums/databases.2/")[1]
    assert "Checking your browser" not in html and "structItem--thread" in html


@pytest.mark.browser
def test_challenge_passes_in_chromium(forums: LabForums) -> None:
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM_BINARY), f"{CHROMIUM_BINARY} missing: {INSTALL_HINT}"
    forums.set_faults("mybb", challenge=True)
    with sync_playwright() as p:
        # the project's silenced Chromium; only the lab's loopback address skips its
        # black-hole proxy
        chromium = p.chromium.launch(**launch_options())
        try:
            page = chromium.new_page(proxy={"server": BLACKHOLE_PROXY, "bypass": "127.0.0.1"})
            page.goto(forums.board_url("mybb", "databases"))
            page.wait_for_selector("tr.inline_row", timeout=20000)
            cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        finally:
            chromium.close()
    assert "dcap" in cookies
    b = browser(forums)
    b.set_cookie("dcap", cookies["dcap"], "/mybb/")
    assert "inline_row" in b.get("/mybb/forumdisplay.php?fid=2")[1]


@pytest.mark.parametrize(("forum", "path", "status", "text"), [
    ("mybb", "/mybb/forumdisplay.php?fid=2", 200, "I'm sorry, but you are banned."),
    ("xf", "/xf/forums/databases.2/", 403, "You have been banned"),
    ("market", "/market/c/databases", 403, "suspended"),
])
def test_ban_page(forums: LabForums, forum: str, path: str, status: int, text: str) -> None:
    forums.set_faults(forum, banned=True)
    got, html, _ = browser(forums).get(path)
    assert got == status and text in html


@pytest.mark.parametrize(("path", "row"), [
    ("/mybb/forumdisplay.php?fid=2", "tr.inline_row"),
    ("/xf/forums/databases.2/", "div.structItem--thread"),
    ("/market/c/databases", "div.mk-listing"),
])
def test_broken_markup_switch(forums: LabForums, path: str, row: str) -> None:
    forum = path.split("/")[1]
    forums.set_faults(forum, broken_markup=True)
    status, html, _ = browser(forums).get(path)
    assert status == 200 and not Selector(text=html).css(row)
    forums.set_faults(forum, broken_markup=False)
    assert Selector(text=browser(forums).get(path)[1]).css(row)


# -- admin API ---------------------------------------------------------------------------------
def test_admin_add_and_edit_thread(forums: LabForums) -> None:
    status, doc = admin(forums, "POST", "/_admin/threads", {
        "forum": "mybb", "board": "databases", "author": "Kotz", "records": "15 juta",
        "title": "Data Dukcapil Jawa Timur 15 juta", "body": "Sample: https://gofile.io/d/x"})
    assert status == 201
    b = browser(forums)
    first = Selector(text=b.get("/mybb/forumdisplay.php?fid=2")[1]).css(
        "tr.inline_row span.subject_old a")[0]
    assert first.css("::text").get() == "Data Dukcapil Jawa Timur 15 juta"
    assert doc["url"] == forums.url + "/" + "mybb/" + first.attrib["href"]
    html = b.get(f"/mybb/showthread.php?tid={doc['tid']}")[1]
    assert "15 juta" in html and "https://gofile.io/d/x" in html

    status, edited = admin(forums, "PATCH", f"/_admin/threads/mybb/{doc['tid']}",
                           {"title": "Data Dukcapil Jatim 16 juta", "records": "16 juta"})
    assert status == 200 and edited["replies"] == 1
    html = b.get(f"/mybb/showthread.php?tid={doc['tid']}")[1]
    assert "Data Dukcapil Jatim 16 juta" in html and "16 juta" in html
    assert "15 juta" not in html and "This post was last modified" in html


def test_add_and_edit_thread_in_process(forums: LabForums) -> None:
    doc = forums.add_thread("xenforo", "databases", "Selling: lab test base 1.5кк",
                            "Цена 100$", author="DedMoroz")
    b = browser(forums)
    html = b.get("/xf/forums/databases.2/")[1]
    assert Selector(text=html).css("div.structItem-title a[data-tp-primary]::text").get() == (
        "Selling: lab test base 1.5кк")
    forums.edit_thread("xf", 1002, body="Новая цена 900$", bump=True)
    html = b.get("/xf/forums/databases.2/")[1]
    titles = Selector(text=html).css("div.structItem-title a[data-tp-primary]::text").getall()
    assert titles[:2] == ["База ДоставкаПлюс 1.5кк заказов", "Selling: lab test base 1.5кк"]
    assert doc["url"].endswith(f"/xf/threads/{doc['tid']}/")  # canonical: no title slug


def test_request_counting(forums: LabForums) -> None:
    b = browser(forums)
    for _ in range(3):
        b.get("/mybb/forumdisplay.php?fid=2")
    b.get("/xf/")
    status, report = admin(forums, "GET", "/_admin/requests")
    assert status == 200
    assert report["counts"]["/mybb/forumdisplay.php?fid=2"] == 3
    assert report["counts"]["/xf/"] == 1
    assert report["total"] == 4
    assert {r["site"] for r in report["log"]} == {"mybb", "xf"}
    assert forums.requests()["counts"] == report["counts"]


def test_admin_is_refused_through_an_onion_host(forums: LabForums) -> None:
    status, _ = admin(forums, "POST", "/_admin/reset", {}, host="abc.onion")
    assert status == 403
    assert admin(forums, "GET", "/_admin/state")[0] == 200


def test_admin_reset(forums: LabForums) -> None:
    forums.add_thread("mybb", "leaks", "temporary", "x")
    forums.set_faults(banned=True)
    assert admin(forums, "POST", "/_admin/reset", {}) == (200, {"ok": True})
    status, state = admin(forums, "GET", "/_admin/state")
    assert status == 200
    assert state["mybb"]["threads"] == 25 and not state["xf"]["faults"]["banned"]


def test_fixtures_are_big_enough(forums: LabForums) -> None:
    sites = forums.state.sites
    assert sum(len(s.threads) for s in sites.values()) >= 40
    langs = " ".join(t.title + t.first.body for s in sites.values() for t in s.threads.values())
    for needle in ("279 million", "2,9 млн", "15 juta", "BTC", "XMR", "USD", "hxxps://",
                   "mega.nz", "gofile.io", "anonfiles", "BPJS Kesehatan"):
        assert needle in langs


def test_saved_pages_are_current(tmp_path: Path) -> None:
    """tests/data/pages is what the app serves now: rerun `python -m monitor.lab.save_pages`
    after changing templates or fixtures."""
    assert save_pages_main(["--out", str(tmp_path)]) == 0
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file():
            saved = PAGES / path.relative_to(tmp_path)
            assert saved.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), saved


# -- as an onion service -----------------------------------------------------------------------
def _get_over_tor(socks_port: int, onion: str, path: str) -> tuple[int, str]:
    sock = socks5_connect(socks_port, onion, 80, timeout=60)
    try:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {onion}\r\nConnection: close\r\n\r\n"
                     .encode())
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    finally:
        sock.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


@pytest.mark.tor
def test_forums_served_as_an_onion_service(tornet: TorNetwork, lab_forums: LabForums) -> None:
    lab_forums.reset()
    onion = tornet.add_onion(lab_forums.port)
    status, html = _get_over_tor(tornet.socks_port, onion, "/mybb/forumdisplay.php?fid=2")
    assert status == 200
    profiles = Selector(text=html).css("span.author a::attr(href)").getall()
    assert profiles and all(p.startswith(f"http://{onion}/mybb/") for p in profiles)
    status, html = _get_over_tor(tornet.socks_port, onion, "/xf/threads/29.1001/")
    assert status == 200 and f'href="http://{onion}/xf/threads/29.1001/"' in html
    assert _get_over_tor(tornet.socks_port, onion, "/_admin/state")[0] == 403


# -- the command line --------------------------------------------------------------------------
def _cli_up(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "lab", "forum", "up", "--state-dir", str(tmp_path),
         "--config-dir", str(tmp_path / "no-config"), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    urls: dict[str, str] = {}
    for line in proc.stdout:
        name, _, rest = line.strip().partition(" ")
        urls[name] = rest.strip()
        if name == "admin":
            return proc, urls
    proc.wait()
    pytest.fail(f"lab forum up exited {proc.returncode} before printing its URLs: {urls}")


def _cli_down(tmp_path: Path, proc: subprocess.Popen[str]) -> str:
    try:
        down = subprocess.run(
            [sys.executable, "-m", "monitor", "lab", "forum", "down", "--state-dir",
             str(tmp_path), "--config-dir", str(tmp_path / "no-config")],
            capture_output=True, text=True, timeout=60)
        assert proc.wait(timeout=30) == 0
        return down.stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_up_and_down(tmp_path: Path) -> None:
    proc, urls = _cli_up(tmp_path, "--challenge", "xf")
    try:
        base = urls["mybb"]
        with urllib.request.urlopen(base + "forumdisplay.php?fid=2", timeout=30) as r:
            assert r.status == 200 and b"inline_row" in r.read()
        with urllib.request.urlopen(urls["xf"], timeout=30) as r:
            assert b"Checking your browser" in r.read()
        assert json.loads((tmp_path / "forum.json").read_text())["pid"] == proc.pid
    finally:
        out = _cli_down(tmp_path, proc)
    assert f"lab forums (pid {proc.pid}) stopped" in out
    assert not (tmp_path / "forum.json").exists()


@pytest.mark.tor
def test_cli_up_publishes_an_onion(tmp_path: Path, tornet: TorNetwork) -> None:
    proc, urls = _cli_up(tmp_path, "--onion", "--tor-state-dir", str(tornet.state_dir))
    try:
        onion_url = urls["mybb"].split()[-1]
        onion = urllib.parse.urlsplit(onion_url).hostname
        assert onion and onion.endswith(".onion")
        status, html = _get_over_tor(tornet.socks_port, onion, "/mybb/index.php")
        assert status == 200 and f'href="http://{onion}/mybb/index.php"' in html
    finally:
        _cli_down(tmp_path, proc)


@pytest.mark.parametrize(("method", "path", "body", "status", "says"), [
    ("POST", "/_admin/faults", {"forum": "mybb", "slow": 1}, 400, "unknown fault 'slow'"),
    ("POST", "/_admin/faults", {"forum": "phpbb", "banned": True}, 400, "unknown forum"),
    ("POST", "/_admin/threads", {"forum": "mybb", "board": "databases"}, 400,
     "missing: title, body"),
    ("POST", "/_admin/threads", {"forum": "xf", "board": "nope", "title": "t", "body": "b"}, 400,
     "no board 'nope'"),
    ("PATCH", "/_admin/threads/mybb/999999", {"title": "x"}, 404, "no thread 999999"),
])
def test_admin_rejects_bad_requests(forums: LabForums, method: str, path: str, body: dict,
                                    status: int, says: str) -> None:
    got, text = admin(forums, method, path, body)
    assert got == status and says in text
