"""Bazaarwatch's Scrapy settings, in one place, grouped by concern and sorted within a group.
Per-crawl values (the SOCKS port, direct sources, limits from YAML) are added by whoever starts
the crawl; project settings are prefixed `BAZAARWATCH_`.
"""

from __future__ import annotations

# -- transport: every request goes through tor (monitor/transport) ------------------------------
# The dispatcher sends `bazaarwatch_render` requests to Chromium and the rest to curl over SOCKS;
# the schemes below that could leave without Tor (ftp, s3, file) are switched off.
BAZAARWATCH_BROWSER_FALLBACK_PROXY = None  # Chromium's launch-level proxy (None: a closed port)
BAZAARWATCH_BROWSER_SOCKS: dict[str, int] = {}  # source id -> a SocksPort of its own
BAZAARWATCH_CHROMIUM = None  # the browser binary (None: /usr/lib/chromium/chromium)
BAZAARWATCH_CONNECT_TIMEOUT = 60.0  # s; includes tor building a rendezvous circuit
BAZAARWATCH_DIRECT_SOURCES: list[str] = []  # sources with `direct: true` (lab and tests only)
BAZAARWATCH_IDLE_TIMEOUT = 45.0  # s without a byte of body
BAZAARWATCH_IMPERSONATE = "tor"  # curl_cffi's Tor Browser fingerprint
BAZAARWATCH_MAX_RESPONSE_BYTES = 5_000_000  # larger bodies are cut here and flagged "truncated"
BAZAARWATCH_EVIDENCE_DIR = None  # where thread pages are kept as evidence (None: not kept)
BAZAARWATCH_SCREENSHOT_DIR = None  # where screenshots are written (None: kept in meta only)
BAZAARWATCH_SOCKS_TOKEN = None  # every source's SOCKS password (None: random per process)
BAZAARWATCH_TOR_SOCKS = None  # "127.0.0.1:9150"; None: only direct sources can be fetched
BAZAARWATCH_TOR_WAIT = 60.0  # s a request waits for a SOCKS port that refuses (tor restarting)
DEFAULT_REQUEST_HEADERS: dict[str, str] = {}  # Tor Browser's own, from the impersonation
DOWNLOAD_HANDLERS = {
    "file": None,
    "ftp": None,
    "http": "monitor.transport.dispatch.DispatchDownloadHandler",
    "https": "monitor.transport.dispatch.DispatchDownloadHandler",
    "s3": None,
}
DOWNLOAD_TIMEOUT = 180  # s for a whole download over Tor
HTTPPROXY_ENABLED = False  # the transport chooses the route; *_proxy variables are ignored
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 120_000  # ms
PLAYWRIGHT_MAX_CONTEXTS = 8
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
USER_AGENT = None  # Tor Browser's, from the impersonation; a Scrapy UA would stand out

# -- spiders and middleware: parsing, logins, politeness, incremental crawling ------------------
# Spiders only parse (spiders/); what to do about a special page is middleware (monitor/middleware).
# process_response runs from high numbers to low: ban, rate limit, challenge, then login all see
# the page after redirects and decompression (580-600) and before retries (550).
BAZAARWATCH_BACKOFF_BASE_S = 5.0  # first wait on a 429 without Retry-After; doubles per refusal
BAZAARWATCH_BACKOFF_MAX_S = 300.0  # longest single wait, whatever Retry-After says
BAZAARWATCH_BACKOFF_MAX_TRIES = 5  # refusals of one page before the source stops (rate_limited)
BAZAARWATCH_CHALLENGE_WAIT_MS = 3000  # time a challenge page gets in Chromium to reload
BAZAARWATCH_CRAWL_BOOK = None  # monitor.middleware.incremental.CrawlBook, set per crawl
BAZAARWATCH_LOGIN = None  # monitor.login.LoginSpec, set per crawl
BAZAARWATCH_LOGIN_MAX_PER_CRAWL = 3  # logins in one crawl before the session is called broken
BAZAARWATCH_MAX_PAGES = 0  # pages per crawl (0: no budget); set per crawl from max_pages
BAZAARWATCH_PROGRESS_S = 0.0  # a progress line on stderr this often (the crawl command: 5 s)
BAZAARWATCH_RENDER = "false"  # the source's render: false | challenge | always
BAZAARWATCH_SESSION_BOX = None  # monitor.middleware.login.SessionBox, set per crawl
CONCURRENT_REQUESTS_PER_DOMAIN = 1  # per source, from its YAML `concurrency`
COOKIES_ENABLED = True
DOWNLOADER_MIDDLEWARES = {
    "monitor.middleware.source.SourceMetaMiddleware": 40,
    "monitor.middleware.budget.PageBudgetMiddleware": 45,
    "monitor.middleware.login.LoginMiddleware": 560,
    "monitor.middleware.challenge.ChallengeMiddleware": 565,
    "monitor.middleware.ratelimit.RateLimitMiddleware": 570,
    "monitor.middleware.ban.BanMiddleware": 575,
    "monitor.middleware.evidence.EvidenceMiddleware": 580,  # asks for thread screenshots
}
DOWNLOAD_DELAY = 5.0  # s between requests of a source, from its YAML `download_delay_s`
RANDOMIZE_DOWNLOAD_DELAY = True  # 0.5x-1.5x the delay: no fixed rhythm for a forum to spot
RETRY_HTTP_CODES = [408, 500, 502, 503, 504, 522, 524]  # 429 is RateLimitMiddleware's
ROBOTSTXT_OBEY = False
SPIDER_MIDDLEWARES = {
    "monitor.middleware.evidence.EvidenceMiddleware": 940,  # keeps each post's page
    "monitor.middleware.incremental.IncrementalMiddleware": 950,
}
SPIDER_MODULES = ["spiders"]
TELNETCONSOLE_ENABLED = False

# -- item pipelines: RawPost -> normalize -> state (+ alerts, index spool) -> index -------------
# Both raise NotConfigured unless the daemon hands the crawl its BAZAARWATCH_LISTING_FLOW
# (monitor.pipelines.ListingFlow); `bazaarwatch crawl` alone only writes raw posts.
BAZAARWATCH_LISTING_FLOW = None
ITEM_PIPELINES = {
    "monitor.pipelines.NormalizePipeline": 300,
    "monitor.pipelines.StatePipeline": 400,
}
