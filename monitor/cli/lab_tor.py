"""`bazaarwatch lab tor up|down|status` — the lab's private Tor network (monitor.lab.tornet)."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.cli.check import add_config_dir
from monitor.errors import BazaarwatchError, TorError
from monitor.lab.tornet import TorNetwork


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tor", help="the private Tor network on loopback")
    tor_sub = p.add_subparsers(dest="tor_command", metavar="COMMAND", required=True)

    up = tor_sub.add_parser(
        "up", help="start the network and leave it running",
        description="Generate keys and torrcs, start 4 directory authorities (also the relays), "
                    "an onion-service tor and a client tor on free 127.0.0.1 ports, publish the "
                    "requested onions, wait until each answers through the client, print the "
                    "addresses and the client's SOCKS/Control ports, and exit with the tor "
                    "processes still running (their pids are recorded in the state folder).")
    up.add_argument("--onion", action="append", default=[], metavar="NAME=PORT",
                    help="publish an onion service for 127.0.0.1:PORT (repeatable); something "
                         "must already listen on PORT")
    up.add_argument("--timeout", type=float, default=300.0,
                    help="seconds to wait for the network and each onion (default: 300)")
    up.add_argument("--base-port", type=int, default=None,
                    help="use 15 consecutive ports from this one instead of free ones")
    up.set_defaults(func=run_up)

    down = tor_sub.add_parser("down", help="stop every tor that `up` started and remove its state")
    down.add_argument("--keep-state", action="store_true",
                      help="keep the state folder (logs, keys) for a post-mortem")
    down.set_defaults(func=run_down)

    status = tor_sub.add_parser("status", help="show the network's processes, ports and onions "
                                               "(exit 0 when all run, 3 otherwise)")
    status.set_defaults(func=run_status)

    for parser in (up, down, status):
        parser.add_argument("--state-dir", type=Path, default=None, metavar="DIR",
                            help="where the network keeps its state (default: <state_dir of "
                                 "monitor.yaml>/lab/tor)")
        add_config_dir(parser)


def _state_dir(args: argparse.Namespace) -> Path:
    if args.state_dir is not None:
        return args.state_dir
    from monitor.config import DEFAULT_STATE_DIR, load_config

    if Path(args.config_dir).is_dir():
        return load_config(args.config_dir).monitor.state_dir / "lab" / "tor"
    return DEFAULT_STATE_DIR / "lab" / "tor"


def _onions(specs: list[str]) -> list[tuple[str, int]]:
    onions = []
    for spec in specs:
        name, _, port = spec.partition("=")
        if not name or not port.isdigit() or not 0 < int(port) < 65536:
            raise TorError(f"--onion {spec!r}: expected NAME=PORT, e.g. forum=8080")
        onions.append((name, int(port)))
    return onions


def run_up(args: argparse.Namespace) -> int:
    onions = _onions(args.onion)
    net = TorNetwork(_state_dir(args), base_port=args.base_port)
    net.start(args.timeout, detach=True)
    try:
        addresses = [(name, port, net.add_onion(port, name=name, timeout=args.timeout))
                     for name, port in onions]
    except BazaarwatchError:
        net.stop(remove_state=True)
        raise
    print(f"lab Tor network up (state: {net.state_dir})")
    print(f"SOCKS   127.0.0.1:{net.socks_port}  (socks5h://127.0.0.1:{net.socks_port}, "
          "IsolateSOCKSAuth)")
    print(f"Control 127.0.0.1:{net.control_port}  (cookie: {net.control_cookie_path})")
    for name, port, address in addresses:
        print(f"{name}: http://{address}/ -> 127.0.0.1:{port}")
    print(f"stop it with: bazaarwatch lab tor down --state-dir {net.state_dir}")
    return 0


def run_down(args: argparse.Namespace) -> int:
    net = TorNetwork.load(_state_dir(args))
    net.stop(remove_state=not args.keep_state)
    print(f"lab Tor network in {net.state_dir} stopped")
    return 0


def run_status(args: argparse.Namespace) -> int:
    status = TorNetwork.load(_state_dir(args)).status()
    state = "running" if status.running else "NOT running"
    print(f"lab Tor network in {status.state_dir}: {state}")
    for node in status.nodes:
        state = f"pid {node.pid}, {node.rss_mib:.0f} MiB" if node.alive else "stopped"
        print(f"  {node.name:<8} {node.role:<9} {state}")
    print(f"SOCKS   127.0.0.1:{status.socks_port}")
    print(f"Control 127.0.0.1:{status.control_port}  (client bootstrap: {status.client_bootstrap})")
    for name, address in status.onions.items():
        print(f"{name}: http://{address}/")
    print(f"memory of all tor processes: {status.rss_mib:.0f} MiB")
    return 0 if status.running else 3
