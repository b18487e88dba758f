"""The transport: how Bazaarwatch's requests reach a forum. Everything goes through tor's SOCKS5
port with remote name resolution and per-source credentials (`handler`), or through Chromium
with a SocksPort of the source's own (`browser`); `dispatch` picks one per request. A source is
reached without Tor only when its YAML says `direct: true`.

Request meta keys read: `bazaarwatch_source` (the source id; it picks the SOCKS credentials or
the browser's SocksPort), `bazaarwatch_render` (True: the page needs a browser),
`bazaarwatch_screenshot` (True: keep a PNG of the rendered page). Written back:
`bazaarwatch_truncated` (the size limit, when the body was cut there; the response is flagged
"truncated"), `bazaarwatch_screenshot_png` / `bazaarwatch_screenshot_path`,
`bazaarwatch_render_cookies` (the browser context's cookies after rendering).

Settings: `BAZAARWATCH_*` in monitor/settings.py (transport group). Check a source from the shell
with `python -m monitor.transport.probe --help`.
"""

from __future__ import annotations

META_SOURCE = "bazaarwatch_source"
META_RENDER = "bazaarwatch_render"
META_SCREENSHOT = "bazaarwatch_screenshot"
META_SCREENSHOT_PATH = "bazaarwatch_screenshot_path"
META_SCREENSHOT_PNG = "bazaarwatch_screenshot_png"
META_TRUNCATED = "bazaarwatch_truncated"
UNSOURCED = "-"  # the SOCKS identity of a request that names no source
