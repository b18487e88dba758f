"""`bazaarwatch crawl SOURCE_ID` — crawl one source now and print what it found."""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from monitor.cli.check import add_config_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "crawl", help="crawl one source now",
        description="Crawl one source of sources.yaml with its spider, politely and "
                    "incrementally (only new or changed threads; the state store in the config's "
                    "state_dir remembers what was seen). Prints a progress line per crawl: "
                    "pages, threads new/changed/unchanged, posts, errors. Exits 0 when the "
                    "crawl finished, 2 when the source stopped (login_failed, banned, "
                    "challenge_failed, rate_limited).")
    p.add_argument("source_id", metavar="SOURCE_ID", help="the source's id in sources.yaml")
    add_config_dir(p)
    p.add_argument("--once", action="store_true",
                   help="crawl once and exit (default: crawl again every interval ± jitter)")
    p.add_argument("--out", type=Path, metavar="FILE.jsonl",
                   help="append each raw post as a JSON line to FILE ('-': standard output)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from monitor.config import load_config
    from monitor.crawl import print_progress, run_once, source_by_id, write_out_path

    config = load_config(args.config_dir)
    source = source_by_id(config, args.source_id)
    if not args.once:
        return _repeat(args, source.interval_s, source.jitter_s)
    out = write_out_path(args.out)
    try:
        report = run_once(config, source, out=out, overrides={"BAZAARWATCH_PROGRESS_S": 5.0})
    finally:
        if out is not None and out is not sys.stdout:
            out.close()
    print_progress(report)
    return 0 if report.ok else 2


def _repeat(args: argparse.Namespace, interval_s: float, jitter_s: float) -> int:
    # A process runs Twisted's reactor once, so each crawl gets a process of its own.
    import subprocess

    cmd = [sys.executable, "-m", "monitor", *(["-" + "v" * args.verbose] if args.verbose else []),
           "crawl", args.source_id, "--once", "--config-dir", str(args.config_dir)]
    if args.out:
        cmd += ["--out", str(args.out)]
    while True:
        subprocess.run(cmd, check=False)
        time.sleep(max(1.0, interval_s + random.uniform(-jitter_s, jitter_s)))
