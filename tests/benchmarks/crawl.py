"""Benchmark: crawling a lab forum.

1. Threads per minute of a full crawl of the lab's MyBB forum (its public boards, every thread
   page fetched and parsed), over loopback, with `download_delay: 0` and concurrency 1 and 4
   (politeness off: this measures the crawler, not the forum's patience). Time is the crawl's
   own (from the crawl report), without the process start. Baseline in the same run: the same
   pages fetched one after the other with urllib and nothing else (no Scrapy, no parsing).
2. The same over the lab's private Tor network, the forum published as an onion service
   (concurrency 4); baseline: the same pages through tor's SOCKS port with curl_cffi.
3. The requests an unchanged incremental crawl costs (second crawl, nothing changed), counted
   by the lab forum; for comparison, the requests of the full crawl.

Run: .venv/bin/python tests/benchmarks/crawl.py [--no-tor]   (last line: RESULT key=value ...)
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from monitor.lab.forum import LabForums
from tests.crawl_helpers import CrawlRun, crawl, lab_source, write_config

FORUM = "mybb"
ROUNDS = 3


def crawl_seconds(result: CrawlRun) -> float:
    m = re.search(r"errors \d+, ([\d.]+) s", result.report)
    if result.returncode != 0 or not m:
        raise SystemExit(f"crawl failed ({result.returncode}): {result.stderr[-2000:]}")
    return float(m.group(1))


def one_crawl(lab: LabForums, folder: Path, *, concurrency: int, root: str | None = None,
              tor: dict[str, object] | None = None) -> tuple[int, float, int]:
    """(threads, seconds, requests) of a first (full) crawl in a fresh state store."""
    shutil.rmtree(folder, ignore_errors=True)
    site = lab.state.sites[FORUM]
    boards = [b.key for b in site.boards if not b.login_required]
    source = lab_source(lab, "bench", FORUM, boards, root=root, concurrency=concurrency)
    config = write_config(folder / "config", [source], state_dir=folder / "state",
                          defaults={"timeout": "120s"}, tor=tor)
    since = time.time()
    result = crawl(config, "bench", folder / "posts.jsonl")
    assert isinstance(result, CrawlRun)
    return len(result.posts), crawl_seconds(result), lab.requests(since)["total"]


def page_urls(lab: LabForums, root: str | None = None) -> list[str]:
    site = lab.state.sites[FORUM]
    urls = []
    for board in site.boards:
        if board.login_required:
            continue
        threads = site.board_threads(board)
        pages = -(-len(threads) // 8) or 1
        first = lab.board_url(FORUM, board.key, root)
        urls += [first] + [f"{first}&page={n}" for n in range(2, pages + 1)]
        urls += [lab.thread_url(FORUM, t.tid, root) for t in threads]
    return urls


def baseline_loopback(urls: list[str]) -> float:
    started = time.monotonic()
    for url in urls:
        with urllib.request.urlopen(url, timeout=30) as r:
            r.read()
    return time.monotonic() - started


def baseline_tor(urls: list[str], socks_port: int) -> float:
    from curl_cffi import requests as curl

    started = time.monotonic()
    with curl.Session(proxy=f"socks5h://bench:x@127.0.0.1:{socks_port}") as s:
        for url in urls:
            s.get(url, timeout=120).raise_for_status()
    return time.monotonic() - started


def per_min(threads: int, seconds: float) -> float:
    return threads * 60.0 / seconds if seconds > 0 else float("inf")


def main() -> None:
    use_tor = "--no-tor" not in sys.argv
    work = Path(tempfile.mkdtemp(prefix="bazaarwatch-bench-crawl-"))
    results: dict[str, str] = {}
    lab = LabForums().start()
    try:
        threads_total = sum(len(lab.state.sites[FORUM].board_threads(b))
                            for b in lab.state.sites[FORUM].boards if not b.login_required)
        urls = page_urls(lab)
        base = min(baseline_loopback(urls) for _ in range(ROUNDS))
        print(f"baseline loopback: {len(urls)} pages with urllib in {base:.2f} s "
              f"-> {per_min(threads_total, base):.0f} threads/min")
        for conc in (1, 4):
            runs = [one_crawl(lab, work / f"loop{conc}", concurrency=conc) for _ in range(ROUNDS)]
            threads, secs, reqs = min(runs, key=lambda r: r[1])
            print(f"loopback crawl, concurrency {conc}: {threads} threads, {reqs} requests, "
                  f"best of {ROUNDS}: {secs:.2f} s -> {per_min(threads, secs):.0f} threads/min")
            results[f"loopback_c{conc}"] = f"{per_min(threads, secs):.0f}"
        results["loopback_threads_per_min"] = results["loopback_c4"]
        results["loopback_baseline_threads_per_min"] = f"{per_min(threads_total, base):.0f}"

        # incremental: a second crawl on the state of the first, nothing changed
        folder = work / "incremental"
        threads, _, full_requests = one_crawl(lab, folder, concurrency=1)
        since = time.time()
        again = crawl(folder / "config", "bench", folder / "posts2.jsonl")
        assert isinstance(again, CrawlRun) and again.returncode == 0, again
        unchanged = lab.requests(since)["total"]
        print(f"unchanged incremental crawl: {unchanged} requests (full crawl: {full_requests}"
              f" requests for {threads} threads), {len(again.posts)} posts")
        results["unchanged_crawl_requests"] = str(unchanged)
        results["full_crawl_requests"] = str(full_requests)

        results["tor_threads_per_min"] = "skipped"
        if use_tor:
            results.update(tor_part(lab, work, threads_total))
    finally:
        lab.stop()
        shutil.rmtree(work, ignore_errors=True)
    keys = ("loopback_threads_per_min", "tor_threads_per_min", "unchanged_crawl_requests",
            "loopback_c1", "loopback_baseline_threads_per_min", "tor_baseline_threads_per_min",
            "full_crawl_requests")
    print("RESULT " + " ".join(f"{k}={results[k]}" for k in keys if k in results))


def tor_part(lab: LabForums, work: Path, threads_total: int) -> dict[str, str]:
    from monitor.lab.tornet import TorNetwork

    if shutil.which("tor") is None or shutil.which("tor-gencert") is None:
        print("tor or tor-gencert missing (apt-get install tor): no Tor figures")
        return {"tor_threads_per_min": "no-tor"}
    net = TorNetwork(work / "tor").start(timeout=300)
    try:
        onion = net.add_onion(lab.port, name="bench")
        root = f"http://{onion}"
        urls = page_urls(lab, root)
        base = baseline_tor(urls, net.socks_port)
        print(f"baseline tor: {len(urls)} pages with curl_cffi over SOCKS in {base:.2f} s "
              f"-> {per_min(threads_total, base):.0f} threads/min")
        tor = {"mode": "external", "socks_port": net.socks_port,
               "control_port": net.control_port, "cookie_path": str(net.control_cookie_path)}
        runs = [one_crawl(lab, work / "tor-crawl", concurrency=4, root=root, tor=tor)
                for _ in range(ROUNDS)]
        threads, secs, reqs = min(runs, key=lambda r: r[1])
        print(f"tor crawl, concurrency 4: {threads} threads, {reqs} requests, best of "
              f"{ROUNDS}: {secs:.2f} s -> {per_min(threads, secs):.0f} threads/min")
        return {"tor_threads_per_min": f"{per_min(threads, secs):.0f}",
                "tor_baseline_threads_per_min": f"{per_min(threads_total, base):.0f}"}
    finally:
        net.stop(remove_state=True)


if __name__ == "__main__":
    main()
