"""The XenForo-style lab forum: XenForo 2.2's default style as its templates print it
(PAGE_CONTAINER, forum_view + thread_list_macros, thread_view + post_macros/message_macros,
page_nav, login, error). URLs are XenForo's "friendly" ones under `/xf/`:
`forums/databases.2/page-2`, `threads/some-title.15/page-2`, `threads/15/` for titles without
Latin letters, `members/kotz.1001/`, `login/`, `login/login` (POST), `logout/?t=<token>`.

Guests get an `xf_csrf` cookie and an `_xfToken` tied to it (also in `<html data-csrf>`); a
login sets `xf_user=<uid>,<token>` and `xf_session`.
"""

from __future__ import annotations

import logging
import re
import time

from aiohttp import web

from monitor.lab.forum_render import Ctx, Page, thread_page_of_post
from monitor.lab.forum_store import Board, Thread, User

log = logging.getLogger(__name__)

CSRF_COOKIE = "xf_csrf"
USER_COOKIE = "xf_user"
SESSION_COOKIE = "xf_session"
CSRF_KEY = web.RequestKey("xf_csrf", str)
_FORUM = re.compile(r"^forums/(?:[^/]*\.)?(\d+)/(?:page-(\d+))?$")
_THREAD = re.compile(r"^threads/(?:[^/]*\.)?(\d+)/(?:(page-(\d+)|latest|post-(\d+)))?$")
_MEMBER = re.compile(r"^members/(?:[^/]*\.)?(\d+)/$")


def slug(title: str) -> str:
    """XenForo's URL title: ASCII letters and digits only, dashes between words."""
    s = re.sub(r"[^a-zA-Z0-9_ -]", "", title).strip().lower()
    return re.sub(r"[\s_-]+", "-", s).strip("-")[:80].strip("-")


def thread_path(ctx: Ctx, thread: Thread, page: int = 1) -> str:
    s = slug(thread.title)
    path = f"{ctx.path_base}/threads/{s + '.' if s else ''}{thread.tid}/"
    return path + (f"page-{page}" if page > 1 else "")


def board_path(ctx: Ctx, board: Board, page: int = 1) -> str:
    path = f"{ctx.path_base}/forums/{slug(board.name) or 'forum'}.{board.fid}/"
    return path + (f"page-{page}" if page > 1 else "")


def member_path(ctx: Ctx, user: User) -> str:
    return f"{ctx.path_base}/members/{slug(user.name) or 'member'}.{user.uid}/"


