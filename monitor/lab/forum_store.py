"""What the lab forums serve: sites, boards, threads, posts and users, read from the YAML fixtures
in `forum_data/`, plus the changes tests make at run time (added and edited threads).

Times in a fixture are either absolute (`posted: 2021-05-13T22:31:00Z`) or relative to the lab's
clock when the fixture is loaded (`ago: 3h`, `ago: 2d4h`), so a live lab shows "Today" and
"2 hours ago" the way a real forum does. Replies are written out (`posts:`) or generated
(`replies: N`) from a per-language pool, deterministically from the thread id.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).with_name("forum_data")
SITE_FILES = ("mybb.yaml", "xenforo.yaml", "market.yaml")

_AGO = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


@dataclass(slots=True)
class User:
    uid: int
    name: str
    title: str = "Member"
    joined: datetime | None = None
    password: str | None = None  # only for the lab's login accounts
    posts: int = 0
    threads: int = 0
    reputation: int = 0


@dataclass(slots=True)
class Post:
    pid: int
    author: str
    posted: datetime
    body: str  # BBCode subset: [b] [i] [url] [code] [quote] [hide] [list]/[*]
    edited: datetime | None = None


@dataclass(slots=True)
class Thread:
    tid: int
    board: str  # Board.key
    title: str
    posts: list[Post]
    views: int = 0
    prefix: str | None = None
    sticky: bool = False
    closed: bool = False

    @property
    def first(self) -> Post:
        return self.posts[0]

    @property
    def last(self) -> Post:
        return self.posts[-1]

    @property
    def replies(self) -> int:
        return len(self.posts) - 1


@dataclass(slots=True)
class Board:
    fid: int
    key: str
    name: str
    description: str = ""
    login_required: bool = False


@dataclass(slots=True)
class Site:
    """One lab forum: its engine, its boards, and everything posted on it."""

    key: str  # URL prefix: /mybb/, /xf/, /market/
    engine: str  # mybb | xenforo | market
    name: str
    lang: str = "en"
    threads_per_page: int = 8
    posts_per_page: int = 10
    boards: list[Board] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)  # by folded name
    threads: dict[int, Thread] = field(default_factory=dict)
    next_tid: int = 1
    next_pid: int = 1

    def board(self, key_or_fid: str | int) -> Board | None:
        for b in self.boards:
            if b.key == key_or_fid or b.fid == key_or_fid or str(b.fid) == str(key_or_fid):
                return b
        return None

    def user(self, name: str) -> User:
        """The user called `name`, created on first mention (fixtures name authors freely)."""
        key = name.casefold()
        if key not in self.users:
            uid = 1000 + len(self.users)
            self.users[key] = User(uid=uid, name=name, joined=_default_joined(uid))
        return self.users[key]

    def user_by_uid(self, uid: int) -> User | None:
        return next((u for u in self.users.values() if u.uid == uid), None)

    def board_threads(self, board: Board) -> list[Thread]:
        """A board's threads in display order: sticky first, then by last post, newest first."""
        threads = [t for t in self.threads.values() if t.board == board.key]
        return sorted(threads, key=lambda t: (not t.sticky, -t.last.posted.timestamp(), -t.tid))

    def add_thread(self, board: str, title: str, body: str, author: str, posted: datetime,
                   *, prefix: str | None = None, views: int | None = None,
                   sticky: bool = False, tid: int | None = None) -> Thread:
        if self.board(board) is None:
            raise KeyError(f"{self.key}: no board {board!r}")
        tid = tid if tid is not None else self.next_tid
        self.next_tid = max(self.next_tid, tid + 1)
        thread = Thread(tid=tid, board=self.board(board).key, title=title, posts=[],
                        views=views if views is not None else 40 + (tid * 37) % 900,
                        prefix=prefix, sticky=sticky)
        self.threads[tid] = thread
        self.add_post(thread, author, posted, body)
        self.user(author).threads += 1
        return thread

    def add_post(self, thread: Thread, author: str, posted: datetime, body: str) -> Post:
        post = Post(pid=self.next_pid, author=self.user(author).name, posted=posted, body=body)
        self.next_pid += 1
        thread.posts.append(post)
        self.user(author).posts += 1
        return post


