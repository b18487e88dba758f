"""The transport: how Bazaarwatch's requests reach a forum. Everything goes through tor's SOCKS5
port with remote name resolution and per-source credentials (`handler`), or through Chromium
with a SocksPort of the source's own (`browser`); `dispatch` picks one per request. A source is
reached without Tor only when its YAML says `direct: true`.

Request meta keys: `bazaarwatch_source` (the source id), `bazaarwatch_render` (True: the page
needs a browser), `bazaarwatch_screenshot` (True: keep a PNG of the rendered page).
"""

from __future__ import annotations

META_SOURCE = "bazaarwatch_source"
META_RENDER = "bazaarwatch_render"
META_SCREENSHOT = "bazaarwatch_screenshot"
META_TRUNCATED = "bazaarwatch_truncated"
UNSOURCED = "-"  # the SOCKS identity of a request that names no source
