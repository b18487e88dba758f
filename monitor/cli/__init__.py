"""`bazaarwatch` — the command line. Each sub-command lives in a module of this package that
defines ``register(subparsers)``; the module list below is the whole table of commands."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from monitor.errors import BazaarwatchError

COMMAND_MODULES = (
    "monitor.cli.check",
    "monitor.cli.es",
    "monitor.cli.search",
    "monitor.cli.kibana",
    "monitor.cli.crawl",
    "monitor.cli.alerts",
    "monitor.cli.lab",
    "monitor.cli.normalize",
    "monitor.cli.run",
    "monitor.cli.demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bazaarwatch",
        description="Watch dark-web forums for posts that sell or leak data.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except BazaarwatchError as e:
        print(f"bazaarwatch: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bazaarwatch: interrupted", file=sys.stderr)
        return 130
