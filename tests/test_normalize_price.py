"""Prices: fiat and crypto, multipliers, separators, FREE, negotiable, auctions and USD rates."""

from __future__ import annotations

import pytest

from monitor.normalize.fold import fold
from monitor.normalize.price import (
    _NEGOTIABLE_CJK,
    _NEGOTIABLE_WORDS,
    NEGOTIABLE_CORES,
    price,
)


@pytest.mark.parametrize(("body", "lang", "amount", "currency"), [
    ("Price: $500", "en", 500, "USD"),
    ("500$ only", "en", 500, "USD"),
    ("Preço: US$ 5.000, aceito BTC.", "pt", 5000, "USD"),
    ("5k USD", "en", 5000, "USD"),
    ("Harga: 0,15 BTC. Kontak via PM.", "id", 0.15, "BTC"),
    ("0,15 bitcoin", "fr", 0.15, "BTC"),
    ("45 XMR", "en", 45, "XMR"),
    ("price 2, payment in Monero", "en", 2, "XMR"),
    ("1000 USDT", "en", 1000, "USDT"),
    ("Harga Rp 150 juta, bisa nego tipis.", "id", 150_000_000, "IDR"),
    ("Цена: 150 000 руб. Гарант", "ru", 150_000, "RUB"),
    ("₹30 lakh", "hi", 3_000_000, "INR"),
    ("价格：20万美元，可谈。", "zh", 200_000, "USD"),
    ("€835", "fr", 835, "EUR"),
    ("175'000 dollars", "en", 175_000, "USD"),
    ("Valor: R$ 2.500,00. Amostra", "pt", 2500, "BRL"),
    ("Prix : 1 500 € à débattre.", "fr", 1500, "EUR"),
    ("Revenue $5M. Price: $5000", "en", 5000, "USD"),
    ("Rs.50,000 only", "en", 50_000, "INR"),
    ("Harga 10 ribu dolar", "id", 10_000, "USD"),
    ("Preço: R$ 15 mil", "pt", 15_000, "BRL"),
    ("السعر: 2000 دولار", "ar", 2000, "USD"),
    ("Compro bases, pago em USDT", "pt", None, "USDT"),
    ("Price: ₹5,00,000", "en", 500_000, "INR"),
    ("Price 1,50,000 INR", "en", 150_000, "INR"),
    ("Price: 2 000 PLN", "en", 2000, "PLN"),
    ("Prix : 3 500 $ CAD", "fr", 3500, "CAD"),
    ("Japanese store. Price: ¥1,500,000", "en", 1_500_000, "JPY"),
    ("Harga 20 juta", "id", 20_000_000, "IDR"),
    ("с выручкой от 50 млн $. Плачу 3-5к$ за доступ", "ru", 3000, "USD"),
    ("No price here, 5M lines", "en", None, None),
    # a short currency code after a blank is a price only after a price word
    ("Price: 60k php, escrow ok", "en", 60_000, "PHP"),
    ("5 php scripts for the shop, 200$", "en", 200, "USD"),
    # the means of payment named with "only" or "in the currency of", in each language
    ("السعر في الخاص، الدفع بعملة البيتكوين فقط", "ar", None, "BTC"),
    ("कीमत के लिए PM करें। भुगतान केवल XMR।", "hi", None, "XMR"),
    ("Precio por MP. Pago solo en USDT", "es", None, "USDT"),
    ("Prix en MP, XMR uniquement.", "fr", None, "XMR"),
])
def test_amount_and_currency(body: str, lang: str, amount: float | None,
                             currency: str | None) -> None:
    got = price("", fold(body), lang)
    assert (got.amount, got.currency) == (pytest.approx(amount) if amount else amount, currency)


@pytest.mark.parametrize(("body", "negotiable"), [
    ("Price $500, negotiable", True), ("Цена 2500$, торг уместен", True),
    ("Harga 5 juta, bisa nego", True), ("价格：20万美元，可谈", True),
    ("Prix : 1 500 € à débattre", True),
    ("Price $500 firm", False),
])
def test_negotiable(body: str, negotiable: bool) -> None:
    assert price("", fold(body), "en").negotiable is negotiable


def test_every_negotiable_word_holds_a_core_the_quick_look_finds() -> None:
    """The `str` look before the pattern must not pass over a text the pattern would match."""
    words = [fold(w) for w in (*_NEGOTIABLE_WORDS, *_NEGOTIABLE_CJK)]
    assert [w for w in words if not any(core in w for core in NEGOTIABLE_CORES)] == []


@pytest.mark.parametrize(("body", "start", "step", "buy_now"), [
    ("Start: 500$, step: 50$, blitz: 2000$", 500, 50, 2000),
    ("Старт 1000$ Шаг 100$ Блиц 5000$", 1000, 100, 5000),
])
def test_auction_start_price_is_the_amount(body: str, start: float, step: float,
                                           buy_now: float) -> None:
    got = price("", fold(body), "ru")
    assert (got.amount, got.auction_step, got.buy_now) == (start, step, buy_now)


def test_title_price_when_body_has_none() -> None:
    got = price(fold("Selling 5M users $300"), fold("details in PM"), "en")
    assert (got.amount, got.currency) == (300, "USD")


def test_usd_from_an_offline_rate_table() -> None:
    assert price("", fold("Price 0.5 BTC"), "en", rates={"BTC": 60_000.0}).usd == 30_000.0
    assert price("", fold("Price $500"), "en", rates={}).usd == 500.0
    assert price("", fold("Price 45 XMR"), "en", rates={}).usd is None
