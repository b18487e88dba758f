"""`bazaarwatch lab ...` — the lab: private Tor network, lab forums, Slack receiver.
Each part registers its own sub-commands from the module named in LAB_MODULES."""

from __future__ import annotations

import argparse
import importlib

LAB_MODULES: tuple[str, ...] = (
    "monitor.cli.lab_slack",
    "monitor.cli.lab_tor",
    "monitor.cli.lab_forum",
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lab", help="run the lab (private Tor network, forums, Slack receiver)")
    lab_sub = p.add_subparsers(dest="lab_part", metavar="PART", required=True)
    for name in LAB_MODULES:
        importlib.import_module(name).register(lab_sub)
