"""Links in a post, refanged: every URL (plain text, defanged text and HTML anchors), the ones that
lead to data (`samples[]`), the ways to reach the seller (`contacts[]`) and the hosts that may be
the victim's (`victim.domains`).

Defanged spellings read: `hxxp(s)`, `h**ps`, `[.]`, `(.)`, `{.}`, `[dot]`, `[:]//`, `[://]`,
`[@]`, `(at)`; a host without scheme is read when its top-level domain is a real one."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from monitor.models import Contact, SampleLink
from monitor.normalize.hosts import (
    CONTACT_HOSTS,
    DATA_EXTENSIONS,
    FILE_HOSTS,
    NEUTRAL_HOSTS,
    PASTE_SITES,
    TLDS,
    WORDLIKE_TLDS,
    XMPP_HOSTS,
    host_in,
    suffixes,
)
from monitor.onion import is_valid_v3_onion

# A host has at most 127 labels (DNS): the bound keeps a failed try short on hostile text
# ("x (.) x (.) ..." read as one endless host, then given back label by label).
_DOT = r"(?:\s?[\[\(\{]\s?(?:\.|dot)\s?[\]\)\}]\s?|\.)"
# Possessive: a label never gives characters back, which keeps the scan linear on prose.
_LABEL = r"[a-z0-9][a-z0-9-]*+"
_SCHEME = (r"(?P<scheme>(?:h[tx*]{2}p|h\[tt\]p|h\[xx\]p)(?P<s>s?)\s?"
           r"(?:\[:\]|\(:\)|:)\s?(?:\[/\]|/){2}"
           r"|(?:h[tx*]{2}p)(?P<s2>s?)\[://\]|ftp://)")
# A path is a run of characters up to a blank, a quote or a closing bracket, through "[.]" and
# "[dot]". Nothing follows it in `URL`, so it never gives back: a run is taken at once (one
# step of the engine's loop per run rather than per character).
_PATH = (r"(?P<path>[/?#](?:[^\s<>\"'\[\]\)}`|\u3000-\u303f\uff0c]++|\[\.\]|\[dot\])*+)?")
URL = re.compile(
    rf"(?<![\w@.\-/])(?:{_SCHEME})?(?P<host>(?:{_LABEL}{_DOT}){{1,127}}(?P<tld>[a-z]{{2,24}}))"
    rf"(?P<port>:\d{{2,5}})?(?![\w-]){_PATH}",
    re.IGNORECASE,
)
EMAIL = re.compile(
    rf"(?<![\w.+-])(?P<user>[a-z0-9][\w.+-]*)\s?(?:@|\[@\]|\(@\)|\[at\]|\(at\)|\{{at\}})\s?"
    rf"(?P<host>(?:{_LABEL}{_DOT}){{1,127}}[a-z]{{2,24}})(?![\w-])",
    re.IGNORECASE,
)
MAGNET = re.compile(r"magnet:\?xt=urn:[a-z0-9]+:[a-z0-9]{32,40}[^\s<>\"'\]\)]*", re.IGNORECASE)
# Telegram handles: "@name" with a Telegram word right before it or right after it.
_HANDLE = re.compile(r"@([a-z][a-z0-9_]{3,31})(?![\w@.])", re.IGNORECASE)
_TG_BEFORE = re.compile(
    r"(?:telegram|tg|telega|телеграм\w*|телега|тг|тлг|تيليجرام|تلغرام|تليجرام|टेलीग्राम|电报|纸飞机|"
    r"飞机)\s*(?:id|handle)?\s*[:：\-–=]?\s*$", re.IGNORECASE)
_TG_AFTER = re.compile(r"\s*\(?\s*(?:on\s+)?(?:telegram|tg)\b", re.IGNORECASE)
_AT_MARK = re.compile(r"@|\[at\]|\(at\)|\{at\}|\[@\]|\(@\)", re.IGNORECASE)
_AT = re.compile("@")
_XMPP_WORD = re.compile(r"(?:jabber|xmpp|jid|жаббер|джаббер|жаба)\s*[:：\-–=]?\s*$",
                        re.IGNORECASE)
_TOX = re.compile(r"(?<![0-9a-f])[0-9a-f]{76}(?![0-9a-f])", re.IGNORECASE)
# "05" first, the boundary checked after it: the engine skips to each "05" in C
_SESSION = re.compile(r"05(?<![0-9a-f]05)[0-9a-f]{64}(?![0-9a-f])", re.IGNORECASE)
# "Sample: <link>", "Download - <link>", "Зеркало: <link>": a link so labelled is to data even
# on a host the tables do not know (a victim's own site is named, not labelled so).
_SAMPLE_WORDS = (
    "sample", "samples", "download", "dl", "mirror", "mirrors", "proof", "preview", "скачать",
    "зеркало", "пример", "семпл", "сэмпл", "sampel", "contoh", "unduh", "amostra", "baixar",
    "muestra", "descarga", "descargar", "echantillon", "échantillon", "telechargement",
    "téléchargement", "miroir", "样本", "下载", "عينة", "تحميل", "सैंपल", "डाउनलोड")
# The look-ahead on the words' first letters is the same test as the words' own first letters,
# made once: the engine passes most characters with it instead of trying every word there.
_SAMPLE_LABEL = re.compile(
    "(?=[" + "".join(sorted({re.escape(w[0]) for w in _SAMPLE_WORDS})) + "])"
    "(?:" + "|".join(_SAMPLE_WORDS) + r")[^\n]{0,25}$", re.IGNORECASE)
# a label word ends at most 25 characters before its link, so it starts at most this far before
_LABEL_REACH = 25 + max(len(w) for w in _SAMPLE_WORDS)
# A piece of every label word above: a window without any of them holds no label, and looking
# for a few substrings (in the lowered text, with one search) costs less than the search.
_LABEL_HINTS = ("sampl", "sampel", "downl", "dl", "mirr", "proof", "previ", "скачат", "зеркал",
                "пример", "семпл", "сэмпл", "contoh", "unduh", "amostr", "baixar", "muestr",
                "descarg", "chantillon", "chargement", "miroir", "样本", "下载", "عينة", "تحميل",
                "सैंपल", "डाउनलोड")
_LABEL_HINT = re.compile("|".join(map(re.escape, _LABEL_HINTS)))
# "[at]", "(at)", "{at}" in any case (and a few more): a quick look before the marks' search
_BRACKETED_AT = re.compile(r"[\[({](?i:at)[\])}]")
_DOT_HINT = re.compile(r"[.\[({](?:(?<=\.)[a-z0-9]|(?<=[\[({])\s?(?:\.|dot))", re.IGNORECASE)
# Without a bracketed word ("[dot]", "[at]", "(@)"), the hints are the dots and the marks the
# "@"s, which the engine skips to in C; a class of four (above) costs it a call at every
# character. Each bracket is looked for by its own pattern, for the same reason.
_BRACKET_WORDS = tuple((b, re.compile(re.escape(b) + r"(?:\s?(?i:dot)|(?i:at)[\])}]|@)"))
                       for b in "[({")
# A "." that begins a hint of `_DOT_HINT`, or ends a bracketed one ("[.", "( .") found from it.
# Not one before a label of digits that nothing continues ("1.5 BTC", "2.1M"): no host can
# hold that dot (its last label would be the digits, and a TLD has letters), so no URL.match.
_DOT_ONLY_HINT = re.compile(
    r"\.(?:(?<=[\[({]\.)|(?<=[\[({]\s\.)|(?![0-9]++(?![a-z0-9\-]|\.|\s?[\[({]))[a-z0-9])",
    re.IGNORECASE)
# what `_LABEL` takes, case-insensitively (with the four letters Unicode case-folds into a-z),
# read in the reversed text: the label that ends at a dot, read back from the dot in C
_LABEL_BACKWARDS = re.compile("[a-zA-Z0-9\\-\u0130\u0131\u017f\u212a]*")
_SCHEME_WIDTH = 24
_SPLIT_PATH = re.compile(r" (/[\w\-./#?=&%]*[\w/])(?=\s|$)")
_MAX_MARKS = 500
_DEFANG_DOT = re.compile(r"\s?[\[\(\{]\s?(?:\.|dot)\s?[\]\)\}]\s?", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*>"
_SECOND_LEVEL = frozenset({"go", "co", "ac", "or", "web", "sch", "gov", "com", "net", "org",
                           "edu", "mil", "gob", "nic", "ne", "gouv", "govt", "nhs", "police"})


# A link as read: (url, defanged, host, path). Host and path are what `urlsplit` makes of the
# URL, known without it for a URL built here; None for an anchor's target, read later.
_Found = tuple[str, bool, str | None, str | None]


@dataclass(frozen=True, slots=True)
class FoundLinks:
    links: tuple[str, ...] = ()
    samples: tuple[SampleLink, ...] = ()
    contacts: tuple[Contact, ...] = ()
    domains: tuple[str, ...] = ()  # hosts that may be the victim's


def refang_host(host: str) -> str:
    if not _has_bracket(host):
        return host.lower().rstrip(".")  # a defanged dot needs a bracket: nothing to replace
    return _DEFANG_DOT.sub(".", host).lower().rstrip(".")


# A URL whose host is only letters, digits, dots and hyphens (no user, port, brackets or other
# scripts), followed by its path, query, fragment or nothing: that host, lower-cased, is what
# `urlsplit(url).hostname` reads, at a seventh of the cost.
_PLAIN_HOST = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://([A-Za-z0-9.\-]*)(?![^/?#])")


def host_of(url: str) -> str:
    """The host of an absolute `url`, lower-cased ("" when it has none): the post's own URL,
    for the listing and to tell forum-internal links."""
    plain = _PLAIN_HOST.match(url)
    if plain is not None:
        return plain[1].lower()
    return urlsplit(url).hostname or ""


def _has_bracket(text: str) -> bool:
    return "[" in text or "(" in text or "{" in text


def extract(text: str, hrefs: tuple[str, ...] = (), forum_url: str = "", *,
            long_words: list[str] | None = None) -> FoundLinks:
    """Links, samples, contacts and candidate victim domains in `text` and `hrefs`;
    `long_words`: the words of `text` of 26 characters or more, when already picked out."""
    forum_host = host_of(forum_url) if forum_url else ""
    contacts: list[Contact] = []
    taken: list[tuple[int, int]] = []
    bracketed = _bracket_words(text)
    # every mark an address needs holds "@" or a bracketed "at"; most posts have neither
    has_mark = "@" in text or (bracketed and _BRACKETED_AT.search(text) is not None)
    for m in _emails(text, bracketed) if has_mark else ():
        taken.append(m.span())
        host = refang_host(m.group("host"))
        address = f"{m.group('user').lower()}@{host}"
        xmpp = bool(_XMPP_WORD.search(text, max(0, m.start() - 20), m.start())) or host_in(
            host, XMPP_HOSTS)
        contacts.append(Contact("xmpp" if xmpp else "email", address))
    urls: list[_Found] = []
    places: dict[str, list[int]] = {}  # where in `text` each link was read
    for m in MAGNET.finditer(text) if ":?" in text else ():  # as in "magnet:?xt="
        taken.append(m.span())
        urls.append((m.group(), False, None, None))
    for m in _url_matches(text, bracketed):
        if taken and any(a <= m.start() < b for a, b in taken):
            continue
        found = _from_match(m)
        if found is not None:
            if not m.group("path"):
                # "<host>.onion /files/x.zip": a path split off by a space still belongs to it
                split = _SPLIT_PATH.match(text, m.end())
                if split:  # (the link has no path: its URL is all scheme, host and port)
                    found = _found(found[0], found[2] or "", split.group(1), True)
            urls.append(found)
            places.setdefault(found[0], []).append(m.start())
    for href in hrefs:
        found_href = _from_href(href, forum_url)
        if found_href is not None:
            urls.append(found_href)
    for m in _HANDLE.finditer(text) if "@" in text else ():
        if (m.start() == 0 or text[m.start() - 1] not in "@.") and (
                _TG_BEFORE.search(text, max(0, m.start() - 30), m.start())
                or _TG_AFTER.match(text, m.end())):
            contacts.append(Contact("telegram", "@" + m.group(1)))
    # Session and Tox IDs are long words: only those are searched, not the whole text
    long_words = [word for word in (text.split() if long_words is None else long_words)
                  if len(word) >= 66]
    for m in (m for word in long_words for m in _SESSION.finditer(word)):
        contacts.append(Contact("session", m.group().lower()))
    for m in (m for word in long_words if len(word) >= 76 for m in _TOX.finditer(word)):
        contacts.append(Contact("tox", m.group().upper()))

    # lower() keeps every position unless it meets "İ" (the one letter it makes two of)
    aligned = "\u0130" not in text

    def labelled(url: str) -> bool:
        """A sample or download word stands before the link at one of its places (asked only
        of the few links the tables do not place: the look costs more than the question)."""
        return any(_labelled(text, start, quick=aligned) for start in places.get(url, ()))

    return _sort(urls, contacts, forum_host, labelled)


def _labelled(text: str, start: int, *, quick: bool) -> bool:
    """True when a sample or download word stands before `start` on its line (within 50
    characters). `quick`: when `text.lower()` keeps every position, first look for the words'
    pieces in the lowered window (which holds them as the lowered text would)."""
    line_start = text.rfind("\n", 0, start) + 1
    lo = max(line_start, start - 50)
    if quick and not _LABEL_HINT.search(text[lo:start].lower()):
        return False
    return bool(_SAMPLE_LABEL.search(text, max(lo, start - _LABEL_REACH), start))


def _bracket_words(text: str) -> bool:
    """True when `text` may hold a bracketed "dot", "at" or "@" ("[dot]", "(at)", "[@]")."""
    return any(b in text and p.search(text) for b, p in _BRACKET_WORDS)


def _url_matches(text: str, bracketed: bool = True) -> list[re.Match[str]]:
    """What `URL.finditer(text)` yields, found from the dots instead of tried at every
    character: a link's host has a dot ("." or a defanged "[.]", "(dot)"), the first of which
    ends its first label; the match can only start at that label or at a scheme written right
    before it (at most 18 characters: "h[xx]ps [:] [/][/]"). `bracketed`: `_bracket_words(text)`."""
    out: list[re.Match[str]] = []
    done = 0
    size = len(text)
    backwards = text[::-1]
    for hint in (_DOT_HINT if bracketed else _DOT_ONLY_HINT).finditer(text):
        at = hint.start()
        if hint.end() == at + 1:  # "[." or "[ .", found from its dot: the hint is the bracket's
            at = at - 1 if text[at - 1] in "[({" else at - 2
        if at < done:
            continue  # a dot inside the link found last
        end = at - 1 if text[at] != "." and at > 0 and text[at - 1].isspace() else at
        if end <= done:
            continue  # no label before the dot
        # not back into the link found last ("site.com:8443 (dot) net" holds no "8443.net"):
        # finditer would go on from its end too
        # (a pattern that matches the empty string: never None)
        first = size - _LABEL_BACKWARDS.match(  # type: ignore[union-attr]
            backwards, size - end, size - done).end()
        if first == end:
            continue  # no label before the dot
        m = None
        if first and text[first - 1] in "/]":  # how every scheme ends ("//", "[/]", "[://]")
            if first - 8 >= done and text.startswith("https://", first - 8):
                start = first - 8  # (the usual scheme: what `_scheme_start` would find)
            else:
                start = _scheme_start(text, max(done, first - _SCHEME_WIDTH), first)
            if start >= 0:
                m = URL.match(text, start)
        if m is None:
            m = URL.match(text, first)
        if m is not None:
            out.append(m)
            done = m.end()
    return out


def _scheme_start(text: str, lo: int, first: int) -> int:
    """Where in `text[lo:first]` a scheme that ends at `first` can start, or -1.

    Only such a scheme can lead to a match before the host at `first` (any other match from
    there would have been found at an earlier dot), and a scheme starts with "h" or "f" (any
    case) and holds neither after its first letter: the last of them is the only candidate."""
    return max(text.rfind("h", lo, first), text.rfind("H", lo, first),
               text.rfind("f", lo, first), text.rfind("F", lo, first))


def _emails(text: str, bracketed: bool = True) -> list[re.Match[str]]:
    """Email-shaped matches, looked for only around the marks an address needs ("@", "[at]"):
    for each mark, the first match in reach, kept when it is around that mark. `bracketed`:
    `_bracket_words(text)` (without them, every mark is an "@")."""
    found: list[re.Match[str]] = []
    end = 0
    previous = -1  # where the mark before this one starts
    for tried, mark in enumerate((_AT_MARK if bracketed else _AT).finditer(text)):
        if tried >= _MAX_MARKS:
            break  # hostile input ("@@@@..."): a real post has a handful
        at, previous_at, previous = mark.start(), previous, mark.start()
        if at < end:
            continue
        lo, hi = max(end, at - 64), min(len(text), mark.end() + 255)
        # with another mark in reach, the first match in reach may be around that one
        m = EMAIL.search(text, lo, hi) if previous_at >= lo else _email_at(text, lo, hi, at)
        if m is not None and m.start() <= at < m.end():
            found.append(m)
            end = m.end()
    return found


def _email_at(text: str, lo: int, hi: int, at: int) -> re.Match[str] | None:
    """What `EMAIL.search(text, lo, hi)` finds around the mark at `at`, when no other mark is in
    `text[lo:at]`: an address around this mark begins where the user characters before it (and
    one blank at most) begin, and no address begins before that one without a mark of its own.
    One match tried there instead of a search from `lo`; None when nothing is around the mark."""
    user_end = at - 1 if at > 0 and text[at - 1].isspace() else at
    start = user_end
    while start > lo and _is_user_char(text[start - 1]):
        start -= 1
    if start < lo or (start > 0 and _is_user_char(text[start - 1])):
        return None  # the address would begin before `lo`, out of the search's reach
    return EMAIL.match(text, start, hi)


def _is_user_char(char: str) -> bool:
    return char.isalnum() or char in "_.+-"  # what EMAIL's user takes: [\w.+-]


def _from_href(href: str, forum_url: str) -> _Found | None:
    """An anchor's target: absolute (perhaps defanged), a magnet, or relative to the forum."""
    href = href.strip()
    if MAGNET.match(href):
        return href, False, None, None
    m = URL.match(href)
    if m and (m.group("scheme") or "/" not in href.split(m.group("host"))[0]):
        return _from_match(m)
    try:
        absolute = urljoin(forum_url, href) if forum_url else href
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme in ("http", "https") and parts.hostname:
        return _clean(absolute), False, None, None
    return None


