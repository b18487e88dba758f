"""`bazaarwatch demo`: the whole flow on the lab, every part a real process or server on
loopback. A local Elasticsearch (deploy/dev/elasticsearch), the private Tor network, the lab
forums published as onion services, the Slack-compatible receiver, and `bazaarwatch run` with a
demo config and a watchlist for "BPJS Kesehatan". After the first crawl it posts a new
Kotz-style listing and shows the alert arriving with the time it took; then a summary and where
to look. It stops what it started, unless told to keep it running.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from monitor.errors import BazaarwatchError
from monitor.lab.forum import LabForums
from monitor.lab.slack import SlackReceiver
from monitor.lab.tornet import TorNetwork

ROOT = Path(__file__).resolve().parents[2]
ES_SCRIPT = ROOT / "deploy" / "dev" / "elasticsearch"

WATCHLISTS = """\
# The demo's watchlist: the BPJS Kesehatan case of DESIGN.md.
organisations:
  - name: BPJS Kesehatan
    aliases: [BPJS Health, bpjs-kesehatan.go.id]
    country: ID
    domains: [bpjs-kesehatan.go.id]
rules:
  - id: bpjs
    terms:
      - name: BPJS Kesehatan
        aliases: [BPJS Health, bpjs-kesehatan.go.id]
    severity: critical
    channel: "#cti-indonesia"
"""
LAB_SOURCES = (("raidlab", "mybb", "RaidLab (MyBB)", ("databases", "leaks")),
               ("xsslab", "xenforo", "XSS Lab (XenForo)", ("databases",)))
TOR_STEP = "private Tor network (4 authorities, onion service, client)"
ONION_STEP = "lab forums as an onion service"
KOTZ_TITLE = "[SELLING] BPJS Kesehatan 279M Indonesian citizens — NIK, phone, address"
KOTZ_BODY = ("Selling the full database of BPJS Kesehatan (bpjs-kesehatan.go.id): 279 million "
             "records of Indonesian citizens, NIK, nama, no HP, alamat, tanggal lahir, gaji. "
             "Free 1 million sample: hxxps://bayfiles[.]com/demoBPJS/sample and "
             "https://mega.nz/file/demoBPJS#key . Price 0.15 BTC, escrow ok. "
             "Contact me on Telegram @kotz_demo")


@dataclass
class DemoRun:
    """What the demo started, so that it can stop it and report on it."""

    state_dir: Path
    out: IO[str]
    es_url: str = ""
    es_started_here: bool = False
    tor: TorNetwork | None = None
    forums: LabForums | None = None
    receiver: SlackReceiver | None = None
    daemon: subprocess.Popen[str] | None = None
    onion: str = ""
    interval_s: int = 30
    timings: dict[str, float] = field(default_factory=dict)
    log_pos: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def step(self, name: str, fn: Callable[[], Any]) -> Any:
        self.say(f"» {name} …")
        started = time.monotonic()
        value = fn()
        self.timings[name] = time.monotonic() - started
        self.say(f"  done in {self.timings[name]:.1f} s")
        return value


def run_demo(state_dir: Path, *, keep: bool = False, interval_s: int = 30,
             out: IO[str] = sys.stdout, timeout_s: float = 600.0) -> int:
    """The demo; returns 0 when the new listing's alert arrived."""
    shutil.rmtree(state_dir, ignore_errors=True)  # each demo starts from nothing
    state_dir.mkdir(parents=True)
    run = DemoRun(state_dir=state_dir, out=out, interval_s=interval_s)
    try:
        run.step("Elasticsearch (deploy/dev/elasticsearch)", lambda: start_es(run))
        forget_earlier_demo(run.es_url)
        run.say(f"  {run.es_url}")
        run.tor = run.step(TOR_STEP, lambda: TorNetwork(state_dir / "tor").start())
        run.forums = LabForums(host="127.0.0.1", port=0).start()
        run.onion = run.step(ONION_STEP,
                             lambda: run.tor.add_onion(run.forums.port, name="forums"))
        run.say(f"  http://{run.onion}/mybb/  (MyBB)   http://{run.onion}/xf/  (XenForo)")
        run.receiver = SlackReceiver().start()
        run.say(f"» Slack receiver on {run.receiver.url}")
        config_dir = write_config(run, interval_s)
        run.say(f"» bazaarwatch run --config-dir {config_dir}")
        run.daemon = start_daemon(run, config_dir)
        ok = _watch(run, timeout_s)
        _summary(run, keep)
        if keep:
            run.say("\n--keep: everything stays up; press Ctrl-C to stop it all.")
            try:
                while run.daemon.poll() is None:
                    follow(run, quiet=False)
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
        return 0 if ok else 1
    finally:
        stop_all(run)


