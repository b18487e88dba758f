"""How Chromium is launched for sources that need a browser: Debian's browser binary itself (not
the /usr/bin/chromium wrapper, which adds extensions and API keys), headless, and silent.

What keeps it from leaking, each measured here with a recording SOCKS proxy (see
tests/test_browser_tor.py):
- Each source's browser context has its own `proxy` (a SocksPort of its own: Chromium cannot
  send SOCKS credentials). The launch-level proxy, which carries everything that is not a
  page's (Chromium's own background requests), points at a closed loopback port, so whatever
  is not silenced below fails on this host instead of leaving through Tor.
- Chromium 156 still asks update.googleapis.com (component updater) and accounts.google.com
  (Gaia) despite --disable-background-networking/--disable-component-update/--disable-sync;
  the switches --component-updater=url-source=... and --gaia-url=... point those at the same
  closed port, and with them the recording proxy sees nothing but the page's host.
- --host-resolver-rules: nothing is resolved locally (host names go to tor in SOCKS5).
- WebRTC only over the proxy (no UDP), no QUIC, no DNS prefetch or preconnect, no HTTPS-upgrade
  probes (an extra connection to :443 of every http:// page).
"""

from __future__ import annotations

from typing import Any

CHROMIUM_BINARY = "/usr/lib/chromium/chromium"
INSTALL_HINT = "install Debian's chromium (apt-get install chromium, or deploy/dev/setup)"
CLOSED_PORT_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there
BLACKHOLE_PROXY = "socks5://127.0.0.1:9"

DISABLED_FEATURES = (
    "AutofillServerCommunication",
    "CertificateTransparencyComponentUpdater",
    "DialMediaRouteProvider",
    "HttpsFirstBalancedModeAutoEnable",
    "HttpsUpgrades",
    "InterestFeedContentSuggestions",
    "MediaRouter",
    "NetworkTimeServiceQuerying",
    "OptimizationGuideModelDownloading",
    "OptimizationHints",
    "OptimizationHintsFetching",
    "Translate",
)


def chromium_args(closed_url: str = CLOSED_PORT_URL) -> list[str]:
    """Command-line switches for a headless Chromium that only talks through its proxies."""
    return [
        "--no-sandbox",  # the daemon runs in a systemd sandbox of its own; root in CI
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-breakpad",
        "--disable-client-side-phishing-detection",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--disable-extensions",
        f"--disable-features={','.join(DISABLED_FEATURES)}",
        "--disable-quic",
        "--disable-sync",
        "--dns-prefetch-disable",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--metrics-recording-only",
        "--no-first-run",
        "--no-pings",
        "--safebrowsing-disable-auto-update",
        f"--component-updater=url-source={closed_url}/",
        f"--gaia-url={closed_url}",
        f"--google-apis-url={closed_url}",
        f"--lso-url={closed_url}",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ]


def launch_options(binary: str = CHROMIUM_BINARY, *,
                   blackhole_proxy: str = BLACKHOLE_PROXY) -> dict[str, Any]:
    """Playwright `launch()` keyword arguments."""
    return {
        "executable_path": binary,
        "headless": True,
        "args": chromium_args(),
        "proxy": {"server": blackhole_proxy},
        "chromium_sandbox": False,
        "handle_sigint": False,  # the daemon has one SIGTERM path; Chromium follows it
        "handle_sigterm": False,
        "handle_sighup": False,
    }


def context_options(proxy_server: str | None, *,
                    blackhole_proxy: str = BLACKHOLE_PROXY) -> dict[str, Any]:
    """`new_context()` keyword arguments for one source: its own proxy (None: a direct source),
    no service workers (their requests would escape page routing), no downloads."""
    options: dict[str, Any] = {
        "service_workers": "block",
        "accept_downloads": False,
        "java_script_enabled": True,
    }
    if proxy_server:
        # "<-loopback>": loopback goes through the proxy too (tor refuses it), so a hostile
        # page cannot reach services on this host (Elasticsearch, metrics) through the browser.
        options["proxy"] = {"server": proxy_server, "bypass": "<-loopback>"}
    else:
        # A direct source (the lab, tests: on loopback) reaches loopback directly; all else
        # still goes to the closed port. Without a context proxy the launch-level one applies
        # to the page too and every load fails (ERR_PROXY_CONNECTION_FAILED).
        options["proxy"] = {"server": blackhole_proxy, "bypass": "<loopback>"}
    return options
