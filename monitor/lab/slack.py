"""A Slack-compatible incoming-webhook receiver for tests and the demo, on loopback.

It answers like Slack: `POST /services/...` with a JSON body (or a form field `payload`) gets
200 `ok`; a body that is not a JSON object gets 400 `invalid_payload`, no text and no blocks 400
`no_text`, blocks that break Block Kit's structural limits 400 `invalid_blocks`. Every post is
recorded. It can be told to answer the next N posts with 429 (and a Retry-After), 500, or any
status and body. Control and inspection are plain HTTP, so the CLI and other processes use it:

    GET  /_lab/messages   {"messages": [accepted posts], "requests": [every post]}
    POST /_lab/fail       {"count": 3, "status": 429, "retry_after": 2, "body": "rate_limited"}
    POST /_lab/reset      forget messages and pending failures
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

log = logging.getLogger(__name__)

BLOCK_TYPES = {"section", "header", "context", "divider", "actions", "image", "rich_text",
               "input", "file", "video", "markdown"}
TEXT_TYPES = {"plain_text", "mrkdwn"}
_ERROR_BODIES = {429: "rate_limited", 500: "internal_error", 404: "no_service",
                 403: "action_prohibited", 410: "channel_is_archived"}


# -- Block Kit structure ----------------------------------------------------------------------
def validate_payload(payload: Any) -> tuple[str | None, list[str]]:
    """Slack's answer for a webhook payload: (None, []) when it would be accepted, else the
    error body Slack sends (`invalid_payload`, `no_text`, `invalid_blocks`) and the reasons."""
    if not isinstance(payload, dict):
        return "invalid_payload", ["the body is not a JSON object"]
    text, blocks = payload.get("text"), payload.get("blocks")
    if not (isinstance(text, str) and text.strip()) and not blocks and not payload.get(
            "attachments"):
        return "no_text", ["no text and no blocks"]
    errors: list[str] = []
    if text is not None and not isinstance(text, str):
        errors.append("text: not a string")
    elif isinstance(text, str) and len(text) > 40000:
        errors.append("text: longer than 40000 characters")
    if blocks is not None:
        if not isinstance(blocks, list):
            errors.append("blocks: not a list")
        else:
            if len(blocks) > 50:
                errors.append(f"blocks: {len(blocks)} blocks, at most 50")
            for i, block in enumerate(blocks):
                errors += _block_errors(block, f"blocks[{i}]")
    return ("invalid_blocks", errors) if errors else (None, [])


def _text_errors(obj: Any, where: str, limit: int, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: not a text object"]
    kind = obj.get("type")
    if kind not in (("plain_text",) if plain_only else TEXT_TYPES):
        return [f"{where}.type: {kind!r} is not allowed here"]
    value = obj.get("text")
    if not isinstance(value, str) or not value:
        return [f"{where}.text: must be a non-empty string"]
    if len(value) > limit:
        return [f"{where}.text: {len(value)} characters, at most {limit}"]
    return []


def _element_errors(e: Any, where: str, block_kind: str) -> list[str]:
    """A context element is a text object or an image; an actions element we check when it
    is a button (text at most 75, url at most 3000)."""
    kind = e.get("type") if isinstance(e, dict) else None
    if block_kind == "context":
        return [] if kind == "image" else _text_errors(e, where, 3000)
    if kind != "button":
        return []
    errors = _text_errors(e.get("text"), f"{where}.text", 75, plain_only=True)
    if len(str(e.get("url", ""))) > 3000:
        errors.append(f"{where}.url: longer than 3000")
    return errors


def _block_errors(block: Any, where: str) -> list[str]:
    if not isinstance(block, dict):
        return [f"{where}: not an object"]
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        return [f"{where}.type: unknown block type {kind!r}"]
    errors = []
    if len(str(block.get("block_id", ""))) > 255:
        errors.append(f"{where}.block_id: longer than 255 characters")
    if kind == "header":
        errors += _text_errors(block.get("text"), f"{where}.text", 150, plain_only=True)
    elif kind == "section":
        if "text" not in block and "fields" not in block:
            errors.append(f"{where}: a section needs text or fields")
        if "text" in block:
            errors += _text_errors(block["text"], f"{where}.text", 3000)
        fields = block.get("fields", [])
        if not isinstance(fields, list) or len(fields) > 10:
            errors.append(f"{where}.fields: at most 10")
        else:
            for j, f in enumerate(fields):
                errors += _text_errors(f, f"{where}.fields[{j}]", 2000)
    elif kind in ("context", "actions"):
        most = 10 if kind == "context" else 25
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= most:
            errors.append(f"{where}.elements: 1 to {most} elements")
        else:
            for j, e in enumerate(elements):
                errors += _element_errors(e, f"{where}.elements[{j}]", kind)
    elif kind == "divider" and set(block) - {"type", "block_id"}:
        errors.append(f"{where}: a divider takes no content")
    return errors


# -- the server -------------------------------------------------------------------------------
@dataclass
class _Failure:
    status: int
    body: str
    retry_after: float | None


@dataclass
class ReceiverState:
    """What the receiver got and what it was told to do; shared by the handlers and readers."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[_Failure] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def messages(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.requests if r["status"] == 200]

    def all_requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.requests]

    def fail_next(self, count: int, status: int = 429, *, retry_after: float | None = None,
                  body: str | None = None) -> None:
        with self.lock:
            self.failures += [_Failure(status, body or _ERROR_BODIES.get(status, "error"),
                                       retry_after) for _ in range(count)]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.failures.clear()

    def stop_failing(self) -> None:
        """Drop the failures still queued; what was received stays recorded."""
        with self.lock:
            self.failures.clear()


