"""Links: refanging, scheme-less hosts, HTML anchors, samples vs victim vs contact links, onion
validation, contacts and crypto addresses (checksums verified)."""

from __future__ import annotations

import pytest

from monitor.models import Contact, CryptoAddress
from monitor.normalize.crypto import addresses, b58check_version, bech32_valid
from monitor.normalize.links import URL, extract
from monitor.onion import make_v3_onion

FORUM = "http://forum.example/thread-1"
ONION = make_v3_onion(bytes(range(32)))
BAD_ONION = ONION[:10] + ("a" if ONION[10] != "a" else "b") + ONION[11:]


@pytest.mark.parametrize(("text", "url", "defanged"), [
    ("hxxps://mega[.]nz/file/AbC#KeY", "https://mega.nz/file/AbC#KeY", True),
    ("hxxp://gofile[.]io/d/x1", "http://gofile.io/d/x1", True),
    ("h**ps://pastebin.com/AbCd1234", "https://pastebin.com/AbCd1234", True),
    ("hXXps[:]//files[.]fm/u/abc", "https://files.fm/u/abc", True),
    ("https[:]//gofile.io/d/q", "https://gofile.io/d/q", True),
    ("hxxps[://]anonfiles(.)com/x", "https://anonfiles.com/x", True),
    ("https://www.mediafire[dot]com/file/a/b.7z/file", "https://www.mediafire.com/file/a/b.7z/file",
     True),
    ("gofile [.] io/d/Dk120k", "https://gofile.io/d/Dk120k", True),
    ("bayfiles(.)com/xyz.", "https://bayfiles.com/xyz", True),
    ("see https://anonfiles.com/abc.", "https://anonfiles.com/abc", False),
    ("(https://pixeldrain.com/u/Xy)", "https://pixeldrain.com/u/Xy", False),
    (f"{ONION.replace('.onion', '[.]onion')}/d/x.zip", f"http://{ONION}/d/x.zip", True),
])
def test_refanged_samples(text: str, url: str, defanged: bool) -> None:
    found = extract(text, (), FORUM)
    assert [(s.url, s.defanged) for s in found.samples] == [(url, defanged)]


@pytest.mark.parametrize("text", [
    "dump.sql and file.zip in node.js, readme.md", "user.id, user.email, e.g. v1.2",
    f"http://{BAD_ONION}/files", "http://forum.example/showthread.php?tid=5",
    "https://t.me/kotzshop", "https://imgur.com/a/proof", "https://kpu.go.id",
    # a file host or paste site named, with no file: its home page holds no data
    "mirror on request (mega.nz or https://gofile.io/)", "no pastebin.com links, DM me",
])
def test_not_samples(text: str) -> None:
    assert extract(text, (), FORUM).samples == ()


def test_a_file_link_with_only_a_fragment_is_a_sample() -> None:
    found = extract("Sample: https://mega.nz/#!a1B2c3D4!keykeykey", (), FORUM)
    assert [s.url for s in found.samples] == ["https://mega.nz/#!a1B2c3D4!keykeykey"]


@pytest.mark.parametrize(("text", "links"), [
    ("site.com:8443 (dot) net", ("https://site.com:8443",)),
    ("https://site.com/a?x=1&ref (.) com", ("https://site.com/a?x=1&ref",)),
    ("x[.]io:8080(.)ru", ("https://x.io:8080",)),
])  # fmt: skip
def test_no_link_is_read_out_of_the_end_of_another(text: str, links: tuple[str, ...]) -> None:
    """A defanged dot right after a link ends does not make a second link of its port or its
    path's last word (as `URL.finditer` would not)."""
    assert extract(text).links == links


def test_onion_path_split_by_a_space() -> None:
    found = extract(f"Sample: {ONION} /mn/sample.txt\nPrice: 0.5 BTC", (), FORUM)
    assert [s.url for s in found.samples] == [f"http://{ONION}/mn/sample.txt"]


def test_html_anchors_magnets_and_duplicates() -> None:
    text = "Mirror: https://gofile.io/d/Xy and again https://gofile.io/d/Xy/ " \
           "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=db"
    found = extract(text, ("/member.php?uid=1", "https://gofile.io/d/Xy", "hxxps://mega[.]nz/f/1"),
                    FORUM)
    assert [s.url for s in found.samples] == [
        "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=db",
        "https://gofile.io/d/Xy", "https://mega.nz/f/1"]
    assert "http://forum.example/member.php?uid=1" in found.links


def test_a_labelled_link_on_an_unknown_host_is_a_sample() -> None:
    text = ("Victim: https://acme.com/about\nSample: https://unknownhost.xyz/d/abc\n"
            "Proof: https://i.imgur.com/x.png\nDownload: https://acme.com/")
    found = extract(text, (), FORUM)
    assert [s.url for s in found.samples] == ["https://unknownhost.xyz/d/abc"]
    assert found.domains == ("acme.com",)


def test_victim_domains_exclude_file_hosts_forums_and_contacts() -> None:
    text = "Victim: kpu.go.id, www.tokopedia.com. Sample https://gofile.io/d/x t.me/seller " \
           "https://imgur.com/x http://forum.example/x"
    assert extract(text, (), FORUM).domains == ("kpu.go.id", "tokopedia.com")


@pytest.mark.parametrize(("text", "contact"), [
    ("tg: @kotz_sell", Contact("telegram", "@kotz_sell")),
    ("Telegram - @seller_bot", Contact("telegram", "@seller_bot")),
    ("телеграм: @prodavec", Contact("telegram", "@prodavec")),
    ("https://t.me/kotzshop", Contact("telegram", "@kotzshop")),
    ("jabber: kotz@exploit.im", Contact("xmpp", "kotz@exploit.im")),
    ("xmpp: dk_leaks@jabber[.]ccc[.]de", Contact("xmpp", "dk_leaks@jabber.ccc.de")),
    ("mail kotz[@]protonmail[.]com", Contact("email", "kotz@protonmail.com")),
    ("mail kotz(at)cock.li", Contact("email", "kotz@cock.li")),
    ("session 05" + "ab" * 32, Contact("session", "05" + "ab" * 32)),
    ("tox " + "56A1ADE4" * 9 + "CDAB", Contact("tox", "56A1ADE4" * 9 + "CDAB")),
])
def test_contacts(text: str, contact: Contact) -> None:
    assert contact in extract(text, (), FORUM).contacts


@pytest.mark.parametrize(("text", "found"), [
    ("BTC 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
     [CryptoAddress("BTC", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")]),
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
     [CryptoAddress("BTC", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")]),
    ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
     [CryptoAddress("BTC", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")]),
    ("0x52908400098527886E0F7030069857D2E4169EE7",
     [CryptoAddress("ETH", "0x52908400098527886E0F7030069857D2E4169EE7")]),
    ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
     [CryptoAddress("USDT-TRC20", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")]),
    ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", []),  # one character off: bad checksum
    ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx", []),
])
def test_crypto_addresses(text: str, found: list[CryptoAddress]) -> None:
    assert list(addresses(text)) == found


def test_checksum_helpers() -> None:
    assert b58check_version("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2") == 0
    assert bech32_valid("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    assert not bech32_valid("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdz")


def test_url_groups_in_the_order_links_reads_them() -> None:
    """`_from_match` reads the URL pattern's groups by position (`Match.groups()`)."""
    assert tuple(URL.groupindex) == ("scheme", "s", "s2", "host", "tld", "port", "path")
