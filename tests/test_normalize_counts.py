"""Record counts and the numbers under them: every notation of issue 5, the sample told apart from
the total, and the numbers that are not counts (sizes, years, prices, phones, columns)."""

from __future__ import annotations

import pytest

from monitor.normalize.counts import records
from monitor.normalize.fold import fold
from monitor.normalize.numbers import find_numbers, parse_digits, zh_numeral


@pytest.mark.parametrize(("text", "lang", "value"), [
    ("279M", "en", 279e6),
    ("2.9B", "en", 2.9e9),
    ("15,000,000", "en", 15e6),
    ("15.000.000", "id", 15e6),
    ("15 000 000", "fr", 15e6),
    ("15'000'000", "en", 15e6),
    ("279 juta", "id", 279e6),
    ("lebih dari 17 juta", "id", 17e6),
    ("1,5 miliar", "id", 1.5e9),
    ("1.5кк", "ru", 1.5e6),
    ("7.7kk", "ru", 7.7e6),
    ("60 млн", "ru", 60e6),
    ("2,9 млрд", "ru", 2.9e9),
    ("500к строк", "ru", 500e3),
    ("75万", "zh", 750e3),
    ("3亿", "zh", 3e8),
    ("十亿", "zh", 1e9),
    ("三亿五千万", "zh", 3.5e8),
    ("81.5 crore", "en", 815e6),
    ("10 lakh", "hi", 1e6),
    ("223,74 milhões", "pt", 223.74e6),
    ("39 millones", "es", 39e6),
    ("19,2 millions", "fr", 19.2e6),
    ("+400 million", "en", 400e6),
    ("over 1 billion", "en", 1e9),
    ("39 mil registros", "es", 39e3),
    ("2,3 mi de pacientes", "pt", 2.3e6),
    ("1.500 juta", "id", 1.5e9),
    ("٣ مليون", "ar", 3e6),
    ("2 करोड़", "hi", 2e7),
    ("12 mil millones", "es", 12e9),
])
def test_number_notations(text: str, lang: str, value: float) -> None:
    found = find_numbers(fold(text), lang)
    assert [n.value for n in found] == [pytest.approx(value)]


@pytest.mark.parametrize(("text", "low", "high"), [
    ("50-60M", 50e6, 60e6),
    ("50 - 60 млн", 50e6, 60e6),
    ("10 to 15 million", 10e6, 15e6),
])
def test_ranges_read_as_their_lower_end(text: str, low: float, high: float) -> None:
    (n,) = find_numbers(fold(text), "en")
    assert (n.value, n.high) == (pytest.approx(low), pytest.approx(high))


@pytest.mark.parametrize(("digits", "integer", "lang", "mult", "value"), [
    ("1,500", True, "en", False, 1500.0),
    ("1,500", True, "id", False, 1500.0),  # a count without multiplier is whole
    ("1,500", False, "en", True, 1500.0),  # "1,500 million"
    ("1,500", False, "id", True, 1.5),  # "1,500 juta"
    ("1.500", False, "id", True, 1500.0),
    ("0,150", False, "fr", False, 0.15),
    ("2.500,00", False, "pt", False, 2500.0),
    ("1,234.56", False, "en", False, 1234.56),
    ("223,74", False, "pt", True, 223.74),
])
def test_separators_by_shape_and_language(digits: str, integer: bool, lang: str, mult: bool,
                                          value: float) -> None:
    assert parse_digits(digits, integer=integer, lang=lang, has_multiplier=mult) == value


@pytest.mark.parametrize(("text", "value"), [("十亿", 10**9), ("一千万", 10**7),
                                             ("两百万", 2 * 10**6),
                                             ("七十五万", 750_000), ("三亿五千万", 350_000_000)])
def test_chinese_numerals(text: str, value: int) -> None:
    assert zh_numeral(text) == value


@pytest.mark.parametrize(("title", "body", "lang", "claimed", "sample"), [
    # the reference case: title and body disagree, the body's total wins; "free 1 million"
    ("Data 200M penduduk Indonesia", "Dijual 279 juta data penduduk. Free 1 million sample.",
     "id", 279_000_000, 1_000_000),
    ("Tokopedia 91M", "Full database, 35 columns, 277.1 GB. Sample 10k lines free.", "en",
     91_000_000, 10_000),
    ("[FREE] 5M users of a shop", "Download below", "en", 5_000_000, None),
    ("База 500к строк", "Продам базу 1.5кк записей, семпл 1000 строк бесплатно.", "ru",
     1_500_000, 1000),
    ("出售 公民数据", "总共3亿条，免费样本1万条", "zh", 300_000_000, 10_000),
    ("", "81.5 crore Indians, 10 lakh sample free. Call +91 98765 43210", "en",
     815_000_000, 1_000_000),
    ("", "Selling 50-60M records collected in 2021", "en", 50_000_000, None),
    ("", "Base de 223,74 milhões de brasileiros. Amostra grátis 1000 linhas.", "pt",
     223_740_000, 1000),
    ("", "plus de 19,2 millions de clients, échantillon de 10 000 lignes", "fr",
     19_200_000, 10_000),
    ("", "أكثر من 39 مليون سجل ، عينة مجانية 1000 سجل", "ar", 39_000_000, 1000),
    ("", "1M for free, total 5M lines", "en", 5_000_000, 1_000_000),
    ("", "Total: 10M (10,231,554 to be exact)", "en", 10_231_554, None),
    ("", "Records: 15'000'000\nSample (500 rows): link", "en", 15_000_000, 500),
    ("", "2,000,000 phone numbers. Example row: 999 888 777 | JUAN", "en", 2_000_000, None),
    ("", "Sample 2000:\nHidden Content", "en", None, 2000),
    ("", "16 million COVID-19 patients", "en", 16_000_000, None),
    ("", "300k customers and 1.2M orders (we sell the customers only)", "en", 300_000, None),
    ("", "Dump 277.1 GB, 35 columns, from 2023, v2.3, 50% off, price $5,000", "en", None, None),
    ("", "样本75万条：hxxp://example[.]onion/sample.zip", "zh", None, 750_000),
    ("", "€ 1.200 — 12,345,678 rows total — sample 1,000 rows", "en", 12_345_678, 1000),
    ("", "一千万条用户数据，10万+ 样本免费", "zh", 10_000_000, 100_000),
    ("", "Between 50 and 60 million profiles", "en", 50_000_000, None),
    ("", "3.2 million letters, 450k unique patients", "en", 3_200_000, None),
    ("", "total 2,6 juta nasabah.\nNIK|NAMA|SALDO|BARIS\n5260|BUDI|84641177|900000 baris\n"
         "9099|AGUS|25215622|800000 baris", "id", 2_600_000, None),
])
def test_claimed_and_sample(title: str, body: str, lang: str, claimed: int | None,
                            sample: int | None) -> None:
    got = records(fold(title), fold(body), lang)
    assert (got.claimed, got.sample) == (claimed, sample)


def test_records_text_keeps_the_sellers_words() -> None:
    title, body = "Data 200M penduduk", "279 Juta data. Free 1 million sample."
    got = records(fold(title), fold(body), "id", original=f"{title}\n{body}")
    assert got.text == ("279 Juta", "200M", "1 million")


def test_a_long_token_is_masked_where_it_stands() -> None:
    """A hash or ID written twice, once inside a longer run, is masked at both places: its
    digits are never read as a count."""
    from monitor.normalize.scan import mask

    token = "0123456789abcdefghij0123456789ab"
    masked = mask(f"ref xx{token} and later {token} 5m users")
    assert "0123" not in masked and masked.endswith("5m users")
