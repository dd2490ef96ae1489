"""Starting the next day of a live blog from the current one: its title, slug and date move on."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel import Locale, UnknownLocaleError
from babel.dates import get_month_names
from sqlalchemy import select

from .. import timeutil
from ..extensions import db
from ..models import Story

# A day number as titles write it, in the languages the desk knows: "Day 39", "День 39".
_DAY_NUMBER = re.compile(r"\b(Day |День )(\d{1,5})\b", re.IGNORECASE)
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def month_names(lang: str) -> list[str]:
    """The months as a date after a day number writes them, in a story's language: "November", "ноября"."""
    try:
        names = get_month_names("wide", context="format", locale=Locale.parse(lang.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        names = get_month_names("wide", context="format", locale="en")
    return [names[m] for m in range(1, 13)]


@dataclass
class NextDay:
    title: str
    slug: str
    day: date
    summary: str
    regions: list[str]
    series: str


def next_date(current: date, today: date) -> date:
    """The day after the current one, or today if the blog has been quiet since.

    It may be tomorrow, which cannot start yet (see can_start): a day's page opens on its day.
    """
    return max(current + timedelta(days=1), today)


def can_start(proposal: "NextDay", now: datetime | None = None) -> bool:
    return proposal.day <= timeutil.local_day(now or timeutil.now())


def move_title(title: str, current: date, new: date, lang: str = "en") -> str:
    """The title with its day number and its date moved on by the days between the two.

    Dates are found as the story's language writes them ("4 November 2020", "November 4, 2020",
    "4 ноября 2020") and as English does, which a title in any language may borrow.
    """
    step = (new - current).days
    title = _DAY_NUMBER.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + step}", title)
    title = _ISO.sub(new.isoformat(), title)
    for months in dict.fromkeys([tuple(month_names(lang)), tuple(month_names("en"))]):
        title = _move_dates(title, list(months), new)
    return title


def _move_dates(title: str, months: list[str], new: date) -> str:
    names = "|".join(map(re.escape, months))
    day_month = re.compile(rf"\b\d{{1,2}} (?:{names})(?: \d{{4}})?\b")
    month_day = re.compile(rf"\b(?:{names}) \d{{1,2}}(?:, \d{{4}})?\b")

    def with_day_first(match: re.Match) -> str:
        with_year = re.search(r"\d{4}$", match.group(0))
        return f"{new.day} {months[new.month - 1]}" + (f" {new.year}" if with_year else "")

    def with_month_first(match: re.Match) -> str:
        with_year = re.search(r"\d{4}$", match.group(0))
        return f"{months[new.month - 1]} {new.day}" + (f", {new.year}" if with_year else "")

    return month_day.sub(with_month_first, day_month.sub(with_day_first, title))


def _free_slug(wanted: str) -> str:
    taken = set(db.session.scalars(select(Story.slug).where(Story.slug.like(wanted[:110] + "%"))))
    slug, n = wanted[:110], 2
    while slug in taken:
        slug, n = f"{wanted[:110]}-{n}", n + 1
    return slug


def move_slug(slug: str, current: date, new: date, title: str) -> str:
    from ..editorial.service import slugify

    if current.isoformat() in slug:
        wanted = slug.replace(current.isoformat(), new.isoformat())
    elif _DAY_NUMBER.search(slug.replace("-", " ")):
        step = (new - current).days
        wanted = re.sub(r"(?<![a-z0-9])day-(\d{1,5})(?![0-9])", lambda m: f"day-{int(m.group(1)) + step}", slug)
    else:
        wanted = slugify(title)
    return _free_slug(wanted)


def propose(story: Story, now: datetime | None = None) -> NextDay:
    """What the next day of this live blog would be, for the editor to check before starting it."""
    current = timeutil.local_day(story.published_at)
    new = next_date(current, timeutil.local_day(now or timeutil.now()))
    title = move_title(story.title, current, new, story.language)
    return NextDay(title=title, slug=move_slug(story.slug, current, new, title), day=new, summary=story.summary,
                   regions=[r.slug for r in story.regions], series=story.series or story.slug)


RECENT_DAYS = 7


def series_key(story: Story) -> str:
    """The name a live blog's days share: the series, or the first day's own slug before a second day exists."""
    return story.series or story.slug


def day_of(story: Story) -> date:
    return story.live_day or timeutil.local_day(story.published_at)


def recent(story: Story, limit: int = RECENT_DAYS) -> list[Story]:
    """The newest days of this story's series, newest first, with this story among them even when older."""
    if story.kind != "live":
        return []
    key = series_key(story)
    found = list(db.session.scalars(
        select(Story).where(Story.kind == "live", (Story.series == key) | (Story.slug == key))
        .order_by(Story.live_day.desc(), Story.published_at.desc()).limit(limit)))
    if story not in found:
        found.append(story)  # an old day opened from the log or a link: still listed, at the end
    return found


def past_day(story: Story, now: datetime | None = None) -> date | None:
    """The day this live story files updates under, when that is not today (its page is no longer the live one)."""
    if story.kind != "live":
        return None
    day = day_of(story)
    return day if day < timeutil.local_day(now or timeutil.now()) else None
