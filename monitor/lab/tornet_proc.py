"""Process-level helpers of the lab's Tor network (monitor/lab/tornet.py): ownership of a tor
through a bare control connection, "is this pid still our tor", and consensus polling."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import stem
import stem.connection
import stem.socket

from monitor.errors import TorError
from monitor.lab.tornet_torrc import Node
from monitor.tor import pid_alive


def take_ownership(node: Node) -> stem.socket.ControlSocket:
    """A bare control connection (no stem reader threads) that owns `node`'s tor: tor exits
    when it closes, which the kernel does when this process dies, however it dies."""
    try:
        sock = stem.socket.ControlPort("127.0.0.1", node.control_port)
    except stem.SocketError as e:
        raise TorError(f"lab tor {node.name}: ControlPort not answering: {e}") from e
    try:
        stem.connection.authenticate_cookie(sock, str(node.cookie_path))
        sock.send("TAKEOWNERSHIP")
        reply = sock.recv()
        if not reply.is_ok():
            raise TorError(f"lab tor {node.name} refused TAKEOWNERSHIP: {reply}")
    except (stem.connection.AuthenticationFailure, stem.SocketError) as e:
        sock.close()
        raise TorError(f"lab tor {node.name}: cannot take ownership: {e}") from e
    except TorError:
        sock.close()
        raise
    return sock


# never through an http_proxy from the environment: the DirPort is on loopback
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def running_relays(dir_port: int) -> set[str]:
    """Nicknames of the relays that the consensus served at `dir_port` lists as Running (none
    before the first consensus exists)."""
    url = f"http://127.0.0.1:{dir_port}/tor/status-vote/current/consensus"
    try:
        with _DIRECT.open(url, timeout=5) as r:
            text = r.read().decode("ascii", "replace")
    except (urllib.error.URLError, OSError):
        return set()  # 404 until the first consensus exists; refused while starting
    running, name = set(), None
    for line in text.splitlines():
        if line.startswith("r "):
            name = line.split()[1]
        elif line.startswith("s ") and "Running" in line.split() and name:
            running.add(name)
    return running


def is_our_tor(node: Node) -> bool:
    """The recorded pid is still the tor started with this node's torrc (pids get reused)."""
    try:
        cmdline = Path(f"/proc/{node.pid}/cmdline").read_bytes()
    except OSError:
        return False
    return pid_alive(node.pid) and str(node.torrc_path).encode() in cmdline


