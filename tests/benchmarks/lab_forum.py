"""How fast the lab forums serve pages over loopback, so crawl benchmarks know the lab is not
their bottleneck. Baseline, measured in the same run: a bare aiohttp handler returning a page of
the same size, fetched the same way (sequential keep-alive-less urllib GETs).

    .venv/bin/python tests/benchmarks/lab_forum.py [--requests N]

Last line: RESULT baseline_pages_per_s=... mybb_board_pages_per_s=... mybb_thread_pages_per_s=...
xf_board_pages_per_s=... xf_thread_pages_per_s=...
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from monitor.lab.forum import LabForums

PAGES = {
    "mybb_board": "/mybb/forumdisplay.php?fid=2",
    "mybb_thread": "/mybb/showthread.php?tid=101",
    "xf_board": "/xf/forums/databases.2/",
    "xf_thread": "/xf/threads/29.1001/",
}


def rate(url: str, n: int) -> float:
    urllib.request.urlopen(url).read()  # warm up
    start = time.perf_counter()
    for _ in range(n):
        with urllib.request.urlopen(url, timeout=30) as r:
            r.read()
    return n / (time.perf_counter() - start)


@contextmanager
def baseline_server(size: int) -> Iterator[str]:
    body = "x" * size
    loop = asyncio.new_event_loop()
    box: dict[str, object] = {}

    async def start() -> None:
        app = web.Application()
        app.router.add_get("/", lambda r: web.Response(text=body, content_type="text/html"))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        box["runner"], box["port"] = runner, runner.addresses[0][1]

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result()
    try:
        yield f"http://127.0.0.1:{box['port']}/"
    finally:
        asyncio.run_coroutine_threadsafe(box["runner"].cleanup(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    results = {}
    with LabForums() as lab:
        size = len(urllib.request.urlopen(lab.url + PAGES["xf_thread"]).read())
        with baseline_server(size) as url:
            results["baseline"] = rate(url, args.requests)
        for name, path in PAGES.items():
            results[name] = rate(lab.url + path, args.requests)
    for name, value in results.items():
        print(f"{name:12} {value:8.1f} pages/s")
    print("RESULT " + " ".join(f"{k}_pages_per_s={v:.1f}" for k, v in results.items()))


if __name__ == "__main__":
    main()
