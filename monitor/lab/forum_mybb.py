"""The MyBB-style lab forum: MyBB 1.8's default theme as its templates print it (template names in
the docstrings; see tests/data/pages/README.md). URLs are MyBB's without SEO URLs:
`forumdisplay.php?fid=2&page=2`, `showthread.php?tid=5&page=2`, `member.php?action=login`.

Guests get a `sid` cookie and a `my_post_key` tied to it; a login sets `mybbuser=<uid>_<token>`.
"""

from __future__ import annotations

import logging
import time

from aiohttp import web

from monitor.lab.forum_render import Ctx, Page, int_arg, thread_page_of_post

log = logging.getLogger(__name__)

LOGIN = "member.php?action=login"
REGISTER = "member.php?action=register"
USER_COOKIE = "mybbuser"
SID_COOKIE = "sid"
SID_KEY = web.RequestKey("mybb_sid", str)


def session_token(request: web.Request) -> str | None:
    raw = request.cookies.get(USER_COOKIE, "")
    _, _, token = raw.partition("_")
    return token or None


def post_key(ctx: Ctx) -> str:
    """`my_post_key`: per session for members, per `sid` cookie for guests."""
    if ctx.session is not None:
        return ctx.state.sign("mybb-member", ctx.session.token)
    return ctx.state.sign("mybb-guest", ctx.request.get(SID_KEY)
                          or ctx.request.cookies.get(SID_COOKIE, ""))


async def handle(ctx: Ctx, tail: str) -> web.Response:
    sid = ctx.request.cookies.get(SID_COOKIE)
    new_sid = None if sid else ctx.state.sign("sid", str(id(ctx.request)), str(time.time()))
    ctx.request[SID_KEY] = sid or new_sid
    try:
        response = await _route(ctx, tail)
    except web.HTTPException as e:
        response = e
    if new_sid:  # MyBB starts a guest session on the first request
        response.set_cookie(SID_COOKIE, new_sid, path=f"/{ctx.site.key}/", httponly=True)
    if isinstance(response, web.HTTPException):
        raise response
    return response


async def _route(ctx: Ctx, tail: str) -> web.Response:
    script = tail.split("/")[-1] or "index.php"
    if script == "index.php":
        response = index(ctx)
    elif script == "forumdisplay.php":
        response = forumdisplay(ctx)
    elif script == "showthread.php":
        response = showthread(ctx)
    elif script == "member.php":
        response = await member(ctx)
    else:
        response = error(ctx, "The specified page does not exist.", status=404)
    return response


def index(ctx: Ctx) -> web.Response:
    boards = [(b, ctx.site.board_threads(b)) for b in ctx.site.boards]
    return ctx.html("mybb/index.html", boards=boards, post_key=post_key(ctx))


def forumdisplay(ctx: Ctx) -> web.Response:
    """Templates forumdisplay, forumdisplay_threadlist, forumdisplay_thread, multipage."""
    board = ctx.site.board(int_arg(ctx.request, "fid"))
    if board is None:
        return error(ctx, "Invalid forum")
    if not ctx.can_view(board):
        return no_permission(ctx)
    threads = ctx.site.board_threads(board)
    page = Page.of(len(threads), ctx.site.threads_per_page, int_arg(ctx.request, "page", 1))
    return ctx.html("mybb/forumdisplay.html", board=board, threads=threads[page.start:page.stop],
                    page=page, page_url=f"forumdisplay.php?fid={board.fid}",
                    post_key=post_key(ctx))


def showthread(ctx: Ctx) -> web.Response:
    """Templates showthread, postbit (horizontal, the default), multipage."""
    q = ctx.request.query
    thread = None
    if "pid" in q and "tid" not in q:
        pid = int_arg(ctx.request, "pid")
        thread = next((t for t in ctx.site.threads.values()
                       if any(p.pid == pid for p in t.posts)), None)
    else:
        thread = ctx.site.threads.get(int_arg(ctx.request, "tid"))
    if thread is None:
        return error(ctx, "The specified thread does not exist.")
    board = ctx.site.board(thread.board)
    if not ctx.can_view(board):
        return no_permission(ctx)
    if q.get("action") == "lastpost":
        last = thread.last
        raise web.HTTPFound(f"showthread.php?tid={thread.tid}&pid={last.pid}#pid{last.pid}")
    requested = int_arg(ctx.request, "page", 1)
    if "pid" in q:
        requested = thread_page_of_post(ctx.site, thread, int_arg(ctx.request, "pid"))
    page = Page.of(len(thread.posts), ctx.site.posts_per_page, requested)
    posts = [(page.start + i + 1, p, ctx.site.user(p.author))
             for i, p in enumerate(thread.posts[page.start:page.stop])]
    with ctx.state.lock:
        thread.views += 1
    return ctx.html("mybb/showthread.html", thread=thread, board=board, posts=posts, page=page,
                    page_url=f"showthread.php?tid={thread.tid}", post_key=post_key(ctx),
                    render_body=lambda text: ctx.body(text, LOGIN, REGISTER))