def start_es(run: DemoRun) -> None:
    if not ES_SCRIPT.exists():
        raise BazaarwatchError(f"{ES_SCRIPT} is missing: the demo runs from a source checkout")
    was = subprocess.run([str(ES_SCRIPT), "status"], capture_output=True, text=True,
                         check=False)
    done = subprocess.run([str(ES_SCRIPT), "start"], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise BazaarwatchError(f"Elasticsearch did not start:\n{done.stderr.strip()}")
    run.es_started_here = was.returncode != 0
    run.es_url = subprocess.run([str(ES_SCRIPT), "url"], capture_output=True, text=True,
                                check=True).stdout.strip()


def forget_earlier_demo(es_url: str) -> None:
    """The demo's indices (prefix demo-) from an earlier run would hold the same listing ids."""
    from monitor.es.client import make_client

    es = make_client(es_url)
    try:
        es.options(ignore_status=404).indices.delete(index="demo-*", expand_wildcards="all")
        es.options(ignore_status=404).indices.delete_index_template(name="demo-*")
        es.options(ignore_status=404).cluster.delete_component_template(name="demo-*")
    finally:
        es.close()


def write_config(run: DemoRun, interval_s: int, copies: int = 1) -> Path:
    """The demo's config folder; `copies` > 1 repeats the lab sources (for soak runs)."""
    assert run.tor is not None and run.forums is not None and run.receiver is not None
    config_dir = run.state_dir / "config"
    config_dir.mkdir(exist_ok=True)
    hook = config_dir / "slack_webhook"
    hook.write_text(run.receiver.webhook_url() + "\n")
    hook.chmod(0o600)
    (config_dir / "monitor.yaml").write_text(
        "# Written by `bazaarwatch demo`.\n"
        f"tor:\n  mode: external\n  socks_port: {run.tor.socks_port}\n"
        f"  control_port: {run.tor.control_port}\n"
        f"  cookie_path: {run.tor.control_cookie_path}\n"
        f"elasticsearch:\n  hosts: [{run.es_url}]\n  index_prefix: demo-\n"
        "slack:\n  webhook_file: slack_webhook\n  ops_webhook_file: slack_webhook\n"
        f"state_dir: {run.state_dir / 'state'}\n"
        "metrics:\n  port: 0\n"
        f"defaults:\n  interval: {interval_s}s\n  jitter: 2s\n  download_delay: 0.2s\n"
        "  backfill_pages: 5\n  overlap: 0s\n"
        "rates:\n  BTC: 90000\n  XMR: 150\n  USDT: 1\n")
    root = f"http://{run.onion}"
    sources = []
    for i in range(copies):
        for sid, forum, name, boards in LAB_SOURCES:
            suffix = f"{i + 1}" if copies > 1 else ""
            sources.append({
                "id": sid + suffix, "name": name + suffix, "engine": forum,
                "base_url": run.forums.base_url(forum, root),
                "boards": [{"name": b, "url": run.forums.board_url(forum, b, root)}
                           for b in boards],
            })
    (config_dir / "sources.yaml").write_text(
        "# Written by `bazaarwatch demo`: the lab forums, reached as an onion service.\n"
        + json.dumps({"sources": sources}, indent=2) + "\n")
    (config_dir / "watchlists.yaml").write_text(WATCHLISTS)
    return config_dir


def start_daemon(run: DemoRun, config_dir: Path) -> subprocess.Popen[str]:
    log_path = run.state_dir / "daemon.log"
    log = log_path.open("w")
    env = {k: v for k, v in os.environ.items() if k != "BAZAARWATCH_ES_URL"}
    return subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config-dir",
                             str(config_dir), "--log-format", "json"], stdout=log,
                            stderr=subprocess.STDOUT, text=True, env=env)


