"""Post type from title tags and wording in each language."""

from __future__ import annotations

import pytest

from monitor.normalize.classify import post_type
from monitor.normalize.fold import fold


@pytest.mark.parametrize(("title", "body", "price", "kind"), [
    ("[SELLING] Tokopedia 91M", "", None, "sell"),
    ("WTS fresh US fullz", "", 500, "sell"),
    ("Продам базу клиентов банка", "", None, "sell"),
    ("Dijual data 279 juta penduduk", "", 0.15, "sell"),
    ("Vendo base de CPF", "", None, "sell"),
    ("Vends base clients", "", None, "sell"),
    ("出售 公民数据", "", None, "sell"),
    ("للبيع قاعدة بيانات", "", None, "sell"),
    ("Tokopedia 91M users", "Price $5000", 5000, "sell"),
    ("[FREE] 5M users", "Download below", None, "leak"),
    ("Слив базы магазина", "Сливаю бесплатно", None, "leak"),
    ("Gratis: data 5 juta", "", None, "leak"),
    ("Vazou: base do Detran", "", None, "leak"),
    ("[FUITE] France Travail", "", None, "leak"),
    ("免费分享 120万用户", "", None, "leak"),
    ("Bocor: data 34 juta paspor", "Harga 10 ribu dolar", 10_000, "sell"),
    ("[WTB] Fresh US fullz", "", None, "buy"),
    ("Куплю базы РФ банков", "", None, "buy"),
    ("Dicari: database nasabah bank", "bayar pakai USDT", None, "buy"),
    ("Compro base de dados de bancos", "", None, "buy"),
    ("收 银行四要素数据", "", None, "buy"),
    ("Anyone have the Tokopedia 2020 dump?", "", None, "request"),
    ("[REQUEST] Canadian university leak", "", None, "request"),
    ("Ada yang punya data BPJS?", "", None, "request"),
    ("Есть у кого база СДЭК?", "", None, "request"),
    ("¿Alguien tiene la filtración de la AFIP?", "", None, "request"),
    ("Busco base de datos de la DIAN", "", None, "request"),
    ("Busco base de datos de la DIAN", "pago bien en BTC", None, "buy"),
    ("Scam report: user sold fake DB", "Price was 0.1 BTC", 0.1, "other"),
    ("Discussion: prices in 2024", "", None, "other"),
    ("Обсуждение: как проверять базы", "", None, "other"),
    ("讨论：今年数据泄露事件汇总", "", None, "other"),
    ("Selling my YouTube channel 120k subs", "$900", 900, "other"),
    ("Looking for pentest team members", "", None, "other"),
    ("Alguém vende base de Moçambique?", "Procuro base. Pago bem em USDT.", None, "buy"),
    ("Does anyone sell the Optus dump?", "", None, "request"),
    ("Vouch thread for seller 'Bjorka'", "Bought the 1.3B dump for 50k", 50_000, "other"),
    ("<!channel> <b onmouseover=alert(1)>Selling</b> 3M", "price $500", 500, "sell"),
])
def test_post_type(title: str, body: str, price: float | None, kind: str) -> None:
    assert post_type(fold(title), fold(body), price_amount=price, has_samples=False) == kind