def _from_match(m: re.Match[str]) -> _Found | None:
    # `URL`'s groups in their order: one call, no name looked up
    scheme_text, secure, secure2, raw_host, tld, port, path = m.groups()
    if len(raw_host) > 300:
        return None  # no real host name is that long (253 at most)
    tld = tld.lower()
    # a bracket in a host can only be a defanged dot's; in a path, only "[.]" or "[dot]" hold one
    bracketed = _has_bracket(raw_host)
    host = refang_host(raw_host) if bracketed else raw_host.lower()  # (it ends in its TLD)
    scheme_text = (scheme_text or "").lower()
    path = path or ""
    defanged = bracketed or (
        bool(scheme_text) and not scheme_text.startswith(("http", "ftp"))) or (
        "[" in scheme_text) or ("[" in path and bool(_DEFANG_DOT.search(path)))
    if tld not in TLDS and tld != "onion" and not _plausible_tld(
            tld, host, bool(scheme_text or path or defanged)):
        return None
    if not scheme_text and not path and not defanged and host.count(".") == 1 and (
            host.partition(".")[0].isdigit()):
        return None
    if scheme_text.startswith("ftp"):
        scheme = "ftp"
    elif scheme_text:
        scheme = "https" if secure or secure2 else "http"
    else:
        scheme = "http" if tld == "onion" else "https"
    path = _DEFANG_DOT.sub(".", path) if "[" in path else path
    return _found(f"{scheme}://{host}{port or ''}", host, path, defanged)


