"""monitor.tor.TorController against real tor processes: a managed tor that joins the lab's
private network, external attachment (cookie, password), NEWNYM rate limit, run-time
SocksPorts, relaunch after SIGKILL, and the errors for a missing binary, refused authentication
and a stalled bootstrap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from stem.control import Controller

from monitor.config import Secret, TorConfig
from monitor.errors import TorError
from monitor.lab.tornet import TorNetwork
from monitor.lab.tornet_page import serve_page
from monitor.lab.tornet_socks import http_get_via_socks
from monitor.tor import (
    Bootstrap,
    TorController,
    free_port,
    parse_bootstrap,
    pid_alive,
    render_torrc,
    terminate,
)

PAGE = b"<h1>lab onion for test_tor</h1>"
PASSWORD = "lab-control-password"


@pytest.mark.parametrize(("line", "expected"), [
    ('NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"', Bootstrap(100, "done", "Done")),
    ('NOTICE BOOTSTRAP PROGRESS=14 TAG=handshake SUMMARY="Handshaking with a relay"',
     Bootstrap(14, "handshake", "Handshaking with a relay")),
    ('WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay" WARNING="Connection '
     'refused" REASON=CONNECTREFUSED COUNT=3 RECOMMENDATION=ignore HOST=X HOSTADDR=127.0.0.1:9',
     Bootstrap(5, "conn", "Connecting to a relay", "Connection refused")),
    ("", Bootstrap(0, "?", "")),
    ("NOTICE BOOTSTRAP PROGRESS=x TAG=starting", Bootstrap(0, "starting", "")),
])
def test_parse_bootstrap(line: str, expected: Bootstrap) -> None:
    assert parse_bootstrap(line) == expected


@pytest.mark.parametrize(("phase", "text"), [
    (Bootstrap(100, "done", "Done"), "100% (done: Done)"),
    (Bootstrap(5, "conn", "Connecting to a relay", "Connection refused"),
     "5% (conn: Connecting to a relay), last warning: Connection refused"),
])
def test_bootstrap_text_names_phase(phase: Bootstrap, text: str) -> None:
    assert str(phase) == text


@pytest.mark.parametrize(("options", "text"), [
    ({"SocksPort": 0}, "SocksPort 0\n"),
    ({"DirAuthority": ["a 1", "b 2"], "Log": "notice file x"},
     "DirAuthority a 1\nDirAuthority b 2\nLog notice file x\n"),
    ({"ServerDNSTestAddresses": ""}, "ServerDNSTestAddresses\n"),
])
def test_render_torrc(options: dict, text: str) -> None:
    assert render_torrc(options) == text


def test_terminate_kills_a_process_that_ignores_sigterm() -> None:
    # tor sometimes hangs on SIGTERM; stop must not
    stubborn = subprocess.Popen([sys.executable, "-c", (
        "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(600)")], stdout=subprocess.PIPE, text=True)
    assert stubborn.stdout.readline() == "ready\n"

    terminate(stubborn.pid, grace=0.5, popen=stubborn)

    assert stubborn.returncode == -signal.SIGKILL
    assert not pid_alive(stubborn.pid)


def test_missing_tor_binary_is_a_clear_error(tmp_path: Path) -> None:
    tor = TorController(data_dir=tmp_path / "tor", tor_binary=str(tmp_path / "no-such-tor"))

    with pytest.raises(TorError, match=r"not found: apt-get install tor"):
        tor.start()


def test_external_without_a_tor_is_a_clear_error() -> None:
    port = free_port()
    tor = TorController(mode="external", control_port=port)

    with pytest.raises(TorError, match=rf"ControlPort 127.0.0.1:{port} does not answer"):
        tor.start()


@pytest.mark.tor
def test_stalled_bootstrap_reports_phase(tmp_path: Path) -> None:
    # a network whose only authority does not exist: tor never gets past connecting
    nowhere = (f"dead orport={free_port()} no-v2 v3ident={'A' * 40} "
               f"127.0.0.1:{free_port()} {'B' * 40}")
    tor = TorController(data_dir=tmp_path / "tor", bootstrap_timeout=8,
                        extra_torrc={"TestingTorNetwork": 1, "DirAuthority": nowhere})

    with pytest.raises(TorError, match=r"bootstrap stalled at \d+% \(\w+: [^)]+\) after 8 s"):
        tor.start()
    assert tor.pid is None  # the tor it launched was stopped


@pytest.fixture(scope="module")
def onion(tornet: TorNetwork):
    server = serve_page(PAGE)
    yield tornet.add_onion(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def managed(tornet: TorNetwork):
    hashed = subprocess.run(["tor", "--quiet", "--hash-password", PASSWORD], check=True,
                            capture_output=True, text=True).stdout.strip()
    # own folder, not pytest's basetemp (see tests/fixtures/tornet.py)
    with tempfile.TemporaryDirectory(prefix="bazaarwatch-managed-tor-") as tmp:
        tor = TorController(data_dir=Path(tmp) / "tor",
                            extra_torrc={**tornet.client_torrc_options(),
                                         "HashedControlPassword": hashed})
        with tor:
            yield tor


@pytest.mark.tor
def test_managed_tor_joins_the_lab_network(managed: TorController, onion: str) -> None:
    health = managed.health()

    assert health.running and health.bootstrap is not None and health.bootstrap.done
    assert health.circuit_established
    assert health.pid is not None and pid_alive(health.pid)
    assert http_get_via_socks(managed.socks_port, onion).endswith(PAGE)
    assert managed.health().built_circuits >= 1


@pytest.mark.tor
def test_external_attaches_with_cookie(tornet: TorNetwork) -> None:
    config = TorConfig(mode="external", control_port=tornet.control_port,
                       cookie_path=tornet.control_cookie_path, socks_port=tornet.socks_port)

    with TorController.from_config(config) as tor:
        assert tor.health().bootstrap.done
        assert tor.pid is None
        # tor re-validates its options on SETCONF and warns about TestingTorNetwork: the
        # warning reaches health() through stem's WARN events
        tor.controller.set_conf("SafeLogging", "0")
        deadline = time.monotonic() + 30
        while "TestingTorNetwork" not in (tor.health().last_warning or ""):
            assert time.monotonic() < deadline, tor.health()
            time.sleep(0.2)
    assert tornet.status().running  # detaching does not stop an external tor


@pytest.mark.tor
def test_external_finds_cookie_and_socks_port_itself(tornet: TorNetwork) -> None:
    with TorController(mode="external", control_port=tornet.control_port) as tor:
        assert tor.socks_port == tornet.socks_port


@pytest.mark.tor
def test_external_with_password(managed: TorController) -> None:
    right = TorConfig(mode="external", control_port=managed.control_port,
                      control_password=Secret(PASSWORD, "env:TEST"))

    with TorController.from_config(right) as tor:
        assert tor.health().circuit_established


@pytest.mark.tor
def test_external_with_wrong_password_fails_clearly(managed: TorController,
                                                     tornet: TorNetwork) -> None:
    for port in (managed.control_port, tornet.control_port):  # password set / cookie only
        tor = TorController(mode="external", control_port=port, control_password="wrong")
        with pytest.raises(TorError, match=rf"127.0.0.1:{port} refused password authentication"):
            tor.start()


@pytest.mark.tor
def test_other_stem_controllers_do_not_stop_a_managed_tor(managed: TorController) -> None:
    pid = managed.pid
    with Controller.from_port(port=managed.control_port) as controller:
        controller.authenticate(password=PASSWORD)

    assert pid_alive(pid)
    assert managed.pid == pid and managed.health().running


@pytest.mark.tor
def test_new_identity_twice_waits_for_rate_limit(managed: TorController) -> None:
    first = managed.new_identity()
    second = managed.new_identity()

    assert first == 0
    assert second > 0  # waited instead of failing
    assert managed.controller.get_newnym_wait() > 0


@pytest.mark.tor
def test_add_socks_port_at_run_time(managed: TorController, onion: str) -> None:
    port = managed.add_socks_port()

    assert len(managed.controller.get_conf("SocksPort", multiple=True)) == 2
    assert http_get_via_socks(port, onion).endswith(PAGE)


@pytest.mark.tor
def test_socks_ports_added_by_two_controllers_all_stay(managed: TorController,
                                                        onion: str) -> None:
    a = TorController(mode="external", control_port=managed.control_port,
                      control_password=PASSWORD)
    b = TorController(mode="external", control_port=managed.control_port,
                      control_password=PASSWORD)
    with a, b:
        b.controller.get_conf("SocksPort", multiple=True)  # b caches the value before a adds
        port_a = a.add_socks_port()
        port_b = b.add_socks_port()

        listening = managed.controller.get_info("net/listeners/socks")
    assert f'"127.0.0.1:{port_a}"' in listening and f'"127.0.0.1:{port_b}"' in listening
    assert http_get_via_socks(port_a, onion).endswith(PAGE)


@pytest.mark.tor
def test_killed_managed_tor_is_relaunched(managed: TorController, onion: str) -> None:
    old_pid = managed.pid
    extra_port = managed.add_socks_port()
    restarts = managed.restarts

    os.kill(old_pid, signal.SIGKILL)
    deadline = time.monotonic() + 300
    while managed.restarts == restarts and time.monotonic() < deadline:
        time.sleep(0.5)

    assert managed.restarts == restarts + 1
    assert managed.pid != old_pid
    assert managed.health().bootstrap.done
    assert http_get_via_socks(managed.socks_port, onion).endswith(PAGE)
    assert http_get_via_socks(extra_port, onion).endswith(PAGE)  # run-time ports survive
