"""The lab forums: one aiohttp app serving a MyBB-style forum at `/mybb/`, a XenForo-style one at
`/xf/` and a small market of the lab's own markup at `/market/`, from the YAML fixtures in
`forum_data/`, for the spiders' integration tests and the demo.

Links are built from the Host the request came with, so the same app serves loopback and onion
addresses. Every site can be made to misbehave (`Faults`): answer 429 for the next N requests,
put a JavaScript challenge in front of every page, show the ban page, expire sessions, or change
its class names. The admin API under `/_admin/` (loopback only, never through an onion address)
adds and edits threads, sets faults and reports every request made to the sites:

  GET    /_admin/state                      sites, boards, thread counts, faults
  POST   /_admin/reset                      fixtures reloaded, faults off, sessions, log cleared
  POST   /_admin/threads                    {"forum", "board", "title", "body", "author",
                                             "records", "prefix", "ago", "replies": [...]}
  PATCH  /_admin/threads/<forum>/<tid>      {"title", "body", "records", "bump"}
  POST   /_admin/faults                     {"forum": <key or omitted for all>, <Faults fields>:
                                             rate_limit_next, retry_after_s, session_lifetime_s,
                                             session_max_requests, broken_markup, banned,
                                             challenge}
  POST   /_admin/sessions/expire            {"forum": <key or omitted for all>}
  GET    /_admin/requests[?since=<unix ts>] {"total", "counts": {path: n}, "log": [...]}

`LabForums` runs the app in-process: `start()`/`stop()` in a background thread (pytest
fixtures), or `await start_async()`/`stop_async()` on the caller's loop (the CLI,
`bazaarwatch lab forum up`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from aiohttp import web

from monitor.lab import forum_market, forum_mybb, forum_xenforo
from monitor.lab.forum_render import Ctx, render_plain
from monitor.lab.forum_state import Faults, LabState, RequestRecord, utc_now
from monitor.lab.forum_store import DATA_DIR, Site, Thread, edit_thread, parse_span

log = logging.getLogger(__name__)

ENGINES: dict[str, ModuleType] = {
    "mybb": forum_mybb, "xenforo": forum_xenforo, "market": forum_market,
}
ALIASES = {"xenforo": "xf", "generic": "market"}
CHALLENGE_COOKIE = "dcap"
CHALLENGE_DELAY_MS = 300
STATE_KEY: web.AppKey[LabState] = web.AppKey("lab_state", LabState)
USER_KEY = web.RequestKey("lab_user", str)


def site_key(name: str) -> str:
    return ALIASES.get(name, name)


def thread_url(site: Site, thread: Thread, root: str) -> str:
    """The canonical URL of a thread on `root` (`http://host:port`)."""
    base = f"{root}/{site.key}"
    if site.engine == "mybb":
        return f"{base}/showthread.php?tid={thread.tid}"
    if site.engine == "xenforo":
        # Pages link "threads/<title-slug>.<id>/"; the canonical form leaves the slug out (it
        # follows the title), as the spider does. XenForo, and the lab, answer both.
        return f"{base}/threads/{thread.tid}/"
    return f"{base}/offer/{thread.tid}"


def board_url(site: Site, board_key: str, root: str) -> str:
    board = site.board(board_key)
    if board is None:
        raise KeyError(f"{site.key}: no board {board_key!r}")
    base = f"{root}/{site.key}"
    if site.engine == "mybb":
        return f"{base}/forumdisplay.php?fid={board.fid}"
    if site.engine == "xenforo":
        return f"{base}/forums/{forum_xenforo.slug(board.name) or 'forum'}.{board.fid}/"
    return f"{base}/c/{board.key}"


# -- the sites ---------------------------------------------------------------------------------
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def record_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as e:
        status = e.status
        raise
    finally:
        if not request.path.startswith("/_admin"):
            first = request.path.strip("/").split("/")[0]
            state.record(RequestRecord(
                ts=time.time(), site=first if first in state.sites else None,
                method=request.method, path=str(request.rel_url), status=status,
                user=request.get(USER_KEY)))


async def serve_site(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    key, tail = request.match_info["site"], request.match_info["tail"]
    site = state.sites.get(key)
    if site is None:
        raise web.HTTPNotFound(text="no such lab forum")
    retry_after = state.take_rate_limit(key)
    if retry_after is not None:
        return web.Response(status=429, text=render_plain("common/ratelimit.html",
                                                          retry_after=retry_after),
                            content_type="text/html", headers={"Retry-After": str(retry_after)})
    faults = state.faults[key]
    if faults.challenge:
        seed, answer = state.challenge_answer(key)
        if request.cookies.get(CHALLENGE_COOKIE) != answer:
            return web.Response(text=render_plain(
                "common/challenge.html", seed=seed, host=request.host, cookie=CHALLENGE_COOKIE,
                site_key=key, delay_ms=CHALLENGE_DELAY_MS), content_type="text/html")
    if request.method == "POST":
        await request.post()  # read (and cached) before the lock: the page renders under it
    engine = ENGINES[site.engine]
    token = engine.session_token(request) if hasattr(engine, "session_token") else None
    with state.lock:  # tests change threads from their own thread while pages render
        found = state.session_user(key, token)
        session, user = found if found else (None, None)
        if user is not None:
            request[USER_KEY] = user.name
        ctx = Ctx(state=state, site=site, request=request, now=state.clock(), session=session,
                  user=user)
        if faults.banned:
            return engine.banned(ctx)
        return await engine.handle(ctx, tail)


async def lab_index(request: web.Request) -> web.Response:
    sites = request.app[STATE_KEY].sites.values()
    return web.Response(text=render_plain("common/lab_index.html", sites=sites),
                        content_type="text/html")


async def add_slash(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently(f"/{request.match_info['site']}/")


# -- the admin API -----------------------------------------------------------------------------
def _admin_allowed(request: web.Request) -> bool:
    """Loopback peers only, and never a request that came in through an onion address (tor
    connects to the forum from loopback too)."""
    host = (request.host or "").split(":")[0]
    if host.endswith(".onion"):
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


@web.middleware
async def admin_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/_admin") and not _admin_allowed(request):
        raise web.HTTPForbidden(text="admin API: loopback only")
    return await handler(request)


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError as e:
        raise web.HTTPBadRequest(text=f"body is not JSON: {e}") from e
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return body


def _site_or_400(state: LabState, name: Any) -> Site:
    site = state.sites.get(site_key(str(name)))
    if site is None:
        raise web.HTTPBadRequest(text=f"unknown forum {name!r}; known: {', '.join(state.sites)}")
    return site


def _root(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def admin_state(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    with state.lock:
        return web.json_response({key: {
            "name": s.name, "engine": s.engine, "threads": len(s.threads),
            "boards": [{"key": b.key, "fid": b.fid, "name": b.name,
                        "login_required": b.login_required,
                        "threads": len(s.board_threads(b)),
                        "url": board_url(s, b.key, _root(request))} for b in s.boards],
            "faults": _faults_doc(state.faults[key]),
        } for key, s in state.sites.items()})


def _faults_doc(f: Faults) -> dict[str, Any]:
    return {name: getattr(f, name) for name in Faults.__slots__}


async def admin_reset(request: web.Request) -> web.Response:
    request.app[STATE_KEY].reset()
    return web.json_response({"ok": True})


async def admin_add_thread(request: web.Request) -> web.Response:
    state, body = request.app[STATE_KEY], await _json(request)
    site = _site_or_400(state, body.get("forum"))
    try:
        doc = add_thread(state, site, body)
    except (KeyError, ValueError, TypeError) as e:
        raise web.HTTPBadRequest(text=str(e)) from e
    doc["url"] = thread_url(site, site.threads[doc["tid"]], _root(request))
    return web.json_response(doc, status=201)


def add_thread(state: LabState, site: Site, body: dict[str, Any]) -> dict[str, Any]:
    missing = [k for k in ("board", "title", "body") if not body.get(k)]
    if missing:
        raise ValueError(f"missing: {', '.join(missing)}")
    now = state.clock()
    posted = now - parse_span(str(body["ago"])) if body.get("ago") else now
    text = str(body["body"]).strip()
    if body.get("records"):
        text = f"[b]Records:[/b] {body['records']}\n{text}"
    with state.lock:
        thread = site.add_thread(str(body["board"]), str(body["title"]), text,
                                 str(body.get("author") or "lab_seller"), posted,
                                 prefix=body.get("prefix"))
        for reply in body.get("replies", ()):
            site.add_post(thread, str(reply.get("author", "lab_buyer")), state.clock(),
                          str(reply["body"]))
        return {"forum": site.key, "tid": thread.tid, "board": thread.board,
                "title": thread.title}


async def admin_edit_thread(request: web.Request) -> web.Response:
    state, body = request.app[STATE_KEY], await _json(request)
    site = _site_or_400(state, request.match_info["forum"])
    tid = int(request.match_info["tid"])
    try:
        doc = edit(state, site, tid, body)
    except KeyError as e:
        raise web.HTTPNotFound(text=str(e)) from e
    doc["url"] = thread_url(site, site.threads[tid], _root(request))
    return web.json_response(doc)


def edit(state: LabState, site: Site, tid: int, body: dict[str, Any]) -> dict[str, Any]:
    with state.lock:
        thread = site.threads.get(tid)
        if thread is None:
            raise KeyError(f"{site.key}: no thread {tid}")
        edit_thread(site, thread, state.clock(), title=body.get("title"),
                    body=body.get("body"), records=body.get("records"),
                    bump=bool(body.get("bump", True)))
        return {"forum": site.key, "tid": tid, "title": thread.title,
                "replies": thread.replies}


async def admin_faults(request: web.Request) -> web.Response:
    state, body = request.app[STATE_KEY], await _json(request)
    forum = body.pop("forum", None)
    try:
        result = set_faults(state, forum, body)
    except KeyError as e:
        raise web.HTTPBadRequest(text=str(e)) from e
    return web.json_response(result)


def set_faults(state: LabState, forum: str | None, values: dict[str, Any]) -> dict[str, Any]:
    with state.lock:
        keys = [site_key(forum)] if forum else list(state.sites)
        for key in keys:
            if key not in state.faults:
                raise KeyError(f"unknown forum {forum!r}")
            state.faults[key].update(values)
        return {key: _faults_doc(state.faults[key]) for key in keys}


async def admin_expire(request: web.Request) -> web.Response:
    state, body = request.app[STATE_KEY], await _json(request)
    forum = body.get("forum")
    return web.json_response({"expired": state.expire_sessions(site_key(forum) if forum
                                                               else None)})


async def admin_requests(request: web.Request) -> web.Response:
    since = float(request.query.get("since", 0) or 0)
    return web.json_response(request.app[STATE_KEY].report(since))


def build_app(state: LabState) -> web.Application:
    app = web.Application(middlewares=[admin_guard, record_requests])
    app[STATE_KEY] = state
    app.router.add_get("/_admin/state", admin_state)
    app.router.add_post("/_admin/reset", admin_reset)
    app.router.add_post("/_admin/threads", admin_add_thread)
    app.router.add_patch("/_admin/threads/{forum}/{tid:\\d+}", admin_edit_thread)
    app.router.add_post("/_admin/faults", admin_faults)
    app.router.add_post("/_admin/sessions/expire", admin_expire)
    app.router.add_get("/_admin/requests", admin_requests)
    app.router.add_get("/", lab_index)
    app.router.add_get("/{site:[a-z]+}", add_slash)
    app.router.add_route("*", "/{site:[a-z]+}/{tail:.*}", serve_site)
    return app


# -- running it --------------------------------------------------------------------------------
class LabForums:
    """The lab forums on `host:port` (port 0: a free one, read `.port` after start).

    `now` freezes the forums' clock and `secret` the tokens (saved pages use both); by default
    the clock is the real UTC time and the secret random.
    Sync `start()`/`stop()` run the server in a daemon thread with its own event loop; async
    `start_async()`/`stop_async()` run it on the caller's loop. Both are context managers.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, now: datetime | None = None,
                 data_dir: Path = DATA_DIR, secret: bytes | None = None):
        self.host = host
        self.port = port
        self.state = LabState(clock=(lambda: now) if now else utc_now, data_dir=data_dir,
                              fixed_secret=secret)
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # async
    async def start_async(self) -> LabForums:
        runner = web.AppRunner(build_app(self.state), access_log=None)
        await runner.setup()
        tcp = web.TCPSite(runner, self.host, self.port)
        await tcp.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        log.info("lab forums listening on %s", self.url)
        return self

    async def stop_async(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LabForums:
        return await self.start_async()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_async()

    # sync, in a background thread
    def start(self) -> LabForums:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="lab-forums", daemon=True)
        self._thread.start()
        ready.wait()
        asyncio.run_coroutine_threadsafe(self.start_async(), loop).result(timeout=30)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self.stop_async(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> LabForums:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # addresses
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def base_url(self, forum: str, root: str | None = None) -> str:
        """`http://127.0.0.1:PORT/mybb/` (or on `root`, e.g. `http://<onion>`)."""
        key = site_key(forum)
        if key not in self.state.sites:
            raise KeyError(f"no lab forum {forum!r}; known: {', '.join(self.state.sites)}")
        return f"{root or self.url}/{key}/"

    def board_url(self, forum: str, board: str, root: str | None = None) -> str:
        return board_url(self.state.sites[site_key(forum)], board, root or self.url)

    def thread_url(self, forum: str, tid: int, root: str | None = None) -> str:
        site = self.state.sites[site_key(forum)]
        return thread_url(site, site.threads[tid], root or self.url)

    # changes, the same as the admin API's
    def add_thread(self, forum: str, board: str, title: str, body: str, *,
                   author: str = "lab_seller", records: str | None = None,
                   prefix: str | None = None, ago: str | None = None) -> dict[str, Any]:
        site = self.state.sites[site_key(forum)]
        doc = add_thread(self.state, site, {"board": board, "title": title, "body": body,
                                            "author": author, "records": records,
                                            "prefix": prefix, "ago": ago})
        doc["url"] = thread_url(site, site.threads[doc["tid"]], self.url)
        return doc

    def edit_thread(self, forum: str, tid: int, *, title: str | None = None,
                    body: str | None = None, records: str | None = None,
                    bump: bool = True) -> dict[str, Any]:
        site = self.state.sites[site_key(forum)]
        return edit(self.state, site, tid, {"title": title, "body": body, "records": records,
                                            "bump": bump})

    def set_faults(self, forum: str | None = None, **values: Any) -> dict[str, Any]:
        return set_faults(self.state, forum, values)

    def expire_sessions(self, forum: str | None = None) -> int:
        return self.state.expire_sessions(site_key(forum) if forum else None)

    def requests(self, since: float = 0.0) -> dict[str, Any]:
        return self.state.report(since)

    def reset(self) -> None:
        self.state.reset()
