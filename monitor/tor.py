"""tor under our control, through stem.

`TorController` has two modes. *managed*: it writes a torrc into its data directory, launches
tor, waits for bootstrap (progress on a terminal, logged otherwise), watches the process and
relaunches it if it dies. *external*: it attaches to a running tor's ControlPort with cookie or
password authentication. Either way it reports health (bootstrap, circuits, last warning),
sends NEWNYM without tripping tor's rate limit and adds SocksPorts at run time (one per browser
context, since Chromium cannot authenticate to SOCKS).

Every stem or OS failure leaves this module as `monitor.errors.TorError`."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import stem
import stem.connection
from stem import Signal
from stem.control import Controller, EventType

from monitor.errors import TorError

log = logging.getLogger(__name__)
# stem sets its logger to its own TRACE level, so every GETINFO and each closed socket reached
# our handlers at any verbosity (dozens of lines per closed controller); its warnings stay.
logging.getLogger("stem").setLevel(logging.WARNING)

TERM_GRACE_S = 5.0
CONTROL_CONNECT_TIMEOUT_S = 30.0
TorrcValue = str | int | Sequence[str | int]


# --- small helpers shared with the lab network (monitor/lab/tornet.py) ---------------------

def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on `host` a moment ago (the kernel's pick for port 0)."""
    return free_ports(1, host)[0]


def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """`n` distinct TCP ports free on `host` a moment ago (all held open while picking, so the
    kernel cannot hand out the same one twice)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind((host, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def pid_alive(pid: int | None) -> bool:
    """True when process `pid` exists and is not a zombie."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def terminate(pid: int, grace: float = TERM_GRACE_S, popen: subprocess.Popen | None = None) -> None:
    """Stop process `pid`: SIGTERM, then SIGKILL after `grace` seconds (tor sometimes hangs on
    SIGTERM after removing its PidFile). Reaps it when it is our child (`popen`)."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
        if not pid_alive(pid):
            break
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and pid_alive(pid):
            if popen is not None and popen.poll() is not None:
                break
            time.sleep(0.05)
    if popen is not None:
        try:
            popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log.warning("tor pid %d did not exit after SIGKILL", pid)


def rss_mib(pid: int) -> float:
    """Resident memory of `pid` in MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def render_torrc(options: Mapping[str, TorrcValue]) -> str:
    """torrc text: one `Key value` line per value (a sequence gives the key several lines)."""
    lines = []
    for key, value in options.items():
        values = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
        lines.extend(f"{key} {v}".rstrip() for v in values)
    return "\n".join(lines) + "\n"


def progress(logger: logging.Logger, msg: str, *args: Any) -> None:
    """Progress for a human: a line on the terminal when there is one, a log record otherwise."""
    if sys.stderr.isatty():
        print(msg % args, file=sys.stderr, flush=True)
    else:
        logger.info(msg, *args)


def tail(path: Path, lines: int = 5) -> str:
    """The last `lines` lines of a log file, joined with ' | ' (empty when unreadable)."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


@dataclass(frozen=True)
class Bootstrap:
    """tor's `status/bootstrap-phase`: PROGRESS=, TAG=, SUMMARY=, and WARNING= when it complains."""

    progress: int
    tag: str
    summary: str
    warning: str = ""

    def __str__(self) -> str:
        text = f"{self.progress}% ({self.tag}: {self.summary})"
        return f"{text}, last warning: {self.warning}" if self.warning else text

    @property
    def done(self) -> bool:
        return self.progress >= 100


_KV_RE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def parse_bootstrap(line: str) -> Bootstrap:
    """Parse `NOTICE BOOTSTRAP PROGRESS=14 TAG=handshake SUMMARY="Handshaking with a relay"`."""
    fields = {k: v.strip('"') for k, v in _KV_RE.findall(line)}
    try:
        pct = int(fields.get("PROGRESS", "0"))
    except ValueError:
        pct = 0
    return Bootstrap(pct, fields.get("TAG", "?"), fields.get("SUMMARY", ""),
                     fields.get("WARNING", ""))


def read_bootstrap(controller: Controller) -> Bootstrap:
    """Current bootstrap phase of the tor behind `controller`. Raises stem.ControllerError."""
    return parse_bootstrap(controller.get_info("status/bootstrap-phase"))


@dataclass(frozen=True)
class TorHealth:
    running: bool
    bootstrap: Bootstrap | None
    circuit_established: bool
    built_circuits: int
    last_warning: str | None
    pid: int | None
    restarts: int


