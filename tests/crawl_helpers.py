"""Helpers of the crawl tests and the crawl benchmark: a config folder for lab sources, and
`bazaarwatch crawl` run as a real process (Twisted's reactor runs once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

MARKET_SELECTORS = {
    "thread_row": "div.mk-listing", "title_link": ".mk-title a", "author": ".mk-vendor a",
    "last_post": ".mk-bumped", "replies": ".mk-replies", "views": ".mk-views",
    "next_page": "a.mk-next", "post": "div.mk-offer-main", "post_author": ".mk-author a",
    "post_date": "time.mk-posted", "post_body": ".mk-offer-body",
}


@dataclass
class CrawlRun:
    returncode: int
    stdout: str
    stderr: str
    posts: list[dict[str, Any]]
    seconds: float

    @property
    def report(self) -> str:
        lines = [ln for ln in self.stderr.splitlines() if ": pages " in ln and "threads new" in ln]
        return lines[-1] if lines else ""


def write_config(folder: Path, sources: list[dict[str, Any]], *, state_dir: Path,
                 defaults: dict[str, Any] | None = None,
                 tor: dict[str, Any] | None = None) -> Path:
    """monitor.yaml, sources.yaml and watchlists.yaml for `sources` (dicts as in sources.yaml).
    Lab sources on loopback are `direct: true`; onion ones go through `tor` (monitor.yaml's)."""
    folder.mkdir(parents=True, exist_ok=True)
    merged = {"download_delay": "0s", "backfill_pages": 10, "overlap": "0s", **(defaults or {})}
    lines = [f"state_dir: {state_dir}", "defaults:"]
    lines += [f"  {k}: {v}" for k, v in merged.items()]
    if tor:
        lines += ["tor:"] + [f"  {k}: {v}" for k, v in tor.items()]
    (folder / "monitor.yaml").write_text("\n".join(lines) + "\n")
    (folder / "sources.yaml").write_text(json.dumps({"sources": sources}, indent=1))
    (folder / "watchlists.yaml").write_text("rules: []\n")
    return folder


def lab_source(lab: Any, source_id: str, forum: str, boards: list[str], *,
               root: str | None = None, **extra: Any) -> dict[str, Any]:
    """A sources.yaml entry for a lab forum and some of its boards (by board key); `root`
    ("http://<onion>") reaches it through Tor instead of directly on loopback."""
    site = lab.state.sites[{"xenforo": "xf", "generic": "market"}.get(forum, forum)]
    engine = {"market": "generic"}.get(site.engine, site.engine)
    entry: dict[str, Any] = {
        "id": source_id, "name": f"Lab {forum}", "engine": engine,
        "base_url": lab.base_url(forum, root), "direct": root is None,
        "boards": [{"name": site.board(b).name, "url": lab.board_url(forum, b, root),
                    "login_required": bool(site.board(b).login_required)} for b in boards],
    }
    if engine == "generic":
        entry["selectors"] = MARKET_SELECTORS
    entry.update(extra)
    return entry


def crawl(config_dir: Path, source_id: str, out: Path, *, env: dict[str, str] | None = None,
          background: bool = False) -> CrawlRun | subprocess.Popen[str]:
    """Run `bazaarwatch crawl SOURCE --once --out OUT` and collect what it wrote."""
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "monitor", "-v", "crawl", source_id, "--once",
           "--config-dir", str(config_dir), "--out", str(out)]
    full_env = {**os.environ, **(env or {})}
    if background:
        return subprocess.Popen(cmd, cwd=ROOT, env=full_env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT, env=full_env, text=True, capture_output=True,
                          timeout=300, check=False)
    return finish(done.returncode, done.stdout, done.stderr, out, time.monotonic() - started)


def finish(returncode: int, stdout: str, stderr: str, out: Path, seconds: float) -> CrawlRun:
    posts = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    return CrawlRun(returncode, stdout, stderr, posts, seconds)
