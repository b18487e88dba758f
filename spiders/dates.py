"""Forum dates as forums print them, turned into timezone-aware datetimes.

Forums print times in their own timezone and often relative to "now": MyBB writes
``<span title="05-12-2021">Today</span>, 10:31 PM`` or ``<span title="05-12-2021, 08:31 PM">2 hours
ago</span>`` (inc/functions.php ``my_date``), XenForo a ``<time datetime="...+0700">`` element. A
relative date is resolved against the page's own time (its HTTP ``Date`` header, else the crawl
time) in the forum's timezone, so a page read at 00:05 still dates "Yesterday, 23:50" right.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# MyBB's default is "m-d-Y" and "h:i A" joined by ", "; admins change them, so the usual
# variants are tried in order (month-first wins where a date could be read either way).
DEFAULT_DATE_FORMATS: tuple[str, ...] = (
    "%m-%d-%Y", "%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y", "%d-%m-%Y", "%B %d, %Y",
    "%b %d, %Y", "%d %B %Y", "%d %b %Y",
)  # fmt: skip
TIME_FORMATS: tuple[str, ...] = ("%I:%M %p", "%I:%M:%S %p", "%H:%M", "%H:%M:%S")
_SEPARATORS = (", ", " at ", " ", ",", " - ")

_RELATIVE_RE = re.compile(
    r"^(?P<in>in\s+)?(?:less than\s+)?(?P<n>\d+|an?|one)\s+"
    r"(?P<unit>second|sec|minute|min|hour|hr|day|week|month|year)s?\.?(?:\s+(?P<ago>ago))?$",
    re.I,
)
_UNIT_SECONDS = {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600,
                 "day": 86400, "week": 7 * 86400, "month": 30 * 86400, "year": 365 * 86400}
_DAY_WORDS = {"today": 0, "yesterday": 1, "сегодня": 0, "вчера": 1, "hari ini": 0, "kemarin": 1}
_DAY_RE = re.compile(r"^(?P<day>" + "|".join(_DAY_WORDS) + r")\b[\s,]*(?:at\s+|в\s+)?(?P<rest>.*)$",
                     re.I)
_JUST_NOW = ("just now", "a moment ago", "moments ago", "только что", "baru saja")


def forum_tz(name: str | None) -> tzinfo:
    """A forum's timezone from an IANA name ("Asia/Jakarta") or an offset ("+07:00", "UTC-3").

    Raises ValueError for anything else."""
    if not name or name.upper() in ("UTC", "GMT", "Z"):
        return UTC
    m = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", name.strip(), re.I)
    if m:
        delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        return timezone(-delta if m.group(1) == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown timezone {name!r}") from e


def page_time(date_header: bytes | str | None, fallback: datetime | None = None) -> datetime:
    """The time a page was printed: its HTTP ``Date`` header, else `fallback`, else now (UTC)."""
    if date_header:
        raw = date_header.decode("latin-1") if isinstance(date_header, bytes) else date_header
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return fallback or datetime.now(UTC)


def parse_iso(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp such as XenForo's ``datetime="2021-05-12T22:31:00+0700"``."""
    if not value:
        return None
    v = value.strip()
    v = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", v)  # +0700 -> +07:00
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


def parse_epoch(value: str | None) -> datetime | None:
    if value and value.strip().isdigit():
        return datetime.fromtimestamp(int(value.strip()), UTC)
    return None


def parse_forum_date(text: str | None, *, title: str | None = None, now: datetime,
                     tz: tzinfo = UTC,
                     date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS) -> datetime | None:
    """Read a date as a forum prints it; `title` is the tooltip that often holds the exact date.

    Returns an aware datetime in UTC, or None when nothing in `text`/`title` is a date."""
    text = _clean(text)
    title = _clean(title)
    local_now = now.astimezone(tz)
    if title:
        exact = _absolute(title, tz, date_formats, need_time=True)
        if exact is not None:
            return exact
    if not text:
        return None
    m = _DAY_RE.match(text)
    if m:
        day = _date_only(title, date_formats) if title else None
        if day is None:
            day = local_now.date() - timedelta(days=_DAY_WORDS[m.group("day").lower()])
        t = _time_only(m.group("rest")) or time(0, 0)
        return _localize(datetime.combine(day, t), tz)
    low = text.lower()
    if any(low.startswith(w) for w in _JUST_NOW):
        return local_now.replace(second=0, microsecond=0).astimezone(UTC)
    m = _RELATIVE_RE.match(text)
    if m:
        n = m.group("n").lower()
        count = 1 if n in ("a", "an", "one") else int(n)
        delta = timedelta(seconds=count * _UNIT_SECONDS[m.group("unit").lower()])
        return (now + delta if m.group("in") else now - delta).astimezone(UTC)
    found = _absolute(text, tz, date_formats)
    if found is None and title:
        day = _date_only(title, date_formats)
        found = _localize(datetime.combine(day, time(0, 0)), tz) if day else None
    return found


def _clean(s: str | None) -> str:
    return " ".join(s.replace("\xa0", " ").split()).strip(" ,") if s else ""


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    return naive.replace(tzinfo=tz).astimezone(UTC)


def _absolute(s: str, tz: tzinfo, date_formats: tuple[str, ...],
              need_time: bool = False) -> datetime | None:
    iso = parse_iso(s) if re.match(r"^\d{4}-\d{2}-\d{2}T", s) else None
    if iso is not None:
        return iso.astimezone(UTC)
    for df in date_formats:
        for sep in _SEPARATORS:
            for tf in TIME_FORMATS:
                try:
                    return _localize(datetime.strptime(s, f"{df}{sep}{tf}"), tz)
                except ValueError:
                    continue
    day = None if need_time else _date_only(s, date_formats)
    return _localize(datetime.combine(day, time(0, 0)), tz) if day else None


def _date_only(s: str, date_formats: tuple[str, ...]) -> date | None:
    for df in date_formats:
        try:
            return datetime.strptime(s, df).date()
        except ValueError:
            continue
    return None


def _time_only(s: str) -> time | None:
    s = _clean(s)
    for tf in TIME_FORMATS:
        try:
            return datetime.strptime(s, tf).time()
        except ValueError:
            continue
    return None