async def member(ctx: Ctx) -> web.Response:
    if ctx.request.method == "POST":
        form = await ctx.request.post()
        if form.get("action") == "do_login":
            return do_login(ctx, {k: str(v) for k, v in form.items()})
        return error(ctx, "Invalid action")
    action = ctx.request.query.get("action", "")
    if action == "login":
        return login_page(ctx)
    if action == "logout":
        return logout(ctx)
    if action == "profile":
        user = ctx.site.user_by_uid(int_arg(ctx.request, "uid"))
        if user is None:
            return error(ctx, "The member you specified is either invalid or doesn't exist.")
        return ctx.html("mybb/profile.html", member=user, post_key=post_key(ctx))
    return error(ctx, "Invalid action")


def login_page(ctx: Ctx, errors: tuple[str, ...] = (), username: str = "",
               redirect_url: str = "") -> web.Response:
    """Template member_login (with error_inline when the last try failed)."""
    return ctx.html("mybb/member_login.html", errors=errors, username=username,
                    redirect_url=redirect_url or ctx.request.headers.get("Referer", ""),
                    post_key=post_key(ctx))


def do_login(ctx: Ctx, form: dict[str, str]) -> web.Response:
    if form.get("my_post_key", "") != post_key(ctx):
        log.info("lab forum %s: login with a bad my_post_key", ctx.site.key)
        return error(ctx, "Authorization code mismatch. Are you accessing this function "
                          "correctly? Please go back and try again.")
    session = ctx.state.login(ctx.site.key, form.get("username", ""), form.get("password", ""))
    if session is None:
        log.info("lab forum %s: failed login for %r", ctx.site.key, form.get("username"))
        return login_page(ctx, errors=(
            "You have entered an invalid username/password combination. <br /><br />If you "
            'have forgotten your password please <a href="member.php?action=lostpw">'
            "retrieve a new one</a>.",), username=form.get("username", ""),
            redirect_url=form.get("url", ""))
    url = form.get("url") or f"{ctx.base}/index.php"
    response = redirect(ctx, url, "You have successfully been logged in.<br />You will now be "
                                  "taken back to where you came from.")
    response.set_cookie(USER_COOKIE, f"{session.uid}_{session.token}", path=f"/{ctx.site.key}/",
                        httponly=True)
    return response


def logout(ctx: Ctx) -> web.Response:
    """MyBB checks `logoutkey`; the lab accepts the link as printed in the header."""
    if ctx.session is None:
        return redirect(ctx, f"{ctx.base}/index.php", "You were already logged out or have not "
                        "logged in yet.<br />You will now be taken back to the forum index.")
    ctx.state.logout(ctx.session.token)
    response = redirect(ctx, f"{ctx.base}/index.php", "You have successfully been logged out."
                        "<br />You will now be taken back to the forum index.")
    response.del_cookie(USER_COOKIE, path=f"/{ctx.site.key}/")
    return response


def logout_key(ctx: Ctx) -> str:
    return ctx.state.sign("logout", ctx.session.token if ctx.session else "", length=32)


def redirect(ctx: Ctx, url: str, message: str) -> web.Response:
    """Template redirect: MyBB's interstitial page with a meta refresh."""
    return ctx.html("mybb/redirect.html", title=ctx.site.name, url=url, message=message)


def error(ctx: Ctx, message: str, status: int = 200) -> web.Response:
    """Template error. MyBB answers its error pages with 200."""
    return ctx.html("mybb/error.html", title=ctx.site.name, message=message, status=status,
                    post_key=post_key(ctx))


def no_permission(ctx: Ctx) -> web.Response:
    """error_no_permission(): template error around error_nopermission (guests) or
    error_nopermission_loggedin."""
    return ctx.html("mybb/error_nopermission.html", title=ctx.site.name, post_key=post_key(ctx))


def banned(ctx: Ctx) -> web.Response:
    return ctx.html("mybb/error.html", title=ctx.site.name, post_key=post_key(ctx), message=(
        "I'm sorry, but you are banned.  You may not post, read threads, or access the forum.  "
        "Please contact your forum administrator should you have any questions."),
        ban_reason="Scraping / automated access", status=200)
