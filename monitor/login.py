"""How Bazaarwatch gets into a forum: form login with credentials from the config's Secrets, or
cookies imported from a browser export (Netscape cookies.txt, or JSON as browser extensions write
it). The login itself is done by monitor/middleware/login.py; this module holds what it needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from monitor.errors import LoginFailed


class SecretLike(Protocol):
    def reveal(self) -> str: ...


@dataclass(frozen=True, slots=True)
class LoginSpec:
    """A source's way in. `username`/`password` are Secrets (their repr never shows the value), so
    a LoginSpec may sit in Scrapy settings, which Scrapy logs."""

    kind: str = "none"  # none | form | cookies
    username: SecretLike | None = None
    password: SecretLike | None = None
    cookies: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    @classmethod
    def from_config(cls, login: Any) -> LoginSpec:
        """From the config's LoginConfig (kind, username, password, cookies_file).

        Raises LoginFailed when the cookies file cannot be read."""
        if login is None:
            return cls()
        kind = getattr(login, "kind", "none") or "none"
        cookies: tuple[dict[str, Any], ...] = ()
        cookies_file = getattr(login, "cookies_file", None)
        if kind == "cookies" and cookies_file:
            cookies = tuple(load_cookie_file(Path(cookies_file)))
        return cls(kind=kind, username=getattr(login, "username", None),
                   password=getattr(login, "password", None), cookies=cookies)

    @property
    def can_log_in(self) -> bool:
        return self.kind == "form" and self.username is not None and self.password is not None


def load_cookie_file(path: Path) -> list[dict[str, Any]]:
    """Cookies from a browser export: Netscape cookies.txt (curl, "Get cookies.txt" extensions) or
    a JSON list of objects with name/value/domain/path (EditThisCookie, Cookie-Editor).

    Returns dicts Scrapy's ``Request.cookies`` accepts. Raises LoginFailed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise LoginFailed(f"cannot read cookies file {path}: {e}") from e
    if text.lstrip().startswith(("[", "{")):
        return _json_cookies(text, path)
    return _netscape_cookies(text, path)


def _json_cookies(text: str, path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError as e:
        raise LoginFailed(f"{path}: not valid JSON: {e}") from e
    if isinstance(data, dict):
        data = data.get("cookies", [])
    out = []
    for i, c in enumerate(data):
        if not isinstance(c, dict) or "name" not in c or "value" not in c:
            raise LoginFailed(f"{path}: cookie {i} has no name/value")
        out.append({"name": str(c["name"]), "value": str(c["value"]),
                    "domain": str(c.get("domain", "")).lstrip("."), "path": c.get("path", "/"),
                    "secure": bool(c.get("secure", False))})
    return out


def _netscape_cookies(text: str, path: Path) -> list[dict[str, Any]]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_"):]
        elif not line.strip() or line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 7:
            raise LoginFailed(f"{path}:{n}: not a Netscape cookie line (7 tab-separated fields)")
        domain, _flag, cpath, secure, _expires, name, value = parts
        out.append({"name": name, "value": value, "domain": domain.lstrip("."), "path": cpath,
                    "secure": secure.upper() == "TRUE"})
    return out
