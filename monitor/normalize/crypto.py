"""Cryptocurrency addresses in a post, checksums verified where the format has one cheaply:
BTC (base58check P2PKH/P2SH, bech32/bech32m segwit), LTC, USDT-TRC20 (TRON base58check), ETH
(0x + 40 hex) and XMR (95- or 106-character base58, format only: its checksum needs keccak)."""

from __future__ import annotations

import hashlib
import re

from monitor.models import CryptoAddress

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONST, _BECH32M_CONST = 1, 0x2BC830A3

# Each address starts with a few known characters, and is checked to begin a word right after
# them ("0x(?<!\w0x)" rather than "(?<!\w)0x"): a pattern that starts with its characters lets
# the engine skip to the next place they occur in C, where a leading look-behind is tried at
# every character.
_BECH32_ADDR = re.compile(r"(?<![\w])(?:bc|ltc)1[02-9ac-hj-np-z]{11,87}(?!\w)", re.IGNORECASE)
_ETH_ADDR = re.compile(r"0x(?<!\w0x)[0-9a-fA-F]{40}(?!\w)")
# A base58check address (26-35 characters: BTC, LTC, TRON) or an XMR one (95 or 106): both are
# whole words of base58, so their matches never overlap and one search finds both. Their first
# characters lead as one class (a pattern that starts with a choice gets no such skip).
_BASE58_OR_XMR = re.compile(
    r"[13LMT48](?<!\w[13LMT48])(?:(?<=[13LMT])[1-9A-HJ-NP-Za-km-z]{25,34}"
    r"|(?<=[48])[1-9A-HJ-NP-Za-km-z]{94}(?:[1-9A-HJ-NP-Za-km-z]{11})?)(?!\w)")
_B58_VERSIONS = {0x00: "BTC", 0x05: "BTC", 0x30: "LTC", 0x32: "LTC", 0x41: "USDT-TRC20"}


def b58check_version(addr: str) -> int | None:
    """The version byte of a valid base58check string of 25 bytes, else None."""
    n = 0
    for ch in addr:
        n = n * 58 + _B58_INDEX[ch]
    pad = len(addr) - len(addr.lstrip("1"))
    raw = b"\x00" * pad + n.to_bytes((n.bit_length() + 7) // 8, "big")
    if len(raw) != 25:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload[0]


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def bech32_valid(addr: str) -> bool:
    """True when `addr` carries a valid bech32 or bech32m checksum (BIP-173 / BIP-350)."""
    addr = addr.lower()
    hrp, _, data = addr.rpartition("1")
    if not hrp or len(data) < 6 or any(c not in _BECH32 for c in data):
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values += [_BECH32.index(c) for c in data]
    return _bech32_polymod(values) in (_BECH32_CONST, _BECH32M_CONST)


def addresses(text: str, long_words: list[str] | None = None) -> tuple[CryptoAddress, ...]:
    """Valid addresses in `text` (original case), in order, without duplicates; `long_words`:
    its words of 26 characters or more, when already picked out."""
    found: list[tuple[int, CryptoAddress]] = []
    # only the long words can be addresses: search those, not the whole text
    if long_words is None:
        long_words = [w for w in text.split() if len(w) >= 26]
    if not long_words:
        return ()
    text = "\n".join(long_words)
    for m in _BASE58_OR_XMR.finditer(text):
        if len(m.group()) > 35:  # XMR (format only)
            found.append((m.start(), CryptoAddress("XMR", m.group())))
            continue
        version = b58check_version(m.group())
        coin = _B58_VERSIONS.get(version) if version is not None else None
        if coin is not None:
            found.append((m.start(), CryptoAddress(coin, m.group())))
    # "bc1", "ltc1" in any case (a case-blind pattern cannot skip ahead): look for them first
    for m in _BECH32_ADDR.finditer(text) if "c1" in text or "C1" in text else ():
        if bech32_valid(m.group()):
            coin = "LTC" if m.group().lower().startswith("ltc") else "BTC"
            found.append((m.start(), CryptoAddress(coin, m.group().lower())))
    for m in _ETH_ADDR.finditer(text):
        found.append((m.start(), CryptoAddress("ETH", m.group())))
    seen: set[str] = set()
    out: list[CryptoAddress] = []
    for _, a in sorted(found, key=lambda p: p[0]):
        if a.address not in seen:
            seen.add(a.address)
            out.append(a)
    return tuple(out)
