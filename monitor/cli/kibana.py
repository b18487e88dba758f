"""`bazaarwatch kibana import` — load the saved objects of deploy/kibana/ (data views, saved
searches, Lens panels, the overview dashboard) into Kibana through its saved objects import API
(multipart upload, `kbn-xsrf` header, `overwrite=true`), and report what it created."""

from __future__ import annotations

import argparse
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request, urlopen

from monitor.config import secret_from_env
from monitor.errors import KibanaError

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "deploy" / "kibana" / "bazaarwatch.ndjson"


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)  # "type id (title)"
    overwritten: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def import_saved_objects(url: str, ndjson: bytes, *, api_key: str | None = None,
                         space: str | None = None, timeout_s: float = 60.0) -> ImportResult:
    """POST the NDJSON to `<url>[/s/<space>]/api/saved_objects/_import?overwrite=true`.
    Raises KibanaError when Kibana cannot be reached or answers other than 200."""
    base = url.rstrip("/") + (f"/s/{quote(space, safe='')}" if space else "")
    boundary = f"bazaarwatch-{uuid.uuid4().hex}"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"bazaarwatch.ndjson\"\r\nContent-Type: application/ndjson\r\n\r\n"
            ).encode() + ndjson + f"\r\n--{boundary}--\r\n".encode()
    headers = {"kbn-xsrf": "bazaarwatch", "Accept": "application/json",
               "Content-Type": f"multipart/form-data; boundary={boundary}"}
    if api_key:
        headers["Authorization"] = f"ApiKey {api_key}"
    request = Request(f"{base}/api/saved_objects/_import?overwrite=true", data=body,
                      headers=headers, method="POST")
    try:
        with urlopen(request, timeout=timeout_s) as resp:
            answer = json.loads(resp.read() or b"{}")
    except HTTPError as e:
        detail = e.read().decode("utf-8", "replace")[:500]
        raise KibanaError(f"Kibana refused the import ({e.code}): {detail}") from e
    except (URLError, OSError) as e:
        raise KibanaError(f"cannot reach Kibana at {url}: {e}") from e
    except json.JSONDecodeError as e:
        raise KibanaError(f"Kibana answered something that is not JSON: {e}") from e
    return _result(answer)


def _result(answer: dict[str, Any]) -> ImportResult:
    result = ImportResult()
    for item in answer.get("successResults", []):
        name = _name(item)
        (result.overwritten if item.get("overwrite") else result.created).append(name)
    for item in answer.get("errors", []):
        error = item.get("error", {})
        why = error.get("type", "error")
        if error.get("references"):
            why += " " + ", ".join(f"{r.get('type')} {r.get('id')}" for r in error["references"])
        result.errors.append(f"{_name(item)}: {why}")
    if not answer.get("success", False) and not result.errors:
        result.errors.append(f"Kibana reported failure: {json.dumps(answer)[:300]}")
    return result


def _name(item: dict[str, Any]) -> str:
    title = item.get("meta", {}).get("title") or item.get("title")
    return f"{item.get('type')} {item.get('id')}" + (f" ({title})" if title else "")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kibana", help="Kibana: import the saved objects",
                       description="Kibana data views, saved searches and dashboard.")
    k_sub = p.add_subparsers(dest="kibana_command", metavar="ACTION", required=True)
    i = k_sub.add_parser(
        "import", help="import data views, searches and the dashboard into Kibana",
        description="Upload deploy/kibana/bazaarwatch.ndjson through Kibana's saved objects "
                    "import API, overwriting objects of the same id, and list what was created "
                    "or overwritten. Exits 1 if any object failed.")
    i.add_argument("--url", required=True, metavar="URL",
                   help="Kibana's base URL, e.g. http://127.0.0.1:5601")
    i.add_argument("--api-key-env", metavar="NAME",
                   help="environment variable holding a Kibana API key (sent as ApiKey)")
    i.add_argument("--space", metavar="ID", help="Kibana space (default: the default space)")
    i.add_argument("--file", type=Path, default=DEFAULT_FILE, metavar="PATH",
                   help="saved objects NDJSON (default: deploy/kibana/bazaarwatch.ndjson)")
    i.add_argument("--index-prefix", default="", metavar="PREFIX",
                   help="the elasticsearch.index_prefix of monitor.yaml, if any: the data views "
                        "then point at PREFIXlistings and PREFIXalerts")
    i.set_defaults(func=run_import)


def with_index_prefix(ndjson: bytes, prefix: str) -> bytes:
    """The saved objects with every data view's index pattern under `prefix`."""
    if not prefix:
        return ndjson
    out = []
    for line in ndjson.decode("utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        if obj.get("type") == "index-pattern":
            obj["attributes"]["title"] = prefix + obj["attributes"]["title"]
        out.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(out) + "\n").encode("utf-8")


def run_import(args: argparse.Namespace) -> int:
    api_key = secret_from_env(args.api_key_env).reveal() if args.api_key_env else None
    try:
        ndjson = args.file.read_bytes()
    except OSError as e:
        raise KibanaError(f"cannot read {args.file}: {e.strerror or e}") from e
    result = import_saved_objects(args.url, with_index_prefix(ndjson, args.index_prefix),
                                  api_key=api_key, space=args.space)
    for name in result.created:
        print(f"created     {name}")
    for name in result.overwritten:
        print(f"overwritten {name}")
    for line in result.errors:
        print(f"failed      {line}")
    print(f"{len(result.created)} created, {len(result.overwritten)} overwritten, "
          f"{len(result.errors)} failed")
    return 1 if result.errors else 0
