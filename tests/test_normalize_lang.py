"""Language, restricted to the expected ones; short keyword titles read as English."""

from __future__ import annotations

import pytest

from monitor.normalize.lang import detect


@pytest.mark.parametrize(("title", "body", "lang"), [
    ("Tokopedia 91M", "", "en"),
    ("BPJS 279M", "", "en"),
    ("KPU.GO.ID 2024", "", "en"),
    ("[SELLING] Indonesian DB 5M", "Selling the full database of 5M users, sample included", "en"),
    ("Dijual data 279 juta penduduk", "Halo gan, saya jual data BPJS lengkap", "id"),
    ("Database 5M", "Продам базу клиентов банка, пример 100 строк", "ru"),
    ("出售 公民数据", "", "zh"),
    ("Vendo base de brasileiros", "Amostra grátis de 10 mil linhas, aceito BTC", "pt"),
    ("Vendo datos de clientes", "Muestra gratis, precio negociable, contacto por Telegram", "es"),
    ("Vends base d'assurés", "Échantillon de 1000 lignes, prix à débattre", "fr"),
    ("भारत का डेटा", "", "hi"),
    ("Aadhaar data", "bhai yeh data sirf 5000 mein milega, contact karo", "hi"),
    ("بيع قاعدة بيانات", "أكثر من 39 مليون سجل", "ar"),
    ("Aadhaar 10 lakh", "Indian citizens data with Aadhaar, PAN and mobile. Price Rs 50,000", "en"),
])
def test_detect(title: str, body: str, lang: str) -> None:
    assert detect(title, body) == lang
