"""v3 onion address validation (rend-spec-v3, "Encoding onion addresses"), shared by the config
loader (a mistyped onion fails at load, not at crawl time) and the normalizer (sample links).

    onion_address = base32(PUBKEY | CHECKSUM | VERSION) + ".onion"
    CHECKSUM = H(".onion checksum" | PUBKEY | VERSION)[:2], H = SHA3-256, VERSION = 0x03
"""

from __future__ import annotations

import base64
import hashlib

_V3_LEN = 56
_V2_LEN = 16
_B32 = "abcdefghijklmnopqrstuvwxyz234567"  # RFC 4648's alphabet, lower case
_B32_ALPHABET = frozenset(_B32)
_B32_AS_INT_DIGITS = str.maketrans(_B32, "0123456789abcdefghijklmnopqrstuv")


def onion_problem(host: str) -> str | None:
    """Why `host` is not a valid v3 onion address, or None when it is one.

    `host` may carry the ".onion" suffix and subdomains ("www.<56 chars>.onion")."""
    label = host.strip().lower().rstrip(".")
    if label.endswith(".onion"):
        label = label[: -len(".onion")]
    label = label.rsplit(".", 1)[-1]
    if len(label) == _V2_LEN and set(label) <= _B32_ALPHABET:
        return "is a v2 onion address (16 characters); tor dropped v2, use the v3 address"
    if len(label) != _V3_LEN:
        return f"has {len(label)} characters before .onion; a v3 address has 56"
    bad = sorted(set(label) - _B32_ALPHABET)
    if bad:
        return f"contains {''.join(bad)!r}, which is not base32 (a-z, 2-7)"
    # 56 base32 digits are 35 bytes: read as one base-32 integer (Python's own digits 0-9a-v),
    # a tenth of what the pure-Python base64.b32decode costs; the normalizer checks every
    # onion link it reads
    raw = int(label.translate(_B32_AS_INT_DIGITS), 32).to_bytes(35, "big")
    pubkey, checksum, version = raw[:32], raw[32:34], raw[34:35]
    if version != b"\x03":
        return f"has version byte {version[0]}, a v3 address has 3"
    expected = hashlib.sha3_256(b".onion checksum" + pubkey + version).digest()[:2]
    if checksum != expected:
        return "has a wrong checksum (a character is mistyped)"
    return None


def is_valid_v3_onion(host: str) -> bool:
    """True when `host` ends in a valid v3 onion address (checksum and version verified)."""
    return onion_problem(host) is None


def make_v3_onion(pubkey: bytes) -> str:
    """The v3 onion address (with ".onion") of a 32-byte ed25519 public key."""
    if len(pubkey) != 32:
        raise ValueError("an ed25519 public key has 32 bytes")
    version = b"\x03"
    checksum = hashlib.sha3_256(b".onion checksum" + pubkey + version).digest()[:2]
    return base64.b32encode(pubkey + checksum + version).decode().lower() + ".onion"
