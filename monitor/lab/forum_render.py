"""What every lab forum page shares: the per-request context (site, viewer, absolute base URL
taken from the request's Host, the page's "now"), the Jinja environment over
`forum_templates/`, pagination arithmetic, and the "broken markup" switch."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from monitor.lab import forum_dates
from monitor.lab.forum_bbcode import Viewer, render
from monitor.lab.forum_state import LabState, Session
from monitor.lab.forum_store import Board, Site, Thread, User

TEMPLATE_DIR = Path(__file__).with_name("forum_templates")

# A theme update renames what parsers hold on to; the page still "works" for a human.
_BROKEN = {
    "mybb": [("inline_row", "thread_row"), ("post_body", "postbody"), ("pagination", "pager"),
             ("post_date", "postdate"), ("author smalltext", "starter smalltext"),
             ("lastpost smalltext", "last_reply smalltext")],
    "xenforo": [("structItem", "discussionListItem"), ("message-body", "messageText"),
                ("bbWrapper", "baseHtml"), ("pageNav", "PageNav"), ("u-dt", "DateTime")],
    "market": [("mk-listing", "mk-row"), ("mk-offer-body", "mk-desc"), ("mk-next", "mk-more")],
}

_env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_env.globals.update(mybb_date=forum_dates.mybb_date, mybb_plain=forum_dates.mybb_plain,
                    xf_time=forum_dates.xf_time, xf_date=forum_dates.xf_date,
                    market_time=forum_dates.market_time)


@dataclass(slots=True)
class Ctx:
    """One request to one site."""

    state: LabState
    site: Site
    request: web.Request
    now: datetime
    session: Session | None
    user: User | None

    @property
    def root(self) -> str:
        """`http://<Host the client used>`: absolute links survive onion and port changes."""
        return f"{self.request.scheme}://{self.request.host}"

    @property
    def base(self) -> str:
        """The site's absolute base URL without a trailing slash (MyBB's `bburl`)."""
        return f"{self.root}/{self.site.key}"

    @property
    def path_base(self) -> str:
        """Root-relative base, the way XenForo writes its links (`/xf`)."""
        return f"/{self.site.key}"

    def viewer(self, login_url: str, register_url: str) -> Viewer:
        return Viewer(logged_in=self.user is not None, login_url=login_url,
                      register_url=register_url)

    def can_view(self, board: Board) -> bool:
        return not board.login_required or self.user is not None

    def body(self, text: str, login_url: str, register_url: str) -> Any:
        return render(text, self.site.engine, self.viewer(login_url, register_url))

    def html(self, template: str, status: int = 200, headers: dict[str, str] | None = None,
             **values: Any) -> web.Response:
        name = Path(template).stem
        logout_key = self.state.sign("logout", self.session.token if self.session else "")
        text = _env.get_template(template).render(ctx=self, site=self.site, now=self.now,
                                                  user=self.user, template_name=name,
                                                  logout_key=logout_key, **values)
        if self.state.faults[self.site.key].broken_markup:
            text = break_markup(self.site.engine, text)
        return web.Response(text=text, status=status, content_type="text/html",
                            charset="utf-8", headers=headers)


def render_plain(template: str, **values: Any) -> str:
    """A template outside any site (the challenge and rate-limit pages)."""
    return _env.get_template(template).render(**values)


def break_markup(engine: str, text: str) -> str:
    for old, new in _BROKEN.get(engine, ()):
        text = re.sub(rf"(?<=[\"\s]){re.escape(old)}", new, text)
    return text


@dataclass(frozen=True, slots=True)
class Page:
    """Page `number` of `pages`, holding items [start, stop)."""

    number: int
    pages: int
    start: int
    stop: int

    @classmethod
    def of(cls, total: int, per_page: int, requested: int) -> Page:
        pages = max(1, math.ceil(total / per_page))
        number = min(max(requested, 1), pages)
        start = (number - 1) * per_page
        return cls(number=number, pages=pages, start=start, stop=min(start + per_page, total))

    def window(self, around: int = 2) -> list[int]:
        """The page numbers a pager lists around the current one."""
        lo, hi = max(1, self.number - around), min(self.pages, self.number + around)
        return list(range(lo, hi + 1))


def thread_page_of_post(site: Site, thread: Thread, pid: int) -> int:
    for i, post in enumerate(thread.posts):
        if post.pid == pid:
            return i // site.posts_per_page + 1
    return 1


def int_arg(request: web.Request, name: str, default: int = 0) -> int:
    try:
        return int(request.query.get(name, default))
    except ValueError:
        return default
