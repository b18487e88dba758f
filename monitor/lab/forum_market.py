"""The third lab markup, for the generic (selector-driven) spider: a small dark-market layout of
the lab's own with `mk-` classes, unlike either forum engine. URLs: `/market/`,
`/market/c/<board>?page=N`, `/market/offer/<id>`, `/market/vendor/<uid>`."""

from __future__ import annotations

import re

from aiohttp import web

from monitor.lab.forum_render import Ctx, Page, int_arg

_CATEGORY = re.compile(r"^c/([a-z0-9-]+)$")
_OFFER = re.compile(r"^offer/(\d+)$")
_VENDOR = re.compile(r"^vendor/(\d+)$")


async def handle(ctx: Ctx, tail: str) -> web.Response:
    if tail in ("", "index.html"):
        boards = [(b, ctx.site.board_threads(b)) for b in ctx.site.boards]
        return ctx.html("market/home.html", boards=boards)
    if m := _CATEGORY.match(tail):
        board = ctx.site.board(m.group(1))
        if board is None:
            return error(ctx, "No such category.", 404)
        if not ctx.can_view(board):
            return error(ctx, "This category is for verified buyers only.", 403)
        threads = ctx.site.board_threads(board)
        page = Page.of(len(threads), ctx.site.threads_per_page, int_arg(ctx.request, "page", 1))
        return ctx.html("market/category.html", board=board, page=page,
                        threads=threads[page.start:page.stop])
    if m := _OFFER.match(tail):
        thread = ctx.site.threads.get(int(m.group(1)))
        if thread is None:
            return error(ctx, "Offer not found.", 404)
        board = ctx.site.board(thread.board)
        if not ctx.can_view(board):
            return error(ctx, "This category is for verified buyers only.", 403)
        with ctx.state.lock:
            thread.views += 1
        login = f"{ctx.path_base}/login"
        return ctx.html("market/offer.html", thread=thread, board=board,
                        render_body=lambda text: ctx.body(text, login, login))
    if m := _VENDOR.match(tail):
        vendor = ctx.site.user_by_uid(int(m.group(1)))
        if vendor is None:
            return error(ctx, "Vendor not found.", 404)
        offers = [t for t in ctx.site.threads.values() if t.first.author == vendor.name]
        return ctx.html("market/vendor.html", vendor=vendor, offers=offers)
    return error(ctx, "Not found.", 404)


def error(ctx: Ctx, message: str, status: int) -> web.Response:
    return ctx.html("market/error.html", message=message, status=status)


def banned(ctx: Ctx) -> web.Response:
    return ctx.html("market/error.html", status=403,
                    message="Your access has been suspended (automated access detected).")
