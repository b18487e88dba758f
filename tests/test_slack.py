"""The Slack message (escaping, defanging, limits) and the webhook sender against the lab
receiver (429 with Retry-After, 5xx, permanent 4xx)."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import urllib.error
import urllib.request

import pytest

from monitor.alerts import Alert
from monitor.lab.slack import SlackReceiver, validate_payload
from monitor.models import (
    Forum,
    Listing,
    Price,
    Records,
    SampleLink,
    Seller,
    Source,
    Url,
    Victim,
)
from monitor.rules import Hit
from monitor.slack import (
    SlackDeliveryError,
    SlackNotifier,
    defang,
    describe_price,
    escape,
    fit,
    number_words,
    render,
)

INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\x00-\x08]")


def bpjs_listing(title: str = "[SELL] BPJS Kesehatan 200M", body: str = "", **kw) -> Listing:
    fields = {
        "source": Source("raidforums", "RaidForums", "mybb"),
        "url": Url("http://raidforums.onion/Thread-BPJS"),
        "forum": Forum("Databases"),
        "seller": Seller("Kotz", "kotz"),
        "post_type": "sell",
        "records": Records(claimed=279_000_000, sample=1_000_000),
        "price": Price(amount=0.15, currency="BTC", usd=5_400.0),
        "samples": (SampleLink("https://mega.nz/file/AbC#key", "mega.nz"),
                    SampleLink("https://bayfiles.com/x1/BPJS_sample", "bayfiles.com")),
        "victim": Victim(("BPJS Kesehatan",), ("bpjs-kesehatan.go.id",), "ID"),
        "data_fields": ("national_id", "phone", "address"),
    }
    fields.update(kw)
    body = body or "Selling 279 million records of BPJS Kesehatan, free 1 million sample."
    return Listing(id="abc123", title=title, body=body, **fields)


def alert_for(listing: Listing, **kw) -> Alert:
    start = listing.body.find("BPJS Kesehatan")
    hits = (Hit("bpjs", "BPJS Kesehatan", "BPJS Kesehatan", "body", start, start + 14),
            ) if start >= 0 else ()
    return Alert(id=f"bpjs:{listing.id}:1", kind=kw.pop("kind", "new"), rule_id="bpjs",
                 severity="high", channel="cert-id", listing=listing, hits=hits, **kw)


def all_text(payload: dict) -> list[str]:
    """Every string Slack would render from the payload."""
    out = [payload.get("text", "")]

    def walk(v: object) -> None:
        if isinstance(v, dict):
            if isinstance(v.get("text"), str):
                out.append(v["text"])
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(payload["blocks"])
    return out


@pytest.mark.parametrize(("n", "words"), [
    (279_000_000, "279 million"), (1_000_000, "1 million"), (1_500_000, "1.5 million"),
    (2_900_000_000, "2.9 billion"), (100_002, "100,002"), (999, "999"),
    (123_456_789, "123 million"), (None, "unknown"), (4 * 10**12, "4 trillion"),
])  # fmt: skip
def test_number_words(n: int | None, words: str) -> None:
    assert number_words(n) == words


@pytest.mark.parametrize(("url", "shown"), [
    ("https://mega.nz/file/AbC#key", "hxxps://mega[.]nz/file/AbC#key"),
    ("http://bayfiles.com/x.zip", "hxxp://bayfiles[.]com/x.zip"),
    ("HTTPS://Anonfiles.COM/a", "hxxps://Anonfiles[.]COM/a"),
    ("ftp://files.example.org/d", "fxp://files[.]example[.]org/d"),
    ("mega.nz/file/x", "mega[.]nz/file/x"),
])  # fmt: skip
def test_defang(url: str, shown: str) -> None:
    assert defang(url) == shown


@pytest.mark.parametrize(("text", "shown"), [
    ("<!channel> hi", "&lt;!channel&gt; hi"),
    ("<https://evil.example|click>", "&lt;hxxps://evil[.]example|click&gt;"),
    ("a & b", "a &amp; b"),
    ("@here @channel @everyone", "@\u2060here @\u2060channel @\u2060everyone"),
    ("<@U012345>", "&lt;@U012345&gt;"),
    ("see https://mega.nz/x", "see hxxps://mega[.]nz/x"),
    ("abc\u202egpj.exe", "abcgpj.exe"),
    ("BP\u200bJS", "BPJS"),
])  # fmt: skip
def test_escape(text: str, shown: str) -> None:
    assert escape(text) == shown


@pytest.mark.parametrize(("text", "limit", "cut"), [
    ("abcdef", 10, "abcdef"), ("abcdef", 4, "abc…"), ("ab &amp; cd", 5, "ab …"),
])  # fmt: skip
def test_fit_never_cuts_an_entity(text: str, limit: int, cut: str) -> None:
    assert fit(text, limit) == cut


def test_price_words() -> None:
    assert describe_price(Price(0.15, "BTC", 5400.0)) == "0.15 BTC (≈ $5,400)"
    assert describe_price(Price(500, "USD", negotiable=True)) == "$500, negotiable"
    assert describe_price(Price(text="DM me")) == "DM me"


def test_message_says_who_what_how_much_where_and_for_what() -> None:
    payload = render(alert_for(bpjs_listing(), seller_prior=3),
                     kibana_url="http://kibana.lab:5601")
    assert validate_payload(payload) == (None, [])
    text = "\n".join(all_text(payload))
    for expected in ("RaidForums › Databases", "Kotz (3 earlier listings)",
                     "279 million claimed · 1 million sample", "0.15 BTC (≈ $5,400)",
                     "BPJS Kesehatan, bpjs-kesehatan[.]go[.]id (ID)",
                     "national_id, phone, address", "*Matched*\nBPJS Kesehatan (body)",
                     "hxxps://mega[.]nz/file/AbC#key", "hxxps://bayfiles[.]com/x1/BPJS_sample",
                     "<http://raidforums.onion/Thread-BPJS|Open thread (Tor)>",
                     "http://kibana.lab:5601/app/discover", "*BPJS Kesehatan*"):
        assert expected in text, expected
    assert "https://mega.nz" not in json.dumps(payload)


def test_update_says_what_changed() -> None:
    alert = alert_for(bpjs_listing(), kind="update",
                      changes=("claimed records 200 million → 279 million",))
    text = "\n".join(all_text(render(alert)))
    assert "*What changed*\n• claimed records 200 million → 279 million" in text
    assert "Updated listing" in text


HOSTILE = [
    "<!channel> <!here> <!everyone> URGENT",
    "<https://evil.example|click here> <http://evil.example>",
    "*bold* _it_ ~strike~ `code` ```block``` > quote",
    "<@U0123ABC> <#C0123ABC> <!subteam^S0123>",
    "&lt;!channel&gt; &amp; &",
    "\u202eexe.gpj\u202c BPJS Kesehatan \u2066rtl\u2069",
    "B\u200bP\u200cJ\u200dS\ufeff Kesehatan",
    "A" * 10_000,
    "<" * 5_000 + "&" * 5_000,
    "line\r\nbreak\ttab\x00nul\x07bell\x1b[31mansi",
]


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_titles_and_bodies_render_safely_within_limits(hostile: str) -> None:
    listing = bpjs_listing(
        title=hostile, body=hostile + " BPJS Kesehatan " + hostile,
        seller=Seller(hostile, "x"), forum=Forum(hostile),
        victim=Victim((hostile,) * 50, (hostile,), "ID"),
        price=Price(text=hostile),
        samples=tuple(SampleLink(f"https://evil{i}.example/{hostile[:50]}", f"evil{i}.example")
                      for i in range(40)),
        data_fields=("national_id",) * 100,
    )
    payload = render(alert_for(listing, changes=(hostile,) * 3, kind="update"))
    assert validate_payload(payload) == (None, [])
    for text in all_text(payload):
        assert INVISIBLE.search(text) is None
        assert "\x1b" not in text
        # The only links are ours; no mention or link syntax from the forum survives.
        for m in re.finditer(r"<([^>]*)>", text):
            assert m.group(1) == "http://raidforums.onion/Thread-BPJS|Open thread (Tor)"
        assert "@here" not in text and "@channel" not in text and "@everyone" not in text


@pytest.mark.parametrize(("payload", "answer"), [
    ("not json", "invalid_payload"),
    ([1, 2], "invalid_payload"),
    ({}, "no_text"),
    ({"text": "  "}, "no_text"),
    ({"text": "hi"}, None),
    ({"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]},
     "invalid_blocks"),
    ({"blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]},
     "invalid_blocks"),
    ({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]},
     "invalid_blocks"),
    ({"blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}]},
     "invalid_blocks"),
    ({"blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
    ({"blocks": [{"type": "nonsense"}]}, "invalid_blocks"),
    ({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]},
     "invalid_blocks"),
    ({"blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}]},
     "invalid_blocks"),
    ({"blocks": [{"type": "context", "elements": [
        {"type": "image", "image_url": "http://i/x.png", "alt_text": "x"},
        {"type": "plain_text", "text": "x"}]}]}, None),
    ({"blocks": [{"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "x" * 76}}]}]},
     "invalid_blocks"),
    ({"blocks": [{"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Open"},
         "url": "http://x/"}]}]}, None),
])  # fmt: skip
def test_receiver_answers_like_slack(slack_receiver: SlackReceiver, payload: object,
                                     answer: str | None) -> None:
    slack_receiver.reset()
    data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    req = urllib.request.Request(slack_receiver.webhook_url(), data=data,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, body = resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read().decode()
    assert (status, body) == ((200, "ok") if answer is None else (400, answer))
    with urllib.request.urlopen(f"{slack_receiver.url}/_lab/messages", timeout=10) as resp:
        seen = json.loads(resp.read())
    assert len(seen["requests"]) == 1
    assert len(seen["messages"]) == (1 if answer is None else 0)


def post(url: str, payload: dict, notifier: SlackNotifier) -> int:
    async def go() -> int:
        async with notifier:
            return await notifier.post(url, payload, rule_id="bpjs")
    return asyncio.run(go())


def test_429_with_retry_after_is_honoured(slack_receiver: SlackReceiver) -> None:
    slack_receiver.reset()
    slack_receiver.fail_next(3, 429, retry_after=2)
    payload = render(alert_for(bpjs_listing()))
    attempts = post(slack_receiver.webhook_url(), payload, SlackNotifier(backoff_s=0.01))
    assert attempts == 4
    requests = slack_receiver.requests()
    assert [r["status"] for r in requests] == [429, 429, 429, 200]
    [message] = slack_receiver.messages()
    assert message["payload"] == payload
    # Each retry waited for Retry-After (2 s) — not the 0.01 s back-off.
    gaps = [b["received_at"] - a["received_at"] for a, b in itertools.pairwise(requests)]
    assert all(gap >= 1.9 for gap in gaps), gaps


def test_5xx_is_retried_with_back_off(slack_receiver: SlackReceiver) -> None:
    slack_receiver.reset()
    slack_receiver.fail_next(2, 500)
    attempts = post(slack_receiver.webhook_url(), {"text": "hi"}, SlackNotifier(backoff_s=0.05))
    assert attempts == 3
    assert len(slack_receiver.messages()) == 1


@pytest.mark.parametrize(("status", "body"), [
    (400, "invalid_payload"), (403, "action_prohibited"), (404, "no_service"),
    (410, "channel_is_archived"),
])  # fmt: skip
def test_4xx_is_permanent(slack_receiver: SlackReceiver, status: int, body: str) -> None:
    slack_receiver.reset()
    slack_receiver.fail_next(1, status, body=body)
    with pytest.raises(SlackDeliveryError) as e:
        post(slack_receiver.webhook_url(), {"text": "hi"}, SlackNotifier(backoff_s=0.01))
    assert e.value.permanent and e.value.status == status and e.value.attempts == 1
    assert body in str(e.value)
    assert len(slack_receiver.requests()) == 1


def test_gives_up_after_max_attempts_without_raising_permanent(
        slack_receiver: SlackReceiver) -> None:
    slack_receiver.reset()
    slack_receiver.fail_next(3, 500)
    with pytest.raises(SlackDeliveryError) as e:
        post(slack_receiver.webhook_url(), {"text": "hi"},
             SlackNotifier(backoff_s=0.01, max_attempts=3))
    assert not e.value.permanent and e.value.attempts == 3


def test_connection_refused_is_transient() -> None:
    with SlackReceiver() as r:
        url = r.webhook_url()
    with pytest.raises(SlackDeliveryError) as e:
        post(url, {"text": "hi"}, SlackNotifier(backoff_s=0.01, max_attempts=2))
    assert not e.value.permanent and e.value.status is None
