"""Who may read what: pure functions of the content and the reader, no request, no database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

OPEN_STATUSES = frozenset({"active", "trialing"})


@dataclass(frozen=True)
class Reader:
    """The person or program asking. A token that proves nothing leaves an anonymous reader."""

    member_id: int | None = None
    # The member's token as the product spells it, echoed into feed links when it came in ?token=
    # (never the bytes the client sent); None when it came as a header.
    link_token: str | None = None
    # A token we once made that no longer proves membership (replaced, or the membership lapsed).
    token_stopped: bool = False

    @property
    def is_member(self) -> bool:
        return self.member_id is not None


ANONYMOUS = Reader()


def entry_is_free(story_access: str, entry_day: date, public_days: frozenset[date]) -> bool:
    """Free to all: a public story, or a standard one's entries in the public window."""
    if story_access == "public":
        return True
    if story_access == "members":
        return False
    return entry_day in public_days


def may_read(reader: Reader, story_access: str, entry_day: date, public_days: frozenset[date]) -> bool:
    return reader.is_member or entry_is_free(story_access, entry_day, public_days)


def membership_open(status: str, comp_until: date | None, past_due_since: datetime | None,
                    today: date, now: datetime, grace_days: int) -> bool:
    """Whether a membership grants access right now."""
    if status == "comp":
        return comp_until is None or today <= comp_until
    if status in OPEN_STATUSES:
        return True
    if status == "past_due":
        return past_due_since is None or now < past_due_since + timedelta(days=grace_days)
    return False


def public_window(coverage_days_newest_first: list[date], public_days: int) -> frozenset[date]:
    """The most recent days that have coverage; quiet days do not close the window."""
    return frozenset(coverage_days_newest_first[:public_days])
