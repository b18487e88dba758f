"""The lab forums' mutable state: the sites, each site's fault switches, login sessions, CSRF and
challenge tokens, and the request log. One lock guards it all, because tests change it from their
own thread while the server runs in another."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.lab.forum_store import DATA_DIR, Site, User, load_sites

DEFAULT_SESSION_LIFETIME_S = 3600.0
LOG_LIMIT = 20000


@dataclass(slots=True)
class Faults:
    """What a site does wrong on purpose; set through `LabForums.set_faults` or the admin API."""

    rate_limit_next: int = 0  # the next N requests answer 429
    retry_after_s: int = 2  # the Retry-After those 429s carry
    session_lifetime_s: float = DEFAULT_SESSION_LIFETIME_S  # for sessions created from now on
    session_max_requests: int = 0  # a new session ends after serving N pages (0: no limit),
    #                                to expire one mid-crawl at a known point without timing
    broken_markup: bool = False  # class names changed, as after a theme update
    banned: bool = False  # every page is the ban page
    challenge: bool = False  # a JS challenge before every page, until its cookie is set

    def update(self, values: dict[str, Any]) -> None:
        names = {f.name for f in fields(self)}
        for key, value in values.items():
            if key not in names:
                raise KeyError(f"unknown fault {key!r}; known: {', '.join(sorted(names))}")
            current = getattr(self, key)
            if isinstance(current, bool) and isinstance(value, str):
                value = value.strip().lower() in ("1", "true", "yes", "on")
            setattr(self, key, type(current)(value))


@dataclass(slots=True)
class Session:
    token: str
    site: str
    uid: int
    expires: float  # time.time()
    max_requests: int = 0
    requests: int = 0


@dataclass(frozen=True, slots=True)
class RequestRecord:
    ts: float
    site: str | None
    method: str
    path: str  # with the query string
    status: int
    user: str | None


@dataclass(slots=True)
class LabState:
    clock: Callable[[], datetime]
    data_dir: Path = DATA_DIR
    lock: threading.RLock = field(default_factory=threading.RLock)
    sites: dict[str, Site] = field(default_factory=dict)
    faults: dict[str, Faults] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    log: list[RequestRecord] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    fixed_secret: bytes | None = None  # for reproducible tokens in saved pages
    secret: bytes = b""
    session_seq: int = 0

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Fixtures reloaded, faults off, sessions and the request log cleared."""
        with self.lock:
            self.sites = load_sites(self.clock(), self.data_dir)
            self.faults = {key: Faults() for key in self.sites}
            self.sessions.clear()
            self.log.clear()
            self.counts.clear()
            self.secret = self.fixed_secret or secrets.token_bytes(16)

    # -- tokens --------------------------------------------------------------------------------
    def sign(self, *parts: str, length: int = 32) -> str:
        msg = "\n".join(parts).encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()[:length]

    def challenge_answer(self, site: str) -> tuple[str, str]:
        """(seed shown in the page, cookie value its script computes): reverse the seed, then
        append the sum of its character codes."""
        seed = self.sign("challenge", site, length=24)
        return seed, f"{seed[::-1]}{sum(map(ord, seed))}"

    # -- sessions ------------------------------------------------------------------------------
    def login(self, site: str, name: str, password: str) -> Session | None:
        with self.lock:
            user = self.sites[site].users.get(name.casefold())
            if user is None or user.password is None or not hmac.compare_digest(
                    user.password.encode(), password.encode()):
                return None
            faults = self.faults[site]
            self.session_seq += 1  # tokens from the secret: reproducible when it is fixed
            session = Session(token=self.sign("session", str(self.session_seq)), site=site,
                              uid=user.uid, expires=time.time() + faults.session_lifetime_s,
                              max_requests=faults.session_max_requests)
            self.sessions[session.token] = session
            return session

    def session_user(self, site: str, token: str | None) -> tuple[Session, User] | None:
        """The live session behind `token` and its user; expired sessions are dropped."""
        if not token:
            return None
        with self.lock:
            session = self.sessions.get(token)
            if session is None or session.site != site:
                return None
            spent = bool(session.max_requests) and session.requests >= session.max_requests
            if spent or session.expires <= time.time():
                del self.sessions[token]
                return None
            session.requests += 1
            user = self.sites[site].user_by_uid(session.uid)
            return (session, user) if user else None

    def logout(self, token: str | None) -> None:
        with self.lock:
            self.sessions.pop(token or "", None)

    def expire_sessions(self, site: str | None = None) -> int:
        with self.lock:
            gone = [t for t, s in self.sessions.items() if site in (None, s.site)]
            for t in gone:
                del self.sessions[t]
            return len(gone)

    # -- request log ---------------------------------------------------------------------------
    def record(self, rec: RequestRecord) -> None:
        with self.lock:
            self.counts[rec.path] += 1
            self.log.append(rec)
            if len(self.log) > LOG_LIMIT:
                del self.log[: len(self.log) - LOG_LIMIT]

    def take_rate_limit(self, site: str) -> int | None:
        """Retry-After seconds when this request is to be answered 429, else None."""
        with self.lock:
            f = self.faults[site]
            if f.rate_limit_next > 0:
                f.rate_limit_next -= 1
                return f.retry_after_s
            return None

    def report(self, since: float = 0.0) -> dict[str, Any]:
        with self.lock:
            log = [asdict(r) for r in self.log if r.ts >= since]
            counts = Counter(r["path"] for r in log) if since else self.counts
            return {"total": len(log), "counts": dict(counts), "log": log}


def utc_now() -> datetime:
    """The live clock; sub-second precision keeps the order of posts made within one second."""
    return datetime.now(UTC)
