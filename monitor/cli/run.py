"""`bazaarwatch run` — the daemon (what systemd starts)."""

from __future__ import annotations

import argparse
import logging

from monitor.cli.check import add_config_dir
from monitor.config import runtime_env
from monitor.logs import setup_logging


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run", help="run the daemon: crawl every source on its schedule, index, alert",
        description="Load the configuration, start or attach tor, set up Elasticsearch, replay "
                    "the spool and the outbox, then crawl every source on its schedule. "
                    "systemd: Type=notify (READY, STATUS, WATCHDOG). SIGHUP reloads the "
                    "configuration (a broken one is refused); SIGTERM stops cleanly.")
    add_config_dir(p)
    p.add_argument("--log-format", choices=("json", "text"), default="json",
                   help="json: one event per line on stdout, for journald (default); text: "
                        "for a terminal")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from monitor.daemon import run_daemon

    level = logging.DEBUG if args.verbose > 1 else logging.INFO
    setup_logging(level, json_lines=args.log_format == "json")
    return run_daemon(args.config_dir, runtime_env())
