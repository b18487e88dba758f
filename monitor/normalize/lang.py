"""Language of a post, restricted to the languages Bazaarwatch expects (en, id, ru, zh, pt, es, fr,
hi, ar): the script decides for Cyrillic, Han, Arabic and Devanagari; among Latin-script
languages, counts of frequent words and of accents decide. A few tables, no model: fast and
small. Too little evidence (a keyword-only title) reads as English, never as something exotic."""

from __future__ import annotations

import re
from collections import Counter

from monitor.normalize.fold import fold

_STOPWORDS: dict[str, str] = {
    "en": """the and of to in for with is are this that from all full have has you will only per
        by on it be not or at we include includes including contains available new fresh people
        customers selling sell price sample contact download leaked leak database records users
        free here which was were they their them its our your any can also more than over about
        each just get got dont de-duplicated unique emails phone numbers address buy looking
        anyone need want please my me if no yes private sale total million billion thousand lines
        rows fields columns dump latest""",
    "id": """dan yang di ke dari ini itu untuk dengan ada jual dijual harga gratis saya kami berisi
        lengkap juta ribu miliar penduduk pelanggan nomor alamat nama tanggal lahir bisa nego sampel
        contoh atau juga sudah belum gan bos terbaru tahun baris isi hubungi kontak pengguna akun
        beli dicari butuh minat silahkan silakan tidak akan lebih sekitar bocor bocoran semua masih
        aja yg dgn utk tdk kak ya sini link unduh warga negara kolom ukuran tipis banyak mau cari
        punya siapa tolong dapat baru data-data lainnya seluruh berikut pembeli serius mahasiswa
        universitas negeri nasabah daerah pembangunan dalam disensor kartu pinjol aplikasi orang
        saja hanya tersedia perusahaan pemerintah""",
    "pt": """de da do dos das em para com uma um os as que nao base dados vendo venda preco amostra
        gratis linhas milhoes milhao brasileiros nome endereco telefone nascimento mae aceito sao
        esta tambem mais pelo pela ao seu sua contato chama galera vazou vazamento compro registros
        clientes banco isso essa esse aqui pra voce completo completa atualizada valor cpf mil
        pago bases operadora sexo renda senha baixar disponivel""",
    "es": """de la el los las en para con una un que del por se es y datos vendo venta precio
        filtracion gratis nombre apellidos correo
        muestra gratis millones millon registros nombre direccion telefono clientes base contacto
        mas tambien esta son su al lo compro busco filtrado filtrada descarga espanola espanoles
        mexicanos argentinos cuentas usuarios correo tiene alguien hay pero como todos todo
        completa actualizada pago interesados dni enlace fecha nacimiento""",
    "fr": """de la le les des du et en pour avec une un est que qui dans sur par au aux je vends
        vente
        prix echantillon gratuit gratuite millions million lignes nom prenom adresse telephone base
        clients donnees fuite contact plus pas ce cette sont achete cherche debattre francais
        francaise numero naissance chez tout tous fichier telechargement miroir inscrits assures
        operateur acces mairies j'achete quelqu'un disponible securite sociale""",
    "hi": """hai hain ka ki ke ko mein se aur bhai nahi kya ye yeh wala wale sirf karo chahiye paisa
        milega milta chaiye kar raha rahe bhi toh sabhi logo""",
}
_WORD_LANGS: dict[str, frozenset[str]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words.split():
        _w = fold(_w)
        _WORD_LANGS[_w] = _WORD_LANGS.get(_w, frozenset()) | {_lang}
# Accent marks counted per language (at most 10 count). Portuguese and Spanish marks are
# characters and endings that cannot overlap one another, so each is counted by `str.count`
# (Portuguese "ção" is its "ç"); French needs a pattern for "é" before a letter.
_MARKS = {"pt": ("ã", "õ", "ç", "ê", "ô"), "es": ("ñ", "¿", "¡", "ción", "ía")}
_FRENCH = re.compile(r"[èùœâîû]|ç|é[^\W\d]|qu'|d'|l'")
_ELISIONS = ("qu'", "d'", "l'")  # the ASCII part of French marks, which cannot overlap either
# every mark above but the elisions holds one of these: a text without any has only elisions
# (one search instead of ten counts and a pattern)
_MARK_CHARS = re.compile("[ãõçêôñ¿¡óíèùœâîûé]")
_SAMPLE_CHARS = 800
# A word, with the colon that makes it a label ("price:", "harga:").
_TOKEN = re.compile(r"[a-z']+:?")
# `_TOKEN`'s words with the quotes around them stripped ("'the'" is "the", "don't" stays), as
# the tables are looked up; a quote before a label's colon ("price':") is left to `_TOKEN`.
# Each starts with a letter class, not a repeat (see `_SCRIPTS`); in a text without quotes,
# which 4 posts in 5 are, the quote group is left out (a fifth less time).
_TOKEN_CORE = re.compile(r"[a-z][a-z]*(?:'+[a-z]+)*+:?")
_TOKEN_UNQUOTED = re.compile(r"[a-z][a-z]*:?")
# the 1/60 units a table word (a label: twice as many) gives each of its languages
_UNITS: dict[str, tuple[tuple[str, int], ...]] = {}
for _w, _langs in _WORD_LANGS.items():
    _UNITS[_w] = tuple((_lang, 60 // len(_langs)) for _lang in _langs)
    _UNITS[f"{_w}:"] = tuple((_lang, 2 * 60 // len(_langs)) for _lang in _langs)
# A word holding one of these is a link, an address or a handle: no language in it.
_LINK_MARKS = ("://", "@", "www.", "[.")


# Runs of each script's letters: a text's letters of a script are the sum of its runs' lengths,
# found with one match a word rather than one a letter. A run is written "[x][x]*", not "[x]+":
# a pattern that starts with a letter class lets the engine skip to the script's next letter in
# C, where a leading repeat is tried at every character (2.7 us instead of 7 us a head when the
# script is absent).
_SCRIPT_LETTERS = {
    "latin": "A-Za-z\u00c0-\u024f",
    "ru": "\u0400-\u04ff",
    "zh": "\u4e00-\u9fff\u3400-\u4dbf\u3040-\u30ff",
    "ar": "\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff",
    "hi": "\u0900-\u097f",
}
_SCRIPTS = {script: re.compile(f"[{letters}][{letters}]*")
            for script, letters in _SCRIPT_LETTERS.items()}
# a letter of any script but Latin: most non-ASCII posts are Latin with accents, and one search
# tells so where four counts did
_OTHER_SCRIPTS = re.compile(
    f"[{''.join(letters for script, letters in _SCRIPT_LETTERS.items() if script != 'latin')}]")


def _letters(script: str, text: str) -> int:
    return sum(map(len, _SCRIPTS[script].findall(text)))


def detect(title: str, body: str, *, folded_title: str | None = None) -> str:
    """The post's language code; `title` and `body` as written (not folded); `folded_title`:
    `fold(title)`, when already made."""
    # the first part of a post says its language as well as the whole, and costs less
    text = _without_links(f"{title}\n{body[:_SAMPLE_CHARS]}")
    if not text.isascii() and _OTHER_SCRIPTS.search(text):
        # the other scripts first: only when one of them is there at all is it weighed
        # against the Latin letters, whose count is the costly one
        counts = {script: _letters(script, text) for script in ("ru", "zh", "ar", "hi")}
        counts["zh"] *= 3  # a Han character carries about a word
        script, n = max(counts.items(), key=lambda kv: kv[1])
        if n >= 6 and n >= 0.3 * _letters("latin", text):
            return script
    return _latin(text, title, folded_title)


def _without_links(text: str) -> str:
    """`text` without its link-like words (as `str.split` cuts words); the words around one keep
    their blanks, which no count here sees. `str.find` finds the few such words, and only their
    ends are looked for (testing every word in Python cost three times as much; splitting and
    joining all the words first, 1.7 times)."""
    spans = []
    for mark in _LINK_MARKS:
        at = text.find(mark)
        while at >= 0:
            before = text[:at]
            start = at - len(before.rsplit(None, 1)[-1]) if before[-1:].strip() else at
            end = at + len(text[at:].split(None, 1)[0])
            spans.append((start, end))
            at = text.find(mark, end)
    if not spans:
        return text
    kept, end = [], 0
    for start, stop in sorted(spans):
        if start >= end:  # a word with two marks is one span twice
            kept.append(text[end:start])
            end = stop
    kept.append(text[end:])
    return "".join(kept)


def _latin(text: str, title: str = "", folded_title: str | None = None) -> str:
    # Scores are kept in whole units of 1/60 (every share below is a whole number of them), so
    # the sums are exact and do not depend on the order of the words.
    scores = dict.fromkeys(_STOPWORDS, 0)
    # the title and the labels ("Price:", "Harga:") are the poster's own words; column names
    # and sample rows in the body may be in the victim's language
    if folded_title is None:
        folded_title = fold(title)
    for part, weight in ((folded_title, 2), (fold(text), 1)):
        # each word once, times its count (a label counts twice); the table's words among them
        # are found by one set intersection, not a lookup a word
        if "':" in part:
            counts = Counter(word[:-1].strip("'") + ":" if word[-1] == ":" else word.strip("'")
                             for word in _TOKEN.findall(part))
        else:
            counts = Counter((_TOKEN_CORE if "'" in part else _TOKEN_UNQUOTED).findall(part))
        for word in counts.keys() & _UNITS.keys():
            count = counts[word] * weight
            for lang, units in _UNITS[word]:
                scores[lang] += count * units
    for lang, marks in _accents(text.lower()).items():
        scores[lang] += 30 * min(marks, 10)
    best = max(scores, key=lambda k: scores[k])
    if scores[best] < 90 or scores[best] <= scores["en"]:
        return "en"
    if best == "hi" and scores["hi"] < 2 * scores["en"]:
        return "en"
    return best


def _accents(lowered: str) -> dict[str, int]:
    """Accent marks of Portuguese, Spanish and French in lower-cased text."""
    if lowered.isascii() or not _MARK_CHARS.search(lowered):
        return {"fr": sum(map(lowered.count, _ELISIONS)) if "'" in lowered else 0}
    marks = {lang: sum(map(lowered.count, chars)) for lang, chars in _MARKS.items()}
    marks["fr"] = len(_FRENCH.findall(lowered))
    return marks
