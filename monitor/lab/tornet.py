"""The lab's private Tor network on loopback: 4 directory authorities that are also the relays
(guard, HSDir), one onion-service tor and one client tor, all in TestingTorNetwork mode.

    net = TorNetwork(Path("state/lab/tor")).start()
    address = net.add_onion(8080)          # "<56 chars>.onion", answering through the client
    ... socks5h://127.0.0.1:{net.socks_port} ...
    net.stop(remove_state=True)

It starts in two phases: the authorities first; the service and the client once every
authority serves a consensus that lists every relay as Running (a relay that joins late makes
onion fetches stall, see ../shared/notes/tor-private-network.md). Its state directory holds one
folder per tor and `network.json` (ports, pids, onions), so another process (`bazaarwatch lab
tor down`) can find and stop what `up` started."""

from __future__ import annotations

import atexit
import json
import logging
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import stem
from stem.control import Controller
from stem.socket import ControlSocket

from monitor.errors import TorError, TransportError
from monitor.lab import tornet_proc
from monitor.lab import tornet_torrc as torrc
from monitor.lab.tornet_page import serve_page
from monitor.lab.tornet_socks import socks5_connect
from monitor.tor import (
    TorrcValue,
    connect_control,
    free_ports,
    pid_alive,
    progress,
    read_bootstrap,
    render_torrc,
    rss_mib,
    tail,
    terminate,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
STATE_FILE = "network.json"
PORT_ATTEMPTS = 3


class PortTaken(TorError):
    """A tor could not bind a port picked for it."""


@dataclass(frozen=True)
class NodeStatus:
    name: str
    role: str
    pid: int | None
    alive: bool
    rss_mib: float


@dataclass(frozen=True)
class NetworkStatus:
    state_dir: Path
    nodes: tuple[NodeStatus, ...]
    onions: dict[str, str]  # name -> address
    socks_port: int
    control_port: int
    client_bootstrap: str | None

    @property
    def running(self) -> bool:
        return bool(self.nodes) and all(n.alive for n in self.nodes)

    @property
    def rss_mib(self) -> float:
        return sum(n.rss_mib for n in self.nodes)


class TorNetwork:
    """A private Tor network whose state lives in `state_dir`. Ports are free ports on
    127.0.0.1 picked at start, or consecutive ones from `base_port`."""

    def __init__(self, state_dir: Path, *, base_port: int | None = None,
                 tor_binary: str = "tor", gencert_binary: str = "tor-gencert"):
        self.state_dir = Path(state_dir)
        self.base_port = base_port
        self.tor_binary = tor_binary
        self.gencert_binary = gencert_binary
        self.nodes: list[torrc.Node] = []
        self.onions: dict[str, dict] = {}
        self._popens: dict[int, subprocess.Popen] = {}
        self._owners: list[ControlSocket] = []
        self.started_at = 0.0

    # -- state --

    @classmethod
    def load(cls, state_dir: Path) -> TorNetwork:
        """The network recorded in `state_dir` by an earlier start() (perhaps in another
        process). Raises TorError when there is none."""
        net = cls(state_dir)
        try:
            data = json.loads((net.state_dir / STATE_FILE).read_text())
        except (OSError, ValueError) as e:
            raise TorError(f"no lab Tor network recorded in {net.state_dir}: {e}") from e
        net.nodes = [torrc.Node.from_json(n) for n in data["nodes"]]
        net.onions = data.get("onions", {})
        return net

    def _save(self) -> None:
        data = {"nodes": [n.to_json() for n in self.nodes], "onions": self.onions}
        tmp = self.state_dir / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(self.state_dir / STATE_FILE)

    def _node(self, role: str) -> torrc.Node:
        for n in self.nodes:
            if n.role == role:
                return n
        raise TorError("the lab Tor network is not set up (start it first)")

    @property
    def authorities(self) -> list[torrc.Node]:
        return [n for n in self.nodes if n.role == "authority"]

    @property
    def socks_port(self) -> int:
        """The client's SocksPort (IsolateSOCKSAuth)."""
        return self._node("client").socks_port

    @property
    def control_port(self) -> int:
        """The client's ControlPort (cookie authentication)."""
        return self._node("client").control_port

    @property
    def control_cookie_path(self) -> Path:
        return self._node("client").cookie_path

    @property
    def service_control_port(self) -> int:
        return self._node("service").control_port

    # -- start and stop --

    def _plan(self) -> None:
        """Fresh node folders, ports and authority keys."""
        if self.state_dir.exists():
            shutil.rmtree(self.state_dir)
        self.state_dir.mkdir(parents=True, mode=0o700)
        count = 3 * torrc.AUTHORITIES + 3
        ports = iter(free_ports(count) if self.base_port is None
                     else range(self.base_port, self.base_port + count))
        self.nodes = []
        for i in range(torrc.AUTHORITIES):
            self.nodes.append(torrc.Node(f"auth{i}", "authority", self.state_dir / f"auth{i}",
                                         control_port=next(ports), or_port=next(ports),
                                         dir_port=next(ports)))
        # RSA key generation is most of the set-up time; the four run side by side
        with ThreadPoolExecutor(torrc.AUTHORITIES) as pool:
            list(pool.map(lambda node: torrc.make_authority_keys(
                node, tor_binary=self.tor_binary, gencert_binary=self.gencert_binary),
                self.nodes))
        self.nodes.append(torrc.Node("service", "service", self.state_dir / "service",
                                     control_port=next(ports)))
        self.nodes.append(torrc.Node("client", "client", self.state_dir / "client",
                                     control_port=next(ports), socks_port=next(ports)))
        self.onions = {}

    def start(self, timeout: float = 180.0, *, detach: bool = False) -> TorNetwork:
        """Generate everything afresh and start all 6 tor processes; return once the client has
        bootstrapped. Without `detach`, this process owns each tor through a control
        connection (TAKEOWNERSHIP): they exit when it exits or dies, even by SIGKILL. With it
        (the CLI's `up`), they outlive it. Raises TorError (stopping what it started).

        Not tor's __OwningControllerProcess: stem's Controller.authenticate() answers it with
        TAKEOWNERSHIP on its own connection, so the first test that opened and closed a
        controller on the client made it exit (measured)."""
        for tool in (self.tor_binary, self.gencert_binary):
            if shutil.which(tool) is None:
                raise TorError(f"{tool} not found: {torrc.INSTALL_HINT}")
        if (self.state_dir / STATE_FILE).exists() and self.load(self.state_dir).status().running:
            raise TorError(f"a lab Tor network is already running in {self.state_dir}")
        deadline = time.monotonic() + timeout
        for attempt in range(1, PORT_ATTEMPTS + 1):
            try:
                self._start(deadline, owned=not detach)
                if not detach:
                    atexit.register(self.stop)
                return self
            except PortTaken as e:
                # a free port picked here was taken by someone else before tor bound it
                log.warning("tornet: %s; retrying with other ports (attempt %d)", e, attempt)
                if attempt == PORT_ATTEMPTS or self.base_port is not None:
                    raise TorError(str(e)) from e
        raise AssertionError("unreachable")

    def _start(self, deadline: float, owned: bool) -> None:
        try:
            progress(log, "tornet: generating keys and torrcs in %s", self.state_dir)
            self._plan()
            self.started_at = time.monotonic()
            progress(log, "tornet: phase 1: starting %d directory authorities", len(self.nodes) - 2)
            # all at once, ownership after: an authority that ran alone for a few seconds
            # marked itself down and stayed out of the consensus for minutes (measured)
            self._spawn_all(self.authorities, deadline, owned)
            self._wait_consensus(deadline)
            progress(log, "tornet: phase 2: starting the onion-service tor and the client tor")
            self._spawn_all(self.nodes[-2:], deadline, owned)
            for node in self.nodes[-2:]:
                self._wait_bootstrap(node, deadline)
        except BaseException:
            self.stop()
            raise
        progress(log, "tornet: up in %.1f s: SocksPort %d, ControlPort %d",
                 time.monotonic() - self.started_at, self.socks_port, self.control_port)

    def _spawn_all(self, nodes: list[torrc.Node], deadline: float, owned: bool) -> None:
        for node in nodes:
            self._spawn(node)
        if owned:
            for node in nodes:
                self._owners.append(self._retry(node, deadline, tornet_proc.take_ownership))

    def _spawn(self, node: torrc.Node) -> None:
        node.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        node.torrc_path.write_text(render_torrc(torrc.node_torrc(node, self.authorities)))
        (node.dir / "empty.torrc").touch()
        with (node.dir / "tor.out").open("wb") as out:
            try:
                popen = subprocess.Popen(
                    [self.tor_binary, "--defaults-torrc", str(node.dir / "empty.torrc"),
                     "-f", str(node.torrc_path)], stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as e:
                raise TorError(f"cannot start tor for {node.name}: {e}") from e
        node.pid = popen.pid
        self._popens[popen.pid] = popen
        self._save()
        log.debug("tornet: %s started, pid %d", node.name, popen.pid)

    def _check_alive(self, node: torrc.Node) -> None:
        if not pid_alive(node.pid):
            why = f"{tail(node.dir / 'tor.out', 3)} {tail(node.log_path, 3)}"
            error = PortTaken if "Failed to bind" in why else TorError
            raise error(f"tor {node.name} (pid {node.pid}) exited: {why}")

    def _wait_consensus(self, deadline: float) -> None:
        """Until every authority serves a consensus listing every relay as Running."""
        names = {n.name for n in self.authorities}
        missing: dict[str, set[str]] = {}
        last_report = None
        while True:
            for node in self.authorities:
                self._check_alive(node)
                missing[node.name] = names - tornet_proc.running_relays(node.dir_port)
            if not any(missing.values()):
                return
            report = len(names) - max(len(m) for m in missing.values())
            if report != last_report:
                last_report = report
                progress(log, "tornet: consensus lists %d of %d relays", report, len(names))
            if time.monotonic() > deadline:
                views = "; ".join(f"{k} lacks {', '.join(sorted(v)) or 'none'}"
                                  for k, v in sorted(missing.items()))
                raise TorError(f"lab Tor network: no consensus with every relay Running in "
                               f"time ({views}); logs in {self.state_dir}/*/data/notice.log")
            time.sleep(0.5)

    def _wait_bootstrap(self, node: torrc.Node, deadline: float) -> None:
        controller = self._connect(node, deadline)
        seen = -1
        try:
            while True:
                self._check_alive(node)
                phase = read_bootstrap(controller)
                if phase.progress != seen:
                    seen = phase.progress
                    progress(log, "tornet: %s bootstrapped %s", node.name, phase)
                if phase.done:
                    return
                if time.monotonic() > deadline:
                    raise TorError(f"lab tor {node.name} bootstrap stalled at {phase}")
                time.sleep(0.2)
        except stem.ControllerError as e:
            raise TorError(f"lab tor {node.name} stopped answering: {e}") from e
        finally:
            controller.close()

    def _connect(self, node: torrc.Node, deadline: float) -> Controller:
        return self._retry(node, deadline, lambda n: connect_control(
            "127.0.0.1", n.control_port, cookie_path=n.cookie_path))

    def _retry(self, node: torrc.Node, deadline: float, connect: Callable[[torrc.Node], T]) -> T:
        """connect(node) once its ControlPort and cookie are there (tor is still starting)."""
        while True:
            self._check_alive(node)
            try:
                return connect(node)
            except TorError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    def stop(self, *, remove_state: bool = False) -> None:
        """Stop every tor this network started, by recorded pid (SIGTERM, then SIGKILL)."""
        atexit.unregister(self.stop)
        for owner in self._owners:
            owner.close()  # each owned tor starts exiting on its own now
        self._owners = []
        for node in reversed(self.nodes):
            if node.pid and tornet_proc.is_our_tor(node):
                terminate(node.pid, popen=self._popens.pop(node.pid, None))
                log.debug("tornet: %s (pid %d) stopped", node.name, node.pid)
            node.pid = None
        if remove_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        elif self.nodes and self.state_dir.exists():
            self._save()

    def __enter__(self) -> TorNetwork:
        return self if self.nodes else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop(remove_state=True)

    # -- onions --

    def add_onion(self, local_port: int, *, name: str | None = None, virtual_port: int = 80,
                  timeout: float = 120.0) -> str:
        """Publish an onion service for 127.0.0.1:`local_port` on the service tor and return
        its address ("<56 chars>.onion") once it answers through the client (so something must
        listen on `local_port`). Raises TorError."""
        target = f"127.0.0.1:{local_port}"
        controller = connect_control("127.0.0.1", self.service_control_port,
                                     cookie_path=self._node("service").cookie_path)
        try:
            # detached: the service outlives this control connection (the CLI exits after up).
            # Not stem's await_publication: it misses v3 HS_DESC UPLOADED events (measured: it
            # timed out while the onion already answered); wait_onion below is the real test.
            response = controller.create_ephemeral_hidden_service(
                {virtual_port: target}, key_type="NEW", key_content="ED25519-V3", detached=True)
        except stem.ControllerError as e:
            raise TorError(f"lab onion for {target} was not published: {e}") from e
        finally:
            controller.close()
        address = f"{response.service_id}.onion"
        self.onions[name or str(local_port)] = {"address": address, "port": local_port,
                                               "virtual_port": virtual_port}
        self._save()
        progress(log, "tornet: onion %s -> %s published; waiting for it to answer",
                 address, target)
        self.wait_onion(address, virtual_port, timeout=timeout)
        return address

    def wait_onion(self, address: str, port: int = 80, timeout: float = 120.0) -> None:
        """Block until a SOCKS CONNECT to `address:port` through the client succeeds (the
        service reached its local port). Early attempts fail fast while the descriptor
        spreads; they are retried. Raises TorError after `timeout`."""
        deadline = time.monotonic() + timeout
        attempts = 0
        while True:
            attempts += 1
            try:
                socks5_connect(self.socks_port, address, port,
                               timeout=max(1.0, min(60.0, deadline - time.monotonic()))).close()
                log.info("tornet: onion %s:%d answers (attempt %d)", address, port, attempts)
                return
            except TransportError as e:
                if time.monotonic() > deadline:
                    raise TorError(f"onion {address}:{port} did not answer through the lab "
                                   f"client within {timeout:.0f} s: {e}") from e
                log.debug("tornet: onion %s not yet reachable: %s", address, e)
            time.sleep(1.0)

    # -- for other parts of the lab --

    def controller(self) -> Controller:
        """An authenticated stem Controller on the client tor; the caller closes it."""
        client = self._node("client")
        return connect_control("127.0.0.1", client.control_port, cookie_path=client.cookie_path)

    def client_torrc_options(self) -> dict[str, TorrcValue]:
        """torrc options that make another tor (a managed TorController) a client of this
        network: TestingTorNetwork 1, the DirAuthority lines, ..."""
        return torrc.client_options(self.authorities)

    def status(self) -> NetworkStatus:
        nodes = tuple(NodeStatus(n.name, n.role, n.pid, bool(n.pid) and tornet_proc.is_our_tor(n),
                                 rss_mib(n.pid) if n.pid else 0.0) for n in self.nodes)
        boot = None
        if nodes and nodes[-1].alive:
            try:
                with self.controller() as c:
                    boot = str(read_bootstrap(c))
            except (TorError, stem.ControllerError) as e:
                boot = f"unknown ({e})"
        return NetworkStatus(self.state_dir, nodes,
                             {k: v["address"] for k, v in self.onions.items()},
                             self.socks_port if self.nodes else 0,
                             self.control_port if self.nodes else 0, boot)

    def memory_mib(self) -> float:
        """Resident memory of all tor processes of the network, in MiB."""
        return sum(rss_mib(n.pid) for n in self.nodes if n.pid)


def measure_bootstrap(state_dir: Path | None = None, timeout: float = 300.0) -> dict[str, float]:
    """Start a fresh network, publish a loopback HTTP page as an onion, and time from the first
    tor process start to the first successful connection to the onion through the client.
    Returns {"bootstrap_s": that time, "with_keys_s": the same including key generation,
    "tor_rss_mib": memory of all tor processes then}; stops the network, removes its state."""
    server = serve_page()
    tmp = None
    if state_dir is None:
        tmp = tempfile.mkdtemp(prefix="tornet-measure-")
        state_dir = Path(tmp) / "tor"
    net = TorNetwork(state_dir)
    try:
        began = time.monotonic()
        net.start(timeout)
        net.add_onion(server.server_address[1], timeout=timeout)
        done = time.monotonic()
        return {"bootstrap_s": round(done - net.started_at, 2),
                "with_keys_s": round(done - began, 2),
                "tor_rss_mib": round(net.memory_mib(), 1)}
    finally:
        net.stop(remove_state=True)
        server.shutdown()
        server.server_close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
