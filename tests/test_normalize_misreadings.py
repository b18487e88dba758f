"""Misreadings found by others (issue 5), end to end through `normalize`, plus the unit-level
cases under them: exact decimal multipliers, "mil" by its context, Cyrillic multipliers, a
revenue that is no price, vouch threads, Greek identifiers, a subset that is no total, and a
priced "dump" that is a sale."""

from __future__ import annotations

import pytest

from monitor.models import RawPost
from monitor.normalize import normalize
from monitor.normalize.fields import data_fields
from monitor.normalize.fold import fold
from monitor.normalize.numbers import find_numbers
from monitor.normalize.price import price


@pytest.mark.parametrize(("text", "lang", "value"), [
    ("2.3 lakh", "hi", 230_000.0),  # 2.3 * 1e5 in floats is 229999.99999999997
    ("2.3 lakh", "en", 230_000.0),
    ("4.1 juta", "id", 4_100_000.0),
    ("0.7 crore", "en", 7_000_000.0),
    ("1.1M", "en", 1_100_000.0),
    ("3.2М", "ru", 3_200_000.0),  # Cyrillic М
    ("3.2 М", "ru", 3_200_000.0),
    ("500К", "ru", 500_000.0),  # Cyrillic К
    ("2,5кк", "ru", 2_500_000.0),
    ("R$ 30 mil", "en", 30_000.0),  # "mil" after a Latin American currency is a thousand
    ("R$ 30 mil", "pt", 30_000.0),
    ("30 mil registros", "en", 30_000.0),
    ("30 mil users", "en", 30_000_000.0),  # English slang
    ("2,5 milhões", "pt", 2_500_000.0),
    ("39 millones", "es", 39_000_000.0),
])
def test_multipliers_are_exact(text: str, lang: str, value: float) -> None:
    assert [n.value for n in find_numbers(fold(text), lang)] == [value]


def test_range_with_a_decimal_low_end_is_exact() -> None:
    (n,) = find_numbers(fold("2.3-2.5 lakh"), "en")
    assert (n.value, n.high) == (230_000.0, 250_000.0)


@pytest.mark.parametrize(("body", "amount", "currency"), [
    ("Price ₹2.3 lakh", 230_000.0, "INR"),
    ("Price: R$ 30 mil. 2M rows of CPF", 30_000.0, "BRL"),
    ("US company, 50 million $ revenue. Access for sale, DM", None, None),
    ("Company with revenue of 50 million $. DM me", None, None),
    ("Corp with 50 million $ in annual revenue, 2M rows. Price 3k$", 3000.0, "USD"),
    ("Price $500 per month", 500.0, "USD"),
    ("SaaS startup, $50M ARR, admin access for 3 BTC", 3.0, "BTC"),
    ("Shop with 2 million $ in sales, DB for sale", None, None),
])
def test_price(body: str, amount: float | None, currency: str | None) -> None:
    got = price("", fold(body), "en")
    assert (got.amount, got.currency) == (amount, currency)


@pytest.mark.parametrize(("text", "fields"), [
    ("Πεδία: ΑΦΜ, ΑΜΚΑ, ονοματεπώνυμο, διεύθυνση, τηλέφωνο",
     ("tax_id", "national_id", "name", "address", "phone")),
    ("Α.Φ.Μ., Α.Μ.Κ.Α., email", ("tax_id", "national_id", "email")),
    ("Greek citizens: AFM, AMKA", ("tax_id", "national_id")),
])
def test_greek_identifiers(text: str, fields: tuple[str, ...]) -> None:
    assert set(data_fields(fold(text))) == set(fields)


@pytest.mark.parametrize(("title", "body", "expect"), [
    ("Selling Indian bank customers", "Price ₹2.3 lakh, 2.3 lakh rows",
     {"claimed": 230_000, "amount": 230_000.0, "currency": "INR", "type": "sell"}),
    ("Brazilian DB", "Price: R$ 30 mil. 2M rows of CPF",
     {"claimed": 2_000_000, "amount": 30_000.0, "currency": "BRL", "type": "sell"}),
    ("Selling access to US company", "US company, 50 million $ revenue. Access for 2 BTC",
     {"amount": 2.0, "currency": "BTC", "type": "sell"}),
    ("Vouching for seller Bjorka", "Bought the Tokopedia leak, download worked, legit",
     {"type": "other", "amount": None}),
    ("[Vouch] Kotz BPJS leak", "legit, free sample was real", {"type": "other"}),
    ("Vouch thread for seller 'Bjorka'", "Bought the 1.3B dump for 50k", {"type": "other"}),
    ("Tokoshop 91,000,000 users", "Full dump. 7M with phone numbers. Price 5000$",
     {"claimed": 91_000_000, "type": "sell"}),
    ("Selling Tokoshop 91,000,000 users",
     "Tokoshop database: 91,000,000 users, 7M with phone numbers. Price 5000$",
     {"claimed": 91_000_000}),
    ("Selling shop", "7M with phone numbers. Price 5000$", {"claimed": 7_000_000}),
    ("База 3.2М строк", "Продам, цена 500$", {"claimed": 3_200_000, "type": "sell"}),
    ("База", "Продам базу 500К строк", {"claimed": 500_000}),
    ("Tokoshop 91M users", "7M of them with phone numbers. Price 5000$", {"claimed": 91_000_000}),
    ("Vouched: bought the BPJS leak from Kotz", "download worked", {"type": "other"}),
    ("Exchange KYC dump 50k users", "Passport scans and selfies. Price: $1500",
     {"type": "sell", "amount": 1500.0, "claimed": 50_000}),
    ("Binance KYC leak 50k", "Price 2000 USDT, escrow ok", {"type": "sell", "amount": 2000.0}),
    ("Telecom dump 5M", "Download link below, enjoy", {"type": "leak", "amount": 0.0}),
    ("[FREE] KYC dump 50k", "Was sold for $1500 before, now free. Download below",
     {"type": "leak", "amount": 0.0}),
])
def test_listing(title: str, body: str, expect: dict[str, object]) -> None:
    listing = normalize(RawPost("src", "https://forum.example/t/1", title, body))
    got = {"claimed": listing.records.claimed, "amount": listing.price.amount,
           "currency": listing.price.currency, "type": listing.post_type}
    assert {k: got[k] for k in expect} == expect
