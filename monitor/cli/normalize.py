"""`bazaarwatch normalize` — raw posts in, listings out, as JSON lines, so any set of posts can be
checked from the shell: `bazaarwatch normalize --in posts.jsonl | jq .records`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import IO, Any

from monitor.errors import BazaarwatchError
from monitor.models import RawPost
from monitor.normalize import normalize

_TEXT_KEYS = ("source", "url", "title")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "normalize", help="normalize raw posts (JSON lines) into listings (JSON lines)",
        description="Read one raw post per line, as a JSON object with \"source\", \"url\", "
                    "\"title\", \"author\" and \"body\" (text) or \"body_html\" (the post's HTML), "
                    "optionally \"posted_at\" (ISO 8601) and \"board\"; write one listing per line "
                    "(the Elasticsearch document, with its \"_id\"). A line that cannot be read "
                    "is reported on stderr with its line number and skipped. Exits 1 when any "
                    "line was skipped.")
    p.add_argument("--in", dest="infile", metavar="FILE", default="-",
                   help="raw posts, one JSON object a line (default: standard input)")
    p.add_argument("--out", dest="outfile", metavar="FILE", default="-",
                   help="where to write the listings (default: standard output)")
    p.add_argument("--config-dir", metavar="DIR", default=None,
                   help="read organisations (watchlists.yaml) and USD rates (monitor.yaml) "
                        "from this configuration folder")
    p.set_defaults(func=run)


def raw_post(d: Any) -> RawPost:
    """The RawPost of one input object; ValueError says what is wrong with it."""
    if not isinstance(d, dict):
        raise ValueError("a line must be a JSON object")
    missing = [k for k in _TEXT_KEYS if not isinstance(d.get(k), str) or not d[k]]
    if missing:
        raise ValueError(f"missing or empty: {', '.join(missing)}")
    body, html = d.get("body"), d.get("body_html")
    if not isinstance(body, str) and not isinstance(html, str):
        raise ValueError('needs "body" (text) or "body_html" (HTML)')
    for key in ("author", "board", "posted_at"):
        if d.get(key) is not None and not isinstance(d[key], str):
            raise ValueError(f"{key}: must be a string")
    posted = None
    if d.get("posted_at"):
        posted = datetime.fromisoformat(d["posted_at"])  # ValueError names the bad value
        if posted.tzinfo is None:
            raise ValueError("posted_at: needs a time zone")
    return RawPost(source_id=d["source"], url=d["url"], title=d["title"],
                   body_text=body if isinstance(body, str) else "",
                   body_html=html if isinstance(html, str) else "",
                   board=d.get("board"), author=d.get("author"), posted_at=posted)


def normalize_lines(lines: Iterable[str], out: IO[str], err: IO[str], *,
                    organisations: Iterable[Any] = (),
                    rates: Mapping[str, float] | None = None) -> tuple[int, int]:
    """Normalize each JSON line of `lines` to `out`; report bad lines on `err`.
    Returns (listings written, lines skipped)."""
    orgs = tuple(organisations)
    written = skipped = 0
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = raw_post(json.loads(line))
        except ValueError as e:  # json.JSONDecodeError is a ValueError
            print(f"line {lineno}: {e}", file=err)
            skipped += 1
            continue
        listing = normalize(raw, organisations=orgs, rates=rates)
        doc = {"_id": listing.id, **listing.to_doc()}
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")
        written += 1
    return written, skipped


def run(args: argparse.Namespace) -> int:
    organisations: tuple[Any, ...] = ()
    rates: Mapping[str, float] | None = None
    if args.config_dir:
        from monitor.config import load_config  # only when asked: config needs its files

        config = load_config(args.config_dir)
        organisations = config.watchlists.organisations
        rates = config.monitor.rates or None
    try:
        infile = sys.stdin if args.infile == "-" else open(args.infile, encoding="utf-8")  # noqa: SIM115
        outfile = (sys.stdout if args.outfile == "-"
                   else open(args.outfile, "w", encoding="utf-8"))  # noqa: SIM115
    except OSError as e:
        raise BazaarwatchError(f"normalize: {e}") from e
    try:
        _, skipped = normalize_lines(infile, outfile, sys.stderr,
                                     organisations=organisations, rates=rates)
    finally:
        if infile is not sys.stdin:
            infile.close()
        if outfile is not sys.stdout:
            outfile.close()
    return 1 if skipped else 0
