"""The configuration: monitor.yaml, sources.yaml and watchlists.yaml, read once into frozen typed
objects. Every problem is collected and reported together as `file:line: field: sentence`
(`monitor.errors.ConfigError`). Secrets never sit in YAML: a `*_env` key names an environment
variable, a `*_file` key a file (systemd credentials); their values live in `Secret` objects that
never print. This module is the only one that reads the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import yaml

from monitor.configreader import Errors, Node, read_yaml
from monitor.errors import ConfigError
from monitor.models import POST_TYPES
from monitor.onion import onion_problem

ENGINES = ("mybb", "xenforo", "generic")
RENDER_MODES = ("false", "challenge", "always")
LOGIN_KINDS = ("none", "form", "cookies")
TOR_MODES = ("managed", "external")
SEVERITIES = ("low", "medium", "high", "critical")
FILES = ("monitor.yaml", "sources.yaml", "watchlists.yaml")
ES_URL_ENV = "BAZAARWATCH_ES_URL"
DEFAULT_STATE_DIR = Path("/var/lib/bazaarwatch")
EVIDENCE_KEEP_S = 90 * 86400.0
_ID_PATTERN = r"[a-z0-9][a-z0-9_-]{0,62}"


class Secret:
    """A secret value read from the environment or a file. Its repr never shows the value."""

    __slots__ = ("_value", "origin")

    def __init__(self, value: str, origin: str):
        self._value = value
        self.origin = origin  # "env:NAME" or "file:/path": safe to print

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.origin})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self.origin)


# -- monitor.yaml ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TorConfig:
    mode: str = "managed"  # managed: we launch tor; external: attach to a running tor
    socks_host: str = "127.0.0.1"
    socks_port: int = 9150
    control_host: str = "127.0.0.1"
    control_port: int = 9151
    control_password: Secret | None = None
    cookie_path: Path | None = None
    data_dir: Path | None = None  # managed; default <state_dir>/tor
    tor_binary: str = "tor"
    bootstrap_timeout_s: float = 300.0
    extra_torrc: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EsConfig:
    hosts: tuple[str, ...] = ("http://127.0.0.1:9200",)
    api_key: Secret | None = None
    index_prefix: str = ""
    verify_certs: bool = True


@dataclass(frozen=True, slots=True)
class SlackConfig:
    webhook: Secret | None = None  # default destination of rule alerts
    ops_webhook: Secret | None = None  # operator alerts (source down, login failed, ...)
    kibana_url: str | None = None


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    host: str = "127.0.0.1"
    port: int = 9464


@dataclass(frozen=True, slots=True)
class OpsConfig:
    """When operator alerts fire (monitor.ops.OpsAlerts)."""

    source_fail_after_s: float = 3600.0  # a source failing this long
    es_down_after_s: float = 600.0  # Elasticsearch unreachable this long
    es_probe_every_s: float = 60.0  # the cluster's health asked this often (nothing to index)


@dataclass(frozen=True, slots=True)
class Defaults:
    interval_s: float = 900.0
    jitter_s: float = 120.0
    concurrency: int = 1
    download_delay_s: float = 5.0
    timeout_s: float = 90.0
    max_page_bytes: int = 5_000_000
    max_pages: int = 200
    backfill_pages: int = 3
    overlap_s: float = 600.0
    recheck_after_s: float = 21600.0  # re-read a listed thread not fetched for this long (0: never)
    max_concurrent_crawls: int = 4


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    tor: TorConfig = field(default_factory=TorConfig)
    elasticsearch: EsConfig = field(default_factory=EsConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    state_dir: Path = DEFAULT_STATE_DIR
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    defaults: Defaults = field(default_factory=Defaults)
    rates: Mapping[str, float] = field(default_factory=dict)  # USD per unit, e.g. {"BTC": 90000}
    ops: OpsConfig = field(default_factory=OpsConfig)
    evidence_keep_s: float = EVIDENCE_KEEP_S  # thread pages kept as evidence this long (0: forever)


# -- sources.yaml ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Board:
    name: str
    url: str  # absolute (joined with the source's base_url at load)
    login_required: bool = False


@dataclass(frozen=True, slots=True)
class LoginConfig:
    kind: str = "none"
    username: Secret | None = None
    password: Secret | None = None
    cookies_file: Path | None = None
    login_url: str | None = None  # absolute; the engine's default when None


@dataclass(frozen=True, slots=True)
class Selectors:
    """CSS (or XPath when it starts with '/' or '(') selectors of the generic spider."""

    thread_row: str
    title_link: str
    author: str | None = None
    started: str | None = None
    last_post: str | None = None
    replies: str | None = None
    views: str | None = None
    sticky: str | None = None  # matches inside a row that is pinned (its date says nothing new)
    next_page: str | None = None
    post: str | None = None
    post_author: str | None = None
    post_date: str | None = None
    post_body: str | None = None
    thread_title: str | None = None  # on the thread page, when the board row has none
    drop_query: str | None = None  # not a selector: query parameters that vary per visit


@dataclass(frozen=True, slots=True)
class SourceConfig:
    id: str
    name: str
    engine: str
    base_url: str
    boards: tuple[Board, ...]
    interval_s: float
    jitter_s: float
    login: LoginConfig = field(default_factory=LoginConfig)
    render: str = "false"
    direct: bool = False  # fetch without Tor: only for the lab and tests
    concurrency: int = 1
    download_delay_s: float = 5.0
    timeout_s: float = 90.0
    max_page_bytes: int = 5_000_000
    max_pages: int = 200
    backfill_pages: int = 3
    overlap_s: float = 600.0
    recheck_after_s: float = 21600.0
    timezone: str = "UTC"
    selectors: Selectors | None = None

    @property
    def onion(self) -> bool:
        return (urlsplit(self.base_url).hostname or "").endswith(".onion")


# -- watchlists.yaml ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Term:
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Conditions:
    min_claimed: int | None = None  # records.claimed >= N
    post_types: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    sellers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    terms: tuple[Term, ...] = ()
    regexes: tuple[str, ...] = ()
    conditions: Conditions = field(default_factory=Conditions)
    severity: str = "medium"
    webhook: Secret | None = None  # None: monitor.yaml's slack.webhook
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class Org:
    name: str
    aliases: tuple[str, ...] = ()
    country: str | None = None
    domains: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Watchlists:
    rules: tuple[Rule, ...] = ()
    organisations: tuple[Org, ...] = ()


@dataclass(frozen=True, slots=True)
class Config:
    directory: Path
    monitor: MonitorConfig
    sources: tuple[SourceConfig, ...]
    watchlists: Watchlists

    def source(self, source_id: str) -> SourceConfig:
        for s in self.sources:
            if s.id == source_id:
                return s
        known = ", ".join(s.id for s in self.sources) or "none"
        raise ConfigError([f"no source with id '{source_id}' (known: {known})"])


# -- loading -----------------------------------------------------------------------------------
def load_config(directory: str | Path, *, env: Mapping[str, str] | None = None) -> Config:
    """Load the three files of `directory`; raise ConfigError listing every problem found."""
    directory = Path(directory)
    env = os.environ if env is None else env
    errors = Errors()
    ctx = _Context(directory, env, errors)
    monitor = _load_monitor(ctx)
    sources = _load_sources(ctx, monitor.defaults)
    watchlists = _load_watchlists(ctx, {s.id for s in sources})
    if errors.lines:
        raise ConfigError(errors.lines)
    return Config(directory=directory, monitor=monitor, sources=sources, watchlists=watchlists)


def secret_from_env(name: str, *, env: Mapping[str, str] | None = None) -> Secret:
    """A secret a command line names (`--api-key-env NAME`); raises ConfigError when the
    variable is unset or empty."""
    value = (os.environ if env is None else env).get(name, "").strip()
    if not value:
        raise ConfigError([f"environment variable {name} is not set"])
    return Secret(value, f"env:{name}")


@dataclass
class _Context:
    directory: Path
    env: Mapping[str, str]
    errors: Errors

    def root(self, name: str) -> Node | None:
        path = self.directory / name
        return read_yaml(path, _shown(path), self.errors)

    def secret(self, keys: dict[str, Node], name: str, mapping: Node) -> Secret | None:
        """`<name>_env` or `<name>_file`; a plain `<name>` key is refused by the allowed list."""
        env_node, file_node = keys.get(f"{name}_env"), keys.get(f"{name}_file")
        if env_node and file_node:
            file_node.error(f"give either {name}_env or {name}_file, not both")
            return None
        if env_node:
            var = env_node.str(pattern=r"[A-Za-z_][A-Za-z0-9_]*",
                               pattern_help="is not an environment variable name")
            if var is None:
                return None
            value = self.env.get(var)
            if not value:
                env_node.error(f"environment variable {var} is not set")
                return None
            return Secret(value.strip(), f"env:{var}")
        if file_node:
            raw = file_node.str()
            if raw is None:
                return None
            path = self._path(raw)
            try:
                return Secret(path.read_text(encoding="utf-8").strip(), f"file:{path}")
            except OSError as e:
                file_node.error(f"cannot read secret file {path}: {e.strerror or e}")
        return None

    def _path(self, raw: str) -> Path:
        path = Path(raw).expanduser()
        return path if path.is_absolute() else self.directory / path


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _secret_keys(*names: str) -> list[str]:
    return [f"{n}_{s}" for n in names for s in ("env", "file")]


def _load_monitor(ctx: _Context) -> MonitorConfig:
    root = ctx.root("monitor.yaml")
    if root is None:
        return MonitorConfig()
    keys = root.mapping(["tor", "elasticsearch", "slack", "state_dir", "metrics", "defaults",
                         "rates", "ops", "evidence_keep"])
    state_raw = keys["state_dir"].str() if "state_dir" in keys else None
    state_dir = ctx._path(state_raw) if state_raw else DEFAULT_STATE_DIR
    return MonitorConfig(
        tor=_load_tor(ctx, keys.get("tor"), state_dir),
        elasticsearch=_load_es(ctx, keys.get("elasticsearch")),
        slack=_load_slack(ctx, keys.get("slack")),
        state_dir=state_dir,
        metrics=_load_metrics(keys.get("metrics")),
        defaults=_load_defaults(keys.get("defaults")),
        rates=_load_rates(keys.get("rates")),
        ops=_load_ops(keys.get("ops")),
        evidence_keep_s=_get(keys, "evidence_keep", Node.duration, EVIDENCE_KEEP_S),
    )


def _load_tor(ctx: _Context, node: Node | None, state_dir: Path) -> TorConfig:
    if node is None:
        return TorConfig(data_dir=state_dir / "tor")
    k = node.mapping(["mode", "socks_host", "socks_port", "control_host", "control_port",
                      "cookie_path", "data_dir", "tor_binary", "bootstrap_timeout",
                      "extra_torrc", *_secret_keys("control_password")])
    d = TorConfig()
    port = {"minimum": 1, "maximum": 65535}
    mode = k["mode"].choice(TOR_MODES, d.mode) if "mode" in k else d.mode
    data_dir = k["data_dir"].str() if "data_dir" in k else None
    cookie = k["cookie_path"].str() if "cookie_path" in k else None
    extra: dict[str, str | tuple[str, ...]] = {}
    if "extra_torrc" in k:
        for name, value in k["extra_torrc"].mapping(_AnyKey()).items():
            # a list gives the option one torrc line per item (DirAuthority, SocksPort, ...)
            extra[name] = value.str_list() if isinstance(value.node, yaml.SequenceNode) \
                else value.str(default="") or ""
    return TorConfig(
        mode=mode or d.mode,
        socks_host=_get(k, "socks_host", Node.str, d.socks_host),
        socks_port=_get(k, "socks_port", Node.int, d.socks_port, **port),
        control_host=_get(k, "control_host", Node.str, d.control_host),
        control_port=_get(k, "control_port", Node.int, d.control_port, **port),
        control_password=ctx.secret(k, "control_password", node),
        cookie_path=ctx._path(cookie) if cookie else None,
        data_dir=ctx._path(data_dir) if data_dir else state_dir / "tor",
        tor_binary=_get(k, "tor_binary", Node.str, d.tor_binary),
        bootstrap_timeout_s=_get(k, "bootstrap_timeout", Node.duration, d.bootstrap_timeout_s,
                                 minimum=1),
        extra_torrc=extra,
    )


def _load_es(ctx: _Context, node: Node | None) -> EsConfig:
    d = EsConfig()
    hosts: tuple[str, ...] = d.hosts
    api_key = None
    prefix, verify = d.index_prefix, d.verify_certs
    if node is not None:
        k = node.mapping(["hosts", "index_prefix", "verify_certs", *_secret_keys("api_key")])
        if "hosts" in k:
            hosts = k["hosts"].str_list(item=_url_item) or d.hosts
        api_key = ctx.secret(k, "api_key", node)
        prefix = _get(k, "index_prefix", Node.str, d.index_prefix, pattern=r"[a-z0-9_-]*",
                      pattern_help="may hold only a-z, 0-9, '_' and '-'")
        verify = _get(k, "verify_certs", Node.bool, d.verify_certs)
    override = ctx.env.get(ES_URL_ENV)
    if override:
        hosts = tuple(h.strip() for h in override.split(",") if h.strip())
    return EsConfig(hosts=hosts, api_key=api_key, index_prefix=prefix, verify_certs=verify)


def _load_slack(ctx: _Context, node: Node | None) -> SlackConfig:
    if node is None:
        return SlackConfig()
    k = node.mapping(["kibana_url", *_secret_keys("webhook", "ops_webhook")])
    kibana = _url_item(k["kibana_url"]) if "kibana_url" in k else None
    return SlackConfig(webhook=ctx.secret(k, "webhook", node),
                       ops_webhook=ctx.secret(k, "ops_webhook", node), kibana_url=kibana)


def _load_metrics(node: Node | None) -> MetricsConfig:
    if node is None:
        return MetricsConfig()
    k = node.mapping(["host", "port"])
    d = MetricsConfig()
    return MetricsConfig(host=_get(k, "host", Node.str, d.host),
                         port=_get(k, "port", Node.int, d.port, minimum=0, maximum=65535))


def _load_ops(node: Node | None) -> OpsConfig:
    d = OpsConfig()
    if node is None:
        return d
    k = node.mapping(["source_fail_after", "es_down_after", "es_probe_every"])
    return OpsConfig(
        source_fail_after_s=_get(k, "source_fail_after", Node.duration, d.source_fail_after_s),
        es_down_after_s=_get(k, "es_down_after", Node.duration, d.es_down_after_s),
        es_probe_every_s=_get(k, "es_probe_every", Node.duration, d.es_probe_every_s))


def _load_defaults(node: Node | None) -> Defaults:
    d = Defaults()
    if node is None:
        return d
    k = node.mapping(["interval", "jitter", "concurrency", "download_delay", "timeout",
                      "max_page_size", "max_pages", "backfill_pages", "overlap",
                      "recheck_after", "max_concurrent_crawls"])
    return Defaults(
        interval_s=_get(k, "interval", Node.duration, d.interval_s, minimum=1),
        jitter_s=_get(k, "jitter", Node.duration, d.jitter_s),
        concurrency=_get(k, "concurrency", Node.int, d.concurrency, minimum=1, maximum=8),
        download_delay_s=_get(k, "download_delay", Node.duration, d.download_delay_s),
        timeout_s=_get(k, "timeout", Node.duration, d.timeout_s, minimum=1),
        max_page_bytes=_get(k, "max_page_size", Node.size, d.max_page_bytes, minimum=1024),
        max_pages=_get(k, "max_pages", Node.int, d.max_pages, minimum=1),
        backfill_pages=_get(k, "backfill_pages", Node.int, d.backfill_pages, minimum=1),
        overlap_s=_get(k, "overlap", Node.duration, d.overlap_s),
        recheck_after_s=_get(k, "recheck_after", Node.duration, d.recheck_after_s),
        max_concurrent_crawls=_get(k, "max_concurrent_crawls", Node.int,
                                   d.max_concurrent_crawls, minimum=1),
    )


def _load_rates(node: Node | None) -> dict[str, float]:
    if node is None:
        return {}
    rates: dict[str, float] = {}
    for code, value in node.mapping(_AnyKey()).items():
        if not re.fullmatch(r"[A-Z]{3,5}(-[A-Z0-9]+)?", code):
            value.error(f"'{code}' is not a currency code (ISO 4217 or a ticker such as BTC)")
            continue
        rate = value.float(minimum=0)
        if rate is not None:
            rates[code] = rate
    return rates


def _load_sources(ctx: _Context, defaults: Defaults) -> tuple[SourceConfig, ...]:
    root = ctx.root("sources.yaml")
    if root is None:
        return ()
    keys = root.mapping(["sources"], required=["sources"])
    if "sources" not in keys:
        return ()
    return _unique_ids(keys["sources"].items(), lambda n: _load_source(ctx, n, defaults),
                       "source")


def _unique_ids(items: list[Node], load, what: str) -> tuple:
    """Load each item; one whose id an earlier item already has is reported and left out."""
    out = []
    seen: dict[str, int] = {}
    for item in items:
        value = load(item)
        if value is None:
            continue
        if value.id in seen:
            item.error(f"id '{value.id}' is already used by the {what} on line {seen[value.id]}")
            continue
        seen[value.id] = item.line
        out.append(value)
    return tuple(out)


_SOURCE_KEYS = ["id", "name", "engine", "base_url", "boards", "interval", "jitter", "login",
                "render", "direct", "concurrency", "download_delay", "timeout", "max_page_size",
                "max_pages", "backfill_pages", "overlap", "recheck_after", "timezone",
                "selectors"]


def _load_source(ctx: _Context, node: Node, d: Defaults) -> SourceConfig | None:
    k = node.mapping(_SOURCE_KEYS, required=["id", "engine", "base_url", "boards"])
    sid = _get(k, "id", Node.str, None, pattern=_ID_PATTERN,
               pattern_help="is not a valid id (lower-case letters, digits, '-' and '_')")
    engine = _get(k, "engine", Node.choice, None, options=ENGINES)
    base_url = _url_item(k["base_url"], onion_check=True) if "base_url" in k else None
    boards = _load_boards(k["boards"], base_url) if "boards" in k else ()
    if "boards" in k and not boards and not k["boards"].errors.lines:
        k["boards"].error("needs at least one board to watch")
    render = k["render"].choice(RENDER_MODES, "false") if "render" in k else "false"
    selectors = _load_selectors(k["selectors"]) if "selectors" in k else None
    if engine == "generic" and selectors is None and "selectors" not in k:
        node.errors.add(node.file, node.line, node.child_path("selectors"),
                        "is required for engine: generic (CSS/XPath of thread rows and posts)")
    if engine in ("mybb", "xenforo") and "selectors" in k:
        k["selectors"].error(f"is only read by engine: generic, not {engine}")
    login = _load_login(ctx, k["login"], base_url) if "login" in k else LoginConfig()
    timezone = _get(k, "timezone", Node.str, "UTC")
    if timezone != "UTC":
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(timezone)
        except (KeyError, ValueError, OSError):
            k["timezone"].error(f"'{timezone}' is not a time zone name (such as Europe/Moscow)")
    if sid is None or engine is None or base_url is None:
        return None
    return SourceConfig(
        id=sid,
        name=_get(k, "name", Node.str, sid),
        engine=engine,
        base_url=base_url,
        boards=boards,
        interval_s=_get(k, "interval", Node.duration, d.interval_s, minimum=1),
        jitter_s=_get(k, "jitter", Node.duration, d.jitter_s),
        login=login,
        render=render or "false",
        direct=_get(k, "direct", Node.bool, False),
        concurrency=_get(k, "concurrency", Node.int, d.concurrency, minimum=1, maximum=8),
        download_delay_s=_get(k, "download_delay", Node.duration, d.download_delay_s),
        timeout_s=_get(k, "timeout", Node.duration, d.timeout_s, minimum=1),
        max_page_bytes=_get(k, "max_page_size", Node.size, d.max_page_bytes, minimum=1024),
        max_pages=_get(k, "max_pages", Node.int, d.max_pages, minimum=1),
        backfill_pages=_get(k, "backfill_pages", Node.int, d.backfill_pages, minimum=1),
        overlap_s=_get(k, "overlap", Node.duration, d.overlap_s),
        recheck_after_s=_get(k, "recheck_after", Node.duration, d.recheck_after_s),
        timezone=timezone,
        selectors=selectors,
    )


def _load_boards(node: Node, base_url: str | None) -> tuple[Board, ...]:
    boards = []
    for item in node.items():
        k = item.mapping(["name", "url", "login_required"], required=["name", "url"])
        name = _get(k, "name", Node.str, None)
        url = _get(k, "url", Node.str, None)
        if name is None or url is None:
            continue
        absolute = urljoin(base_url, url) if base_url else url
        if base_url and urlsplit(absolute).hostname != urlsplit(base_url).hostname:
            k["url"].error(f"'{url}' is on another host than base_url; boards belong to the "
                           "source's own site")
            continue
        boards.append(Board(name=name, url=absolute,
                            login_required=_get(k, "login_required", Node.bool, False)))
    return tuple(boards)


def _load_login(ctx: _Context, node: Node, base_url: str | None) -> LoginConfig:
    if node.is_null:
        return LoginConfig()
    k = node.mapping(["kind", "cookies_file", "login_url",
                      *_secret_keys("username", "password")], required=["kind"])
    kind = _get(k, "kind", Node.choice, "none", options=LOGIN_KINDS)
    username = ctx.secret(k, "username", node)
    password = ctx.secret(k, "password", node)
    cookies_raw = _get(k, "cookies_file", Node.str, None)
    login_url = _get(k, "login_url", Node.str, None)
    if kind == "form":
        for name, value in (("username", username), ("password", password)):
            if value is None and f"{name}_env" not in k and f"{name}_file" not in k:
                node.errors.add(node.file, node.line, node.child_path(f"{name}_env"),
                                f"kind: form needs {name}_env or {name}_file")
    if kind == "cookies" and cookies_raw is None:
        node.errors.add(node.file, node.line, node.child_path("cookies_file"),
                        "kind: cookies needs cookies_file (Netscape cookies.txt or JSON export)")
    cookies = ctx._path(cookies_raw) if cookies_raw else None
    if cookies is not None and kind == "cookies" and not cookies.is_file():
        k["cookies_file"].error(f"file {cookies} does not exist")
    return LoginConfig(kind=kind or "none", username=username, password=password,
                       cookies_file=cookies,
                       login_url=urljoin(base_url, login_url) if login_url and base_url
                       else login_url)


def _load_selectors(node: Node) -> Selectors | None:
    names = [f.name for f in Selectors.__dataclass_fields__.values()]
    k = node.mapping(names, required=["thread_row", "title_link", "post", "post_body"])
    values = {}
    for name, value in k.items():
        text = value.str()
        if text is not None and name != "drop_query" and not _selector_ok(text):
            value.error(f"'{text}' is not a valid CSS or XPath selector")
            text = None
        values[name] = text
    if any(values.get(n) is None for n in ("thread_row", "title_link", "post", "post_body")):
        return None
    return Selectors(**values)


def _selector_ok(text: str) -> bool:
    from parsel import Selector
    from parsel.csstranslator import HTMLTranslator

    try:
        if text.startswith(("/", "(", "./")):
            Selector(text="<html></html>").xpath(text)
        else:
            HTMLTranslator().css_to_xpath(text)
    except Exception:  # parsel and cssselect raise several unrelated types for bad input
        return False
    return True


def _load_watchlists(ctx: _Context, source_ids: set[str]) -> Watchlists:
    root = ctx.root("watchlists.yaml")
    if root is None:
        return Watchlists()
    keys = root.mapping(["rules", "organisations"])
    orgs = tuple(o for o in (_load_org(n) for n in keys["organisations"].items())
                 if o is not None) if "organisations" in keys else ()
    rules = _unique_ids(keys["rules"].items() if "rules" in keys else [],
                        lambda n: _load_rule(ctx, n, source_ids), "rule")
    return Watchlists(rules=rules, organisations=orgs)


def _load_org(node: Node) -> Org | None:
    if isinstance(node.node, yaml.ScalarNode):
        name = node.str()
        return Org(name=name) if name else None
    k = node.mapping(["name", "aliases", "country", "domains"], required=["name"])
    name = _get(k, "name", Node.str, None)
    country = _get(k, "country", Node.str, None, pattern=r"[A-Z]{2}",
                   pattern_help="is not an ISO 3166 alpha-2 country code (such as ID)")
    if name is None:
        return None
    return Org(name=name,
               aliases=k["aliases"].str_list() if "aliases" in k else (),
               country=country,
               domains=k["domains"].str_list() if "domains" in k else ())


def _load_rule(ctx: _Context, node: Node, source_ids: set[str]) -> Rule | None:
    k = node.mapping(["id", "terms", "regexes", "conditions", "severity", "channel",
                      *_secret_keys("webhook")], required=["id"])
    rid = _get(k, "id", Node.str, None, pattern=_ID_PATTERN,
               pattern_help="is not a valid id (lower-case letters, digits, '-' and '_')")
    terms = tuple(t for t in (_load_term(n) for n in k["terms"].items())
                  if t is not None) if "terms" in k else ()
    regexes = []
    for item in k["regexes"].items() if "regexes" in k else ():
        text = item.str()
        if text is None:
            continue
        try:
            re.compile(text)
        except re.error as e:
            item.error(f"'{text}' is not a valid regular expression: {e}")
            continue
        regexes.append(text)
    conditions = _load_conditions(k["conditions"], source_ids) if "conditions" in k else (
        Conditions())
    if not terms and not regexes and "terms" not in k and "regexes" not in k:
        node.errors.add(node.file, node.line, node.child_path("terms"),
                        "a rule needs terms or regexes to match")
    webhook = ctx.secret(k, "webhook", node)
    if rid is None:
        return None
    return Rule(id=rid, terms=terms, regexes=tuple(regexes), conditions=conditions,
                severity=_get(k, "severity", Node.choice, "medium", options=SEVERITIES),
                webhook=webhook, channel=_get(k, "channel", Node.str, None))


def _load_term(node: Node) -> Term | None:
    if isinstance(node.node, yaml.ScalarNode):
        name = node.str()
        return Term(name=name) if name and name.strip() else None
    k = node.mapping(["name", "aliases"], required=["name"])
    name = _get(k, "name", Node.str, None)
    if name is not None and not name.strip():
        k["name"].error("is empty")
        return None
    return Term(name=name, aliases=k["aliases"].str_list() if "aliases" in k else ()) if (
        name) else None


def _load_conditions(node: Node, source_ids: set[str]) -> Conditions:
    k = node.mapping(["min_claimed", "post_types", "countries", "sellers", "sources"])
    post_types = k["post_types"].str_list(
        item=lambda n: n.choice(POST_TYPES)) if "post_types" in k else ()
    countries = k["countries"].str_list(item=lambda n: n.str(
        pattern=r"[A-Z]{2}", pattern_help="is not an ISO 3166 alpha-2 country code (such as ID)"
    )) if "countries" in k else ()
    sources = k["sources"].str_list() if "sources" in k else ()
    for item, sid in zip(k["sources"].items() if "sources" in k else (), sources, strict=False):
        if source_ids and sid not in source_ids:
            item.error(f"'{sid}' is not the id of a source in sources.yaml")
    return Conditions(
        min_claimed=_get(k, "min_claimed", Node.int, None, minimum=0),
        post_types=post_types, countries=countries,
        sellers=k["sellers"].str_list() if "sellers" in k else (),
        sources=sources,
    )


def _url_item(node: Node, *, onion_check: bool = False) -> str | None:
    text = node.str()
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        node.error(f"'{text}' is not an http(s) URL with a host")
        return None
    host = parts.hostname
    if onion_check and host.endswith(".onion"):
        problem = onion_problem(host)
        if problem:
            node.error(f"'{host}' is not a valid v3 onion address: it {problem}")
            return None
    return text


def _get(keys: dict[str, Node], name: str, reader, default, **kwargs):
    """Read `keys[name]` with `reader` (a Node method), or `default` when absent."""
    node = keys.get(name)
    if node is None:
        return default
    if reader is Node.choice:
        options = kwargs.pop("options")
        return reader(node, options, default)
    return reader(node, default, **kwargs)


class _AnyKey(list):
    """An 'allowed keys' list that allows every key (free-form mappings such as rates)."""

    def __contains__(self, item: object) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class RuntimeEnv:
    """What the process environment says about how the daemon runs (systemd's variables)."""

    notify_socket: str | None = None  # NOTIFY_SOCKET: sd_notify datagrams go there
    watchdog_s: float | None = None  # WATCHDOG_USEC: ping at least twice per period
    credentials_dir: Path | None = None  # CREDENTIALS_DIRECTORY (LoadCredential=)


def runtime_env(env: Mapping[str, str] | None = None) -> RuntimeEnv:
    env = os.environ if env is None else env
    usec = env.get("WATCHDOG_USEC", "")
    creds = env.get("CREDENTIALS_DIRECTORY")
    return RuntimeEnv(notify_socket=env.get("NOTIFY_SOCKET") or None,
                      watchdog_s=int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 else None,
                      credentials_dir=Path(creds) if creds else None)
