"""Post bodies: the small BBCode subset the fixtures are written in, turned into the HTML each
imitated engine prints for it.

MyBB 1.8 (inc/class_parser.php, MyCode): `mycode_b`/`mycode_url`/`mycode_quote`/`codeblock`;
XenForo 2 (bb_code_tag_* templates): `<b>`, `link link--external`, `bbCodeBlock--quote`,
`bbCodeBlock--code`. `[hide]` is not core in either: on MyBB it imitates the "hidden content"
plugins of RaidForums/BreachForums, on XenForo the `bbCodeBlock--hide` of hide add-ons; guests
see the box without the content, members see the content inside it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup

_TOKEN = "\x00{}\x00"
_TOKEN_RE = re.compile(r"\x00(\d+)\x00")
_AUTOLINK = re.compile(r"(?<![=\]\"'>\w])(https?://[^\s<\[\x00]+)")
_PAIRED = re.compile(r"\[(b|i|u|quote|hide|spoiler|list)(?:=([^\]]*))?\](.*?)\[/\1\]", re.S | re.I)
_URL = re.compile(r"\[url(?:=([^\]]+))?\](.*?)\[/url\]", re.S | re.I)
_BLOCK_END = re.compile(r"(\[/(?:list|hide|quote|spoiler)\])\n", re.I)
_TRAILING = ".,;:!?)"
_CODE = re.compile(r"\[code\]\n?(.*?)\[/code\]\n?", re.S | re.I)


@dataclass(frozen=True, slots=True)
class Viewer:
    logged_in: bool
    login_url: str
    register_url: str


def render(body: str, engine: str, viewer: Viewer) -> Markup:
    """The HTML of a post body as `engine` prints it for `viewer`."""
    style = _STYLES[engine]
    chunks: list[str] = []

    def keep(fragment: str) -> str:
        chunks.append(fragment)
        return _TOKEN.format(len(chunks) - 1)

    text = html.escape(body.replace("\r\n", "\n"), quote=True)
    text = _BLOCK_END.sub(r"\1", text)  # a block swallows the line break after it
    text = _CODE.sub(lambda m: keep(style.code(m.group(1))), text)
    text = _URL.sub(lambda m: keep(style.link(m.group(1) or m.group(2), m.group(2))), text)
    text = _AUTOLINK.sub(lambda m: _autolink(m.group(1), style, keep), text)
    while True:
        new = _PAIRED.sub(lambda m: keep(_paired(style, viewer, m)), text)
        if new == text:
            break
        text = new
    text = text.replace("\n", "<br />\n")
    while _TOKEN_RE.search(text):
        text = _TOKEN_RE.sub(lambda m: chunks[int(m.group(1))], text)
    return Markup(text)


def _autolink(url: str, style: _Style, keep: Callable[[str], str]) -> str:
    """A bare URL becomes a link, as both engines do on save; trailing punctuation stays text."""
    stripped = url.rstrip(_TRAILING)
    return keep(style.link(stripped, stripped)) + url[len(stripped):]


def _paired(style: _Style, viewer: Viewer, m: re.Match[str]) -> str:
    tag, arg, inner = m.group(1).lower(), m.group(2), m.group(3)
    if tag == "list":
        items = [i.strip() for i in inner.split("[*]")[1:]]
        return style.list_(items)
    inner = inner.strip("\n") if tag in ("quote", "hide", "spoiler") else inner
    inner = inner.replace("\n", "<br />\n") if tag in ("quote", "hide", "spoiler") else inner
    if tag == "quote":
        return style.quote(arg, inner)
    if tag == "hide":
        return style.hide(inner, viewer)
    if tag == "spoiler":
        return style.spoiler(inner)
    return style.inline[tag].format(inner)


@dataclass(frozen=True, slots=True)
class _Style:
    inline: dict[str, str]
    link: Callable[[str, str], str]
    code: Callable[[str], str]
    quote: Callable[[str | None, str], str]
    list_: Callable[[list[str]], str]
    hide: Callable[[str, Viewer], str]
    spoiler: Callable[[str], str]


def _mybb_hide(inner: str, v: Viewer) -> str:
    body = inner if v.logged_in else (
        f'You must <a href="{v.register_url}">register</a> or '
        f'<a href="{v.login_url}">login</a> to view this content.')
    state = "hidden-content unlocked" if v.logged_in else "hidden-content"
    return (f'<div class="{state}"><div class="hidden-content-title"><strong>Hidden Content'
            f'</strong></div><div class="hidden-content-body">{body}</div></div>')


def _xf_hide(inner: str, v: Viewer) -> str:
    body = inner if v.logged_in else (
        f'You must <a href="{v.login_url}" data-xf-click="overlay">log in</a> or '
        f'<a href="{v.register_url}" data-xf-click="overlay">register</a> to see this content.')
    state = "bbCodeBlock bbCodeBlock--hide" + ("" if v.logged_in else " bbCodeBlock--hidden")
    return (f'<div class="{state}"><div class="bbCodeBlock-title">Hidden content</div>'
            f'<div class="bbCodeBlock-content">{body}</div></div>')


_MYBB = _Style(
    inline={
        "b": '<span style="font-weight: bold;" class="mycode_b">{}</span>',
        "i": '<span style="font-style: italic;" class="mycode_i">{}</span>',
        "u": '<span style="text-decoration: underline;" class="mycode_u">{}</span>',
    },
    link=lambda href, text: (
        f'<a href="{href}" target="_blank" rel="noopener" class="mycode_url">{text}</a>'),
    code=lambda c: (
        '<div class="codeblock"><div class="title">Code:</div><div class="body" dir="ltr">'
        f"<code>{c.rstrip()}</code></div></div>"),
    quote=lambda who, inner: (
        f'<blockquote class="mycode_quote"><cite>{who + " Wrote:" if who else "Quote:"}</cite>'
        f"{inner}</blockquote>"),
    list_=lambda items: (
        '<ul class="mycode_list">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"),
    hide=_mybb_hide,
    spoiler=lambda inner: (
        '<div class="spoiler"><div class="spoiler_title"><span class="spoiler_button">Spoiler'
        f'</span></div><div class="spoiler_content">{inner}</div></div>'),
)

_XF = _Style(
    inline={"b": "<b>{}</b>", "i": "<i>{}</i>", "u": "<u>{}</u>"},
    link=lambda href, text: (
        f'<a href="{href}" target="_blank" class="link link--external" '
        f'rel="nofollow ugc noopener">{text}</a>'),
    code=lambda c: (
        '<div class="bbCodeBlock bbCodeBlock--screenLimited bbCodeBlock--code">'
        '<div class="bbCodeBlock-title">Code:</div><div class="bbCodeBlock-content" dir="ltr">'
        '<pre class="bbCodeCode" dir="ltr" data-xf-init="code-block" data-lang="">'
        f"<code>{c.rstrip()}</code></pre></div></div>"),
    quote=lambda who, inner: (
        '<blockquote class="bbCodeBlock bbCodeBlock--expandable bbCodeBlock--quote '
        'js-expandWatch">'
        + (f'<div class="bbCodeBlock-title">{who} said:</div>' if who else "")
        + '<div class="bbCodeBlock-content"><div class="bbCodeBlock-expandContent '
        f'js-expandContent ">{inner}</div></div></blockquote>'),
    list_=lambda items: (
        "<ul>" + "".join(f'<li data-xf-list-type="ul">{i}</li>' for i in items) + "</ul>"),
    hide=_xf_hide,
    spoiler=lambda inner: (
        '<div class="bbCodeBlock bbCodeBlock--spoiler"><div class="bbCodeBlock-spoiler-button">'
        '<button type="button" class="button--spoiler button"><span class="button-text">'
        '<span>Spoiler</span></span></button></div><div class="bbCodeBlock-content">'
        f'<div class="bbCodeBlock-spoiler-content">{inner}</div></div></div>'),
)

_MARKET = _Style(
    inline={"b": "<strong>{}</strong>", "i": "<em>{}</em>", "u": "<u>{}</u>"},
    link=lambda href, text: f'<a class="mk-link" href="{href}" rel="nofollow">{text}</a>',
    code=lambda c: f'<pre class="mk-code">{c.rstrip()}</pre>',
    quote=lambda who, inner: f'<blockquote class="mk-quote">{inner}</blockquote>',
    list_=lambda items: '<ul class="mk-list">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>",
    hide=lambda inner, v: (
        f'<div class="mk-locked">{inner if v.logged_in else "Log in to see this part."}</div>'),
    spoiler=lambda inner: f'<details class="mk-spoiler">{inner}</details>',
)

_STYLES = {"mybb": _MYBB, "xenforo": _XF, "market": _MARKET}
