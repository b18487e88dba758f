"""`bazaarwatch demo` — the whole flow on the lab (see monitor/lab/demo.py)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="run the whole flow on the lab: Elasticsearch, Tor, forums, Slack",
        description="Start a local Elasticsearch, the private Tor network, the lab forums as "
                    "onion services and a Slack-compatible receiver; run the daemon with a "
                    "watchlist for 'BPJS Kesehatan'; after the first crawl post a new "
                    "Kotz-style listing and show its alert arriving. Ends with a summary and "
                    "stops what it started (unless --keep).")
    p.add_argument("--state-dir", type=Path, default=Path(".state/demo"),
                   help="where the demo keeps its config, logs and state (default .state/demo)")
    p.add_argument("--interval", type=int, default=30, metavar="S",
                   help="crawl interval of the lab forums in seconds (default 30)")
    p.add_argument("--keep", action="store_true",
                   help="leave everything running after the summary, until Ctrl-C")
    p.add_argument("--timeout", type=float, default=600, metavar="S",
                   help="give up after this many seconds (default 600)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from monitor.lab.demo import run_demo

    return run_demo(args.state_dir.resolve(), keep=args.keep, interval_s=args.interval,
                    timeout_s=args.timeout)