def follow(run: DemoRun, *, quiet: bool = False) -> list[dict[str, Any]]:
    """New JSON events from the daemon's log; the interesting ones are printed."""
    path = run.state_dir / "daemon.log"
    with path.open() as f:
        f.seek(run.log_pos)
        chunk = f.read()
    complete = chunk.rsplit("\n", 1)[0] + "\n" if "\n" in chunk else ""
    run.log_pos += len(complete.encode())
    new = []
    for line in complete.splitlines():
        if not line.startswith("{"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        new.append(event)
        msg = event.get("msg", "")
        if not quiet and (
                event.get("logger") in ("monitor.crawl", "monitor.daemon")
                or ("alert" in msg and " sent" in msg) or event.get("level") == "error"
                or msg.startswith("tor: bootstrapped")):
            run.say(f"  [{event.get('ts', '')[11:19]}] {msg.splitlines()[0][:160]}")
    run.events.extend(new)
    return new


def _crawls_done(run: DemoRun, source: str) -> int:
    return sum(1 for e in run.events if e.get("msg", "").startswith(f"{source}: finished"))


def _watch(run: DemoRun, timeout_s: float) -> bool:
    assert run.daemon is not None and run.forums is not None and run.receiver is not None
    deadline = time.monotonic() + timeout_s

    def wait(what: str, predicate: Callable[[], bool]) -> bool:
        while time.monotonic() < deadline:
            follow(run)
            if predicate():
                return True
            if run.daemon.poll() is not None:
                run.say(f"!! the daemon exited ({run.daemon.returncode}) while waiting for "
                        f"{what}; see {run.state_dir / 'daemon.log'}")
                return False
            time.sleep(0.5)
        run.say(f"!! timed out waiting for {what}")
        return False

    started = time.monotonic()
    if not wait("the first crawl of raidlab", lambda: _crawls_done(run, "raidlab") >= 1):
        return False
    run.timings["first crawl"] = time.monotonic() - started
    seeded = len(run.receiver.messages())
    run.say(f"» first crawl done: {seeded} alerts for the listings already on the forums")
    run.say(f"» posting a new Kotz-style listing on the MyBB lab forum: {KOTZ_TITLE!r}")
    posted = time.monotonic()
    run.forums.add_thread("mybb", "databases", KOTZ_TITLE, KOTZ_BODY, author="Kotz")

    def arrived() -> bool:
        return any(KOTZ_TITLE.split(" — ")[0] in json.dumps(m["payload"], ensure_ascii=False)
                   for m in run.receiver.messages())

    if not wait("the alert for the new listing", arrived):
        return False
    run.timings["post → alert"] = time.monotonic() - posted
    run.say(f"» ALERT received {run.timings['post → alert']:.1f} s after the post "
            f"(crawl interval {run.interval_s} s)")
    message = next(m for m in run.receiver.messages()
                   if KOTZ_TITLE.split(" — ")[0] in json.dumps(m["payload"], ensure_ascii=False))
    for block in message["payload"].get("blocks", [])[:8]:
        text = (block.get("text") or {}).get("text") or " | ".join(
            f.get("text", "") for f in block.get("fields", []))
        if text:
            run.say("    " + text.replace("\n", "\n    ")[:400])
    return True


def _es_count(run: DemoRun, index: str) -> int | str:
    try:
        with urllib.request.urlopen(f"{run.es_url}/{index}/_count", timeout=10) as r:
            return json.loads(r.read())["count"]
    except Exception as e:  # the summary shows what it can
        return f"? ({e})"


def _summary(run: DemoRun, keep: bool) -> None:
    with contextlib.suppress(OSError):
        urllib.request.urlopen(f"{run.es_url}/demo-listings/_refresh", data=b"", timeout=10)
    tor_s = run.timings.get(TOR_STEP, 0) + run.timings.get(ONION_STEP, 0)
    rows = [
        ("Tor network up, first onion answering", f"{tor_s:.1f} s"),
        ("first crawl of raidlab", f"{run.timings.get('first crawl', 0):.1f} s"),
        ("new post → Slack alert", f"{run.timings['post → alert']:.1f} s"
         if "post → alert" in run.timings else "did not arrive"),
        ("crawls finished", str(sum(1 for e in run.events
                                    if e.get("msg", "").count(": finished:")))),
        ("listings in Elasticsearch (demo-listings)", str(_es_count(run, "demo-listings"))),
        ("alerts received by the Slack receiver",
         str(len(run.receiver.messages()) if run.receiver else 0)),
    ]
    width = max(len(r[0]) for r in rows)
    run.say("\nSummary")
    for name, value in rows:
        run.say(f"  {name:<{width}}  {value}")
    run.say("\nWhere to look" + (" (all still running)" if keep else
                                  " (stopped next; run `bazaarwatch demo --keep` to explore)"))
    run.say(f"  Elasticsearch   {run.es_url}/demo-listings/_search?q=bpjs&pretty")
    if run.receiver:
        run.say(f"  Slack messages  {run.receiver.url}/_lab/messages")
    run.say(f"  daemon log      {run.state_dir / 'daemon.log'}")
    run.say(f"  config          {run.state_dir / 'config'}")


def stop_all(run: DemoRun) -> None:
    if run.daemon is not None and run.daemon.poll() is None:
        run.daemon.terminate()
        try:
            run.daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            run.daemon.kill()
    if run.receiver is not None:
        run.receiver.stop()
    if run.forums is not None:
        run.forums.stop()
    if run.tor is not None:
        run.tor.stop(remove_state=True)
    if run.es_started_here:
        subprocess.run([str(ES_SCRIPT), "stop"], capture_output=True, check=False)
    run.say("» stopped what the demo started")