def make_app(state: ReceiverState) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)

    async def webhook(request: web.Request) -> web.Response:
        raw = await request.read()
        payload: Any = None
        try:
            if request.content_type == "application/x-www-form-urlencoded":
                payload = json.loads(parse_qs(raw.decode())["payload"][0])
            else:
                payload = json.loads(raw)
        except (ValueError, KeyError, UnicodeDecodeError):
            payload = None
        record: dict[str, Any] = {"path": request.path, "received_at": time.time(),
                                  "payload": payload}
        with state.lock:
            failure = state.failures.pop(0) if state.failures else None
            if failure is not None:
                status, answer, errors = failure.status, failure.body, []
            else:
                error, errors = validate_payload(payload)
                status, answer = (400, error) if error else (200, "ok")
            record.update(seq=len(state.requests) + 1, status=status, answer=answer,
                          errors=errors)
            state.requests.append(record)
        headers = {}
        if failure is not None and failure.retry_after is not None:
            headers["Retry-After"] = f"{failure.retry_after:g}"
        log.info("slack receiver: %s %s -> %d %s", request.method, request.path, status, answer)
        return web.Response(status=status, text=answer, headers=headers)

    async def messages(_: web.Request) -> web.Response:
        return web.json_response({"messages": state.messages(),
                                  "requests": state.all_requests()})

    async def fail(request: web.Request) -> web.Response:
        try:
            spec = await request.json()
            state.fail_next(int(spec.get("count", 1)), int(spec.get("status", 429)),
                            retry_after=spec.get("retry_after"), body=spec.get("body"))
        except (ValueError, TypeError, AttributeError) as e:
            return web.Response(status=400, text=f"bad failure spec: {e}")
        return web.Response(text="ok")

    async def reset(_: web.Request) -> web.Response:
        state.reset()
        return web.Response(text="ok")

    app.router.add_post("/services/{tail:.+}", webhook)
    app.router.add_get("/_lab/messages", messages)
    app.router.add_post("/_lab/fail", fail)
    app.router.add_post("/_lab/reset", reset)
    return app


class SlackReceiver:
    """The receiver in a thread of its own, for tests and the benchmark:
    ``with SlackReceiver() as r: post to r.webhook_url(); r.messages()``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self.state = ReceiverState()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def webhook_url(self, path: str = "T0LAB/B0LAB/lab") -> str:
        return f"{self.url}/services/{path}"

    def start(self) -> SlackReceiver:
        self._thread = threading.Thread(target=self._serve, name="slack-receiver", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise OSError(f"slack receiver did not start: {self._error}") from self._error
        return self

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._start_site())
        except BaseException as e:  # reported to start()'s caller
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())  # type: ignore[union-attr]
        loop.close()

    async def _start_site(self) -> None:
        self._runner = web.AppRunner(make_app(self.state), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> SlackReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def messages(self) -> list[dict[str, Any]]:
        """Accepted posts (answered 200), oldest first."""
        return self.state.messages()

    def requests(self) -> list[dict[str, Any]]:
        """Every post with its answer, oldest first."""
        return self.state.all_requests()

    def fail_next(self, count: int, status: int = 429, *, retry_after: float | None = None,
                  body: str | None = None) -> None:
        self.state.fail_next(count, status, retry_after=retry_after, body=body)

    def reset(self) -> None:
        self.state.reset()

    def stop_failing(self) -> None:
        """End a `fail_next(<many>)` outage, keeping the record of what was received."""
        self.state.stop_failing()

    def wait_for(self, count: int, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Block until `count` messages were accepted (or the timeout passed); returns them."""
        deadline = time.monotonic() + timeout_s
        while len(found := self.messages()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return found
