"""Regenerate tests/data/pages/: the lab forums' pages exactly as the app serves them, for the
spiders' parser tests. The clock and the token secret are fixed and every page is requested with
`Host: lab-forums.test`, so a rerun writes the same bytes unless the templates or fixtures
changed. `manifest.json` beside the pages gives each file's URL, status and the page's "now".

    python -m monitor.lab.save_pages [--out tests/data/pages]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from monitor.lab.forum import LabForums

NOW = datetime(2021, 5, 14, 1, 12, tzinfo=UTC)
LATE = datetime(2021, 5, 14, 23, 50, tzinfo=UTC)  # late in the day: MyBB prints "Today, ..."
HOST = "lab-forums.test"
SECRET = b"bazaarwatch-saved-pages"
LOGIN = ("analyst", "correct-horse-battery")
OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "pages"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Browser:
    """A cookie-keeping client for the lab forums that does not follow redirects and sends
    `host` as the Host header (None: the real one)."""

    lab: LabForums
    host: str | None = HOST
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def get(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, dict]:
        """(status, text, headers) of GET `path` (or an absolute URL: its path is used), or
        POST when `data` is given."""
        if "://" in path:
            parts = urllib.parse.urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"Host": self.host} if self.host else {}
        req = urllib.request.Request(self.lab.url + path, data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.read().decode("utf-8"), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8"), dict(e.headers)

    def set_cookie(self, name: str, value: str, path: str) -> None:
        self.jar.set_cookie(http.cookiejar.Cookie(
            0, name, value, None, False, "127.0.0.1", False, False, path, True, False, None,
            False, None, None, {}))


def _field(html: str, name: str) -> str:
    m = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html)
    if not m:
        raise RuntimeError(f"no {name} field in the login page")
    return m.group(1)


def _mybb_login(b: Browser, password: str) -> tuple[int, str, dict]:
    _, page, _ = b.get("/mybb/member.php?action=login")
    return b.get("/mybb/member.php", {
        "action": "do_login", "url": "", "username": LOGIN[0], "password": password,
        "remember": "yes", "my_post_key": _field(page, "my_post_key"), "submit": "Login"})


def _xf_login(b: Browser, password: str) -> tuple[int, str, dict]:
    _, page, _ = b.get("/xf/login/")
    return b.get("/xf/login/login", {
        "login": LOGIN[0], "password": password, "remember": "1", "_xfRedirect": "",
        "_xfToken": _field(page, "_xfToken")})


def _guest(lab: LabForums) -> Browser:
    b = Browser(lab)
    b.set_cookie("sid", "savedpages0sid", "/mybb/")
    b.set_cookie("xf_csrf", "savedpages0csrf", "/xf/")
    return b


def collect(lab: LabForums) -> dict[str, tuple[str, int, str]]:
    """file name -> (path, status, html)."""
    pages: dict[str, tuple[str, int, str]] = {}

    def keep(name: str, b: Browser, path: str, status_html: tuple[int, str, dict] | None = None,
             ) -> str:
        status, html, _ = status_html or b.get(path)
        pages[name] = (path, status, html)
        return html

    guest = _guest(lab)
    for name, path in [
        ("mybb/index.html", "/mybb/index.php"),
        ("mybb/board.html", "/mybb/forumdisplay.php?fid=2"),
        ("mybb/board_page2.html", "/mybb/forumdisplay.php?fid=2&page=2"),
        ("mybb/board_page3.html", "/mybb/forumdisplay.php?fid=2&page=3"),
        ("mybb/board_leaks.html", "/mybb/forumdisplay.php?fid=3"),
        ("mybb/thread.html", "/mybb/showthread.php?tid=101"),
        ("mybb/thread_page2.html", "/mybb/showthread.php?tid=101&page=2"),
        ("mybb/thread_short.html", "/mybb/showthread.php?tid=116"),
        ("mybb/login.html", "/mybb/member.php?action=login"),
        ("mybb/nopermission.html", "/mybb/forumdisplay.php?fid=4"),
        ("xenforo/index.html", "/xf/"),
        ("xenforo/board.html", "/xf/forums/databases.2/"),
        ("xenforo/board_page2.html", "/xf/forums/databases.2/page-2"),
        ("xenforo/board_page3.html", "/xf/forums/databases.2/page-3"),
        ("xenforo/board_leaks.html", "/xf/forums/leaks.3/"),
        ("xenforo/thread.html", "/xf/threads/29.1001/"),
        ("xenforo/thread_page2.html", "/xf/threads/29.1001/page-2"),
        ("xenforo/thread_english.html",
         "/xf/threads/selling-fitness-tracker-app-2m-users-w-gps-tracks.1015/"),
        ("xenforo/login.html", "/xf/login/"),
        ("xenforo/nopermission.html", "/xf/forums/access.4/"),
        ("market/home.html", "/market/"),
        ("market/category.html", "/market/c/databases"),
        ("market/category_page2.html", "/market/c/databases?page=2"),
        ("market/offer.html", "/market/offer/501"),
    ]:
        keep(name, guest, path)

    member = _guest(lab)
    keep("mybb/login_failed.html", member, "/mybb/member.php", _mybb_login(member, "wrong"))
    keep("mybb/login_redirect.html", member, "/mybb/member.php",
         _mybb_login(member, LOGIN[1]))
    keep("mybb/thread_member.html", member, "/mybb/showthread.php?tid=101")
    keep("mybb/board_private_member.html", member, "/mybb/forumdisplay.php?fid=4")
    html = member.get("/mybb/index.php")[1]
    logout = re.search(r'href="[^"]*(/mybb/member\.php\?action=logout[^"]*)"', html)
    keep("mybb/logged_out.html", member, logout.group(1).replace("&amp;", "&"))

    member = _guest(lab)
    keep("xenforo/login_failed.html", member, "/xf/login/login", _xf_login(member, "wrong"))
    _xf_login(member, LOGIN[1])
    keep("xenforo/thread_member.html", member, "/xf/threads/29.1001/")
    keep("xenforo/board_private_member.html", member, "/xf/forums/access.4/")
    html = member.get("/xf/")[1]
    logout = re.search(r'href="(/xf/logout/\?t=[^"]*)"', html)
    member.get(logout.group(1).replace("&amp;", "&"))
    keep("xenforo/logged_out.html", member, "/xf/")

    for forum, path in (("mybb", "/mybb/forumdisplay.php?fid=2"),
                        ("xenforo", "/xf/forums/databases.2/")):
        lab.set_faults(forum, banned=True)
        keep(f"{forum}/banned.html", _guest(lab), path)
        lab.set_faults(forum, banned=False, challenge=True)
        keep(f"{forum}/challenge.html", _guest(lab), path)
        lab.set_faults(forum, challenge=False, rate_limit_next=1, retry_after_s=30)
        keep(f"{forum}/ratelimit.html", _guest(lab), path)
        lab.set_faults(forum, broken_markup=True)
        keep(f"{forum}/board_broken.html", _guest(lab), path)
        lab.set_faults(forum, broken_markup=False)
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder (default {OUT})")
    args = parser.parse_args(argv)
    with LabForums(now=NOW, secret=SECRET) as lab:
        pages = {name: (*page, NOW) for name, page in collect(lab).items()}
    with LabForums(now=LATE, secret=SECRET) as lab:
        for forum, author in (("mybb", "sagara"), ("xf", "NightOwl")):  # posted this morning
            lab.add_thread(forum, "databases", "Data asuransi 1,2 juta nasabah (sample inside)",
                           "1,2 juta nasabah. Sample: https://gofile.io/d/LateLab\n"
                           "Harga 0.05 BTC", author=author, ago="14h")
        for name, path in (("mybb/board_late.html", "/mybb/forumdisplay.php?fid=2"),
                           ("xenforo/board_late.html", "/xf/forums/databases.2/")):
            status, html, _ = _guest(lab).get(path)
            pages[name] = (path, status, html, LATE)
    manifest = {}
    for name, (path, status, html, now) in sorted(pages.items()):
        target = args.out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        manifest[name] = {"url": f"http://{HOST}{path}", "status": status,
                          "now": now.isoformat()}
    (args.out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(pages)} pages to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
