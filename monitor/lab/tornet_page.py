"""A loopback web page to publish as a lab onion (tests, `measure_bootstrap`)."""

from __future__ import annotations

import http.server
import logging
import threading

log = logging.getLogger(__name__)


class _PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = self.server.body  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("lab page: %s", format % args)


def serve_page(body: bytes = b"<h1>bazaarwatch lab onion</h1>") -> http.server.HTTPServer:
    """A loopback HTTP server (any free port, its own thread) answering every GET with `body`:
    something to publish as an onion. Stop it with shutdown() and server_close()."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    server.body = body  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, name="lab-page", daemon=True).start()
    return server
