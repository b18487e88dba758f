"""End-to-end alert latency on the lab over Tor: the time from the lab forum's admin call creating
a post to the Slack receiver holding its alert, for N posts at random times with a fixed crawl
interval. Baseline in the same run: the crawl interval itself (a post waits on average half of
it for the next crawl), so the ratio median/interval says what the pipeline adds.

    python tests/benchmarks/latency.py [--posts 20] [--interval 30]
    python tests/benchmarks/latency.py --soak [--minutes 60] [--sources 10]

The soak run crawls `--sources` lab sources for `--minutes` and reports the daemon's resident
memory at the end. Last line: RESULT latency_median_s=... latency_p95_s=... interval_s=...
rss_mb=...
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from monitor.lab.demo import (  # noqa: E402
    DemoRun,
    follow,
    forget_earlier_demo,
    start_daemon,
    start_es,
    stop_all,
    write_config,
)
from monitor.lab.forum import LabForums  # noqa: E402
from monitor.lab.slack import SlackReceiver  # noqa: E402
from monitor.lab.tornet import TorNetwork  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def setup(state: Path, interval: int, copies: int) -> DemoRun:
    run = DemoRun(state_dir=state, out=sys.stderr, interval_s=interval)
    start_es(run)
    forget_earlier_demo(run.es_url)
    run.tor = TorNetwork(state / "tor").start()
    run.forums = LabForums(host="127.0.0.1", port=0).start()
    run.onion = run.tor.add_onion(run.forums.port, name="forums")
    run.receiver = SlackReceiver().start()
    run.daemon = start_daemon(run, write_config(run, interval, copies))
    return run


def wait_first_crawls(run: DemoRun, sources: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        follow(run, quiet=True)
        done = {e["msg"].split(":")[0] for e in run.events if ": finished:" in e.get("msg", "")}
        if len(done) >= sources:
            return
        time.sleep(1)
    raise SystemExit("the first crawls did not finish")


def latency(run: DemoRun, posts: int, interval: int) -> list[float]:
    assert run.forums is not None and run.receiver is not None
    out = []
    for i in range(posts):
        time.sleep(random.uniform(0, interval))
        title = f"[SELLING] BPJS Kesehatan batch {i} {random.randint(1, 10**9)} - 12 juta"
        posted = time.monotonic()
        run.forums.add_thread("mybb", "databases", title,
                              "BPJS Kesehatan peserta 12 juta records, sample gofile.io/d/x"
                              f"{i}, price 500 USDT", author=f"seller{i}")
        while time.monotonic() - posted < 10 * interval + 120:
            if any(title in json.dumps(m["payload"], ensure_ascii=False)
                   for m in run.receiver.messages()):
                break
            follow(run, quiet=True)
            time.sleep(0.2)
        else:
            raise SystemExit(f"post {i}: no alert")
        out.append(time.monotonic() - posted)
        print(f"post {i + 1}/{posts}: {out[-1]:.1f} s", file=sys.stderr)
    return out


def soak(run: DemoRun, minutes: float) -> None:
    """Keep the daemon crawling for `minutes`, printing its memory and crawl count every
    five minutes so a leak shows as a trend, not only as the last figure."""
    start = time.monotonic()
    end, next_report = start + minutes * 60, start + 300
    while time.monotonic() < end:
        follow(run, quiet=True)
        if time.monotonic() >= next_report and run.daemon:
            crawls = sum(1 for e in run.events if ": finished:" in e.get("msg", ""))
            errors = sum(1 for e in run.events if e.get("level") in ("error", "critical"))
            print(f"soak {(time.monotonic() - start) / 60:.0f} min: daemon RSS "
                  f"{rss_mb(run.daemon.pid):.0f} MB, {crawls} crawls, {errors} errors",
                  file=sys.stderr, flush=True)
            next_report += 300
        time.sleep(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--interval", type=int, default=30)
    parser.add_argument("--soak", action="store_true")
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--sources", type=int, default=10)
    args = parser.parse_args()
    copies = max(1, args.sources // 2) if args.soak else 1
    with tempfile.TemporaryDirectory(prefix="bw-latency-") as tmp:
        run = setup(Path(tmp), args.interval, copies)
        try:
            wait_first_crawls(run, 2 * copies)
            if args.soak:
                soak(run, args.minutes)
                times = latency(run, 1, args.interval)
            else:
                times = latency(run, args.posts, args.interval)
            rss = rss_mb(run.daemon.pid) if run.daemon else 0.0
        finally:
            stop_all(run)
    median, p95 = statistics.median(times), percentile(times, 0.95)
    print(f"posts {len(times)}  median {median:.1f} s  p95 {p95:.1f} s  interval "
          f"{args.interval} s  median/interval {median / args.interval:.2f}  daemon RSS "
          f"{rss:.0f} MB")
    print(f"RESULT latency_median_s={median:.1f} latency_p95_s={p95:.1f} "
          f"interval_s={args.interval} rss_mb={rss:.0f}")


if __name__ == "__main__":
    main()
