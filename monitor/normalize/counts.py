"""Record counts: the total a seller claims (`records.claimed`) and the size of the sample they
offer (`records.sample`), read from title and body in the languages Bazaarwatch expects.

A number is a record count when a count unit follows or precedes it ("5M users", "строк:
500к"), or when a multiplier makes it large ("Tokopedia 91M"); it is not one when it is a size,
a share, a price, a year, a column count or a part of a link, date or phone number (those are
masked first). The sample is the count a sample word stands by ("free 1 million", "sample 10k
lines", "1M for free"); the body's explicit total wins over the title's."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import NamedTuple

from monitor.models import Records
from monitor.normalize.fold import CJK_CHAR, first_words, fold, text_pattern, words_pattern
from monitor.normalize.numbers import Number
from monitor.normalize.scan import WORD, Scanned, mask, scan

__all__ = ["CountMention", "mask", "mentions", "records"]

def _is_cjk(word: str) -> bool:
    return CJK_CHAR.search(word) is not None


_RECORD_UNITS = (
    "records", "record", "rows", "row", "lines", "line", "entries", "entry", "registros",
    "registro", "linhas", "linha", "lineas", "líneas", "filas", "lignes", "ligne",
    "enregistrements", "baris", "rekaman", "strings", "строк", "строки", "строка", "строчек",
    "записей", "записи", "запись", "сток", "条", "行", "笔", "条数据", "条记录", "سجل", "سجلات",
    "صف", "صفوف", "سطر", "أسطر", "اسطر", "سطور", "रिकॉर्ड", "रिकॉर्ड्स", "पंक्तियाँ", "data",
    "dados", "datos", "données",
    "dumps", "leads", "lignes", "dossiers", "expedientes", "prontuarios", "prontuários",
    "letters", "files of", "resumes", "cvs", "profiles", "documents", "docs", "fichas",
)
_PEOPLE_UNITS = (
    "users", "user", "accounts", "account", "customers", "customer", "clients", "client",
    "members", "member", "people", "persons", "citizens", "profiles", "patients", "students",
    "employees", "voters", "subscribers", "emails", "email", "e-mails", "mails", "phones",
    "phone numbers", "numbers", "contacts", "combos", "combolist", "credentials", "logins",
    "cards", "usernames", "passengers", "individuals", "residents", "identities", "ids",
    "applicants", "policyholders", "holders", "consumers", "buyers", "licensees", "subscribers",
    "drivers", "victims", "guests", "travellers", "travelers", "investors", "borrowers",
    "pengguna", "pelanggan", "warga", "penduduk", "nasabah", "akun", "pasien", "pemilih",
    "siswa", "mahasiswa", "karyawan", "pegawai", "orang", "jiwa", "nomor", "peserta",
    "пользователей", "пользователя", "юзеров", "клиентов", "клиента", "аккаунтов", "акков",
    "учеток", "учёток", "номеров", "людей", "граждан", "абонентов", "пациентов", "почт",
    "мейлов", "профилей", "человек", "сотрудников", "заказов", "карт", "россиян",
    "用户", "账号", "账户", "客户", "公民", "手机号", "记录", "数据", "个人信息", "人",
    "usuarios", "usuários", "clientes", "contas", "cuentas", "pessoas", "personas",
    "cidadaos", "cidadãos", "ciudadanos", "cpfs", "pacientes", "eleitores", "votantes",
    "correos", "afiliados", "alunos", "estudiantes", "empleados", "funcionarios",
    "utilisateurs", "comptes", "personnes", "citoyens", "abonnes", "abonnés", "adherents",
    "electeurs", "fiches", "مستخدم", "مستخدمين", "حساب", "حسابات", "عميل", "عملاء", "شخص",
    "مواطن", "مواطنين", "رقم", "أرقام", "ارقام", "بيانات", "यूजर्स", "उपयोगकर्ताओं", "लोगों",
    "नागरिकों", "ग्राहकों", "खाते", "डेटा", "यूज़र्स",
)
_UNIT_WORDS = _RECORD_UNITS + _PEOPLE_UNITS
_UNIT_FIRST = first_words(w for w in _UNIT_WORDS if w.isascii() or not _is_cjk(w))
_UNIT_CJK = tuple(w for w in _UNIT_WORDS if _is_cjk(w))
_UNIT = re.compile(r"(?<![a-z\u0400-\u04ff])"
                   + words_pattern(_RECORD_UNITS + _PEOPLE_UNITS, boundary=False)
                   + r"(?![a-z\u0400-\u04ff])")
# Words that make the number something else when they follow it directly.
_NOT_COUNT_AFTER = re.compile(
    r"\s?(?:%|(?:gb|mb|tb|kb|gib|mib|tib|gigs?|gbps|mbps|гб|мб|тб|гиг\w*|г[иі]г|"
    r"go|mo|g|percent|persen|процент\w*|columns?|cols?|kolom|колон\w*|столб\w*|пол[ея]й?|"
    r"campos|colunas|columnas|colonnes|champs|字段|列|أعمدة|حقول|fields|tables?|tabel|таблиц\w*|"
    r"tablas|tabelas|files?|archivos|arquivos|fichiers|файл\w*|years?|yrs?|tahun|лет|года?|anos|"
    r"años|ans|年|سنة|days?|hari|дн\w*|dias|días|jours|months?|bulan|мес\w*|hours?|jam|час\w*|"
    r"pages?|usd|usdt|us\$|\$|dollars?|dolar|dólares|dolares|eur|euros?|€|£|btc|xmr|eth|ltc|"
    r"bitcoin|monero|руб\w*|₽|rp|rupiah|rs\.?|inr|rupees?|₹|美元|元|人民币|reais|pesos|دولار|"
    r"ريال|سنوات|sites?|domains?|shops?|stores?|databases?|dbs?|bases?|баз\w*|x\b)"
    r"(?![a-z\u0400-\u04ff]))")  # text is folded to lower case: IGNORECASE only slows it
_NOT_COUNT_BEFORE = re.compile(
    r"(?<![a-z])(?:\$|us\$|usd|€|eur|£|₹|rs\.?|inr|rp\.?|idr|r\$|brl|¥|₽|₿|btc|xmr|usdt|price|harga|цена|"
    r"стоимость|价格|售价|precio|preco|preço|prix|السعر|कीमत|top|v|ver|version|#|no\.?|№)"
    r"\s?[:=]?\s?$")
_TOTAL_WORDS = (
    "total", "totals", "in total", "overall", "full", "whole", "complete", "entire", "all",
    "всего", "итого", "полная", "полный", "полную", "весь", "вся", "общий", "lengkap", "seluruh",
    "semua", "jumlah", "全部", "共", "总共", "总计", "合计", "一共", "completo", "completa",
    "complete", "complète", "entiere", "entière", "todo", "toda", "todos", "كامل", "إجمالي",
    "اجمالي", "المجموع", "कुल", "पूरा", "full db", "full database",
)
# the sample and total tables are searched in windows and over whole texts: `fold.text_pattern`
# costs less than `words_pattern` for both here
_TOTAL = re.compile(text_pattern(_TOTAL_WORDS, ("共", "总", "全部")))
_SAMPLE_STRONG_WORDS = (
    "sample", "samples", "sampel", "sampling", "contoh", "proof", "proofs", "preview", "demo",
    "test", "tester", "teaser", "образец", "образцы", "семпл", "сэмпл", "семпла", "сэмпла",
    "пример", "примеры", "пруф", "пруфы", "демо", "тест", "muestra", "muestras", "amostra",
    "amostras", "teste", "testes", "prueba", "pruebas", "exemplo", "ejemplo", "echantillon",
    "échantillon", "apercu", "aperçu",
    "عينة", "عينه", "نموذج", "सैंपल", "नमूना", "bukti", "cuplikan",
)
_SAMPLE_STRONG_CJK = ("样本", "样品", "样例", "试看", "测试", "演示", "樣本", "サンプル")
_SAMPLE_STRONG = re.compile(text_pattern(_SAMPLE_STRONG_WORDS, _SAMPLE_STRONG_CJK))
_SAMPLE_WEAK_WORDS = (
    "free", "freebie", "for free", "gratis", "gratuit", "gratuite", "gratuitement", "gratuito",
    "gratuita", "gratis", "бесплатно", "бесплатный", "бесплатная", "бесплатные", "безвозмездно",
    "халява", "مجانا", "مجاني", "مجانية", "मुफ्त", "फ्री", "cuma-cuma",
)
_SAMPLE_WEAK = re.compile(text_pattern(_SAMPLE_WEAK_WORDS, ("免费", "白嫖")))


def _gate_words(words: tuple[str, ...]) -> frozenset[str]:
    """The words a table's gate looks for: each phrase's first word, as `str.split` and as
    `WORD` cut it ("cuma-cuma" is the word "cuma" in a text)."""
    cut = (WORD.findall(fold(w)) for w in words)
    return first_words(words) | {found[0] for found in cut if found}


_SAMPLE_STRONG_FIRST = _gate_words(_SAMPLE_STRONG_WORDS)
_SAMPLE_WEAK_FIRST = _gate_words(_SAMPLE_WEAK_WORDS)
# both sample tables in one pattern, for the look over a whole text
_SAMPLE_IN_TEXT = re.compile(text_pattern(_SAMPLE_STRONG_WORDS + _SAMPLE_WEAK_WORDS,
                                          (*_SAMPLE_STRONG_CJK, "免费", "白嫖")))
_SAMPLE_TABLES = ((_SAMPLE_STRONG, "strong", _SAMPLE_STRONG_FIRST, _SAMPLE_STRONG_CJK),
                  (_SAMPLE_WEAK, "weak", _SAMPLE_WEAK_FIRST, ("免费", "白嫖")))
_AFTER_FILLER = re.compile(
    r"\s*(?:[^\s\d]+\s+){0,2}?(?:for|as|in|de|di|в|как|como|en|pour|para|sebagai|secara|"
    r"на|of|by|-|:)?\s*$")
# A clause ends at these; an opening bracket ends one only looking forward ("5M (sample 10k)"),
# not looking back ("Sample (500 rows)").
# Found from the mark itself, which is rare in prose, not from the blank before it (every word
# has one): "\n", ";", "|", a bracket..., ", " and ". ", and " - ", " + ", " / ", " & " whose
# leading blank is looked behind at (`_clauses` puts it back into the span).
_CLAUSE_MARK = re.compile(r"[\n;|•。！？!?()\[\]{}，、،؛,.\-–—+/&]"
                          r"(?:(?<=[\n;|•。！？!?()\[\]{}，、،؛])|(?<=[,.])\s|(?<=\s[-–—+/&])\s)")
_BLANK_LED = frozenset("-–—+/&")


_tuple_new = tuple.__new__


class CountMention(NamedTuple):  # a tuple: made by the thousand per post, and cheaply
    number: Number
    unit: bool
    total_marker: bool
    sample: str | None  # "strong" | "weak" | None
    in_title: bool
    subset: bool = False  # "450k unique patients": a part of the whole
    linked: bool = False  # a link follows in the same line ("Sample 5,000 rows: <link>")


def mentions(text: str | Scanned, lang: str | None, *, in_title: bool) -> list[CountMention]:
    """Every record-count mention in folded `text` (or its scan), in order."""
    scanned = text if isinstance(text, Scanned) else scan(text, lang)
    masked = scanned.masked
    out: list[CountMention] = []
    if not scanned.numbers:
        return out
    # a whole-text check first: most posts never name a sample, and then no number needs its
    # neighbourhood searched for one. (Not so for total words: "all", "full", "total" stand in
    # most posts, and the look over a whole text for them cost more than the looks in the
    # windows of the numbers that need them.)
    any_sample = _SAMPLE_IN_TEXT.search(masked) is not None
    # a number's clause is found by bisection in the loop below (written out: a method call
    # per number costs more than the bisection)
    starts, ends = _clauses(masked)
    size = len(masked)
    n_ends = len(ends)
    rows = _table_rows(masked)
    han = not masked.isascii() and CJK_CHAR.search(masked) is not None
    for n in scanned.numbers:
        value, mult = n.value, n.multiplier
        # the checks on the number alone first: they cost nothing and turn many away
        if value < 1 or value > _MOST_RECORDS or (mult == 1.0 and value != int(value)):
            continue
        n_start, n_end = n.start, n.end
        if rows and any(a <= n_start < b for a, b in rows):
            continue  # a sample row shown in the post ("5260...|BUDI S***|03-09-1982|...")
        lo = n_start - _REACH if n_start > _REACH else 0
        i = bisect_right(starts, n_start) - 1
        start = starts[i] if i >= 0 and starts[i] >= lo else lo
        j = bisect_left(ends, n_end)
        hi = n_end + _REACH if n_end + _REACH < size else size
        end = ends[j] if j < n_ends and ends[j] <= hi else hi
        before, after = masked[start:n_start], masked[n_end:end]
        if "\u2026" in before and before.rstrip(" ([").endswith("\u2026"):
            # "Sample:\n<link> (100k lines)": the link's label stands lines above
            before = masked[max(0, n_start - 80):n_start]
        if _NOT_COUNT_AFTER.match(after) or _NOT_COUNT_BEFORE.search(before[-12:]):
            continue
        plain_year = mult == 1.0 and 1900 <= value <= 2100 and n.text.isdigit()
        if plain_year and not any_sample and not _UNIT.match(after.lstrip()):
            continue  # a year ("since 2019"): the test below, made before the costlier looks
        # the words around the number are cut only when a table's gate needs them
        after_words: set[str] | None = None
        unit_after = _UNIT.match(after.lstrip(" :")) is not None
        if not unit_after:
            after_words = set(WORD.findall(after, 0, 40))
            unit_after = _unit_near(after, after_words, han)
        spaced = not n.text.isdigit() and _SPACED_DIGITS.search(n.text) is not None
        if not unit_after and spaced:
            continue  # "999 888 777" is a phone number unless a unit follows it
        before_words: set[str] | None = None
        unit = unit_after
        if not unit:
            before_words = set(WORD.findall(before))
            unit = _unit_before(before, before_words, han)
        sample = None
        if any_sample:
            if after_words is None:
                after_words = set(WORD.findall(after, 0, 40))
            if before_words is None:
                before_words = set(WORD.findall(before))
            sample = _sample_marker(before, after, before_words | after_words, han)
        if plain_year and not _UNIT.match(after.lstrip()) and not (
                sample == "strong" and _SAMPLE_STRONG.search(before[-12:])):
            continue
        grouped = mult == 1.0 and value >= 1000 and not n.text.isdigit() and not spaced
        if not (unit or (mult > 1.0 and value >= 1000) or grouped
                or (sample is not None and _SAMPLE_STRONG.search(before + after))):
            continue
        part = bool(_SUBSET.search(after[:12]) or _PART_WITH.match(after))
        # a masked link (its placeholder) within 60 characters after, on the same line
        link = masked.find("\u2026", n_end, n_end + 60)
        # the tuple built directly, as `Number`s are: the NamedTuple's Python-level __new__
        # costs more than the rest of this line
        out.append(_tuple_new(CountMention, (
            n, unit, _TOTAL.search(before[-25:]) is not None, sample, in_title, part,
            link >= 0 and masked.find("\n", n_end, link) < 0)))
    return out


def _table_rows(text: str) -> list[tuple[int, int]]:
    """Spans of lines that are rows of a table (three or more of one separator, like a
    neighbouring line): their numbers are data, not claims."""
    if "\n" not in text or (text.count("|") < 3 and text.count(";") < 3
                             and text.count("\t") < 3):
        return []
    lines: list[tuple[int, int, tuple[int, int, int]]] = []
    pos = 0
    for line in text.split("\n"):
        shape = (line.count("|"), line.count(";"), line.count("\t"))
        lines.append((pos, pos + len(line), shape))
        pos += len(line) + 1
    rows = []
    for i, (start, end, shape) in enumerate(lines):
        if max(shape) < 3:
            continue
        near = [lines[j][2] for j in (i - 1, i + 1) if 0 <= j < len(lines)]
        if shape in near:
            rows.append((start, end))
    return rows


_REACH = 60  # a clause is cut this far from its number at most


def _clauses(text: str) -> tuple[list[int], list[int]]:
    """Where clauses begin and where they end in `text`, in order, found in one pass: a clause
    start is a clause end that is not an opening bracket (`mentions` bisects them)."""
    starts: list[int] = []
    ends: list[int] = []
    add_start, add_end = starts.append, ends.append
    last = 0
    for m in _CLAUSE_MARK.finditer(text):
        a, b = m.span()
        mark = text[a]
        if mark in _BLANK_LED:
            a -= 1  # " - ": the blank before the dash is part of the mark
            if a < last:
                continue  # that blank ended the mark before (",  - ", "\n- ")
        last = b
        add_end(a)
        if mark not in "([{":  # an opening bracket is a mark of one character
            add_start(b)
    return starts, ends


def _may_hold(words: set[str], first: frozenset[str], cjk: tuple[str, ...], text: str,
              han: bool = True) -> bool:
    """A cheap gate before a table's regex runs over a window: one of its first words is there
    (or, in CJK text, one of its CJK spellings); `han`: whether the whole text holds any CJK
    character (found once per text, not once per window)."""
    return not first.isdisjoint(words) or (
        han and not text.isascii() and any(c in text for c in cjk))


def _unit_near(after: str, words: set[str], han: bool = True) -> bool:
    """A unit within two words after the number ("5M Indonesian citizens", "1jt data")."""
    if not _may_hold(words, _UNIT_FIRST, _UNIT_CJK, after[:40], han):
        return False
    m = _UNIT.search(after, 0, 40)
    if not m:
        return False
    gap = after[:m.start()].split()
    return len(gap) <= 3 and not any(ch.isdigit() for ch in after[:m.start()])


def _unit_before(before: str, words: set[str], han: bool = True) -> bool:
    """A unit label right before ("records: 15,000,000", "строк - 500к", "条数：75万")."""
    tail = before[-30:]
    if not _may_hold(words, _UNIT_FIRST, _UNIT_CJK, tail, han):
        return False
    m = _last(_UNIT, tail)
    return m is not None and bool(_LABEL_GAP.fullmatch(tail[m.end():]))


# searched, not matched, in the words after the number: no leading blanks to skip, so the engine
# jumps to the words' first letters in C
_SUBSET = re.compile(r"unique|uniques|уникальных|unicos|únicos|unicas|únicas|distinct|valid")
# ...and "7M with phone numbers", "2M of them have emails" (right after the number): a count
# whose unit follows "with" is the part of the data that holds that field, not the total.
_PART_WITH = re.compile(r"\s*(?:of them |of which |из них |dari itu )?(?:with|having|have|has|"
                        r"that have|which have|dengan|com|con|avec|с|где)\s")
_SPACED_DIGITS = re.compile(r"\d\s\d")
_MOST_RECORDS = 5e10  # more than every person and account on Earth: not a record count
_AFTER_LINK = re.compile("\u2026\\s*[(\\[]?\\s*$")
_LABEL_GAP = re.compile(r"\s*(?:count|total|number|jumlah|кол-во|количество|数|数量)?\s*"
                        r"[:=：\-–]?\s*(?:~|≈|около|sekitar|about)?\s*")


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    found = None
    for found in pattern.finditer(text):  # noqa: B007 - the last one is wanted
        pass
    return found


def _sample_marker(before: str, after: str, words: set[str] | None = None,
                   han: bool = True) -> str | None:
    """"strong" or "weak" when a sample word stands by the number in its clause. `words`: the
    words around the number, when cut: each table is then searched only where its gate lets it
    (most clauses name no sample, many only a weak one)."""
    near = before + after if han else ""
    total_before: re.Match[str] | None = None
    total_looked = False  # the total word before is looked for once, when needed
    for pattern, kind, gate, cjk in _SAMPLE_TABLES:
        if words is not None and not _may_hold(words, gate, cjk, near, han):
            continue
        last = _last(pattern, before)
        if last is not None:
            if not total_looked:
                total_before, total_looked = _last(_TOTAL, before), True
            if total_before is None or total_before.start() < last.start():
                return kind
        first = pattern.search(after, 0, 40)
        if first is not None and _AFTER_FILLER.match(after[:first.start()]):
            return kind
    return None


def records(title: str | Scanned, body: str | Scanned, lang: str | None, *,
            original: str = "") -> Records:
    """`records.claimed`, `records.sample` and `records.text` from folded title and body;
    `original` (title and body as written) lets `records.text` keep the seller's spelling."""
    title_m = mentions(title, lang, in_title=True)
    body_m = mentions(body, lang, in_title=False)
    title_values = frozenset(m.number.value for m in title_m if m.sample is None)
    claimed_m = _claimed(body_m, title_values)
    title_best = _claimed(title_m)
    if claimed_m is None or (claimed_m.subset and title_best is not None and not title_best.subset
                             and title_best.number.value > claimed_m.number.value):
        # the body names only a part ("7M with phone numbers"): the title's total is the claim
        claimed_m = title_best
    claimed = round(claimed_m.number.value) if claimed_m else None
    sample_m = _sample(body_m, claimed) or _sample(title_m, claimed)
    if claimed_m is None:
        weak = [m for m in body_m + title_m if m.sample == "weak"]
        if weak and sample_m is None:
            claimed_m = max(weak, key=lambda m: m.number.value)
            claimed = round(claimed_m.number.value)
    sample = round(sample_m.number.value) if sample_m else None
    if (claimed is not None and sample is not None and sample >= claimed
            and sample_m is not None and sample_m.sample == "weak"):
        sample = None
    texts: list[str] = []
    lowered: str | None = None
    for m in (claimed_m, *[t for t in title_m if t.sample is None], sample_m):
        if m is None:
            continue
        words = m.number.text.strip()
        if original and _may_differ(words):
            if lowered is None:
                lowered = original.lower()
            words = _as_written(words, original, lowered)
        if words not in texts:
            texts.append(words)
    return Records(claimed=claimed, sample=sample, text=tuple(texts))


