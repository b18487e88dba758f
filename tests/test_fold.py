"""Folding: what must fold together, and the offsets map back to the original text."""

from __future__ import annotations

import pytest

from monitor.fold import fold, fold_map, original_span


@pytest.mark.parametrize(("text", "folded"), [
    ("BPJS Kesehatan", "bpjs kesehatan"),
    ("bpjs-kesehatan", "bpjs kesehatan"),
    ("BPJS_KESEHATAN", "bpjs kesehatan"),
    ("ＢＰＪＳ＿ＫＥＳＥＨＡＴＡＮ", "bpjs kesehatan"),  # full-width forms
    ("BP\u200bJS Kese\u200dhatan", "bpjs kesehatan"),  # zero-width inside words
    ("\u202eBPJS\u202c Kesehatan", "bpjs kesehatan"),  # bidi override
    ("Bpjs   Kesehatan!!!", "bpjs kesehatan"),
    ("  --BPJS.Kesehatan--  ", "bpjs kesehatan"),
    ("bpjs-kesehatan.go.id", "bpjs kesehatan go id"),
    ("Straße", "strasse"),
    ("Ørsted Łódź Đakovo", "orsted lodz dakovo"),
    ("Société Générale", "societe generale"),
    ("Téléphone e\u0301te\u0301", "telephone ete"),  # precomposed and combining accents
    ("İSTANBUL", "istanbul"),
    ("ﬁnance ½", "finance 1 2"),
    ("Сбербанк", "сбербанк"),
    ("中国人寿", "中国人寿"),
    ("हिन्दी डेटा", "हिन्दी डेटा"),  # Devanagari vowel signs and virama are letters, kept
    ("தமிழ்நாடு-அரசு", "தமிழ்நாடு அரசு"),
    ("Việt Nam", "viet nam"),
    ("Ωμέγα", "ωμεγα"),
    ("", ""),
    ("!!!", ""),
    ("B.P.J.S Kesehatan", "bpjs kesehatan"),  # initials written apart read as one word
    ("K.P.U. 2024", "kpu 2024"),
    ("b-p-j-s kesehatan", "bpjs kesehatan"),
    ("Ф.С.Б. России", "фсб россии"),
    ("U.S. voters", "u s voters"),  # two letters stay apart: "us" is a word
    ("plan a or b", "plan a or b"),
    ("vitamin B 1 2", "vitamin b 1 2"),  # digits are no initials
])  # fmt: skip
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert fold_map(text)[0] == folded


@pytest.mark.parametrize(("text", "word", "original"), [
    ("Selling BPJS-Kesehatan now", "bpjs kesehatan", "BPJS-Kesehatan"),
    ("x ＢＰＪＳ＿ＫＥＳＥＨＡＴＡＮ y", "bpjs kesehatan", "ＢＰＪＳ＿ＫＥＳＥＨＡＴＡＮ"),
    ("a BP\u200bJS b", "bpjs", "BP\u200bJS"),
    ("die Straße hier", "strasse", "Straße"),
    ("e\u0301te\u0301 ok", "ete", "e\u0301te\u0301"),
    ("leak of B.P.J.S Kesehatan data", "bpjs kesehatan", "B.P.J.S Kesehatan"),
])  # fmt: skip
def test_fold_map_points_back_to_the_original(text: str, word: str, original: str) -> None:
    folded, origin = fold_map(text)
    a = folded.index(word)
    b = a + len(word)
    s, e = original_span(text, origin, a, b)
    assert text[s:e] == original
    assert len(origin) == len(folded) + 1
