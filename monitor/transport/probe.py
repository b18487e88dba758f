"""`python -m monitor.transport.probe`: fetch URLs through the transport in a real Scrapy crawl
(the project's settings, the dispatcher, retries) and print one JSON line per URL, then a
summary line. For checking a source from the shell, and what the transport tests and the
benchmark run in a process of their own.

    python -m monitor.transport.probe --socks 127.0.0.1:9150 --url forum1=http://xxx.onion/
    python -m monitor.transport.probe --socks 127.0.0.1:9150 --browser-socks forum1=9152 \\
        --render-url forum1=http://xxx.onion/ --screenshot-dir /tmp/shots

Only bodies' sizes and hashes are printed (`--body` adds the text). With `--audit-dns`, every
host name this process resolves (socket.getaddrinfo/gethostbyname) is listed in the summary.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from typing import Any

from monitor.transport import META_RENDER, META_SCREENSHOT, META_SOURCE, META_TRUNCATED

_DNS_EVENTS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
               "socket.gethostbyaddr")


def _pair(value: str) -> tuple[str, str]:
    key, sep, rest = value.partition("=")
    if not sep or not key or not rest:
        raise argparse.ArgumentTypeError(f"{value!r} is not SOURCE=VALUE")
    return key, rest


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m monitor.transport.probe",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--socks", help="tor's SOCKS port, HOST:PORT")
    p.add_argument("--direct", action="append", default=[], metavar="SOURCE",
                   help="a source fetched without Tor (direct: true)")
    p.add_argument("--browser-socks", action="append", default=[], type=_pair,
                   metavar="SOURCE=PORT", help="a SocksPort of the source's own for Chromium")
    p.add_argument("--browser-fallback-proxy", metavar="URL",
                   help="Chromium's launch-level proxy (default: a closed port)")
    p.add_argument("--url", action="append", default=[], type=_pair, metavar="SOURCE=URL")
    p.add_argument("--render-url", action="append", default=[], type=_pair,
                   metavar="SOURCE=URL", help="fetched with Chromium (and a screenshot)")
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--max-bytes", type=int)
    p.add_argument("--timeout", type=float, help="DOWNLOAD_TIMEOUT, s")
    p.add_argument("--idle-timeout", type=float)
    p.add_argument("--retries", type=int, default=2)
    p.add_argument("--tor-wait", type=float)
    p.add_argument("--screenshot-dir")
    p.add_argument("--linger", type=float, default=0.0, metavar="S",
                   help="keep the crawl (and its browser) open S seconds after the last page")
    p.add_argument("--body", action="store_true", help="include each body's text")
    p.add_argument("--audit-dns", action="store_true")
    p.add_argument("--log-level", default="WARNING")
    return p


def crawl_settings(args: argparse.Namespace) -> dict[str, Any]:
    from monitor import settings as project

    s: dict[str, Any] = {k: getattr(project, k) for k in dir(project) if k.isupper()}
    s.update(
        BAZAARWATCH_TOR_SOCKS=args.socks,
        BAZAARWATCH_DIRECT_SOURCES=list(args.direct),
        BAZAARWATCH_BROWSER_FALLBACK_PROXY=args.browser_fallback_proxy,
        BAZAARWATCH_BROWSER_SOCKS={k: int(v) for k, v in args.browser_socks},
        BAZAARWATCH_SCREENSHOT_DIR=args.screenshot_dir,
        CONCURRENT_REQUESTS=args.concurrency,
        CONCURRENT_REQUESTS_PER_DOMAIN=args.concurrency,
        DOWNLOAD_DELAY=0,
        LOG_LEVEL=args.log_level,
        RETRY_TIMES=args.retries,
        ROBOTSTXT_OBEY=False,
        TELNETCONSOLE_ENABLED=False,
    )
    for key, value in (("BAZAARWATCH_MAX_RESPONSE_BYTES", args.max_bytes),
                       ("DOWNLOAD_TIMEOUT", args.timeout),
                       ("BAZAARWATCH_IDLE_TIMEOUT", args.idle_timeout),
                       ("BAZAARWATCH_TOR_WAIT", args.tor_wait)):
        if value is not None:
            s[key] = value
    return s


def _result(response: Any, include_body: bool) -> dict[str, Any]:
    meta = response.meta
    out = {"source": meta.get(META_SOURCE), "url": response.request.url,
           "status": response.status, "bytes": len(response.body),
           "sha256": hashlib.sha256(response.body).hexdigest(), "flags": response.flags,
           "truncated": meta.get(META_TRUNCATED), "latency_s": meta.get("download_latency"),
           "retries": meta.get("retry_times", 0),
           "screenshot": meta.get("bazaarwatch_screenshot_path"),
           "screenshot_bytes": len(meta.get("bazaarwatch_screenshot_png") or b""),
           "cookies": sorted(c["name"] for c in meta.get("bazaarwatch_render_cookies") or ())}
    if include_body:
        out["body"] = response.text if hasattr(response, "text") else None
    return out


def run(args: argparse.Namespace) -> int:
    import scrapy
    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerProcess
    from scrapy.exceptions import DontCloseSpider

    resolved: list[str] = []
    if args.audit_dns:
        def audit(event: str, event_args: tuple) -> None:
            if event in _DNS_EVENTS:
                resolved.append(str(event_args[0]))
        sys.addaudithook(audit)

    results: list[dict[str, Any]] = []
    times: dict[str, float] = {}
    jobs = [(s, u, False) for s, u in args.url] + [(s, u, True) for s, u in args.render_url]

    class ProbeSpider(scrapy.Spider):
        name = "probe"

        @classmethod
        def from_crawler(cls, crawler, *a, **kw):
            spider = super().from_crawler(crawler, *a, **kw)
            crawler.signals.connect(spider.idle, signal=signals.spider_idle)
            return spider

        def idle(self):
            if time.monotonic() - times.get("last", 0.0) < args.linger:
                raise DontCloseSpider

        async def start(self):
            times["start"] = time.monotonic()
            for source, url, render in jobs:
                meta = {META_SOURCE: source}
                if render:
                    meta.update({META_RENDER: True, META_SCREENSHOT: True})
                yield scrapy.Request(url, meta=meta, dont_filter=True, callback=self.parse,
                                     errback=self.failed)

        def parse(self, response):
            times["last"] = time.monotonic()
            results.append(_result(response, args.body))
            print(json.dumps(results[-1]), flush=True)

        def failed(self, failure):
            times["last"] = time.monotonic()
            request = failure.request
            results.append({"source": request.meta.get(META_SOURCE), "url": request.url,
                            "error": type(failure.value).__name__,
                            "message": str(failure.value)})
            print(json.dumps(results[-1]), flush=True)

    process = AsyncCrawlerProcess(crawl_settings(args), install_root_handler=True)
    crawler = process.create_crawler(ProbeSpider)
    process.crawl(crawler)
    process.start()
    elapsed = time.monotonic() - times.get("start", time.monotonic())
    stats = {k: v for k, v in (crawler.stats.get_stats() or {}).items()
             if isinstance(v, int | float | str)}
    fetching = times.get("last", times.get("start", 0.0)) - times.get("start", 0.0)
    summary = {"summary": True, "elapsed_s": elapsed, "fetching_s": fetching,
               "ok": sum("status" in r for r in results),
               "failed": sum("error" in r for r in results),
               "resolved": sorted(set(resolved)), "stats": stats}
    print(json.dumps(summary), flush=True)
    return 0 if results and all("status" in r for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.url and not args.render_url:
        build_parser().error("give at least one --url or --render-url")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