def session_token(request: web.Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def _guest_csrf(ctx: Ctx) -> str:
    return ctx.request.get(CSRF_KEY) or ctx.request.cookies.get(CSRF_COOKIE, "")


def csrf_token(ctx: Ctx) -> str:
    """`_xfToken`: `<time>,<hmac>` over the session (members) or the xf_csrf cookie (guests)."""
    basis = ctx.session.token if ctx.session else _guest_csrf(ctx)
    stamp = str(int(ctx.now.timestamp()))
    return f"{stamp},{ctx.state.sign('xf', basis, stamp)}"


def csrf_ok(ctx: Ctx, token: str) -> bool:
    basis = ctx.session.token if ctx.session else _guest_csrf(ctx)
    stamp, _, mac = token.partition(",")
    return bool(stamp) and mac == ctx.state.sign("xf", basis, stamp)


async def handle(ctx: Ctx, tail: str) -> web.Response:
    csrf = ctx.request.cookies.get(CSRF_COOKIE)
    new_csrf = None
    if not csrf:
        new_csrf = ctx.state.sign("csrf", str(id(ctx.request)), str(time.time()), length=16)
    ctx.request[CSRF_KEY] = csrf or new_csrf
    try:
        response = await _route(ctx, tail)
    except web.HTTPException as e:
        response = e
    if new_csrf:
        response.set_cookie(CSRF_COOKIE, new_csrf, path=f"/{ctx.site.key}/", httponly=True)
    if isinstance(response, web.HTTPException):
        raise response
    return response


async def _route(ctx: Ctx, tail: str) -> web.Response:
    if tail in ("", "index.php"):
        return index(ctx)
    if m := _FORUM.match(tail):
        return forum_view(ctx, int(m.group(1)), int(m.group(2) or 1))
    if m := _THREAD.match(tail):
        return thread_view(ctx, int(m.group(1)), m.group(2) or "", int(m.group(3) or 1),
                           int(m.group(4) or 0))
    if m := _MEMBER.match(tail):
        member = ctx.site.user_by_uid(int(m.group(1)))
        if member is None:
            return error(ctx, "The requested member could not be found.", 404)
        return ctx.html("xenforo/member_view.html", member=member, csrf=csrf_token(ctx),
                        member_path=lambda u: member_path(ctx, u))
    if tail == "login/" or tail == "login":
        return login_page(ctx)
    if tail == "login/login" and ctx.request.method == "POST":
        return await do_login(ctx)
    if tail in ("logout/", "logout"):
        return logout(ctx)
    return error(ctx, "The requested page could not be found.", 404)


def index(ctx: Ctx) -> web.Response:
    boards = [(b, ctx.site.board_threads(b)) for b in ctx.site.boards]
    return ctx.html("xenforo/forum_list.html", boards=boards, **_links(ctx))


def forum_view(ctx: Ctx, fid: int, number: int) -> web.Response:
    board = ctx.site.board(fid)
    if board is None:
        return error(ctx, "The requested forum could not be found.", 404)
    if not ctx.can_view(board):
        return no_permission(ctx)
    threads = ctx.site.board_threads(board)
    page = Page.of(len(threads), ctx.site.threads_per_page, number)
    return ctx.html("xenforo/forum_view.html", board=board, page=page,
                    threads=threads[page.start:page.stop],
                    page_link=lambda n: board_path(ctx, board, n), **_links(ctx))


def thread_view(ctx: Ctx, tid: int, action: str, number: int, pid: int) -> web.Response:
    thread = ctx.site.threads.get(tid)
    if thread is None:
        return error(ctx, "The requested thread could not be found.", 404)
    board = ctx.site.board(thread.board)
    if not ctx.can_view(board):
        return no_permission(ctx)
    if action == "latest" or pid:
        target = thread.last.pid if action == "latest" else pid
        page_no = thread_page_of_post(ctx.site, thread, target)
        raise web.HTTPSeeOther(f"{thread_path(ctx, thread, page_no)}#post-{target}")
    page = Page.of(len(thread.posts), ctx.site.posts_per_page, number)
    posts = [(page.start + i + 1, p, ctx.site.user(p.author))
             for i, p in enumerate(thread.posts[page.start:page.stop])]
    with ctx.state.lock:
        thread.views += 1
    login = f"{ctx.path_base}/login/"
    return ctx.html("xenforo/thread_view.html", thread=thread, board=board, page=page,
                    posts=posts, page_link=lambda n: thread_path(ctx, thread, n),
                    render_body=lambda text: ctx.body(text, login, f"{ctx.path_base}/register/"),
                    **_links(ctx))


def _links(ctx: Ctx) -> dict[str, object]:
    return {
        "csrf": csrf_token(ctx),
        "thread_path": lambda t, n=1: thread_path(ctx, t, n),
        "board_path": lambda b, n=1: board_path(ctx, b, n),
        "member_path": lambda u: member_path(ctx, u),
    }


def login_page(ctx: Ctx, error_text: str = "", login: str = "",
               redirect_to: str = "", status: int = 200) -> web.Response:
    return ctx.html("xenforo/login.html", error_text=error_text, login=login, status=status,
                    redirect_to=redirect_to or ctx.request.headers.get("Referer", ""),
                    **_links(ctx))


async def do_login(ctx: Ctx) -> web.Response:
    form = {k: str(v) for k, v in (await ctx.request.post()).items()}
    if not csrf_ok(ctx, form.get("_xfToken", "")):
        log.info("lab forum %s: login with a bad _xfToken", ctx.site.key)
        return error(ctx, "Security error occurred. Please press back, refresh the page, and try "
                          "again.", 400)
    session = ctx.state.login(ctx.site.key, form.get("login", ""), form.get("password", ""))
    if session is None:
        log.info("lab forum %s: failed login for %r", ctx.site.key, form.get("login"))
        return login_page(ctx, "Incorrect password. Please try again.", form.get("login", ""),
                          form.get("_xfRedirect", ""))
    target = form.get("_xfRedirect") or f"{ctx.path_base}/"
    response = web.HTTPSeeOther(target)
    path = f"/{ctx.site.key}/"
    response.set_cookie(USER_COOKIE, f"{session.uid},{session.token}", path=path, httponly=True)
    response.set_cookie(SESSION_COOKIE, session.token, path=path, httponly=True)
    return response


def logout(ctx: Ctx) -> web.Response:
    """XenForo logs out and redirects to the index, where the guest header shows again."""
    if ctx.session is not None:
        ctx.state.logout(ctx.session.token)
    response = web.HTTPSeeOther(f"{ctx.path_base}/")
    for name in (USER_COOKIE, SESSION_COOKIE):
        response.del_cookie(name, path=f"/{ctx.site.key}/")
    return response


def error(ctx: Ctx, message: str, status: int = 200) -> web.Response:
    """Template error: XenForo's "Oops! We ran into some problems." page."""
    return ctx.html("xenforo/error.html", message=message, status=status, **_links(ctx))


def no_permission(ctx: Ctx) -> web.Response:
    """A guest on a members-only node gets 403 and the login form; a member, the plain error."""
    if ctx.user is not None:
        return error(ctx, "You do not have permission to view this page or perform this action.",
                     403)
    return login_page(ctx, "You must be logged-in to do that.", status=403,
                      redirect_to=str(ctx.request.rel_url))


def banned(ctx: Ctx) -> web.Response:
    return ctx.html("xenforo/error.html", status=403, **_links(ctx), message=(
        "You have been banned for the following reason: Scraping / automated access<br />\n"
        "Your ban will be lifted: Never"))
