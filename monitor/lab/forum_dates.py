"""Dates as the imitated forums print them, relative to the page's "now".

MyBB 1.8 (`my_date('relative', ...)` in inc/functions.php, default settings dateformat `m-d-Y`,
timeformat `h:i A`, datetimesep `, `, phrases `rel_time`, `today_rel`, `yesterday_rel`):
  under an hour   <span title="05-13-2021, 10:31 PM">5 minutes ago</span>
  under 12 hours  <span title="05-13-2021, 10:31 PM">2 hours ago</span>
  today           <span title="05-13-2021">Today</span>, 10:31 PM
  yesterday       <span title="05-12-2021">Yesterday</span>, 10:31 PM
  otherwise       05-13-2021, 10:31 PM
XenForo 2.2 (`date_dynamic`): a <time class="u-dt"> whose text is relative ("A moment ago",
"5 minutes ago", "Today at 10:31 PM", "Yesterday at ...", "Monday at ...", "May 13, 2021") and
whose attributes carry the exact time (datetime, data-time = Unix seconds).
Both lab forums print times in UTC (a guest's default board time zone).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from markupsafe import Markup, escape


def mybb_plain(dt: datetime) -> str:
    """`05-13-2021, 10:31 PM`: MyBB's default date and time formats joined."""
    return f"{dt:%m-%d-%Y}, {dt:%I:%M %p}"


def mybb_date(dt: datetime, now: datetime) -> Markup:
    diff = (now - dt).total_seconds()
    real = mybb_plain(dt)
    if abs(diff) < 3600:
        minutes = max(int(abs(diff) // 60), 1)
        prefix = "Less than " if abs(diff) <= 60 else ""
        text = f"{prefix}{minutes} {'minute' if minutes == 1 else 'minutes'}"
        return Markup('<span title="{}">{}</span>').format(real, _ago(text, diff))
    if abs(diff) < 43200:
        hours = max(int(abs(diff) // 3600), 1)
        text = f"{hours} {'hour' if hours == 1 else 'hours'}"
        return Markup('<span title="{}">{}</span>').format(real, _ago(text, diff))
    day = f"{dt:%m-%d-%Y}"
    if dt.date() == now.date():
        return Markup('<span title="{}">Today</span>, {}').format(day, f"{dt:%I:%M %p}")
    if dt.date() == (now - timedelta(days=1)).date():
        return Markup('<span title="{}">Yesterday</span>, {}').format(day, f"{dt:%I:%M %p}")
    return Markup(escape(real))


def _ago(text: str, diff: float) -> str:
    return f"{text} ago" if diff >= 0 else f"In {text}"


def xf_date_string(dt: datetime) -> str:
    return f"{dt:%b} {dt.day}, {dt.year}"


def xf_time_string(dt: datetime) -> str:
    return f"{dt.hour % 12 or 12}:{dt:%M %p}"


def xf_relative(dt: datetime, now: datetime) -> str:
    diff = (now - dt).total_seconds()
    if diff < -2:
        return xf_date_string(dt)
    if diff < 60:
        return "A moment ago"
    if diff < 3600:
        minutes = int(diff // 60)
        return "1 minute ago" if minutes == 1 else f"{minutes} minutes ago"
    if dt.date() == now.date():
        return f"Today at {xf_time_string(dt)}"
    if dt.date() == (now - timedelta(days=1)).date():
        return f"Yesterday at {xf_time_string(dt)}"
    if diff < 7 * 86400:
        return f"{dt:%A} at {xf_time_string(dt)}"
    return xf_date_string(dt)


def xf_time(dt: datetime, now: datetime, css: str = "", itemprop: str = "") -> Markup:
    """XenForo 2.2's `date_dynamic` output."""
    extra = Markup(' itemprop="{}"').format(itemprop) if itemprop else Markup("")
    return Markup(
        '<time class="u-dt{}" dir="auto" datetime="{}" data-time="{}" data-date-string="{}"'
        ' data-time-string="{}" title="{} at {}"{}>{}</time>'
    ).format(
        f" {css}" if css else "", f"{dt:%Y-%m-%dT%H:%M:%S}+0000", int(dt.timestamp()),
        xf_date_string(dt), xf_time_string(dt), xf_date_string(dt), xf_time_string(dt),
        extra, xf_relative(dt, now),
    )


def xf_date(dt: datetime) -> str:
    """Plain dates such as a member's "Joined" line: `Mar 2, 2021`."""
    return xf_date_string(dt)


def market_time(dt: datetime) -> Markup:
    return Markup('<time class="mk-date" datetime="{}">{}</time>').format(
        dt.isoformat(), f"{dt:%Y/%m/%d %H:%M} UTC")
