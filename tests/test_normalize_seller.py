"""Seller handle keys: NFKC, case-folded, zero-width and look-alike characters removed."""

from __future__ import annotations

import pytest

from monitor.normalize.seller import handle_key, seller


@pytest.mark.parametrize(("handle", "key"), [
    ("Kotz", "kotz"),
    ("Kоtz", "kotz"),  # Cyrillic о
    ("ＫＯＴＺ", "kotz"),  # full width
    ("Ko\u200btz", "kotz"),  # zero-width space
    ("  Kotz ", "kotz"),
    ("Хакер_М", "хакер_м"),  # all Cyrillic: its own letters stay
    ("ChinaDan", "chinadan"),
    ("José", "jose"),
])
def test_handle_key(handle: str, key: str) -> None:
    assert handle_key(handle) == key


def test_seller_keeps_the_handle_as_shown() -> None:
    got = seller(" Kоtz ", "http://forum.example/u/1")
    assert (got.handle, got.handle_key, got.profile_url) == ("Kоtz", "kotz",
                                                             "http://forum.example/u/1")
    assert seller(None).handle is None
