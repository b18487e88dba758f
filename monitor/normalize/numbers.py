"""Numbers as sellers write them, in the languages Bazaarwatch reads: digit groups ("15,000,000",
"15.000.000", "15 000 000", "15'000'000"), decimal commas ("2,9 млрд"), multipliers ("279M",
"279 juta", "1.5кк", "81.5 crore", "75万", "mil millones") and Chinese numerals ("十亿").

Separators are resolved by the number's shape first; only a lone separator followed by exactly
three digits is ambiguous, and then the caller says whether an integer is expected and the post's
language says which mark is its decimal one. All functions work on folded text (`fold.fold`)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

from monitor.normalize.fold import CJK_CHAR, fold, trie_alternation

# Languages whose writers use the comma as the decimal mark.
DECIMAL_COMMA_LANGS = frozenset({"id", "ru", "pt", "es", "fr"})

# (words, value). "mil" is a thousand in Spanish and Portuguese and a million in English slang:
# it is resolved by language in `_multiplier_value`.
_MULTIPLIERS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("k", "к", "thousand", "thousands", "ribu", "rb", "rbu", "тыс", "тысяч", "тысячи", "тысяча",
      "mille", "milles", "ألف", "الف", "آلاف", "الاف", "हज़ार", "हजार", "千", "thsd"), 1e3),
    (("lakh", "lakhs", "lac", "lacs", "lakh+", "लाख", "十万"), 1e5),
    (("m", "mm", "mn", "mln", "mio", "million", "millions", "millon", "millón", "millones",
      "milhao", "milhão", "milhoes", "milhões", "juta", "jt", "jt.", "jutaan", "млн", "млн.",
      "миллион", "миллиона", "миллионов", "лям", "ляма", "лямов", "kk", "кк", "м",
      "مليون", "ملايين",
      "مليونا", "मिलियन", "百万", "百萬"), 1e6),
    (("crore", "crores", "cr", "करोड़", "करोड", "千万", "千萬"), 1e7),
    (("万", "萬"), 1e4),
    (("亿", "億"), 1e8),
    (("b", "bn", "bln", "billion", "billions", "billon", "billón", "billones", "bilhao", "bilhão",
      "bilhoes", "bilhões", "miliar", "milyar", "milliard", "milliards", "млрд", "млрд.",
      "миллиард", "миллиарда", "миллиардов", "mil millones", "mil milhoes", "mil milhões", "ккк",
      "kkk", "مليار", "مليارات", "बिलियन", "अरब", "十亿"), 1e9),
    (("trillion", "trillions", "triliun", "трлн"), 1e12),
)
_MULT_VALUE: dict[str, float] = {fold(w): v for words, v in _MULTIPLIERS for w in words}
_MULT_VALUE["mil"] = 0.0  # resolved by language
_MULT_VALUE["mi"] = 0.0  # "2,3 mi": millions in Portuguese and Spanish; resolved by language
_MULT_FIRST = frozenset(w[0] for w in _MULT_VALUE) | {"m"}


def _mult_alternation() -> str:
    """The multiplier words as a trie, each followed by its boundary: a flat alternation of the
    ~150 words, longest first, was tried word by word after every number (measured: a match
    cost about three times as much)."""
    # CJK units stand right after digits and before other CJK letters: no word boundary.
    return trie_alternation(set(_MULT_VALUE),
                            ending=lambda w: "" if CJK_CHAR.match(w) else r"(?![^\W\d_])")


# A number: space/apostrophe-grouped thousands, or digits with dots and commas. Not after a
# Latin letter (versions "v2.3", hashes "sha256"), except "rp" ("rp150.000").
# Starts at a digit (so the engine skips to digits by itself); what may not stand before a
# number is checked after the match, in `_starts_clean`.
NUMBER = re.compile(  # one leading digit outside the alternation: the engine skips to digits
    r"\d(?:\d{0,2}(?:[ \u00a0\u202f\u2009']\d{3})+(?!\d)(?:[.,]\d+)?|\d*(?:[.,]\d+)*)"
)
_NOT_BEFORE = frozenset("0123456789abcdefghijklmnoqrstuvwxyz_")
_NOT_BEFORE_ANY = _NOT_BEFORE | frozenset(".,-")  # the only characters `_starts_clean` minds


def _starts_clean(text: str, i: int) -> bool:
    """Not after a digit group, a Latin letter (versions "v2.3", hashes "sha256") except the
    "p" of "rp150.000", nor after "covid-" style words."""
    if i == 0:
        return True
    prev = text[i - 1]
    if prev in _NOT_BEFORE:
        return False
    if prev in ".," and i >= 2 and text[i - 2].isdigit():
        return False
    return not (prev == "-" and i >= 2 and "a" <= text[i - 2] <= "z")


MULTIPLIER = re.compile(r"[ \u00a0\u202f\u2009]?(?:" + _mult_alternation() + ")")
_ZH_NUMERAL = re.compile(
    r"[一二两三四五六七八九十百千][零〇一二两三四五六七八九十百千万萬亿億]{0,15}")
_ZH_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_ZH_SMALL = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_RANGE_JOIN = re.compile(
    r"\s*(?:-|–|—|~|to|a|à|ate|até|hasta|до|sampai|hingga|s/d|至|到)\s*$")


_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009'")


# "between 50 and 60 million", "от 50 до 60", "entre 50 e 60 milhões"
_BETWEEN = re.compile(r"(?:between|entre|от|antara|بين|之间)\s*$")
_BETWEEN_AND = re.compile(r"\s*(?:and|и|y|e|et|dan|و)\s*$")


_tuple_new = tuple.__new__


class Number(NamedTuple):  # a tuple: made by the thousand per post, and cheaply
    start: int
    end: int  # after the multiplier, when there is one
    value: float
    text: str
    multiplier: float = 1.0  # 1.0 when none was written
    high: float | None = None  # the upper end of a range "50-60M" (value is the lower end)


def parse_digits(digits: str, *, integer: bool, lang: str | None, has_multiplier: bool) -> float:
    """The value of a digit string such as "15.000.000", "2,9", "223,74" or "15 000 000".

    A lone separator before exactly three digits groups thousands unless a multiplier follows
    ("1,500 juta"); then the language's decimal mark decides. `integer` is kept for callers
    that read counts, where a fraction without multiplier cannot be a count."""
    s = digits.translate(_GROUP_SPACES) if not digits.isdigit() else digits
    dots, commas = s.count("."), s.count(",")
    if dots and commas:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        grp = "," if dec == "." else "."
        whole, _, frac = s.rpartition(dec)
        return float(whole.replace(grp, "") + "." + frac)
    if not dots and not commas:
        return float(s)
    sep = "." if dots else ","
    parts = s.split(sep)
    if (sep == "," and len(parts) > 2 and len(parts[-1]) == 3
            and all(len(p) == 2 for p in parts[1:-1])):
        return float("".join(parts))  # Indian grouping: "5,00,000", "1,50,00,000"
    if len(parts) > 2:
        if all(len(p) == 3 for p in parts[1:]):
            return float("".join(parts))
        return float(parts[0] + "." + parts[1])  # malformed ("1.2.3"): read the first decimal
    whole, frac = parts
    if len(frac) != 3 or whole in ("0", ""):
        return float(f"{whole or 0}.{frac}")
    if not has_multiplier:
        return float(whole + frac)
    decimal_mark = "," if lang in DECIMAL_COMMA_LANGS else "."
    if sep == decimal_mark:
        return float(f"{whole}.{frac}")
    return float(whole + frac)


def scaled(value: float, multiplier: float) -> float:
    """`value` times `multiplier` in decimal arithmetic: 2.3 lakh is 230000, not 229999.99..."""
    if multiplier == 1.0 or value.is_integer():
        return value * multiplier  # whole numbers multiply exactly in floats (below 2**53)
    return float(Decimal(repr(value)) * Decimal(repr(multiplier)))


# "mil" is a thousand after a Latin American currency ("R$ 30 mil") or before a Portuguese or
# Spanish word ("30 mil registros"), whatever the post's language; elsewhere, English slang for
# a million.
_MIL_THOUSAND_BEFORE = re.compile(r"(?:r\$|brl|mx\$|ars|cop|clp|mxn|pen|s/)\s?[:=]?\s?$")
_MIL_THOUSAND_AFTER = re.compile(
    r"\s*(?:de|reais|real|pesos|soles|dolares|dólares|euros|registros|linhas|lineas|líneas|"
    r"filas|clientes|usuarios|usuários|contas|cuentas|cpfs|pessoas|personas|pacientes|alunos|"
    r"leads|correos|e-mails|emails|numeros|números|telefones|telefonos|teléfonos)(?![^\W\d_])")


def _mil_value(text: str, start: int, end: int, lang: str | None) -> float:
    if lang in ("es", "pt") or _MIL_THOUSAND_BEFORE.search(text, max(0, start - 6), start):
        return 1e3
    return 1e3 if _MIL_THOUSAND_AFTER.match(text, end) else 1e6


def multiplier_value(word: str, lang: str | None) -> float:
    w = " ".join(word.split())
    if w == "mil":
        return 1e3 if lang in ("es", "pt") else 1e6
    if w == "mi":
        return 1e6 if lang in ("es", "pt") else 1.0
    return _MULT_VALUE.get(w, 1.0)


def zh_numeral(text: str) -> int | None:
    """The value of a Chinese numeral such as "十亿", "三亿五千万" or "七十五万"."""
    total, section, digit = 0, 0, 0
    seen = False
    last = ""  # "d" digit, "s" small unit: "五六" or "十百" is no numeral
    for ch in text:
        if ch in _ZH_DIGIT:
            if last == "d" and ch not in "零〇":
                return None
            digit, seen, last = _ZH_DIGIT[ch], True, "d"
        elif ch in _ZH_SMALL:
            if last == "s":
                return None
            section += (digit or 1) * _ZH_SMALL[ch]
            digit, seen, last = 0, True, "s"
        elif ch in _ZH_BIG:
            unit = _ZH_BIG[ch]
            if unit == 10**8:
                total = (total + section + digit) * unit
                section = 0
            else:
                section = (section + digit) * unit
            digit, last = 0, "b"
        else:
            return None
    return total + section + digit if seen else None


def find_numbers(text: str, lang: str | None, *, integer: bool = True,
                 han: bool | None = None) -> list[Number]:
    """Every number in folded `text` with its multiplier, in order. A range is one Number whose
    value is its lower end, what the seller at least claims ("50-60m": 50e6, high=60e6).
    `han`: whether `text` may hold Chinese numerals (a caller that knows spares the search;
    None: any non-ASCII text may)."""
    found: list[Number] = []
    for m in NUMBER.finditer(text):
        start, end = m.span()
        if start and text[start - 1] in _NOT_BEFORE_ANY and not _starts_clean(text, start):
            continue
        digits = m.group()
        mult = 1.0
        nxt = text[end:end + 2].lstrip(" \u00a0\u202f\u2009")[:1]
        mm = MULTIPLIER.match(text, end) if nxt in _MULT_FIRST else None
        if mm:
            word = mm.group().strip()
            mult = (_mil_value(text, start, mm.end(), lang) if word == "mil"
                    else multiplier_value(word, lang))
            end = mm.end()
        if digits.isdigit():
            base = float(digits)  # most numbers: no separator to resolve
        else:
            try:
                base = parse_digits(digits, integer=integer, lang=lang,
                                    has_multiplier=mult != 1.0)
            except ValueError:
                continue
        # made by the thousand per post: the tuple built directly, without the Python-level
        # __new__ that fills defaults (high=None is written out), and no call to scale by 1
        found.append(_tuple_new(Number, (start, end, base if mult == 1.0 else scaled(base, mult),
                                         text[start:end], mult, None)))
    if han if han is not None else not text.isascii():
        for m in _ZH_NUMERAL.finditer(text):
            value = zh_numeral(m.group())
            if value is not None and (value >= 10 or m.group()[-1] in "万萬亿億"):
                found.append(Number(m.start(), m.end(), float(value), m.group(), 1.0))
        found.sort(key=lambda n: n.start)
    return _join_ranges(text, found)


def _join_ranges(text: str, found: list[Number]) -> list[Number]:
    out: list[Number] = []
    for n in found:
        prev = out[-1] if out else None
        if (prev is not None and n.start - prev.end < 10
                and (_RANGE_JOIN.match(text, prev.end, n.start)
                     or (_BETWEEN_AND.match(text, prev.end, n.start)
                         and _BETWEEN.search(text, max(0, prev.start - 12), prev.start)))):
            low = scaled(prev.value, n.multiplier if prev.multiplier == 1.0 else 1.0)
            if low < n.value <= 20 * low:  # "1.200 — 12,345,678" is two numbers
                out[-1] = Number(prev.start, n.end, low, text[prev.start:n.end],
                                 n.multiplier, n.value)
                continue
        out.append(n)
    return out
