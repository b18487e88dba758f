"""`bazaarwatch check` — validate the configuration and say what is wrong, all at once."""

from __future__ import annotations

import argparse
import sys

from monitor.config import load_config
from monitor.errors import ConfigError

DEFAULT_CONFIG_DIR = "/etc/bazaarwatch"


def add_config_dir(parser: argparse.ArgumentParser) -> None:
    """The --config-dir option every command that reads the configuration shares."""
    parser.add_argument("--config-dir", default=DEFAULT_CONFIG_DIR, metavar="DIR",
                        help="folder holding monitor.yaml, sources.yaml and watchlists.yaml "
                             f"(default: {DEFAULT_CONFIG_DIR})")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="validate the configuration files",
        description="Load monitor.yaml, sources.yaml and watchlists.yaml and report every "
                    "problem as file:line: field: what is wrong. Secrets named by *_env and "
                    "*_file must be present. Exits 0 when the configuration is valid.")
    add_config_dir(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config_dir)
    except ConfigError as e:
        for line in e.errors:
            print(line, file=sys.stderr)
        n = len(e.errors)
        print(f"bazaarwatch: {n} problem{'s' if n != 1 else ''} in {args.config_dir}",
              file=sys.stderr)
        return 1
    rules = len(config.watchlists.rules)
    hosts = ", ".join(config.monitor.elasticsearch.hosts)
    print(f"{args.config_dir}: ok — {len(config.sources)} sources, {rules} rules, "
          f"tor {config.monitor.tor.mode}, Elasticsearch {hosts}")
    return 0
