"""deploy/dev/elasticsearch itself, on a second node of its own (its own state folder and a free
port), so the node other tests share is never stopped."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .fixtures.elasticsearch import SCRIPT

pytestmark = pytest.mark.elasticsearch


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_node_env() -> Iterator[dict[str, str]]:
    # The node's user must reach the folder: pytest's tmp_path sits under a 0700 folder.
    state = Path(tempfile.mkdtemp(prefix="bazaarwatch-es-test-"))
    state.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "BAZAARWATCH_ES_URL"}
    env.update(BAZAARWATCH_STATE=str(state), BAZAARWATCH_ES_PORT=str(free_port()))
    yield env
    subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, timeout=120,
                   check=False)
    shutil.rmtree(state, ignore_errors=True)


def run(action: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), action], env=env, capture_output=True, text=True,
                          timeout=400, check=False)


def node_pid(env: dict[str, str]) -> int:
    pid_file = Path(env["BAZAARWATCH_STATE"]) / "elasticsearch" / "run" / "elasticsearch.pid"
    return int(pid_file.read_text())


def test_start_twice_one_node_then_stop(own_node_env: dict[str, str]) -> None:
    env = own_node_env
    url = f"http://127.0.0.1:{env['BAZAARWATCH_ES_PORT']}"
    assert run("status", env).stdout.strip() == "stopped"
    first = run("start", env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == url
    pid = node_pid(env)
    second = run("start", env)
    assert second.returncode == 0, second.stderr
    assert node_pid(env) == pid
    assert "starting" not in second.stderr  # reused, not started again
    status = run("status", env)
    assert status.returncode == 0
    assert status.stdout.split()[:2] == ["running", url]
    assert status.stdout.split()[2] in ("green", "yellow")
    assert run("url", env).stdout.strip() == url
    stop = run("stop", env)
    assert stop.returncode == 0, stop.stderr
    assert not Path(f"/proc/{pid}").exists()
    status = run("status", env)
    assert (status.returncode, status.stdout.strip()) == (3, "stopped")


def test_given_url_is_used_and_nothing_starts(own_node_env: dict[str, str], es_url: str) -> None:
    env = {**own_node_env, "BAZAARWATCH_ES_URL": es_url}
    assert run("url", env).stdout.strip() == es_url
    started = run("start", env)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == es_url
    assert not (Path(env["BAZAARWATCH_STATE"]) / "elasticsearch").exists()
    assert run("status", env).stdout.startswith(f"running {es_url} ")


def test_taken_port_is_reported(own_node_env: dict[str, str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        env = {**own_node_env, "BAZAARWATCH_ES_PORT": str(s.getsockname()[1])}
        started = run("start", env)
    assert started.returncode == 1
    assert "is taken by another process" in started.stderr