def _found(prefix: str, host: str, path: str, defanged: bool) -> _Found:
    """The link `prefix` (scheme, host, port) + `path`, cleaned. Cleaning never reaches the host
    (it ends in a letter or a digit), so the path `urlsplit` would read is what follows `prefix`
    up to a query or fragment."""
    url = prefix + path
    if url[-1] in _TRAILING or url[-1] == ")":
        url = _clean(url)
    return url, defanged, host, url[len(prefix):].partition("#")[0].partition("?")[0]


def _plausible_tld(tld: str, host: str, marked: bool) -> bool:
    """A real TLD; one that reads as a word ("is", "it", "me") only with a scheme, a path, a
    defanged dot or an organisational second level ("go.id")."""
    if tld in TLDS:
        return True
    return tld in WORDLIKE_TLDS and (marked or host.split(".")[-2] in _SECOND_LEVEL)


def _clean(url: str) -> str:
    """Strip what trails a URL in prose (punctuation, an unbalanced closing bracket)."""
    while url and url[-1] in _TRAILING:
        url = url[:-1]
    while url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1]
    return url


def _sort(urls: list[_Found], contacts: list[Contact], forum_host: str,
          labelled: Callable[[str], bool]) -> FoundLinks:
    links: list[str] = []
    samples: list[SampleLink] = []
    domains: list[str] = []
    seen: dict[str, int] = {}
    forum_bare = forum_host.removeprefix("www.")
    for url, defanged, known_host, known_path in urls:
        magnet = url.startswith("magnet:")
        key = url.lower() if magnet else url.rstrip("/").lower()
        if key in seen:
            if defanged and samples:  # the same link written both ways: record that it was
                samples = [s if s.url != links[seen[key]] else SampleLink(
                    s.url, s.host, s.onion, True) for s in samples]
            continue
        seen[key] = len(links)
        links.append(url)
        if magnet:
            samples.append(SampleLink(url, "magnet", False, defanged))
            continue
        if known_host is None or known_path is None:
            parts = urlsplit(url)
            host, path = (parts.hostname or "").lower(), parts.path
        else:
            host, path = known_host, known_path
        bare = host[4:] if host.startswith("www.") else host
        if forum_host and (host == forum_host or bare == forum_bare):
            continue
        roles = _host_roles(host)
        if "contact" in roles:
            if "telegram" in roles:
                handle = path.strip("/").split("/")[0]
                if handle and handle not in ("joinchat", "s", "c", "+"):
                    contacts.append(Contact("telegram", "@" + handle.lstrip("+")))
            continue
        onion = host.endswith(".onion")
        if onion:
            if is_valid_v3_onion(host):
                samples.append(SampleLink(url, host, True, defanged))
            continue
        hosted = "file" in roles or "paste" in roles
        if hosted and not path.strip("/") and _home_page(url):
            continue  # "upload it to pixeldrain.com": a file host named, no file linked
        if hosted or _is_data_path(path) or (
                path.strip("/") and "neutral" not in roles and labelled(url)):
            samples.append(SampleLink(url, bare, False, defanged))
            continue
        if "neutral" not in roles and bare not in domains:
            domains.append(bare)
    return FoundLinks(tuple(links), tuple(samples), _dedupe(contacts), tuple(domains))