def _as_written(words: str, original: str, lowered: str) -> str:
    """`words` (folded, as read) as the post wrote them: the first place where they stand
    case-blind, with any run of blanks where they have one ("279 Juta"); `words` when they are
    not there as such. Found with `str.find`, not a pattern compiled for every new number."""
    if len(lowered) != len(original):  # lower() moved positions ("İ"): a case-blind pattern
        found = re.search(re.escape(words).replace("\\ ", r"\s+"), original, re.IGNORECASE)
        return found.group() if found else words
    first, *rest = words.split()
    at = lowered.find(first)
    while at >= 0:
        end = at + len(first)
        for part in rest:
            blank = end
            while blank < len(lowered) and lowered[blank].isspace():
                blank += 1
            if blank == end or not lowered.startswith(part, blank):
                break
            end = blank + len(part)
        else:
            return original[at:end]
        at = lowered.find(first, at + 1)
    return words


def _may_differ(words: str) -> bool:
    """Whether `words` may be written otherwise in the post: it holds a blank (any run of blanks
    there) or a cased letter. Digits and marks alone ("15,000,000") are found as they are or
    not at all, so the search (a pattern compiled for each new number) is spared."""
    return " " in words or not words.lower() == words == words.upper()


def _claimed(found: list[CountMention], title_values: frozenset[float] = frozenset(),
             ) -> CountMention | None:
    totals = [m for m in found if m.sample is None]
    if not totals:
        return None

    def rank(m: CountMention) -> tuple[int, float]:
        strength = (4 * m.total_marker * (m.unit or m.number.multiplier > 1)
                    + 2 * m.unit + (m.number.multiplier > 1) - 2 * m.subset
                    + (m.number.value in title_values))
        return strength, m.number.value

    best = max(totals, key=rank)
    # "10M (10,231,554 to be exact)": the precise figure of the same claim wins.
    for m in totals:
        if (m.number.multiplier == 1.0 and best.number.multiplier > 1.0
                and abs(m.number.value - best.number.value) <= 0.1 * best.number.value):
            return m
    return best


def _sample(found: list[CountMention], claimed: int | None) -> CountMention | None:
    """The sample: the first one marked, unless a later one comes with its link (an inline
    preview of 40 rows, then "Sample 5,000 rows: <link>")."""
    marked = [m for m in found if m.sample == "strong" or (
        m.sample == "weak" and claimed is not None and m.number.value < claimed)]
    linked = [m for m in marked if m.linked]
    return (linked or marked)[0] if marked else None
