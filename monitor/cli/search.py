"""`bazaarwatch search` — search the listings from the terminal."""

from __future__ import annotations

import argparse
import json
import sys

from monitor.cli.es import add_es_options, es_target
from monitor.es.mappings import LISTINGS
from monitor.es.search import build_query, search, table
from monitor.es.setup import alias_name

BOLD = ("\x1b[1;33m", "\x1b[0m")
PLAIN = ("«", "»")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "search", help="search listings (compact table, or JSON lines with --json)",
        description="Search the `listings` index: QUERY matches title, seller, victim "
                    "organisations and domains, body, board and data fields (all words must "
                    "match). Prints time, forum, seller, claimed records, price and title with "
                    "the matched words marked; newest first when there is no QUERY.",
        epilog="examples: bazaarwatch search bpjs --since 30d | bazaarwatch search --seller "
               "Kotz | bazaarwatch search --min-records 100000000 --json")
    p.add_argument("query", nargs="?", default="", metavar="QUERY",
                   help="words to look for (omit to list by time)")
    p.add_argument("--since", metavar="AGE",
                   help="only listings posted within AGE (7d, 12h, 2w) or since a date")
    p.add_argument("--seller", metavar="HANDLE",
                   help="only this seller (case and width insensitive)")
    p.add_argument("--min-records", type=int, metavar="N",
                   help="only listings claiming at least N records")
    p.add_argument("--size", type=int, default=20, metavar="N",
                   help="how many listings to show (default 20)")
    p.add_argument("--json", action="store_true",
                   help="print each listing as a JSON line (its document plus _id) for scripts")
    add_es_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        query = build_query(args.query, since=args.since, seller=args.seller,
                            min_records=args.min_records)
    except ValueError as e:
        print(f"bazaarwatch search: {e}", file=sys.stderr)
        return 2
    target = es_target(args)
    marks = BOLD if sys.stdout.isatty() and not args.json else PLAIN
    with target.client() as es:
        hits = search(es, alias_name(target.index_prefix, LISTINGS), query, size=args.size,
                      marks=marks)
    if args.json:
        for hit in hits:
            print(json.dumps({"_id": hit.id, **hit.doc}, ensure_ascii=False))
        return 0
    if not hits:
        print("no listings found", file=sys.stderr)
        return 1
    print("\n".join(table(hits)))
    return 0