def _home_page(url: str) -> bool:
    """The link is a site's home page: no path, query or fragment (which old mega.nz links use:
    "https://mega.nz/#!id!key")."""
    parts = urlsplit(url)
    return not parts.path.strip("/") and not parts.query and not parts.fragment


# Every host the tables name, with its roles: a link's host is looked up once, suffix by
# suffix (as `host_in` does for one table), rather than once per table.
_ROLES: dict[str, frozenset[str]] = {}
for _role, _table in (("contact", CONTACT_HOSTS), ("file", FILE_HOSTS), ("paste", PASTE_SITES),
                      ("neutral", NEUTRAL_HOSTS),
                      ("telegram", frozenset({"t.me", "telegram.me", "telegram.dog"}))):
    for _name in _table:
        _ROLES[_name] = _ROLES.get(_name, frozenset()) | {_role}


def _host_roles(host: str) -> frozenset[str]:
    """The roles of `host` or of a domain it is under (what `host_in` says, for every table)."""
    roles: frozenset[str] = frozenset()
    for name in suffixes(host):
        found = _ROLES.get(name)
        if found:
            roles = roles | found if roles else found  # (most hosts have one entry)
    return roles


def _is_data_path(path: str) -> bool:
    return path.lower().endswith(DATA_EXTENSIONS)


def _dedupe(contacts: list[Contact]) -> tuple[Contact, ...]:
    seen: set[tuple[str, str]] = set()
    out: list[Contact] = []
    for c in contacts:
        key = (c.type, c.value.lower())
        if key not in seen:
            seen.add(key)
            out.append(c)
    return tuple(out)
