"""The victim: organisations (from the operator's gazetteer, a shipped list, and clear title
patterns such as "Tokopedia 91M" or "KPU.GO.ID 2024 Voters"), the victim's own domains, and its
country (from ccTLDs such as ".go.id", from country names and demonyms in the languages read,
and from the organisations found)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from monitor.models import Victim
from monitor.normalize.countries import CCTLD, COUNTRY_WORDS, SECOND_LEVEL_CC
from monitor.normalize.fold import fold
from monitor.normalize.hosts import suffixes
from monitor.normalize.lexicon import Lexicon, Tokens
from monitor.normalize.orgs import KNOWN_ORGS


class OrgLike(Protocol):
    """What the victim step reads of an organisation (monitor.config.Org has it too)."""

    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...
    @property
    def country(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Org:
    """An organisation to look for: its name, the spellings that mean it, its country."""

    name: str
    aliases: tuple[str, ...] = ()
    country: str | None = None
    domains: tuple[str, ...] = ()  # its own sites: a link to one of them names it too


def _code(key: str) -> str:
    """The country of a COUNTRY_WORDS key: "ID", or "_ID" / "_QA_AR" for its extra tables."""
    return key.strip("_").split("_")[0] if key != "--" else key


_COUNTRY_LEXICON = Lexicon(((word, _code(key)) for key, words in COUNTRY_WORDS.items()
                           for word in words.split()), shared=True)
_TITLE_GENERIC = frozenset(fold(w) for w in [
    "selling", "sell", "wts", "wtb", "free", "leak", "leaked", "database", "db", "data", "dump",
    "users", "user", "records", "lines", "rows", "full", "fresh", "new", "private", "exclusive",
    "sale", "for", "the", "of", "and", "with", "from", "leaks", "base", "dijual", "jual", "vendo",
    "vends", "продам", "the", "a", "an", "combo", "combolist", "accounts", "emails", "customers",
    "clients", "voters", "citizens", "indonesia", "india", "russia", "china", "brazil", "france",
    "spain", "mexico", "database+", "update", "updated", "sample", "government", "gov", "bank",
    "hot", "urgent", "selling:", "selling-", "dumps"
])
_DOMAIN_IN_TITLE = re.compile(
    r"(?<![\w.])([a-z0-9][a-z0-9-]*)(?:\.[a-z0-9-]+)*\.([a-z]{2,6})(?![\w.])",
                              re.IGNORECASE)
_BEFORE_COUNT = re.compile(
    r"([A-Z][\w&'’-]*(?:\s+[A-Z][\w&'’-]*){0,2})\s+(?:\d[\d.,]*\s?(?:[kKmMbB]|juta|million|"
    r"billion|millions|milhões|millones|млн|кк|[мМкК])\b)")


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """Organisations and the lexicon of their folded names and aliases."""

    orgs: tuple[OrgLike, ...]
    lexicon: Lexicon
    domains: dict[str, int]  # an organisation's own domain -> its index in `orgs`

    def by_domain(self, host: str) -> OrgLike | None:
        """The organisation whose domain `host` is, or is under ("portal.bpjs-kesehatan.go.id")."""
        for name in suffixes(host):
            index = self.domains.get(name)
            if index is not None:
                return self.orgs[index]
        return None


@lru_cache(maxsize=8)
def compile_orgs(orgs: tuple[OrgLike, ...]) -> Gazetteer:
    """The lookup of `orgs` by every name and alias, and by their own domains. Cached: the
    operator's list is the same for every post, and building it per post would cost more than
    the lookup."""
    return _gazetteer(orgs)


def _gazetteer(orgs: tuple[OrgLike, ...], *, shared: bool = False) -> Gazetteer:
    entries = [(alias, str(i)) for i, org in enumerate(orgs) for alias in (org.name, *org.aliases)]
    domains = {d.lower().removeprefix("www.").rstrip("."): i for i, org in enumerate(orgs)
               for d in getattr(org, "domains", ())}
    return Gazetteer(orgs, Lexicon(entries, shared=shared), domains)


# Upper-case abbreviations that are words in lower case ("us", "uk" in Indonesian or Malay):
# US | U.S.A. | UK | RSA | PRC | RF, not inside a word. One pattern per first letter (a rare
# capital): a pattern that starts with one character is searched for it in C, where one that
# starts with the class [URP] tests the class at every character (title and body: 131k -> 65k
# instructions). Only the votes are read, so the order of the finds does not matter.
_UPPER_CODES = tuple(re.compile(pattern) for pattern in (
    r"U(?<![A-Za-z.]U)(?:S|\.S\.A?\.?|K)(?![A-Za-z])", r"R(?<![A-Za-z.]R)(?:SA|F)(?![A-Za-z])",
    r"P(?<![A-Za-z.]P)RC(?![A-Za-z])"))
_UPPER_CODE_COUNTRY = {"US": "US", "USA": "US", "US.": "US", "USA.": "US", "UK": "GB",
                       "KSA": "SA", "UAE": "AE", "RSA": "ZA", "PRC": "CN", "RF": "RU", "РФ": "RU"}
# Languages whose posts are, failing any other sign, about one country.
_LANG_COUNTRY = {"id": "ID", "hi": "IN", "zh": "CN", "pt": "BR"}
# ...and a price in a national currency says the same, more surely.
_CURRENCY_COUNTRY = {"IDR": "ID", "INR": "IN", "BRL": "BR", "RUB": "RU", "CNY": "CN",
                     "EGP": "EG", "SAR": "SA", "AED": "AE", "MXN": "MX", "TRY": "TR", "UAH": "UA",
                     "KZT": "KZ", "PLN": "PL", "JPY": "JP", "KRW": "KR", "VND": "VN", "THB": "TH",
                     "PHP": "PH", "MYR": "MY", "PKR": "PK", "BDT": "BD", "NGN": "NG", "ZAR": "ZA",
                     "ARS": "AR", "COP": "CO", "CLP": "CL", "PEN": "PE", "KWD": "KW", "QAR": "QA"}

SHIPPED_ORGS: tuple[Org, ...] = tuple(Org(n, a, c) for n, a, c in KNOWN_ORGS)
_SHIPPED = _gazetteer(SHIPPED_ORGS, shared=True)  # a table of the module, like the countries


def _name_key(name: str) -> str:
    return re.sub(r"[\W_]+", "", fold(name))


def _host_country(host: str) -> str | None:
    labels = host.lower().split(".")
    if len(labels) < 2:
        return None
    two = ".".join(labels[-2:])
    if two in SECOND_LEVEL_CC:
        return SECOND_LEVEL_CC[two]
    return CCTLD.get(labels[-1])


def _countries(folded: str) -> list[str]:
    return _COUNTRY_LEXICON.find(folded)


def find_orgs(folded: str, gazetteer: Gazetteer, words: list[str] | Tokens | None = None,
              ) -> list[OrgLike]:
    """The organisations named in folded text (or its `words`), in order, once each."""
    found: list[OrgLike] = []
    for index in gazetteer.lexicon.find(folded, words):
        org = gazetteer.orgs[int(index)]
        if org not in found:
            found.append(org)
    return found


def title_orgs(title: str) -> list[str]:
    """Organisation names a title states plainly: a domain ("KPU.GO.ID 2024 Voters") or the
    capitalised words right before a count ("Tokopedia 91M")."""
    names: list[str] = []
    for m in _DOMAIN_IN_TITLE.finditer(title):
        label = m.group(1)
        if m.group(2).lower() in ("zip", "rar", "sql", "csv", "txt", "json", "gz", "7z", "xlsx"):
            continue
        if label.lower() == "www":
            continue
        names.append(label.upper() if len(label) <= 4 else label[0].upper() + label[1:])
    for m in _BEFORE_COUNT.finditer(title):
        words = m.group(1).split()
        while words and fold(words[0]).strip("[]():") in _TITLE_GENERIC:
            words.pop(0)
        if words and not _countries(fold(" ".join(words))):
            names.append(" ".join(words))
    return [n for i, n in enumerate(names) if n not in names[:i]]


def victim(title: str, body: str, folded_title: str, folded_body: str, domains: Iterable[str],
           *, organisations: Iterable[OrgLike] = (), lang: str | None = None,
           words: list[str] | Tokens | None = None, currency: str | None = None,
           title_words: Tokens | None = None) -> Victim:
    """`victim.orgs`, `victim.domains` and `victim.country` of a post. Without any sign of a
    country, a post in a language spoken mostly in one country is taken to be about it."""
    operator = compile_orgs(tuple(organisations))
    body_words = words if isinstance(words, Tokens) else Tokens(folded_body, words)
    title_words = title_words if title_words is not None else Tokens(folded_title)
    orgs: list[OrgLike] = []
    for gazetteer in (operator, _SHIPPED):
        for text, text_words in ((folded_title, title_words), (folded_body, body_words)):
            for org in find_orgs(text, gazetteer, text_words):
                if all(fold(org.name) != fold(o.name) for o in orgs):
                    orgs.append(org)
    domains = tuple(domains)
    for host in domains:  # a link to an organisation's own site names it
        owner = operator.by_domain(host)
        if owner is not None and all(fold(owner.name) != fold(o.name) for o in orgs):
            orgs.append(owner)
    names = [o.name for o in orgs]
    for name in title_orgs(title):
        key = _name_key(name)
        if all(key != _name_key(n) and key not in _name_key(n) for n in names):
            names.append(name)
    votes: dict[str, float] = {}
    for text, folded, weight, text_words in ((title, folded_title, 2.0, title_words),
                                             (body, folded_body, 1.0, body_words)):
        for code in _COUNTRY_LEXICON.find(folded, text_words):
            if code != "--":
                votes[code] = votes.get(code, 0.0) + weight
        for codes in _UPPER_CODES:
            for m in codes.finditer(text):
                code = _UPPER_CODE_COUNTRY[m.group().replace(".", "")]
                votes[code] = votes.get(code, 0.0) + weight
    for host in domains:
        by_host = _host_country(host)
        if by_host is not None:
            votes[by_host] = votes.get(by_host, 0.0) + 2.0
    for org in orgs:
        if org.country:
            votes[org.country] = votes.get(org.country, 0.0) + 1.0
    ranked = sorted(votes.items(), key=lambda kv: kv[1], reverse=True)
    tie = len(ranked) > 1 and ranked[1][1] >= 0.8 * ranked[0][1]
    country = ranked[0][0] if ranked and not tie else None
    if not ranked:
        country = _CURRENCY_COUNTRY.get(currency or "") or _LANG_COUNTRY.get(lang or "")
    return Victim(orgs=tuple(names), domains=domains, country=country)
