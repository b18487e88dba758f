"""The special pages a forum answers with instead of content, and its login form.

A spider only recognises them (``PageKind``); what to do about one (log in again, back off, stop
the source, render the challenge) is the middleware's business (monitor/middleware/).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from scrapy.http import Response, TextResponse


class PageKind(enum.StrEnum):
    OK = "ok"
    LOGIN_REQUIRED = "login_required"  # the content needs an account we are not logged in with
    LOGGED_OUT = "logged_out"  # the session ended ("you have been logged out", "session expired")
    BANNED = "banned"
    RATE_LIMITED = "rate_limited"
    CHALLENGE = "challenge"  # anti-DDoS / JavaScript check in front of the forum


# Phrases the engines and the usual anti-DDoS front ends print, lower-cased. MyBB and XenForo
# phrases are theirs (MyBB global.lang.php error_banned/banned_warning, XenForo phrases).
BANNED_PHRASES: tuple[str, ...] = (
    "you are banned", "you have been banned", "your forum account is currently banned",
    "your account has been banned", "this account is banned", "ваш аккаунт заблокирован",
    "akun anda telah diblokir",
)
LOGGED_OUT_PHRASES: tuple[str, ...] = (
    "you have been logged out", "your session has expired", "session expired",
    "you are now logged out", "вы вышли", "sesi anda telah berakhir",
)
LOGIN_REQUIRED_PHRASES: tuple[str, ...] = (
    "you must be logged-in to do that", "you must be logged in", "you are either not logged in",
    "not logged in or do not have permission", "login required", "please log in to",
    "please login to", "войдите", "silakan login",
)
RATE_LIMIT_PHRASES: tuple[str, ...] = (
    "too many requests", "rate limit", "you must wait at least", "please wait before",
    "flood control", "slow down",
)
CHALLENGE_PHRASES: tuple[str, ...] = (
    # not "please enable javascript": XenForo prints that in every page's <noscript>
    "checking your browser", "ddos protection", "anti-ddos", "ddos-guard", "just a moment",
    "enable javascript and cookies", "you are in the queue",
    "browser check", "verifying you are human",
)
_COOKIE_JS_RE = re.compile(r"document\.cookie\s*=", re.I)


@dataclass(frozen=True, slots=True)
class LoginForm:
    """A login form read from a page: where to post it and the fields it already carries (CSRF
    tokens such as MyBB's ``my_post_key`` or XenForo's ``_xfToken``, redirect targets)."""

    action: str
    username_field: str
    password_field: str
    fields: dict[str, str] = field(default_factory=dict)


def page_text(response: Response, limit: int = 20000) -> str:
    """Lower-cased visible text of the page's body (first `limit` characters), for phrase tests."""
    if not isinstance(response, TextResponse):
        return ""
    parts = response.xpath(
        "//body//text()[not(ancestor::script) and not(ancestor::style)]").getall()
    return " ".join(" ".join(parts).split()).lower()[:limit]


def has_password_form(response: Response) -> bool:
    return isinstance(response, TextResponse) and bool(
        response.xpath("//form[.//input[@type='password']]"))


def classify_common(response: Response, *, content_present: bool) -> PageKind:
    """What a page is, from the status and the phrases every engine prints. `content_present`
    says whether the engine spider found what a board or thread page holds; a page with content is
    never taken for a special page because a post happens to quote one of the phrases."""
    if response.status == 429:
        return PageKind.RATE_LIMITED
    if content_present:
        return PageKind.OK
    text = page_text(response)
    if any(p in text for p in BANNED_PHRASES):
        return PageKind.BANNED
    if any(p in text for p in RATE_LIMIT_PHRASES):
        return PageKind.RATE_LIMITED
    if any(p in text for p in LOGGED_OUT_PHRASES):
        return PageKind.LOGGED_OUT
    if any(p in text for p in LOGIN_REQUIRED_PHRASES) or (
            response.status in (401, 403) and has_password_form(response)):
        return PageKind.LOGIN_REQUIRED
    if looks_like_challenge(response, text):
        return PageKind.CHALLENGE
    return PageKind.OK


def looks_like_challenge(response: Response, text: str) -> bool:
    if not isinstance(response, TextResponse):
        return False
    if any(p in text for p in CHALLENGE_PHRASES):
        return True
    scripts = " ".join(response.xpath("//script/text()").getall())
    # A page that only sets a cookie from JavaScript and reloads is a challenge, whatever it says.
    return bool(_COOKIE_JS_RE.search(scripts)) and len(text) < 600


def find_login_form(response: Response) -> LoginForm | None:
    """The login form on a page: the form holding a password input. Its hidden inputs (CSRF token,
    redirect) are kept; the username field is its text/email input."""
    if not isinstance(response, TextResponse):
        return None
    for form in response.xpath("//form[.//input[@type='password']]"):
        password = form.xpath(".//input[@type='password']/@name").get()
        username = form.xpath(
            ".//input[not(@type) or @type='text' or @type='email'][@name]/@name").get()
        if not password or not username:
            continue
        fields: dict[str, str] = {}
        for inp in form.xpath(".//input[@type='hidden' or @type='checkbox'][@name]"):
            name = inp.attrib["name"]
            if inp.attrib.get("type") == "checkbox" and "checked" not in inp.attrib:
                continue
            fields[name] = inp.attrib.get("value", "")
        action = response.urljoin(form.attrib.get("action") or response.url)
        return LoginForm(action=action, username_field=username, password_field=password,
                         fields=fields)
    return None
