"""`bazaarwatch es setup|status` — create the index templates, indices and aliases; show the
cluster's health and the indices' document counts. Also the Elasticsearch options other
commands share (`add_es_options`, `es_target`)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from elasticsearch import Elasticsearch

from monitor.config import load_config
from monitor.es.client import DEFAULT_URL, make_client
from monitor.es.setup import setup_indices
from monitor.es.status import cluster_status


@dataclass(frozen=True, slots=True)
class EsTarget:
    """Where a command talks to Elasticsearch, resolved from its options and the config."""

    hosts: tuple[str, ...]
    api_key: str | None = None
    index_prefix: str = ""
    verify_certs: bool = True

    def client(self) -> Elasticsearch:
        # One-shot commands fail fast instead of retrying a node that is down.
        return make_client(self.hosts, api_key=self.api_key, verify_certs=self.verify_certs,
                           max_retries=0)


def add_es_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", metavar="URL",
                        help="Elasticsearch URL (overrides the configuration; "
                             f"default: the config's elasticsearch.hosts, else {DEFAULT_URL})")
    parser.add_argument("--config-dir", metavar="DIR",
                        help="read elasticsearch.hosts, the api key and the index prefix "
                             "from DIR/monitor.yaml")
    parser.add_argument("--index-prefix", metavar="PREFIX",
                        help="prefix of every index, alias and template name "
                             "(default: the config's elasticsearch.index_prefix, else none)")


def es_target(args: argparse.Namespace) -> EsTarget:
    """--url wins over the configuration, which wins over the default URL."""
    hosts: tuple[str, ...] = (DEFAULT_URL,)
    api_key, prefix, verify = None, "", True
    if args.config_dir:
        es = load_config(args.config_dir).monitor.elasticsearch
        hosts, prefix, verify = es.hosts, es.index_prefix, es.verify_certs
        api_key = es.api_key.reveal() if es.api_key else None
    if args.url:
        hosts = (args.url,)
    if args.index_prefix is not None:
        prefix = args.index_prefix
    return EsTarget(hosts=hosts, api_key=api_key, index_prefix=prefix, verify_certs=verify)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("es", help="set up and inspect the Elasticsearch indices",
                       description="Elasticsearch: templates, versioned indices and aliases "
                                   "for listings, listing-history and alerts.")
    es_sub = p.add_subparsers(dest="es_command", metavar="ACTION", required=True)
    s = es_sub.add_parser(
        "setup", help="create or update templates, indices and aliases (idempotent)",
        description="Create the component and index templates, the indices <name>-v<N> and the "
                    "aliases listings, listing-history and alerts. Running it again changes "
                    "nothing; after a mapping change it creates the next version, copies the "
                    "documents and moves the aliases.")
    add_es_options(s)
    s.set_defaults(func=run_setup)
    t = es_sub.add_parser("status", help="cluster health, indices and document counts",
                          description="Print cluster health and, for each alias, the index "
                                      "behind it and its document count.")
    add_es_options(t)
    t.set_defaults(func=run_status)


def run_setup(args: argparse.Namespace) -> int:
    target = es_target(args)
    with target.client() as es:
        report = setup_indices(es, target.index_prefix)
    for line in report.changes or ["already set up: nothing changed"]:
        print(line)
    for alias, index in report.indices.items():
        print(f"{alias} -> {index}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    target = es_target(args)
    with target.client() as es:
        status = cluster_status(es, target.index_prefix)
    print("\n".join(status.lines()))
    return 0 if status.health in ("green", "yellow") else 1
