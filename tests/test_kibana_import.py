"""`bazaarwatch kibana import` against a stdlib HTTP server on loopback that speaks Kibana's
saved objects import protocol (Kibana itself cannot run here): multipart upload with a `file`
part, the `kbn-xsrf` header, `overwrite=true`, API key auth, per-object results and errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from monitor.cli import main
from monitor.cli.kibana import DEFAULT_FILE, import_saved_objects
from monitor.errors import KibanaError


class FakeKibana:
    """Keeps imported objects per space; answers like Kibana 9's `_import`."""

    def __init__(self, api_key: str | None = None):
        self.api_key = api_key
        self.spaces: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self.requests: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        kibana = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                kibana.requests.append({"path": parts.path, "query": parse_qs(parts.query),
                                        "headers": dict(self.headers)})
                space = "default"
                path = parts.path
                if path.startswith("/s/"):
                    space, path = path[3:].split("/", 1)[0], "/" + path[3:].split("/", 1)[1]
                if path != "/api/saved_objects/_import":
                    return self._send(404, {"statusCode": 404, "error": "Not Found"})
                if "kbn-xsrf" not in {k.lower() for k in self.headers}:
                    return self._send(400, {"statusCode": 400, "error": "Bad Request",
                                            "message": "Request must contain a kbn-xsrf header."})
                if kibana.api_key and self.headers.get("Authorization") != \
                        f"ApiKey {kibana.api_key}":
                    return self._send(401, {"statusCode": 401, "error": "Unauthorized"})
                ndjson = self._file_part(body)
                if ndjson is None:
                    return self._send(400, {"statusCode": 400, "error": "Bad Request",
                                            "message": "[request body.file]: expected value"})
                overwrite = parse_qs(parts.query).get("overwrite") == ["true"]
                return self._send(200, kibana.load(space, ndjson, overwrite))

            def _file_part(self, body: bytes) -> bytes | None:
                head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
                message = BytesParser(policy=email_policy).parsebytes(head + body)
                if not message.is_multipart():
                    return None
                for part in message.iter_parts():
                    if part.get_param("name", header="content-disposition") == "file":
                        return part.get_payload(decode=True)
                return None

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def load(self, space: str, ndjson: bytes, overwrite: bool) -> dict[str, Any]:
        stored = self.spaces.setdefault(space, {})
        objects = [json.loads(line) for line in ndjson.decode().splitlines() if line.strip()]
        present = set(stored) | {(o["type"], o["id"]) for o in objects}
        success, errors = [], []
        for obj in objects:
            key = (obj["type"], obj["id"])
            meta = {"title": obj["attributes"].get("title")}
            missing = [r for r in obj.get("references", [])
                       if (r["type"], r["id"]) not in present]
            if missing:
                errors.append({"id": obj["id"], "type": obj["type"], "meta": meta,
                               "error": {"type": "missing_references", "references": [
                                   {"type": r["type"], "id": r["id"]} for r in missing]}})
            elif key in stored and not overwrite:
                errors.append({"id": obj["id"], "type": obj["type"], "meta": meta,
                               "error": {"type": "conflict"}})
            else:
                result = {"id": obj["id"], "type": obj["type"], "meta": meta}
                if key in stored:
                    result["overwrite"] = True
                stored[key] = obj
                success.append(result)
        return {"success": not errors, "successCount": len(success),
                "successResults": success, **({"errors": errors} if errors else {})}


@pytest.fixture
def kibana() -> Iterator[FakeKibana]:
    k = FakeKibana()
    yield k
    k.close()


def test_import_creates_then_overwrites(kibana: FakeKibana,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    count = len(DEFAULT_FILE.read_text().splitlines())
    assert main(["kibana", "import", "--url", kibana.url]) == 0
    first = capsys.readouterr().out.splitlines()
    assert first[-1] == f"{count} created, 0 overwritten, 0 failed"
    assert "created     dashboard bazaarwatch-overview (Bazaarwatch overview)" in first
    assert main(["kibana", "import", "--url", kibana.url]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"0 created, {count} overwritten, 0 failed"
    request = kibana.requests[-1]
    assert request["query"]["overwrite"] == ["true"]
    assert request["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert len(kibana.spaces["default"]) == count


def test_index_prefix_moves_the_data_views(kibana: FakeKibana) -> None:
    assert main(["kibana", "import", "--url", kibana.url, "--index-prefix", "prod-"]) == 0
    stored = kibana.spaces["default"]
    titles = sorted(o["attributes"]["title"] for (t, _), o in stored.items()
                    if t == "index-pattern")
    assert titles == ["prod-alerts", "prod-listings"]
    assert stored[("dashboard", "bazaarwatch-overview")]["attributes"]["title"] == \
        "Bazaarwatch overview"


def test_space_and_api_key(capsys: pytest.CaptureFixture[str]) -> None:
    kibana = FakeKibana(api_key="k3y")
    try:
        result = import_saved_objects(kibana.url, DEFAULT_FILE.read_bytes(), api_key="k3y",
                                      space="cert-team")
        assert result.errors == [] and len(result.created) > 0
        assert set(kibana.spaces) == {"cert-team"}
        with pytest.raises(KibanaError, match=r"refused the import \(401\)"):
            import_saved_objects(kibana.url, DEFAULT_FILE.read_bytes(), api_key="wrong")
    finally:
        kibana.close()


def test_api_key_from_a_named_variable_that_is_unset(kibana: FakeKibana,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    name = "BAZAARWATCH_TEST_UNSET_KIBANA_KEY"
    assert main(["kibana", "import", "--url", kibana.url, "--api-key-env", name]) == 1
    assert f"environment variable {name} is not set" in capsys.readouterr().err
    assert kibana.requests == []


def test_failed_objects_are_reported(kibana: FakeKibana, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.ndjson"
    broken.write_text(json.dumps({"id": "s1", "type": "search", "attributes": {"title": "S"},
                                  "references": [{"type": "index-pattern", "id": "nope",
                                                  "name": "x"}]}) + "\n")
    assert main(["kibana", "import", "--url", kibana.url, "--file", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "failed      search s1 (S): missing_references index-pattern nope" in out


def test_unreachable_kibana() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        with pytest.raises(KibanaError, match="cannot reach Kibana"):
            import_saved_objects(url, b"{}\n", timeout_s=5)
