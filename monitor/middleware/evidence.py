"""Evidence of what a thread looked like when it was read: the thread page's HTML is kept under
``BAZAARWATCH_EVIDENCE_DIR`` (``<state dir>/evidence/<source>/<sha[:2]>/<sha256>.html``, written
once per distinct page, touched when read again) and its sha256, file and screenshot go into the
post's `evidence`. The daemon prunes what was not used for ``evidence_keep``.
Forums delete threads; an analyst can still show the page.

Screenshots cost a full-page render, so they are asked for only where Chromium renders the thread
anyway (sources with ``render: always``); the browser handler writes them to
``BAZAARWATCH_SCREENSHOT_DIR``."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from monitor.models import Evidence, RawPost
from monitor.transport import META_SCREENSHOT, META_SCREENSHOT_PATH
from spiders.base import META_THREAD

logger = logging.getLogger(__name__)


class EvidenceMiddleware:
    """A spider middleware (keeps the page of every post) and a downloader middleware (asks for
    a screenshot of thread pages Chromium renders)."""

    def __init__(self, crawler: Crawler, directory: Path, screenshots: bool):
        self.crawler = crawler
        self.directory = directory
        self.screenshots = screenshots

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EvidenceMiddleware:
        directory = crawler.settings.get("BAZAARWATCH_EVIDENCE_DIR")
        if not directory:
            raise NotConfigured("no BAZAARWATCH_EVIDENCE_DIR: pages are not kept")
        screenshots = (crawler.settings.get("BAZAARWATCH_RENDER") == "always"
                       and bool(crawler.settings.get("BAZAARWATCH_SCREENSHOT_DIR")))
        return cls(crawler, Path(directory), screenshots)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if self.screenshots and META_THREAD in request.meta:
            request.meta.setdefault(META_SCREENSHOT, True)

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any],
                                    spider: Spider | None = None) -> AsyncIterator[Any]:
        async for out in result:
            if isinstance(out, RawPost):
                out = dataclasses.replace(out, evidence=self.keep(out.source_id, response))
            yield out

    def keep(self, source: str, response: Response) -> Evidence:
        body = response.body
        sha = hashlib.sha256(body).hexdigest()
        path = self.directory / source / sha[:2] / f"{sha}.html"
        try:
            if path.exists():
                path.touch()  # read again: pruning (monitor.state.evidence) goes by last use
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(body)
                tmp.replace(path)  # never a half-written page under the final name
        except OSError as e:  # the post still counts; only its evidence is missing
            logger.warning("%s: could not keep the page of %s: %s", source, response.url, e)
            path = None  # type: ignore[assignment]
        self.crawler.stats.inc_value("bazaarwatch/evidence/pages")
        shot = response.meta.get(META_SCREENSHOT_PATH)
        return Evidence(html_sha256=sha, path=str(path) if path else None,
                        screenshot=str(shot) if shot else None)
