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
_SAMPLE_CHARS = 800
# A word, with the colon that makes it a label ("price:", "harga:").
_TOKEN = re.compile(r"[a-z']+:?")


# Runs of each script's letters: a text's letters of a script are the sum of its runs' lengths,
# found with one match a word rather than one a letter.
_SCRIPTS = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]+"),
    "ru": re.compile(r"[\u0400-\u04ff]+"),
    "zh": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\u3040-\u30ff]+"),
    "ar": re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff]+"),
    "hi": re.compile(r"[\u0900-\u097f]+"),
}


def _letters(script: str, text: str) -> int:
    return sum(map(len, _SCRIPTS[script].findall(text)))


def detect(title: str, body: str, *, folded_title: str | None = None) -> str:
    """The post's language code; `title` and `body` as written (not folded); `folded_title`:
    `fold(title)`, when already made."""
    # the first part of a post says its language as well as the whole, and costs less
    head = f"{title}\n{body[:_SAMPLE_CHARS]}"
    if "://" in head or "@" in head or "www." in head or "[." in head:
        text = " ".join(w for w in head.split()
                        if "://" not in w and "@" not in w and "www." not in w and "[." not in w)
    else:
        text = " ".join(head.split())
    if not text.isascii():
        # the other scripts first: only when one of them is there at all is it weighed
        # against the Latin letters, whose count is the costly one
        counts = {script: _letters(script, text) for script in ("ru", "zh", "ar", "hi")}
        counts["zh"] *= 3  # a Han character carries about a word
        script, n = max(counts.items(), key=lambda kv: kv[1])
        if n >= 6 and n >= 0.3 * _letters("latin", text):
            return script
    return _latin(text, title, folded_title)


def _latin(text: str, title: str = "", folded_title: str | None = None) -> str:
    # Scores are kept in whole units of 1/60 (every share below is a whole number of them), so
    # the sums are exact and do not depend on the order of the words.
    scores = dict.fromkeys(_STOPWORDS, 0)
    # the title and the labels ("Price:", "Harga:") are the poster's own words; column names
    # and sample rows in the body may be in the victim's language
    if folded_title is None:
        folded_title = fold(title)
    for part, weight in ((folded_title, 2), (fold(text), 1)):
        # each word once, times its count (a label counts twice)
        for word, count in Counter(_TOKEN.findall(part)).items():
            if word[-1] == ":":
                word, count = word[:-1], 2 * count
            langs = _WORD_LANGS.get(word.strip("'"))
            if langs:
                share = count * weight * 60 // len(langs)
                for lang in langs:
                    scores[lang] += share
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
    if lowered.isascii():  # Portuguese and Spanish marks are all outside ASCII
        return {"fr": sum(map(lowered.count, _ELISIONS))}
    marks = {lang: sum(map(lowered.count, chars)) for lang, chars in _MARKS.items()}
    marks["fr"] = len(_FRENCH.findall(lowered))
    return marks
