"""`bazaarwatch lab slack up` — the Slack-compatible webhook receiver on loopback."""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

from monitor.lab.slack import ReceiverState, make_app


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("slack", help="the Slack-compatible webhook receiver")
    slack_sub = p.add_subparsers(dest="slack_command", metavar="COMMAND", required=True)
    up = slack_sub.add_parser(
        "up", help="serve the receiver until interrupted",
        description="Accept Slack incoming-webhook posts on loopback like Slack does (200 ok; "
                    "400 invalid_payload / no_text / invalid_blocks), record them, and serve "
                    "GET /_lab/messages, POST /_lab/fail {count, status, retry_after, body} "
                    "and POST /_lab/reset. Prints the webhook URL to use.")
    up.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    up.add_argument("--port", type=int, default=0, help="port (default: 0, any free port)")
    up.set_defaults(func=run_up)


def run_up(args: argparse.Namespace) -> int:
    asyncio.run(_serve(args.host, args.port))
    return 0


async def _serve(host: str, port: int) -> None:
    runner = web.AppRunner(make_app(ReceiverState()), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"webhook URL: http://{host}:{bound}/services/T0LAB/B0LAB/lab", flush=True)
    print(f"messages:    http://{host}:{bound}/_lab/messages", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
