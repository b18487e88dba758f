"""XenForo 2 forums: XSS, Exploit, LeakBase and RAMP run it.

Markup followed (XenForo 2's thread_list_macros and post_macros templates): a board lists
``div.structItem--thread`` rows (``js-threadListItem-N``) with the title in ``.structItem-title
a[data-tp-primary]``, the starter in ``ul.structItem-parts a.username`` (or ``data-author``), the
start date in ``li.structItem-startDate time``, replies and views in the ``dl.pairs`` of
``.structItem-cell--meta`` (short numbers: "1.2K"), the last post in ``time.structItem-latestDate``;
sticky threads sit in ``structItemContainer-group--sticky``. A thread's posts are
``article.message--post`` with ``.message-name .username``, ``.message-attribution time.u-dt`` and
the body in ``.message-body .bbWrapper``. Pages link on with ``a.pageNav-jump--next``. Dates are
``<time class="u-dt" datetime="2021-05-12T22:31:00+0700" data-time(stamp)="1620833460">``.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector, SelectorList
from scrapy.http import TextResponse

from spiders.base import FirstPost, ForumSpider, ThreadRow, absolute
from spiders.dates import parse_epoch, parse_forum_date, parse_iso
from spiders.text import parse_count, squash

_THREAD_SUFFIX_RE = re.compile(r"(threads/[^/?#]+)/(?:page-\d+|unread|latest|post-\d+)/?$")
# "threads/<title-slug>.<id>/" -> "threads/<id>/": XenForo answers both, and the slug follows
# the title, so an edited title must not make a new thread (a new listing id).
_THREAD_SLUG_RE = re.compile(r"threads/(?:[^/?#]*\.)?(\d+)/")
_ROW_XPATH = "//div[contains(concat(' ', normalize-space(@class), ' '), ' structItem--thread ')]"
_POST_XPATH = "//article[contains(concat(' ', normalize-space(@class), ' '), ' message--post ')]"


class XenforoSpider(ForumSpider):
    name = "xenforo"
    engine = "xenforo"
    login_path = "login/"

    def board_rows(self, response: TextResponse) -> list[ThreadRow]:
        now = self.now_for(response)
        rows: list[ThreadRow] = []
        for item in response.xpath(_ROW_XPATH):
            title = item.xpath(".//div[contains(@class, 'structItem-title')]")
            link = title.xpath("./a[@data-tp-primary]") or title.xpath(
                "./a[not(contains(@class, 'labelLink'))][last()]")
            href = link.xpath("@href").get()
            if not href:
                continue
            fetch = self.thread_link(response.urljoin(href))
            url = self.canonical_thread_url(fetch)
            user = item.xpath(".//ul[contains(@class, 'structItem-parts')]/li[1]"
                              "//*[contains(@class, 'username')]")
            pairs = item.xpath(".//div[contains(@class, 'structItem-cell--meta')]/dl")
            rows.append(ThreadRow(
                url=url,
                link=fetch,
                title=squash(link.xpath("string(.)").get()),
                author=squash(user.xpath("string(.)").get()) or item.attrib.get("data-author"),
                author_url=absolute(response, user.xpath("@href").get()),
                started_at=self._time(item.xpath(
                    ".//li[contains(@class, 'structItem-startDate')]//time"), now),
                last_post_at=self._time(item.xpath(
                    ".//time[contains(@class, 'structItem-latestDate')]") or item.xpath(
                    ".//div[contains(@class, 'structItem-cell--latest')]//time"), now),
                replies=parse_count(pairs[0].xpath("string(dd)").get()) if pairs else None,
                views=parse_count(pairs[1].xpath("string(dd)").get()) if len(pairs) > 1 else None,
                sticky=bool(item.xpath(
                    "ancestor::*[contains(@class, 'structItemContainer-group--sticky')]"
                    " | .//*[contains(@class, 'structItem-status--sticky')]")),
            ))
        return rows

    def next_board_page(self, response: TextResponse) -> str | None:
        return absolute(response, response.xpath(
            "//a[contains(@class, 'pageNav-jump--next')]/@href").get())

    def first_post(self, response: TextResponse) -> FirstPost | None:
        post = response.xpath(_POST_XPATH)[:1]
        if not post:
            return None
        user = post.xpath(".//*[contains(@class, 'message-name')]//*[contains(@class, 'username')]")
        body = post.xpath(".//div[contains(@class, 'message-body')]"
                          "//div[contains(@class, 'bbWrapper')]")[:1] or post.xpath(
            ".//div[contains(@class, 'bbWrapper')]")[:1]
        heading = response.xpath("//h1[contains(@class, 'p-title-value')]")
        return FirstPost(
            author=squash(user.xpath("string(.)").get()) or post.attrib.get("data-author"),
            author_url=absolute(response, user.xpath("@href").get()),
            posted_at=self._time(post.xpath(
                ".//*[contains(@class, 'message-attribution')]//time[contains(@class, 'u-dt')]"),
                self.now_for(response)),
            body_html="".join(body.xpath("./node()").getall()).strip(),
            title=squash("".join(heading.xpath(
                "./text() | ./*[not(contains(@class, 'label'))]//text()").getall())) or None,
        )

    def has_content(self, response: TextResponse) -> bool:
        return bool(response.xpath(
            "//div[contains(@class, 'structItemContainer')]"
            " | //div[contains(@class, 'js-threadList')]"
            " | //article[contains(@class, 'message--post')]"))

    def is_logged_in(self, response: TextResponse) -> bool | None:
        flag = response.xpath("/html/@data-logged-in").get()
        return None if flag is None else flag == "true"

    def thread_link(self, url: str) -> str:
        """The thread's first page as the forum links it (slug kept: no redirect to follow)."""
        parts = urlsplit(url)
        path = _THREAD_SUFFIX_RE.sub(r"\1/", parts.path)
        query = ""
        if parts.query.startswith("threads/"):  # index.php?threads/x.1/ without friendly URLs
            query = _THREAD_SUFFIX_RE.sub(r"\1/", parts.query.split("&", 1)[0])
        return urlunsplit((parts.scheme, parts.netloc, path, query, ""))

    def canonical_thread_url(self, url: str) -> str:
        parts = urlsplit(self.thread_link(url))
        path = _THREAD_SLUG_RE.sub(r"threads/\1/", parts.path)
        query = _THREAD_SLUG_RE.sub(r"threads/\1/", parts.query)
        return urlunsplit((parts.scheme, parts.netloc, path, query, ""))

    def _time(self, nodes: SelectorList, now: datetime) -> datetime | None:
        node: Selector | None = nodes[0] if nodes else None
        if node is None:
            return None
        for found in (parse_iso(node.attrib.get("datetime")),
                      parse_epoch(node.attrib.get("data-timestamp")),
                      parse_epoch(node.attrib.get("data-time"))):
            if found is not None:
                return found
        return parse_forum_date(node.xpath("string(.)").get(), title=node.attrib.get("title"),
                                now=now, tz=self.tz, date_formats=self.date_formats)
