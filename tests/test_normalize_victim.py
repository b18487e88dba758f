"""Victim: organisations (operator gazetteer, shipped list, title patterns), domains, country."""

from __future__ import annotations

import pytest

from monitor.normalize.fold import fold
from monitor.normalize.victim import Org, title_orgs, victim


def _victim(title: str, body: str = "", domains: tuple[str, ...] = (), **kw: object):
    return victim(title, body, fold(title), fold(body), domains, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("title", "body", "domains", "lang", "country"), [
    ("Data 200M penduduk Indonesia", "", (), "id", "ID"),
    ("KPU.GO.ID 2024 Voters", "", ("kpu.go.id",), "en", "ID"),
    ("Продам базу клиентов российского банка", "", (), "ru", "RU"),
    ("出售 十亿 公民数据", "十亿中国公民信息", (), "zh", "CN"),
    ("Vendo base", "", ("detran.sp.gov.br",), "pt", "BR"),
    ("Selling 2M US mortgage applicants", "", (), "en", "US"),
    ("Danish municipality 120k citizens", "", (), "en", "DK"),
    ("3 مليون مواطن سعودي", "", (), "ar", "SA"),
    ("Vente base clients opérateur", "9,5 M de clients", (), "fr", None),
    ("WTB Singapore or Malaysia bank logs", "", (), "en", None),  # two countries: no verdict
    ("Jual data pelanggan", "", (), "id", "ID"),  # nothing said: the language's country
    ("Selling gaming accounts", "", (), "en", None),
    ("Maharashtra police FIR data", "", (), "en", "IN"),
    ("Datos de clientes de telefónica española", "", (), "es", "ES"),
    ("تسريب بيانات 300 ألف عميل بنك عماني", "", (), "ar", "OM"),
    ("هل يملك أحد تسريب شركة الطيران القطرية؟", "", (), "ar", "QA"),
    ("Продам свежие логи Бразилия 30к", "Банки, госуслуги, почты.", (), "ru", "BR"),
    ("Куплю доступы Латинской Америки", "", (), "ru", None),  # a region, not the USA
    ("出 澳门 博彩 会员 38万", "", (), "zh", "MO"),
])


def test_country(title: str, body: str, domains: tuple[str, ...], lang: str,
                 country: str | None) -> None:
    assert _victim(title, body, domains, lang=lang).country == country


@pytest.mark.parametrize(("currency", "lang", "country"), [
    ("RUB", "ru", "RU"), ("IDR", "en", "ID"), (None, "ru", None), ("USD", "id", "ID"),
])
def test_country_from_currency_then_language(currency: str | None, lang: str,
                                             country: str | None) -> None:
    assert _victim("Selling database", "", (), lang=lang, currency=currency).country == country


def test_orgs_from_gazetteers_and_titles() -> None:
    got = _victim("Dijual data BPJS-Kesehatan 279 juta", "BPJS KESEHATAN lengkap")
    assert got.orgs == ("BPJS Kesehatan",)
    operator = (Org("Acme Bank", ("acme", "acmebank.example"), "GB"),)
    got = _victim("Leak of ACME customers", "", organisations=operator)
    assert (got.orgs, got.country) == (("Acme Bank",), "GB")


@pytest.mark.parametrize(("host", "named"), [
    ("acme-insure.com", True),
    ("portal.acme-insure.com", True),  # a site under its domain
    ("www.acme-insure.com", True),
    ("notacme-insure.com", False),  # another domain that merely ends alike
    ("acme-insure.com.evil.example", False),
])  # fmt: skip
def test_an_organisation_is_named_by_a_link_to_its_own_domain(host: str, named: bool) -> None:
    operator = (Org("Acme Insurance", (), "GB", domains=("acme-insure.com",)),)
    got = _victim("Selling customer database 2M", f"Taken from {host} last week", (host,),
                  organisations=operator)
    assert (got.orgs == ("Acme Insurance",)) is named
    assert (got.country == "GB") is named


def test_config_organisations_carry_their_domains_to_the_normalizer() -> None:
    """monitor.config.Org (watchlists.yaml) is what the daemon passes: its domains count."""
    from monitor.config import Org as ConfigOrg
    from monitor.models import RawPost
    from monitor.normalize import normalize

    org = ConfigOrg(name="Acme Insurance", country="GB", domains=("acme-insure.com",))
    raw = RawPost("lab", "http://forum.example/t/1", "Selling 5M records",
                  "Dumped from https://portal.acme-insure.com/admin, sample on request")
    assert normalize(raw).victim.orgs == ()
    listing = normalize(raw, organisations=(org,))
    assert (listing.victim.orgs, listing.victim.country) == (("Acme Insurance",), "GB")


@pytest.mark.parametrize(("title", "names"), [
    ("Tokopedia 91M", ["Tokopedia"]),
    ("KPU.GO.ID 2024 Voters", ["KPU"]),
    ("[SELLING] Database Bukalapak 13M users", ["Bukalapak"]),
    ("Selling 5M Indonesian users", []),
    ("dump.sql 5M", []),
])
def test_title_patterns(title: str, names: list[str]) -> None:
    assert title_orgs(title) == names


def test_domains_pass_through() -> None:
    assert _victim("x", "", ("kpu.go.id",)).domains == ("kpu.go.id",)
