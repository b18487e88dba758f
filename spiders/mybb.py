"""MyBB 1.8 (default theme) forums: RaidForums and BreachForums ran it.

Markup followed (install/resources/mybb_theme.xml): board rows are ``tr.inline_row``
(forumdisplay_thread) with the title in ``span#tid_N > a``, the starter in ``span.author``, the
start date in ``span.thread_start_datetime``, replies in the ``misc.php?action=whoposted`` link,
views in the next cell and the last post date before the ``<br>`` of ``span.lastpost``; sticky rows
carry ``forumdisplay_sticky``. Posts are ``div.post`` (postbit and postbit_classic) with
``.author_information .largetext a``, ``span.post_date`` and ``div.post_body``. Pages link on with
``a.pagination_next`` (multipage). Dates come from my_date(): absolute "05-12-2021, 10:31 PM", or
``<span title="05-12-2021">Today</span>, 10:31 PM``, or ``<span title="05-12-2021, 08:31 PM">2
hours ago</span>``.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from parsel import Selector, SelectorList
from scrapy.http import Response, TextResponse

from spiders.base import FirstPost, ForumSpider, ThreadRow, absolute
from spiders.dates import parse_forum_date
from spiders.pages import LoginForm, find_login_form
from spiders.text import parse_count, squash

_THREAD_FILE_RE = re.compile(r"thread-(\d+)(?:-(?:page-\d+|lastpost|newpost|post-\d+))?\.html$")
_POST_XPATH = "//div[contains(concat(' ', normalize-space(@class), ' '), ' post ')]"


class MybbSpider(ForumSpider):
    name = "mybb"
    engine = "mybb"
    login_path = "member.php?action=login"

    def board_rows(self, response: TextResponse) -> list[ThreadRow]:
        now = self.now_for(response)
        rows: list[ThreadRow] = []
        for tr in response.xpath("//tr[contains(concat(' ', @class, ' '), ' inline_row ')]"):
            link = tr.xpath(".//span[starts-with(@id, 'tid_')]/a[1]")
            href = link.xpath("@href").get()
            if not href:
                continue
            url = response.urljoin(href)
            author = tr.xpath(".//span[contains(@class, 'author')]//a[1]")
            replies_cell = tr.xpath("./td[.//a[contains(@href, 'action=whoposted')]]")
            rows.append(ThreadRow(
                url=self.canonical_thread_url(url),
                link=url,
                title=squash(link.xpath("string(.)").get()),
                author=squash(author.xpath("string(.)").get()) or squash(
                    tr.xpath("string(.//span[contains(@class, 'author')])").get()).rstrip(",")
                or None,
                author_url=absolute(response, author.xpath("@href").get()),
                started_at=self._date(tr.xpath(
                    ".//span[contains(@class, 'thread_start_datetime')]/node()"), now),
                last_post_at=self._date(tr.xpath(
                    ".//span[contains(@class, 'lastpost')]/node()[following-sibling::br]"), now),
                replies=parse_count(replies_cell.xpath(
                    "string(.//a[contains(@href, 'action=whoposted')])").get()),
                views=parse_count(replies_cell.xpath("string(following-sibling::td[1])").get()),
                sticky=bool(tr.xpath("./td[contains(@class, 'forumdisplay_sticky')]")),
            ))
        return rows

    def next_board_page(self, response: TextResponse) -> str | None:
        return absolute(response, response.xpath(
            "//div[contains(@class, 'pagination')]//a[contains(@class, 'pagination_next')]"
            "/@href").get())

    def first_post(self, response: TextResponse) -> FirstPost | None:
        post = response.xpath(_POST_XPATH)[:1]
        if not post:
            return None
        author = post.xpath(".//div[contains(@class, 'author_information')]"
                            "//span[contains(@class, 'largetext')]")
        body = post.xpath(".//div[contains(@class, 'post_body')]")
        return FirstPost(
            author=squash(author.xpath("string(.)").get()) or None,
            author_url=absolute(response, author.xpath(".//a/@href").get()),
            posted_at=self._date(post.xpath(
                ".//span[@class='post_date']/node()[not(self::span[contains(@class,'post_edit')])]"
            ), self.now_for(response)),
            body_html="".join(body.xpath("./node()").getall()).strip(),
            title=squash(response.xpath("//title/text()").get()) or None,
        )

    def has_content(self, response: TextResponse) -> bool:
        return bool(response.xpath(
            "//a[contains(@href, 'sortby=lastpost')] | //tr[contains(@class, 'inline_row')]"
            " | //div[@id='posts']//div[contains(@class, 'post_body')]"))

    def is_logged_in(self, response: TextResponse) -> bool | None:
        welcome = response.xpath("//span[@class='welcome']")
        if not welcome:
            return None
        return bool(welcome.xpath(".//a[contains(@href, 'action=logout')]"))

    def login_form(self, response: Response) -> LoginForm | None:
        # Guest pages carry two forms: the header's quick-login modal and the page's own form.
        # The page's (username/password/my_post_key) is the one member.php documents.
        if isinstance(response, TextResponse):
            form = response.xpath("//form[.//input[@name='username'] and "
                                  ".//input[@name='password']]")[:1]
            if form:
                fields = {i.attrib["name"]: i.attrib.get("value", "") for i in form.xpath(
                    ".//input[@type='hidden'][@name]")}
                fields.setdefault("action", "do_login")
                fields["remember"] = "yes"
                return LoginForm(action=response.urljoin(form.attrib.get("action", "member.php")),
                                 username_field="username", password_field="password",
                                 fields=fields)
        return find_login_form(response)

    def canonical_thread_url(self, url: str) -> str:
        parts = urlsplit(url)
        m = _THREAD_FILE_RE.search(parts.path)
        if m:
            path = parts.path[:m.start()] + f"thread-{m.group(1)}.html"
            return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        query = [(k, v) for k, v in parse_qsl(parts.query) if k == "tid"]
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))

    def _date(self, nodes: SelectorList, now: datetime) -> datetime | None:
        html = "".join(nodes.getall())
        if not html.strip():
            return None
        frag = Selector(text=f"<div>{html}</div>")
        return parse_forum_date(frag.xpath("string(//div)").get(),
                                title=frag.xpath("//*[@title][1]/@title").get(), now=now,
                                tz=self.tz, date_formats=self.date_formats)
