"""`bazaarwatch lab forum up|down` — the lab forums (monitor.lab.forum) on loopback, and as onion
services of the lab Tor network."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from pathlib import Path

from monitor.cli.check import add_config_dir
from monitor.errors import BazaarwatchError
from monitor.lab.forum import LabForums

log = logging.getLogger(__name__)

PID_FILE = "forum.json"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forum", help="the lab forums (MyBB-, XenForo- and market-style)")
    forum_sub = p.add_subparsers(dest="forum_command", metavar="COMMAND", required=True)

    up = forum_sub.add_parser(
        "up", help="serve the lab forums in the foreground until SIGTERM or Ctrl-C",
        description="Serve the lab forums from monitor/lab/forum_data/*.yaml: a MyBB-style "
                    "forum at /mybb/, a XenForo-style one at /xf/ and a market at /market/, "
                    "with the admin API at /_admin/ (loopback only). Runs in the foreground "
                    "until SIGTERM or Ctrl-C; it records its pid, port and onion address in "
                    "<state-dir>/forum.json, so `bazaarwatch lab forum down` (from another "
                    "shell, or after starting `up` with &) stops it. Test login on both "
                    "forums: analyst / correct-horse-battery.")
    up.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    up.add_argument("--port", type=int, default=0, help="port (default: 0, any free port)")
    up.add_argument("--onion", action="store_true",
                    help="also publish the forums as an onion service of the running lab Tor "
                         "network (start it first: bazaarwatch lab tor up)")
    up.add_argument("--tor-state-dir", type=Path, default=None, metavar="DIR",
                    help="the lab Tor network's state folder (default: <state_dir>/lab/tor)")
    up.add_argument("--challenge", action="append", default=[], metavar="FORUM",
                    help="start with the JS challenge on for FORUM (mybb, xf, market; "
                         "repeatable)")
    up.set_defaults(func=run_up)

    down = forum_sub.add_parser("down", help="stop the lab forums that `up` started")
    down.set_defaults(func=run_down)

    for parser in (up, down):
        parser.add_argument("--state-dir", type=Path, default=None, metavar="DIR",
                            help="where `up` records its pid (default: <state_dir of "
                                 "monitor.yaml>/lab/forum)")
        add_config_dir(parser)


def _lab_dir(args: argparse.Namespace) -> Path:
    from monitor.config import DEFAULT_STATE_DIR, load_config

    if Path(args.config_dir).is_dir():
        return load_config(args.config_dir).monitor.state_dir / "lab"
    return DEFAULT_STATE_DIR / "lab"


def _state_dir(args: argparse.Namespace) -> Path:
    return args.state_dir if args.state_dir is not None else _lab_dir(args) / "forum"


def run_up(args: argparse.Namespace) -> int:
    state_dir = _state_dir(args)
    pid_file = state_dir / PID_FILE
    if pid_file.exists() and _alive(json.loads(pid_file.read_text()).get("pid", 0)):
        raise BazaarwatchError(f"the lab forums already run (see {pid_file}); "
                               "stop them with: bazaarwatch lab forum down")
    asyncio.run(_serve(args, pid_file))
    return 0


async def _serve(args: argparse.Namespace, pid_file: Path) -> None:
    lab = await LabForums(args.host, args.port).start_async()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        for forum in args.challenge:
            lab.set_faults(forum, challenge=True)
        onion = await asyncio.to_thread(_publish_onion, args, lab.port) if args.onion else None
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        pid_file.write_text(json.dumps({"pid": os.getpid(), "url": lab.url, "onion": onion}))
        for key in lab.state.sites:
            print(f"{key:7} {lab.base_url(key)}" + (f"   http://{onion}/{key}/" if onion else ""),
                  flush=True)
        print(f"admin   {lab.url}/_admin/state", flush=True)
        await stop.wait()
    finally:
        with contextlib.suppress(FileNotFoundError):
            pid_file.unlink()
        await lab.stop_async()


def _publish_onion(args: argparse.Namespace, port: int) -> str:
    from monitor.lab.tornet import TorNetwork

    tor_dir = args.tor_state_dir or _lab_dir(args) / "tor"
    return TorNetwork.load(tor_dir).add_onion(port, name="forums")


def run_down(args: argparse.Namespace) -> int:
    pid_file = _state_dir(args) / PID_FILE
    try:
        pid = int(json.loads(pid_file.read_text())["pid"])
    except (OSError, ValueError, KeyError) as e:
        raise BazaarwatchError(f"no lab forums recorded in {pid_file}: {e}") from e
    if not _alive(pid):
        pid_file.unlink(missing_ok=True)
        print(f"lab forums (pid {pid}) were not running")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        raise BazaarwatchError(f"lab forums (pid {pid}) did not stop within 15 s")
    print(f"lab forums (pid {pid}) stopped")
    return 0


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # an exited child its parent has not reaped yet still answers signal 0
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"