def load_sites(now: datetime, data_dir: Path = DATA_DIR) -> dict[str, Site]:
    """Every site in `data_dir`, keyed by URL prefix, with relative times resolved against `now`."""
    sites = {}
    for name in SITE_FILES:
        path = data_dir / name
        with path.open(encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        site = _site(doc, now, path)
        sites[site.key] = site
    return sites


def _site(doc: dict[str, Any], now: datetime, path: Path) -> Site:
    meta = doc["site"]
    site = Site(key=meta["key"], engine=meta["engine"], name=meta["name"],
                lang=meta.get("lang", "en"),
                threads_per_page=int(meta.get("threads_per_page", 8)),
                posts_per_page=int(meta.get("posts_per_page", 10)))
    for i, b in enumerate(doc["boards"]):
        site.boards.append(Board(fid=int(b.get("fid", i + 2)), key=b["key"], name=b["name"],
                                 description=b.get("description", ""),
                                 login_required=bool(b.get("login_required", False))))
    for u in doc.get("users", ()):
        user = site.user(u["name"])
        user.title = u.get("title", user.title)
        user.joined = _time(u, now, "joined") if "joined" in u else None
        user.password = u.get("password")
        user.reputation = int(u.get("reputation", 0))
        if "uid" in u:
            user.uid = int(u["uid"])
    pools = doc.get("reply_pool", {})
    for t in doc["threads"]:
        try:
            _thread(site, t, now, pools)
        except (KeyError, ValueError) as e:
            raise ValueError(f"{path}: thread {t.get('title')!r}: {e}") from e
    for u in site.users.values():
        if u.joined is None:
            u.joined = _default_joined(u.uid)
    return site


def _default_joined(uid: int) -> datetime:
    """A made-up but stable join date for a user the fixtures give none."""
    return datetime(2019, 1, 1, tzinfo=UTC) + timedelta(days=(uid * 53) % 700)


def _thread(site: Site, t: dict[str, Any], now: datetime, pools: dict[str, list[str]]) -> None:
    posted = _time(t, now)
    thread = site.add_thread(t["board"], t["title"], _body(t), t["author"], posted,
                             prefix=t.get("prefix"), views=t.get("views"),
                             sticky=bool(t.get("sticky", False)), tid=t.get("tid"))
    thread.closed = bool(t.get("closed", False))
    for p in t.get("posts", ()):
        site.add_post(thread, p["author"], _time(p, now, base=posted), p["body"].strip())
    count = int(t.get("replies", 0))
    if count:
        _generate_replies(site, thread, count, now, pools.get(t.get("lang", site.lang), []))


def _body(t: dict[str, Any]) -> str:
    body = t["body"].strip()
    if t.get("records"):
        body = f"[b]Records:[/b] {t['records']}\n{body}"
    return body


def _generate_replies(site: Site, thread: Thread, count: int, now: datetime,
                      pool: list[str]) -> None:
    """`count` replies from other members, spread over the days after the opening post."""
    rng = random.Random(thread.tid * 7919)
    others = [u.name for u in site.users.values() if u.name != thread.first.author]
    if not pool:
        pool = ["bump", "Sample checked, looks legit.", "PM sent.", "Price?", "Vouch, got it."]
    start = thread.last.posted
    span = max(min(now - start, timedelta(days=20)), timedelta(minutes=count + 1))
    offsets = sorted(rng.uniform(0.02, 1.0) for _ in range(count))
    for off in offsets:
        author = rng.choice(others) if others else "guest"
        site.add_post(thread, author, start + span * off, rng.choice(pool))


def _time(d: dict[str, Any], now: datetime, key: str = "posted",
          base: datetime | None = None) -> datetime:
    """An entry's time: `posted`/`at` absolute, `ago` before now, `after` after `base`."""
    for k in (key, "at"):
        if k in d:
            v = d[k]
            dt = v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
            return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    if "ago" in d:
        return (now - parse_span(str(d["ago"]))).replace(second=0, microsecond=0)
    if "after" in d and base is not None:
        return base + parse_span(str(d["after"]))
    raise KeyError(f"needs {key}, ago or after")


def parse_span(text: str) -> timedelta:
    """`2d4h`, `3h`, `45m` -> timedelta."""
    m = _AGO.match(text.strip())
    if not m or not any(m.groups()):
        raise ValueError(f"bad time span {text!r} (want e.g. 2d4h, 3h, 45m)")
    d, h, mi = (int(g or 0) for g in m.groups())
    return timedelta(days=d, hours=h, minutes=mi)


_RECORDS_LINE = re.compile(r"^\[b\]Records:\[/b\][^\n]*\n?")


def edit_thread(site: Site, thread: Thread, edited: datetime, *, title: str | None = None,
                body: str | None = None, records: str | None = None, bump: bool = True,
                bump_body: str = "Thread updated, check the first post.") -> None:
    """Change a thread's title or opening post the way a seller edits a listing. With `bump`,
    the seller also replies (as sellers do), which moves the thread's last-post time and reply
    count on the board page: that is what an incremental crawler can see."""
    first = thread.first
    if title is not None:
        thread.title = title
    if body is not None:
        first.body = body.strip()
    if records is not None:
        first.body = f"[b]Records:[/b] {records}\n" + _RECORDS_LINE.sub("", first.body)
    first.edited = edited
    if bump:
        site.add_post(thread, first.author, edited, bump_body)
