"""Cookies imported from browser exports, and what a LoginSpec shows of its secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import Secret
from monitor.errors import LoginFailed
from monitor.login import LoginSpec, load_cookie_file

NETSCAPE = """# Netscape HTTP Cookie File
# https://curl.se/docs/http-cookies.html

.forum.onion\tTRUE\t/\tFALSE\t1924992000\tmybbuser\t1001_abcdef
#HttpOnly_forum.onion\tFALSE\t/forum/\tTRUE\t0\tsid\t77aa
"""
JSON_LIST = ('[{"name": "xf_session", "value": "s3ss", "domain": ".x.onion", "path": "/",'
             ' "secure": false, "httpOnly": true, "expirationDate": 1924992000}]')
JSON_OBJECT = '{"cookies": [{"name": "a", "value": "1"}]}'


@pytest.mark.parametrize(("text", "suffix", "expected"), [
    (NETSCAPE, ".txt", [
        {"name": "mybbuser", "value": "1001_abcdef", "domain": "forum.onion", "path": "/",
         "secure": False},
        {"name": "sid", "value": "77aa", "domain": "forum.onion", "path": "/forum/",
         "secure": True}]),
    (JSON_LIST, ".json", [{"name": "xf_session", "value": "s3ss", "domain": "x.onion",
                           "path": "/", "secure": False}]),
    (JSON_OBJECT, ".json", [{"name": "a", "value": "1", "domain": "", "path": "/",
                             "secure": False}]),
])
def test_cookie_exports(tmp_path: Path, text: str, suffix: str,
                        expected: list[dict[str, object]]) -> None:
    path = tmp_path / f"cookies{suffix}"
    path.write_text(text)
    assert load_cookie_file(path) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("forum.onion\tTRUE\t/\tFALSE\t0\tonly-six-fields\n", "cookies.txt:1: not a Netscape"),
    ("[{\"value\": \"x\"}]", "cookie 0 has no name/value"),
    ("[not json", "not valid JSON"),
])
def test_broken_cookie_exports_say_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "cookies.txt"
    path.write_text(text)
    with pytest.raises(LoginFailed, match=message):
        load_cookie_file(path)


def test_missing_cookie_file(tmp_path: Path) -> None:
    with pytest.raises(LoginFailed, match="cannot read cookies file"):
        load_cookie_file(tmp_path / "nope.txt")


def test_login_spec_never_shows_its_secrets() -> None:
    spec = LoginSpec(kind="form", username=Secret("analyst", "env:U"),
                     password=Secret("correct-horse", "env:P"))
    assert spec.can_log_in
    assert "correct-horse" not in repr(spec) and "analyst" not in repr(spec)
    assert not LoginSpec(kind="cookies").can_log_in
