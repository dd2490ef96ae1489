"""Starting the next day of a live blog from the current one: its title, slug and date move on."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from .. import timeutil
from ..extensions import db
from ..models import Story

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
_MONTH = "|".join(MONTHS)
_DAY_NUMBER = re.compile(r"\b(Day )(\d{1,5})\b", re.IGNORECASE)
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_DAY_MONTH = re.compile(rf"\b\d{{1,2}} (?:{_MONTH})(?: \d{{4}})?\b")
_MONTH_DAY = re.compile(rf"\b(?:{_MONTH}) \d{{1,2}}(?:, \d{{4}})?\b")


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


def move_title(title: str, current: date, new: date) -> str:
    """The title with its day number and its date moved on by the days between the two."""
    step = (new - current).days
    title = _DAY_NUMBER.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + step}", title)
    title = _ISO.sub(new.isoformat(), title)

    def day_month(match: re.Match) -> str:
        with_year = re.search(r"\d{4}$", match.group(0))
        return f"{new.day} {MONTHS[new.month - 1]}" + (f" {new.year}" if with_year else "")

    def month_day(match: re.Match) -> str:
        with_year = re.search(r"\d{4}$", match.group(0))
        return f"{MONTHS[new.month - 1]} {new.day}" + (f", {new.year}" if with_year else "")

    return _MONTH_DAY.sub(month_day, _DAY_MONTH.sub(day_month, title))


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
    title = move_title(story.title, current, new)
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