def connect_control(host: str, port: int, *, password: str | None = None,
                    cookie_path: Path | None = None) -> Controller:
    """An authenticated stem Controller. With `password` only password authentication is tried
    (a wrong password fails rather than silently falling back to the cookie); else the cookie
    at `cookie_path`, else whatever PROTOCOLINFO offers (cookie path from tor itself).

    Raises TorError when the port does not answer or refuses authentication."""
    where = f"tor ControlPort {host}:{port}"
    try:
        controller = Controller.from_port(address=host, port=port)
    except stem.SocketError as e:
        raise TorError(f"{where} does not answer: {e}") from e
    try:
        if password is not None:
            stem.connection.authenticate_password(controller, password)
        elif cookie_path is not None:
            stem.connection.authenticate_cookie(controller, str(cookie_path))
        else:
            controller.authenticate()
    except (stem.connection.AuthenticationFailure, stem.SocketError) as e:
        controller.close()
        method = "password" if password is not None else "cookie"
        raise TorError(f"{where} refused {method} authentication: {e}") from e
    if not controller.is_authenticated():
        # stem's per-method helpers skip what Controller.authenticate() does afterwards: without
        # it, stem believes it is unauthenticated and never sends SETEVENTS (measured: no WARN
        # events reached listeners). Same call stem.connection.authenticate() makes.
        controller._post_authentication()
    return controller


# --- the controller --------------------------------------------------------------------------

