"""The newsroom's clock: store UTC, speak local time, and know what a day is."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def tz() -> ZoneInfo:
    return current_app.config["TZ"]


def now() -> datetime:
    return datetime.now(timezone.utc)


def local_day(moment: datetime, zone: ZoneInfo | None = None) -> date:
    """The calendar day in the newsroom's time zone that an aware moment falls on."""
    return moment.astimezone(zone or tz()).date()


def today() -> date:
    return local_day(now())


def day_bounds(day: date, zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """The UTC instants where a local day starts and the next one starts."""
    zone = zone or tz()
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def display(moment: datetime) -> str:
    """How a reader sees a time, in newsroom time with its zone said, in the page's language:
    '04 Nov 2020, 18:30 GMT+4', '4 ноября 2020, 18:30 GMT+4'."""
    from . import i18n

    local = moment.astimezone(tz())
    return f"{i18n.moment_text(local)} {zone_label(local.utcoffset())}"


def zone_label(offset: timedelta | None) -> str:
    """An offset as readers everywhere understand it: GMT+4, GMT-3:30, GMT."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    if minutes == 0:
        return "GMT"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def display_day(day: date) -> str:
    """A day in the page's language: '4 November 2020', '4 ноября 2020'."""
    from . import i18n

    return i18n.day_text(day)


def iso(moment: datetime) -> str:
    """RFC 3339 with the newsroom's offset, as printed in datetime attributes and feeds."""
    return moment.astimezone(tz()).isoformat(timespec="seconds")


def parse_instant(value: str) -> datetime:
    """Parse an RFC 3339 timestamp; it must carry an offset (naive times are ambiguous)."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("needs a time zone offset, e.g. 2026-11-04T18:30:00+04:00")
    return parsed.astimezone(timezone.utc)


def parse_day(value: str) -> date | None:
    """A day written YYYY-MM-DD, or None."""
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
