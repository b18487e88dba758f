"""The lab's private Tor network: onions answer through the client, status and memory are
reported, and the `bazaarwatch lab tor` CLI starts, reports and stops a network of its own."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from stem.control import Controller

from monitor.errors import TorError, TransportError
from monitor.lab.tornet import TorNetwork
from monitor.lab.tornet_page import serve_page
from monitor.lab.tornet_socks import http_get_via_socks
from monitor.onion import is_valid_v3_onion
from monitor.tor import pid_alive

pytestmark = pytest.mark.tor

PAGE = b"<h1>lab onion for test_tornet</h1>"


@pytest.fixture(scope="module")
def page_server():
    server = serve_page(PAGE)
    yield server
    server.shutdown()
    server.server_close()


def test_onion_answers_through_client_socks(tornet: TorNetwork, page_server) -> None:
    address = tornet.add_onion(page_server.server_address[1])

    assert is_valid_v3_onion(address)
    response = http_get_via_socks(tornet.socks_port, address)
    assert response.startswith(b"HTTP/1.0 200")
    assert response.endswith(PAGE)


def test_same_service_publishes_several_onions(tornet: TorNetwork, page_server) -> None:
    other = serve_page(b"second")
    try:
        first = tornet.add_onion(page_server.server_address[1], name="first")
        second = tornet.add_onion(other.server_address[1], name="second", virtual_port=8080)

        assert first != second
        assert http_get_via_socks(tornet.socks_port, second, 8080).endswith(b"second")
        assert http_get_via_socks(tornet.socks_port, first).endswith(PAGE)
    finally:
        other.shutdown()
        other.server_close()


def test_unknown_onion_fails_with_tors_reason(tornet: TorNetwork) -> None:
    unknown = "a" * 56 + ".onion"  # right length, wrong checksum
    with pytest.raises(TransportError, match=r"SOCKS CONNECT to a+\.onion:80 failed: \w+"):
        http_get_via_socks(tornet.socks_port, unknown, timeout=60)


def test_status_reports_every_tor(tornet: TorNetwork) -> None:
    status = tornet.status()

    assert [n.role for n in status.nodes] == ["authority"] * 4 + ["service", "client"]
    assert status.running
    assert status.client_bootstrap is not None and status.client_bootstrap.startswith("100%")
    assert status.socks_port == tornet.socks_port
    assert status.rss_mib > 0
    assert tornet.control_cookie_path.exists()


def test_client_torrc_options_name_every_authority(tornet: TorNetwork) -> None:
    options = tornet.client_torrc_options()

    assert options["TestingTorNetwork"] == 1
    assert len(options["DirAuthority"]) == 4
    assert all("127.0.0.1:" in line and "v3ident=" in line for line in options["DirAuthority"])


def test_controller_is_authenticated_on_the_client(tornet: TorNetwork) -> None:
    with tornet.controller() as controller:
        assert controller.get_info("status/circuit-established") == "1"
        assert controller.get_conf("SocksPort").endswith(f":{tornet.socks_port} IsolateSOCKSAuth")


def test_other_stem_controllers_do_not_stop_the_network(tornet: TorNetwork) -> None:
    # stem's authenticate() takes ownership of a tor that names this process as its owner
    client = tornet.status().nodes[-1]
    with Controller.from_port(port=tornet.control_port) as controller:
        controller.authenticate()

    assert tornet.status().nodes[-1].alive
    assert tornet.status().nodes[-1].pid == client.pid


OWNER = """
import json, sys, time
from pathlib import Path
from monitor.lab.tornet import TorNetwork
net = TorNetwork(Path(sys.argv[1])).start()
print(json.dumps([n.pid for n in net.nodes]), flush=True)
time.sleep(600)
"""


def test_tors_exit_when_their_owner_is_killed(tmp_path: Path) -> None:
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(tmp_path / "tor")],
                             stdout=subprocess.PIPE, text=True)
    try:
        pids = json.loads(owner.stdout.readline())
        assert len(pids) == 6 and all(pid_alive(p) for p in pids)
    finally:
        owner.kill()  # SIGKILL: no atexit, no finally; only the kernel closes its sockets
        owner.wait()

    deadline = time.monotonic() + 60
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(pid_alive(p) for p in pids)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", "lab", "tor", *args],
                          capture_output=True, text=True, timeout=400)


def test_cli_up_status_down(tmp_path: Path, page_server) -> None:
    state = tmp_path / "tor"
    port = page_server.server_address[1]

    up = _cli("up", "--state-dir", str(state), "--onion", f"web={port}")
    try:
        assert up.returncode == 0, up.stderr
        recorded = json.loads((state / "network.json").read_text())
        pids = [n["pid"] for n in recorded["nodes"]]
        assert len(pids) == 6 and all(pid_alive(p) for p in pids)  # outlived `up`
        address = recorded["onions"]["web"]["address"]
        assert f"web: http://{address}/" in up.stdout
        socks = next(n["socks_port"] for n in recorded["nodes"] if n["role"] == "client")
        assert f"SOCKS   127.0.0.1:{socks}" in up.stdout
        assert http_get_via_socks(socks, address).endswith(PAGE)

        status = _cli("status", "--state-dir", str(state))
        assert status.returncode == 0, status.stderr
        assert "running" in status.stdout and address in status.stdout
    finally:
        down = _cli("down", "--state-dir", str(state))
    assert down.returncode == 0, down.stderr
    assert not any(pid_alive(p) for p in pids)
    assert not state.exists()

    after = _cli("status", "--state-dir", str(state))
    assert after.returncode == 1
    assert "no lab Tor network" in after.stderr


@pytest.mark.parametrize("missing", ["tor_binary", "gencert_binary"])
def test_missing_tor_tools_say_what_to_install(tmp_path: Path, missing: str) -> None:
    net = TorNetwork(tmp_path / "tor", **{missing: str(tmp_path / "no-such-binary")})

    with pytest.raises(TorError, match=r"no-such-binary not found: apt-get install tor"):
        net.start()


@pytest.mark.parametrize("spec", ["web", "web=", "=8080", "web=80x", "web=70000"])
def test_cli_rejects_bad_onion_spec_before_starting(tmp_path: Path, spec: str) -> None:
    up = _cli("up", "--state-dir", str(tmp_path / "tor"), "--onion", spec)

    assert up.returncode == 1
    assert "expected NAME=PORT" in up.stderr
    assert not (tmp_path / "tor").exists()