class TorController:
    """Launches (managed) or attaches to (external) a tor and keeps it usable.

    Plain values in, so tests and the lab can build one directly; `from_config` reads
    `monitor.yaml`'s `tor` section. Ports 0 mean "pick a free one" (managed only).
    `extra_torrc` adds or overrides torrc options of a managed tor (the lab passes
    `TorNetwork.client_torrc_options()`). Use as a context manager or call start()/stop()."""

    def __init__(self, *, mode: str = "managed", socks_host: str = "127.0.0.1",
                 socks_port: int = 0, control_host: str = "127.0.0.1", control_port: int = 0,
                 control_password: str | None = None, cookie_path: Path | None = None,
                 data_dir: Path | None = None, tor_binary: str = "tor",
                 extra_torrc: Mapping[str, TorrcValue] | None = None,
                 bootstrap_timeout: float = 120.0, watch_interval: float = 1.0):
        if mode not in ("managed", "external"):
            raise TorError(f"tor mode must be managed or external, not {mode!r}")
        if mode == "managed" and data_dir is None:
            raise TorError("a managed tor needs a data_dir")
        if mode == "external" and not control_port:
            raise TorError("an external tor needs its control_port")
        self.mode = mode
        self.socks_host = socks_host
        self.socks_port = socks_port or (free_port(socks_host) if mode == "managed" else 0)
        self.control_host = control_host
        self.control_port = control_port or free_port(control_host)
        self.control_password = control_password
        self.cookie_path = Path(cookie_path) if cookie_path else None
        self.data_dir = Path(data_dir) if data_dir else None
        self.tor_binary = tor_binary
        self.extra_torrc = dict(extra_torrc or {})
        self.bootstrap_timeout = bootstrap_timeout
        self.watch_interval = watch_interval
        self.restarts = 0
        self._extra_socks: list[str] = []
        self._popen: subprocess.Popen | None = None
        self._controller: Controller | None = None
        self._last_warning: str | None = None
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._watcher: threading.Thread | None = None

    @classmethod
    def from_config(cls, tor: Any, **overrides: Any) -> TorController:
        """Build from the `TorConfig` of monitor.config (secrets revealed here, once)."""
        password = tor.control_password.reveal() if tor.control_password else None
        kwargs: dict[str, Any] = dict(
            mode=tor.mode, socks_host=tor.socks_host, socks_port=tor.socks_port,
            control_host=tor.control_host, control_port=tor.control_port,
            control_password=password, cookie_path=tor.cookie_path, data_dir=tor.data_dir,
            tor_binary=tor.tor_binary, bootstrap_timeout=tor.bootstrap_timeout_s,
            extra_torrc=dict(getattr(tor, "extra_torrc", None) or {}))
        kwargs.update(overrides)
        return cls(**kwargs)

    # -- lifecycle --

    def __enter__(self) -> TorController:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> TorController:
        """Launch or attach, then wait for bootstrap. Raises TorError (binary missing, port
        refused, authentication refused, bootstrap stalled)."""
        self._stopping.clear()
        try:
            if self.mode == "managed":
                self._launch()
            else:
                self._attach(connect_control(self.control_host, self.control_port,
                                             password=self.control_password,
                                             cookie_path=self.cookie_path))
                if not self.socks_port:
                    self.socks_port = self._first_socks_port()
            self.wait_bootstrap()
        except BaseException:
            self.stop()
            raise
        self._ready.set()
        if self.mode == "managed" and self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="tor-watch", daemon=True)
            self._watcher.start()
        return self

    def stop(self) -> None:
        """Detach; a managed tor is also stopped (SIGTERM, SIGKILL after a few seconds)."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=self.watch_interval + TERM_GRACE_S)
            self._watcher = None
        with self._lock:
            self._close_controller()
            if self._popen is not None:
                terminate(self._popen.pid, popen=self._popen)
                self._popen = None

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    @property
    def controller(self) -> Controller:
        """The authenticated stem Controller (replaced when a managed tor is relaunched)."""
        with self._lock:
            if self._controller is None:
                raise TorError("tor controller is not started")
            return self._controller

    def torrc(self) -> dict[str, TorrcValue]:
        """The options a managed tor is launched with (extra_torrc last, so it wins)."""
        assert self.data_dir is not None
        options: dict[str, TorrcValue] = {
            "DataDirectory": str(self.data_dir),
            "SocksPort": [f"{self.socks_host}:{self.socks_port} IsolateSOCKSAuth",
                          *self._extra_socks],
            "ControlPort": f"{self.control_host}:{self.control_port}",
            "CookieAuthentication": 1,
            "Log": f"notice file {self.data_dir / 'notice.log'}",
            "PidFile": str(self.data_dir / "tor.pid"),
            # tor exits by itself if this process dies, so a crash leaves no orphan tor behind
            "__OwningControllerProcess": os.getpid(),
        }
        options.update(self.extra_torrc)
        return options

    def _launch(self) -> None:
        assert self.data_dir is not None
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        torrc = self.data_dir / "torrc"
        torrc.write_text(render_torrc(self.torrc()))
        out = (self.data_dir / "tor.out").open("wb")
        try:
            self._popen = subprocess.Popen(
                [self.tor_binary, "-f", str(torrc)], stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        except FileNotFoundError as e:
            raise TorError(f"tor binary {self.tor_binary!r} not found: apt-get install tor") from e
        except OSError as e:
            raise TorError(f"cannot run tor binary {self.tor_binary!r}: {e}") from e
        finally:
            out.close()
        progress(log, "tor: launched pid %d (data dir %s, SocksPort %d, ControlPort %d)",
                 self._popen.pid, self.data_dir, self.socks_port, self.control_port)
        self._attach(self._connect_launched())

    def _connect_launched(self) -> Controller:
        assert self._popen is not None and self.data_dir is not None
        deadline = time.monotonic() + CONTROL_CONNECT_TIMEOUT_S
        while True:
            if self._popen.poll() is not None:
                raise TorError(f"tor exited with status {self._popen.returncode} at start: "
                               f"{tail(self.data_dir / 'tor.out')}")
            try:
                controller = connect_control(self.control_host, self.control_port,
                                             cookie_path=self.data_dir / "control_auth_cookie")
                return self._take_ownership(controller)
            except TorError as e:
                # a relaunched tor opens its ControlPort before it rewrites the cookie file: the
                # previous tor's cookie fails until then (seen in the daemon's tor-kill test)
                starting = isinstance(e.__cause__,
                                      stem.SocketError | stem.connection.CookieAuthFailed)
                if not starting or time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    @staticmethod
    def _take_ownership(controller: Controller) -> Controller:
        """Tie tor's life to this control connection (it exits when the connection closes, so
        a crashed daemon leaves no tor behind) and drop __OwningControllerProcess: otherwise
        any other stem Controller.authenticate() in this process would take ownership, and
        tor would exit when that one closed."""
        try:
            controller.msg("TAKEOWNERSHIP")
            controller.reset_conf("__OwningControllerProcess")
        except stem.ControllerError as e:
            controller.close()
            raise TorError(f"tor refused TAKEOWNERSHIP: {e}") from e
        return controller

    def _attach(self, controller: Controller) -> None:
        with self._lock:
            self._close_controller()
            self._controller = controller
            controller.add_event_listener(self._on_log, EventType.WARN, EventType.ERR)

    def _close_controller(self) -> None:
        if self._controller is not None:
            self._controller.close()
            self._controller = None

    def _on_log(self, event: Any) -> None:
        self._last_warning = f"[{event.runlevel.lower()}] {event.message}"

    def _first_socks_port(self) -> int:
        listeners = self.controller.get_listeners(stem.control.Listener.SOCKS, [])
        return listeners[0][1] if listeners else 0

    # -- bootstrap and health --

    def wait_bootstrap(self, timeout: float | None = None) -> Bootstrap:
        """Block until tor reports 100 %; show each new phase. Raises TorError saying at which
        phase and percentage it stalled, or that tor died."""
        timeout = self.bootstrap_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        seen: tuple[int, str] | None = None
        while True:
            if self._popen is not None and self._popen.poll() is not None:
                raise TorError(f"tor exited with status {self._popen.returncode} while "
                               f"bootstrapping: {tail(self.data_dir / 'notice.log')}")
            try:
                phase = read_bootstrap(self.controller)
            except stem.ControllerError as e:
                raise TorError(f"tor stopped answering while bootstrapping: {e}") from e
            if (phase.progress, phase.tag) != seen:
                seen = (phase.progress, phase.tag)
                progress(log, "tor: bootstrapped %d%% (%s): %s", phase.progress, phase.tag,
                         phase.summary)
            if phase.done:
                return phase
            if time.monotonic() > deadline:
                why = f"; tor's last warning: {phase.warning}" if phase.warning else ""
                raise TorError(f"tor bootstrap stalled at {phase.progress}% ({phase.tag}: "
                               f"{phase.summary}) after {timeout:.0f} s{why}")
            time.sleep(0.2)

    def health(self) -> TorHealth:
        """A snapshot for metrics and the health endpoint; never raises."""
        with self._lock:
            running = self._controller is not None and (
                self._popen is None or self._popen.poll() is None)
            boot, established, built = None, False, 0
            if running:
                try:
                    boot = read_bootstrap(self._controller)
                    established = self._controller.get_info("status/circuit-established") == "1"
                    built = sum(c.status == "BUILT" for c in self._controller.get_circuits())
                except stem.ControllerError as e:
                    log.debug("tor health query failed: %s", e)
                    running = False
            return TorHealth(running, boot, established, built, self._last_warning, self.pid,
                             self.restarts)

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until tor is bootstrapped (again, after a relaunch); False on timeout."""
        return self._ready.wait(self.bootstrap_timeout if timeout is None else timeout)

    # -- operations --

    def new_identity(self) -> float:
        """Send NEWNYM (new circuits for new streams), first waiting out tor's rate limit.
        Returns the seconds waited. Raises TorError."""
        waited = 0.0
        while True:
            wait = self.controller.get_newnym_wait()
            if wait <= 0:
                break
            log.info("tor: NEWNYM rate-limited, waiting %.1f s", wait)
            time.sleep(wait)
            waited += wait
        try:
            self.controller.signal(Signal.NEWNYM)
        except stem.ControllerError as e:
            raise TorError(f"tor refused NEWNYM: {e}") from e
        return waited

    def add_socks_port(self, port: int | None = None, *, flags: str = "IsolateSOCKSAuth") -> int:
        """Open one more SocksPort on `socks_host` at run time (SETCONF keeps the others) and
        return its number. A managed tor keeps it across relaunches. Raises TorError."""
        port = port or free_port(self.socks_host)
        entry = f"{self.socks_host}:{port} {flags}".strip()
        with self._lock:
            try:
                # other controllers may have added ports since stem cached the value
                self.controller.clear_cache()
                current = self.controller.get_conf("SocksPort", multiple=True)
                self.controller.set_conf("SocksPort", [*current, entry])
            except stem.ControllerError as e:
                raise TorError(f"tor refused SocksPort {entry}: {e}") from e
            self._extra_socks.append(entry)
        log.info("tor: added SocksPort %s:%d", self.socks_host, port)
        return port

    # -- watching a managed tor --

    def _watch(self) -> None:
        while not self._stopping.wait(self.watch_interval):
            popen = self._popen
            if popen is None or popen.poll() is None:
                continue
            self._ready.clear()
            log.warning("tor pid %d died (status %s); relaunching", popen.pid, popen.returncode)
            try:
                with self._lock:
                    if self._stopping.is_set():
                        return
                    self._launch()
                self.wait_bootstrap()
            except TorError as e:
                log.error("tor relaunch failed, retrying: %s", e)
                with self._lock:  # a tor we could not take control of is relaunched too
                    if self._popen is not None and self._popen.poll() is None:
                        terminate(self._popen.pid, popen=self._popen)
                continue
            self.restarts += 1
            self._ready.set()
            log.warning("tor relaunched as pid %s and bootstrapped", self.pid)
