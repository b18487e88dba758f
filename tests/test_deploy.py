"""Deployment files: the systemd unit passes `systemd-analyze verify`, and the docker compose
file (which cannot run here: no Docker engine) names only paths that exist, images pinned to
the Elasticsearch version of deploy/dev/elasticsearch, and a config that loads."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from monitor.config import load_config

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy/systemd/bazaarwatch.service"
COMPOSE = ROOT / "deploy/docker-compose.yml"


def verify(unit_text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd (deploy/dev/setup does)")
    bin_path = Path(sys.executable).with_name("bazaarwatch")
    unit = tmp_path / "bazaarwatch.service"
    unit.write_text(unit_text.replace("/opt/bazaarwatch/.venv/bin/bazaarwatch", str(bin_path)))
    return subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                          text=True, check=False)


def test_unit_verifies(tmp_path: Path) -> None:
    result = verify(UNIT.read_text(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "bazaarwatch.service" not in result.stderr, result.stderr


def test_unit_with_a_typo_fails_verify(tmp_path: Path) -> None:
    result = verify(UNIT.read_text().replace("Type=notify", "Type=notfy"), tmp_path)
    assert "Failed to parse service type" in result.stderr and "notfy" in result.stderr


def test_unit_has_the_promised_settings() -> None:
    settings = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    for key, value in {"Type": "notify", "Restart": "on-failure", "NoNewPrivileges": "yes",
                       "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                       "SystemCallFilter": "@system-service", "StateDirectory": "bazaarwatch",
                       "User": "bazaarwatch"}.items():
        assert settings[key] == [value], key
    assert settings["WatchdogSec"] and settings["MemoryMax"] and settings["LoadCredential"]
    assert "AF_INET" in settings["RestrictAddressFamilies"][0]
    assert "MemoryDenyWriteExecute" not in settings  # Chromium's JIT needs W+X pages


def test_compose_file_is_consistent() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert {"elasticsearch", "kibana", "tor", "bazaarwatch"} <= set(services)
    es_script = (ROOT / "deploy/dev/elasticsearch").read_text()
    pinned = re.search(r"^version=([0-9.]+)$", es_script, re.M)
    assert pinned, "deploy/dev/elasticsearch must pin its version"
    version = pinned.group(1)
    for name in ("elasticsearch", "kibana"):
        assert services[name]["image"].endswith(f":{version}"), services[name]["image"]
    for name, service in services.items():
        build = service.get("build")
        if build:
            context = (COMPOSE.parent / build["context"]).resolve()
            assert context == ROOT, name
            assert (context / build["dockerfile"]).is_file(), f"{name}: {build['dockerfile']}"
        if "env_file" in service:
            assert (COMPOSE.parent / (service["env_file"] + ".example")).is_file(), name
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in compose["volumes"], f"{name}: {volume}"
        for dep in service.get("depends_on", {}):
            assert dep in services, f"{name} depends on unknown {dep}"


def test_dockerfiles_copy_existing_paths() -> None:
    for dockerfile in (ROOT / "deploy/docker").glob("*Dockerfile"):
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY ") and not line.startswith("COPY --from="):  # a stage's
                for src in line.split()[1:-1]:
                    assert (ROOT / src).exists(), f"{dockerfile.name}: {src}"


def test_docker_config_loads() -> None:
    env = {"TOR_CONTROL_PASSWORD": "x", "BAZAARWATCH_SLACK_WEBHOOK": "http://127.0.0.1:1/h",
           "BAZAARWATCH_SLACK_OPS_WEBHOOK": "http://127.0.0.1:1/o"}
    config = load_config(ROOT / "deploy/docker/config", env=env)
    assert config.monitor.tor.mode == "external"
    assert config.monitor.elasticsearch.hosts == ("http://elasticsearch:9200",)
