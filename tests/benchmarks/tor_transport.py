"""Benchmark: the transport over the lab's private Tor network.

1. Lab network bootstrap: first tor process start -> first successful connection to an onion
   through the client (monitor.lab.tornet.measure_bootstrap), median of 3 fresh networks.
2. Pages per second from a lab onion, 100 pages at concurrency 4, in one network:
   - the handler: a real Scrapy crawl through monitor.transport (python -m
     monitor.transport.probe), timed from the crawl's first request to its last response;
   - the baseline: one `curl --parallel --parallel-max 4 --socks5-hostname` process fetching the
     same 100 pages, timed around the process;
   - the other candidate, Scrapy 2.19's own HttpxDownloadHandler (httpx2 + socksio), in the same
     kind of crawl, for the record of why the handler uses curl_cffi.
   Each does 3 rounds, interleaved, each round with fresh SOCKS credentials (so each pays for
   its own rendezvous circuit, as a new crawl does); the median round counts.

Run: .venv/bin/python tests/benchmarks/tor_transport.py   (about 3 minutes; needs tor,
tor-gencert, curl; httpx2[socks] for the third column). Last line:
RESULT bootstrap_s=... handler_pages_per_s=... curl_pages_per_s=... ratio=... httpx_pages_per_s=...
"""

from __future__ import annotations

import json
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from monitor.lab.tornet import TorNetwork, measure_bootstrap
from tests.fixtures.transport import LabSite

PAGES = 100
CONCURRENCY = 4
ROUNDS = 3


def handler_round(socks: int, urls: list[str]) -> float:
    args = [sys.executable, "-m", "monitor.transport.probe", "--socks", f"127.0.0.1:{socks}",
            "--concurrency", str(CONCURRENCY)]
    for url in urls:
        args += ["--url", f"bench={url}"]
    summary = _summary(subprocess.run(args, capture_output=True, text=True, timeout=600))
    return len(urls) / summary["fetching_s"]


def curl_round(socks: int, urls: list[str]) -> float:
    user = f"curl-{secrets.token_hex(4)}:{secrets.token_hex(16)}"
    cmd = ["curl", "--silent", "--show-error", "--no-progress-meter", "--fail", "--parallel",
           "--parallel-max", str(CONCURRENCY), "--socks5-hostname", f"127.0.0.1:{socks}",
           "--proxy-user", user]
    for url in urls:
        cmd += ["-o", "/dev/null", url]
    started = time.monotonic()
    subprocess.run(cmd, check=True, timeout=600)
    return len(urls) / (time.monotonic() - started)


def httpx_round(socks: int, urls: list[str]) -> float | None:
    try:
        import httpx2  # noqa: F401
        import socksio  # noqa: F401
    except ImportError:
        return None
    proxy = f"socks5h://httpx-{secrets.token_hex(4)}:{secrets.token_hex(16)}@127.0.0.1:{socks}"
    out = subprocess.run([sys.executable, __file__, "--httpx-crawl", proxy, *urls],
                         capture_output=True, text=True, timeout=600)
    summary = _summary(out)
    if summary["resolved"]:
        print(f"httpx resolved locally: {summary['resolved']}", flush=True)
    return len(urls) / summary["fetching_s"]


def _summary(proc: subprocess.CompletedProcess) -> dict:
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith('{"summary"')]
    if not lines or lines[-1]["failed"] or lines[-1]["ok"] != PAGES:
        raise SystemExit(f"crawl failed: {proc.stdout[-2000:]} {proc.stderr[-3000:]}")
    return lines[-1]


def httpx_crawl(proxy: str, urls: list[str]) -> None:
    """A crawl with Scrapy's own HttpxDownloadHandler over SOCKS (the other candidate)."""
    import scrapy
    from scrapy.crawler import AsyncCrawlerProcess

    times: dict[str, float] = {}
    ok: list[int] = []
    resolved: list[str] = []
    sys.addaudithook(lambda e, a: resolved.append(str(a[0])) if e == "socket.getaddrinfo"
                     else None)

    class HttpxSpider(scrapy.Spider):
        name = "httpx"

        async def start(self):
            times["start"] = time.monotonic()
            for url in urls:
                yield scrapy.Request(url, meta={"proxy": proxy}, dont_filter=True)

        def parse(self, response):
            times["last"] = time.monotonic()
            ok.append(response.status)

    handler = "scrapy.core.downloader.handlers._httpx.HttpxDownloadHandler"
    process = AsyncCrawlerProcess({
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "CONCURRENT_REQUESTS": CONCURRENCY, "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
        "HTTPPROXY_ENABLED": False, "LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False,
    })
    process.crawl(HttpxSpider)
    process.start()
    print(json.dumps({"summary": True, "fetching_s": times["last"] - times["start"],
                      "ok": ok.count(200), "failed": len(urls) - ok.count(200),
                      "resolved": sorted(set(resolved))}))


def main() -> None:
    for tool in ("tor", "tor-gencert", "curl"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install {tool}")
    boots = []
    for i in range(3):
        boots.append(measure_bootstrap()["bootstrap_s"])
        print(f"bootstrap {i + 1}/3: {boots[-1]:.1f} s", flush=True)

    site = LabSite()
    threading.Thread(target=site.serve_forever, daemon=True).start()
    tmp = tempfile.mkdtemp(prefix="bench-tor-transport-")
    net = TorNetwork(Path(tmp) / "tor")
    try:
        net.start(300)
        onion = net.add_onion(site.server_port, timeout=300)
        urls = [f"http://{onion}/p/{n}" for n in range(PAGES)]
        rates: dict[str, list[float]] = {"handler": [], "curl": [], "httpx": []}
        for r in range(ROUNDS):
            for name, fn in (("curl", curl_round), ("handler", handler_round),
                             ("httpx", httpx_round)):
                rate = fn(net.socks_port, urls)
                if rate is not None:
                    rates[name].append(rate)
                    print(f"round {r + 1}/{ROUNDS} {name}: {rate:.1f} pages/s", flush=True)
    finally:
        net.stop(remove_state=True)
        site.shutdown()
        site.server_close()
        shutil.rmtree(tmp, ignore_errors=True)

    boot = statistics.median(boots)
    handler, curl = statistics.median(rates["handler"]), statistics.median(rates["curl"])
    httpx = f"{statistics.median(rates['httpx']):.1f}" if rates["httpx"] else "n/a"
    print(f"RESULT bootstrap_s={boot:.1f} handler_pages_per_s={handler:.1f} "
          f"curl_pages_per_s={curl:.1f} ratio={handler / curl:.2f} httpx_pages_per_s={httpx}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--httpx-crawl":
        httpx_crawl(sys.argv[2], sys.argv[3:])
    else:
        main()
