"""Forum dates and counters as forums print them (table-driven; pure code)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from spiders.dates import forum_tz, page_time, parse_forum_date, parse_iso
from spiders.text import html_to_text, parse_count

NOW = datetime(2021, 5, 12, 15, 0, tzinfo=UTC)  # 22:00 in Jakarta, 18:00 in Moscow


@pytest.mark.parametrize(("text", "title", "tz", "expected"), [
    # MyBB my_date('relative'): "Today"/"Yesterday" carry the date in the title
    ("Today, 10:31 PM", "05-12-2021", "Asia/Jakarta", datetime(2021, 5, 12, 15, 31, tzinfo=UTC)),
    ("Yesterday, 10:31 PM", "05-11-2021", "Asia/Jakarta",
     datetime(2021, 5, 11, 15, 31, tzinfo=UTC)),
    # ... and the hours/minutes-ago forms carry date and time in the title
    ("2 hours ago", "05-12-2021, 08:31 PM", "Asia/Jakarta",
     datetime(2021, 5, 12, 13, 31, tzinfo=UTC)),
    ("Less than 1 minute ago", "05-12-2021, 09:59 PM", "Asia/Jakarta",
     datetime(2021, 5, 12, 14, 59, tzinfo=UTC)),
    # without titles (other themes), resolved against the page's time in the forum's zone
    ("Today, 10:31 PM", None, "Asia/Jakarta", datetime(2021, 5, 12, 15, 31, tzinfo=UTC)),
    ("Yesterday, 11:50 PM", None, "Asia/Jakarta", datetime(2021, 5, 11, 16, 50, tzinfo=UTC)),
    ("Today, 01:00 AM", None, "UTC", datetime(2021, 5, 12, 1, 0, tzinfo=UTC)),
    ("2 hours ago", None, "UTC", NOW - timedelta(hours=2)),
    ("5 minutes ago", None, "UTC", NOW - timedelta(minutes=5)),
    ("a day ago", None, "UTC", NOW - timedelta(days=1)),
    ("In 5 minutes", None, "UTC", NOW + timedelta(minutes=5)),
    # XenForo's words
    ("Today at 8:15 PM", None, "+03:00", datetime(2021, 5, 12, 17, 15, tzinfo=UTC)),
    ("Yesterday at 11:50 PM", None, "Europe/Moscow", datetime(2021, 5, 11, 20, 50, tzinfo=UTC)),
    ("A moment ago", None, "UTC", NOW),
    ("May 10, 2021", "May 10, 2021 at 8:00 AM", "+03:00", datetime(2021, 5, 10, 5, 0,
                                                                     tzinfo=UTC)),
    # absolute dates in the usual admin-chosen formats
    ("05-10-2021, 01:02 AM", None, "Asia/Jakarta", datetime(2021, 5, 9, 18, 2, tzinfo=UTC)),
    ("2021-05-10, 13:02", None, "UTC", datetime(2021, 5, 10, 13, 2, tzinfo=UTC)),
    ("10.05.2021, 13:02", None, "Europe/Moscow", datetime(2021, 5, 10, 10, 2, tzinfo=UTC)),
    ("2021-05-10T13:02:00+0700", None, "UTC", datetime(2021, 5, 10, 6, 2, tzinfo=UTC)),
    ("Сегодня, 10:00", None, "Europe/Moscow", datetime(2021, 5, 12, 7, 0, tzinfo=UTC)),
    ("Kemarin, 10:00", None, "Asia/Jakarta", datetime(2021, 5, 11, 3, 0, tzinfo=UTC)),
    ("no date here", None, "UTC", None),
    ("", None, "UTC", None),
])
def test_parse_forum_date(text: str, title: str | None, tz: str,
                          expected: datetime | None) -> None:
    assert parse_forum_date(text, title=title, now=NOW, tz=forum_tz(tz)) == expected


@pytest.mark.parametrize(("name", "offset"), [
    ("UTC", timedelta(0)), ("+07:00", timedelta(hours=7)), ("UTC-3", timedelta(hours=-3)),
    ("GMT+0530", timedelta(hours=5, minutes=30)),
    ("Asia/Jakarta", timedelta(hours=7)),
])
def test_forum_tz(name: str, offset: timedelta) -> None:
    assert datetime(2021, 5, 12, tzinfo=forum_tz(name)).utcoffset() == offset


def test_forum_tz_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        forum_tz("Mars/Olympus")


@pytest.mark.parametrize(("header", "expected"), [
    (b"Wed, 12 May 2021 15:00:00 GMT", NOW),
    (None, datetime(2000, 1, 1, tzinfo=UTC)),
    (b"garbage", datetime(2000, 1, 1, tzinfo=UTC)),
])
def test_page_time(header: bytes | None, expected: datetime) -> None:
    assert page_time(header, datetime(2000, 1, 1, tzinfo=UTC)) == expected


def test_parse_iso_keeps_the_instant() -> None:
    assert parse_iso("2021-05-12T20:15:00+0300") == datetime(2021, 5, 12, 20, 15, tzinfo=timezone(
        timedelta(hours=3)))


@pytest.mark.parametrize(("text", "expected"), [
    ("0", 0), ("1,024", 1024), ("15 301", 15301), ("1.2K", 1200), ("9K", 9000), ("2M", 2_000_000),
    ("1,5 млн", 1_500_000), ("–", None), ("", None), (None, None), ("12 тыс.", 12000),
])
def test_parse_count(text: str | None, expected: int | None) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(("html", "text"), [
    ("a<br />b<br/><br/>c", "a\nb\n\nc"),
    ("<p>one\n two</p><p>three</p>", "one two\nthree"),
    ("x<script>alert(1)</script>y", "xy"),
    ("<div class='hidden-content'><b>Hidden</b> t.me/x</div>", "Hidden t.me/x"),
    ("<ul><li>NIK</li><li>phone</li></ul>", "NIK\nphone"),
    ("", ""),
    ("<b>unclosed <i>tags", "unclosed tags"),
])
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text
