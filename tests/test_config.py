"""Configuration loading: the example files load, and every class of error is reported with the
exact file:line: field: sentence, all at once, without ever printing a secret."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import Secret, load_config
from monitor.errors import ConfigError
from monitor.onion import make_v3_onion

ROOT = Path(__file__).resolve().parent.parent
ONION = make_v3_onion(hashlib.sha256(b"test").digest())

MONITOR = "state_dir: ./state\n"
SOURCES = f"""\
sources:
  - id: lab
    engine: mybb
    base_url: http://{ONION}/
    boards:
      - name: Databases
        url: forumdisplay.php?fid=2
"""
WATCHLISTS = """\
rules:
  - id: bpjs
    terms: [BPJS Kesehatan]
"""


def write(tmp_path: Path, **files: str) -> Path:
    contents = {"monitor.yaml": MONITOR, "sources.yaml": SOURCES, "watchlists.yaml": WATCHLISTS}
    contents.update({k.replace("_", ".", 1): v for k, v in files.items()})
    for name, text in contents.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def errors_of(directory: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config(directory, env=env or {})
    return [line.replace(str(directory) + "/", "") for line in exc.value.errors]


def test_example_files_load() -> None:
    config = load_config(ROOT / "config", env={})
    assert [s.id for s in config.sources] == ["breachlab", "xsslab", "darkmarket"]
    assert config.sources[0].boards[0].url.endswith(".onion/forumdisplay.php?fid=2")
    assert config.sources[1].render == "challenge"
    assert config.sources[2].selectors is not None
    assert config.monitor.defaults.interval_s == 900
    assert config.monitor.defaults.max_page_bytes == 5_000_000
    assert config.monitor.evidence_keep_s == 90 * 86400  # "90d"
    assert config.monitor.defaults.recheck_after_s == 6 * 3600
    assert config.monitor.ops.es_probe_every_s == 60
    assert config.watchlists.rules[1].conditions.min_claimed == 1_000_000
    assert config.watchlists.organisations[0].country == "ID"


def test_generic_selectors_reach_the_spider(tmp_path: Path) -> None:
    """Every selector the generic spider reads can be set in YAML; `drop_query` is a list of
    query parameters, not a selector."""
    from monitor.config import Selectors
    from monitor.crawl import spider_args
    from spiders.generic import KNOWN_SELECTORS, _as_dict

    assert {f.name for f in dataclasses.fields(Selectors)} == set(KNOWN_SELECTORS)
    sources = SOURCES.replace("engine: mybb", """engine: generic
    selectors:
      thread_row: div.row
      title_link: a.title
      started: time.started::attr(datetime)
      sticky: .pinned
      thread_title: h1.thread
      post: article
      post_body: div.body
      drop_query: sid utm_source""")
    write(tmp_path, sources_yaml=sources)
    source = load_config(tmp_path, env={}).sources[0]
    args = _as_dict(spider_args(source)["selectors"])  # what the spider reads
    assert args["sticky"] == ".pinned" and args["thread_title"] == "h1.thread"
    assert args["started"] == "time.started::attr(datetime)"
    assert args["drop_query"] == "sid utm_source"


def test_minimal_config_gets_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path), env={})
    source = config.sources[0]
    assert source.name == "lab" and source.direct is False and source.onion
    assert source.interval_s == config.monitor.defaults.interval_s
    assert config.monitor.tor.data_dir == tmp_path / "state" / "tor"


S = "sources.yaml"
M = "monitor.yaml"
W = "watchlists.yaml"


@pytest.mark.parametrize(("file", "text", "expected"), [
    (S, SOURCES.replace("engine: mybb", "engine: mybbb"),
     "sources.yaml:3: sources[0].engine: 'mybbb' is not one of: mybb, xenforo, generic"),
    (S, SOURCES.replace("    engine: mybb\n", ""),
     "sources.yaml:2: sources[0].engine: is required"),
    (S, SOURCES.replace("engine: mybb", "engine: mybb\n    intervall: 5m"),
     "sources.yaml:4: sources[0].intervall: is not a known setting (did you mean 'interval'?)"),
    (S, SOURCES.replace("engine: mybb", "engine: mybb\n    interval: soon"),
     "sources.yaml:4: sources[0].interval: 'soon' is not a duration "
     "(examples: 90, '30s', '15m', '1h30m', '90d')"),
    (S, SOURCES.replace("engine: mybb", "engine: generic\n    selectors: {thread_row: tr, "
                        "title_link: a}"),
     "sources.yaml:4: sources[0].selectors.post: is required"),
    (S, SOURCES.replace("engine: mybb", "engine: mybb\n    concurrency: 0"),
     "sources.yaml:4: sources[0].concurrency: 0 is below the minimum, 1"),
    (S, SOURCES.replace("engine: mybb", "engine: mybb\n    direct: maybe"),
     "sources.yaml:4: sources[0].direct: 'maybe' is not true or false"),
    (S, SOURCES.replace("engine: mybb", "engine: mybb\n    render: sometimes"),
     "sources.yaml:4: sources[0].render: 'sometimes' is not one of: false, challenge, always"),
    (S, SOURCES.replace("id: lab", "id: Lab Forum"),
     "sources.yaml:2: sources[0].id: 'Lab Forum' is not a valid id "
     "(lower-case letters, digits, '-' and '_')"),
    (S, SOURCES + SOURCES.split("\n", 1)[1],
     "sources.yaml:8: sources[1]: id 'lab' is already used by the source on line 2"),
    (S, SOURCES.replace(f"http://{ONION}/", "ftp://example.org/"),
     "sources.yaml:4: sources[0].base_url: 'ftp://example.org/' is not an http(s) URL with a host"),
    (S, SOURCES.replace("engine: mybb", "engine: generic"),
     "sources.yaml:2: sources[0].selectors: is required for engine: generic "
     "(CSS/XPath of thread rows and posts)"),
    (S, SOURCES.replace("engine: mybb", "engine: mybb\n    login:\n      kind: form"),
     "sources.yaml:5: sources[0].login.username_env: kind: form needs username_env or "
     "username_file"),
    (S, SOURCES.replace("engine: mybb", "engine: mybb\n    login:\n      kind: form\n"
                        "      username_env: LAB_USER\n      password: hunter2"),
     "sources.yaml:7: sources[0].login.password: secrets are not written in YAML: use "
     "password_env (an environment variable) or password_file (a file)"),
    (S, SOURCES.replace("engine: mybb", "engine: mybb\n    login:\n      kind: form\n"
                        "      username_env: LAB_USER\n      password_file: missing.txt"),
     "sources.yaml:7: sources[0].login.password_file: cannot read secret file "),
    (S, SOURCES.replace("engine: mybb", "engine: mybb\n    timezone: Mars/Olympus"),
     "sources.yaml:4: sources[0].timezone: 'Mars/Olympus' is not a time zone name "
     "(such as Europe/Moscow)"),
    (S, SOURCES.replace("url: forumdisplay.php?fid=2", "url: http://other.example/x"),
     "sources.yaml:7: sources[0].boards[0].url: 'http://other.example/x' is on another host "
     "than base_url; boards belong to the source's own site"),
    (S, "sources:\n  - id: [unclosed\n",
     "sources.yaml:3: is not valid YAML: expected ',' or ']', but got '<stream end>'"),
    (S, "sources: {}\n", "sources.yaml:1: sources: must be a list, not a mapping"),
    (M, "tor:\n  mode: manged\n",
     "monitor.yaml:2: tor.mode: 'manged' is not one of: managed, external"),
    (M, "metrics:\n  port: 99999\n",
     "monitor.yaml:2: metrics.port: 99999 is above the maximum, 65535"),
    (M, "defaults:\n  max_page_size: huge\n",
     "monitor.yaml:2: defaults.max_page_size: 'huge' is not a size "
     "(examples: 5000000, '5MB', '512KiB')"),
    (M, "slack:\n  webhook_env: NOT_SET_ANYWHERE\n",
     "monitor.yaml:2: slack.webhook_env: environment variable NOT_SET_ANYWHERE is not set"),
    (M, "slack:\n  webhook_env: A\n  webhook_file: b\n",
     "monitor.yaml:3: slack.webhook_file: give either webhook_env or webhook_file, not both"),
    (M, "rates:\n  bitcoin: 90000\n",
     "monitor.yaml:2: rates.bitcoin: 'bitcoin' is not a currency code "
     "(ISO 4217 or a ticker such as BTC)"),
    (M, "elasticsearch:\n  hosts: [localhost:9200]\n",
     "monitor.yaml:2: elasticsearch.hosts[0]: 'localhost:9200' is not an http(s) URL with a host"),
    (W, "rules:\n  - id: x\n    regexes: ['(unclosed']\n",
     "watchlists.yaml:3: rules[0].regexes[0]: '(unclosed' is not a valid regular expression: "
     "missing ), unterminated subpattern at position 0"),
    (W, "rules:\n  - id: x\n    terms: [a]\n    severity: urgent\n",
     "watchlists.yaml:4: rules[0].severity: 'urgent' is not one of: low, medium, high, critical"),
    (W, "rules:\n  - id: x\n    terms: [a]\n    conditions:\n      min_claimed: lots\n",
     "watchlists.yaml:5: rules[0].conditions.min_claimed: 'lots' is not a whole number"),
    (W, "rules:\n  - id: x\n    terms: [a]\n    conditions:\n      post_types: [sale]\n",
     "watchlists.yaml:5: rules[0].conditions.post_types[0]: 'sale' is not one of: "
     "sell, leak, buy, request, other"),
    (W, "rules:\n  - id: x\n    terms: [a]\n    conditions:\n      countries: [Indonesia]\n",
     "watchlists.yaml:5: rules[0].conditions.countries[0]: 'Indonesia' is not an ISO 3166 "
     "alpha-2 country code (such as ID)"),
    (W, "rules:\n  - id: x\n    terms: [a]\n    conditions:\n      sources: [nowhere]\n",
     "watchlists.yaml:5: rules[0].conditions.sources[0]: 'nowhere' is not the id of a source "
     "in sources.yaml"),
    (W, "rules:\n  - id: x\n", "watchlists.yaml:2: rules[0].terms: a rule needs terms or "
     "regexes to match"),
])
def test_config_errors(tmp_path: Path, file: str, text: str, expected: str) -> None:
    (write(tmp_path) / file).write_text(text)
    errors = errors_of(tmp_path)
    assert any(e.startswith(expected) for e in errors), errors


@pytest.mark.parametrize("host,valid", [
    (ONION, True),
    (ONION.upper(), True),
    ("www." + ONION, True),
    (ONION[:-8] + ("a" if ONION[-7] != "a" else "b") + ONION[-7:], False),  # checksum/version
    (ONION[:10] + ("a" if ONION[10] != "a" else "b") + ONION[11:], False),  # checksum
    ("expyuzz4wqqyqhjn.onion", False),  # v2
    (ONION[:-7] + ".onion", False),  # too short
    (ONION[:-7] + "0" + ".onion", False),  # not base32
])
def test_onion_validation(host: str, valid: bool) -> None:
    from monitor.onion import is_valid_v3_onion

    assert is_valid_v3_onion(host) is valid


@pytest.mark.parametrize(("host", "message"), [
    ("expyuzz4wqqyqhjn.onion", "is a v2 onion address"),
    ("abc.onion", "has 3 characters before .onion; a v3 address has 56"),
    (ONION[:10] + ("a" if ONION[10] != "a" else "b") + ONION[11:], "has a wrong checksum"),
    ("1" * 56 + ".onion", "contains '1', which is not base32"),
])
def test_onion_errors_in_config(tmp_path: Path, host: str, message: str) -> None:
    write(tmp_path, sources_yaml=SOURCES.replace(ONION, host))
    errors = errors_of(tmp_path)
    assert errors == [f"sources.yaml:4: sources[0].base_url: '{host.lower()}' is not a valid v3 "
                      f"onion address: it {message}" + errors[0].split(message, 1)[1]]


def test_all_errors_reported_together(tmp_path: Path) -> None:
    write(tmp_path, monitor_yaml="tor:\n  mode: x\n",
          sources_yaml=SOURCES.replace("engine: mybb", "engine: y"),
          watchlists_yaml="rules:\n  - id: r\n    terms: [a]\n    severity: z\n")
    errors = errors_of(tmp_path)
    assert [e.split(":")[0] for e in errors] == ["monitor.yaml", "sources.yaml",
                                                  "watchlists.yaml"]


def test_secrets_resolved_and_never_shown(tmp_path: Path) -> None:
    (tmp_path / "pw.txt").write_text("s3cret-from-file\n")
    write(tmp_path, sources_yaml=SOURCES.replace(
        "engine: mybb", "engine: mybb\n    login:\n      kind: form\n"
        "      username_env: LAB_USER\n      password_file: pw.txt"),
        monitor_yaml="slack:\n  webhook_env: HOOK\n")
    config = load_config(tmp_path, env={"LAB_USER": "kotz", "HOOK": "https://hooks.example/T/B"})
    login = config.sources[0].login
    assert login.username.reveal() == "kotz"
    assert login.password.reveal() == "s3cret-from-file"
    text = repr(config)
    for secret in ("kotz", "s3cret-from-file", "hooks.example"):
        assert secret not in text
    assert "Secret(env:LAB_USER)" in text and isinstance(login.password, Secret)


def test_secret_value_never_in_errors(tmp_path: Path) -> None:
    write(tmp_path, watchlists_yaml="rules:\n  - id: r\n    terms: [a]\n"
          "    webhook: https://hooks.slack.com/services/T0/B0/XYZSECRET\n")
    errors = errors_of(tmp_path)
    assert errors and not any("XYZSECRET" in e for e in errors)


def test_es_url_from_environment(tmp_path: Path) -> None:
    config = load_config(write(tmp_path), env={"BAZAARWATCH_ES_URL": "http://127.0.0.1:9299"})
    assert config.monitor.elasticsearch.hosts == ("http://127.0.0.1:9299",)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True,
                          text=True, cwd=ROOT, check=False)


def test_check_command_ok() -> None:
    result = run_cli("check", "--config-dir", "config")
    assert result.returncode == 0, result.stderr
    assert "3 sources, 3 rules" in result.stdout


def test_check_command_reports_every_error(tmp_path: Path) -> None:
    write(tmp_path, sources_yaml=SOURCES.replace("engine: mybb", "engine: mybbb"),
          monitor_yaml="tor:\n  mode: manged\n")
    result = run_cli("check", "--config-dir", str(tmp_path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].endswith("monitor.yaml:2: tor.mode: 'manged' is not one of: managed, external")
    assert lines[1].endswith("sources.yaml:3: sources[0].engine: 'mybbb' is not one of: mybb, "
                             "xenforo, generic")
    assert lines[-1] == f"bazaarwatch: 2 problems in {tmp_path}"


@pytest.mark.parametrize(("text", "ops", "extra"), [
    ("", (3600.0, 600.0), {}),
    ("ops: {source_fail_after: 30m, es_down_after: 45s}\n", (1800.0, 45.0), {}),
    ("tor:\n  extra_torrc:\n    TestingTorNetwork: 1\n    DirAuthority: [a 1, b 2]\n",
     (3600.0, 600.0), {"TestingTorNetwork": "1", "DirAuthority": ("a 1", "b 2")}),
])
def test_ops_thresholds_and_extra_torrc(tmp_path: Path, text: str, ops: tuple[float, float],
                                        extra: dict[str, object]) -> None:
    config = load_config(write(tmp_path, monitor_yaml=MONITOR + text), env={})
    got = config.monitor.ops
    assert (got.source_fail_after_s, got.es_down_after_s) == ops
    assert dict(config.monitor.tor.extra_torrc) == extra


def test_ops_threshold_error(tmp_path: Path) -> None:
    errors = errors_of(write(tmp_path, monitor_yaml=MONITOR + "ops:\n  es_down_after: soon\n"))
    assert [e for e in errors if e.startswith("monitor.yaml:3: ops.es_down_after: 'soon'")]
