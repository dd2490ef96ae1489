"""A member's private feed addresses, grouped the way /account shows them: the main feed first."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from .. import languages
from ..models import Member
from ..urls import absolute
from .service import feed_token

# Atom first: the format feed readers take best, so it is the one offered as the member's main feed.
FORMATS = (("atom", "Atom"), ("rss", "RSS 2.0"), ("json", "JSON Feed"))
STORIES_SHOWN = 6  # the newest stories; every story's page leads to its own feeds


@dataclass(frozen=True)
class FeedSet:
    """One feed in every format: `key` is unique on the page (element ids), `urls` follow FORMATS."""

    key: str
    name: str
    urls: dict[str, str]


@dataclass(frozen=True)
class PrivateFeeds:
    site: FeedSet
    regions: list[FeedSet]
    stories: list[FeedSet]

    @property
    def main(self) -> str:
        """The member's main feed: everything we publish, in Atom."""
        return self.site.urls["atom"]


def private_feeds(member: Member, lang: str) -> PrivateFeeds:
    """Every private feed address of the member's in a language: the site's, each region's, the newest stories'."""
    from ..content.queries import all_regions, latest_stories

    token = feed_token(member)
    where = languages.prefix_values(lang)

    def urls(endpoint: str, **values) -> dict[str, str]:
        return {fmt: absolute(endpoint, fmt=fmt, token=token, **values) for fmt, _name in FORMATS}

    return PrivateFeeds(
        site=FeedSet("latest", _("Everything we publish"), urls("feeds.latest", **where)),
        regions=[FeedSet(f"region-{r.slug}", r.name_in(lang), urls("feeds.region", slug=r.slug, **where))
                 for r in all_regions(lang)],
        # A story's feed is its own, whatever the page: the language's newest stories are the ones shown.
        stories=[FeedSet(f"story-{s.slug}", s.title, urls("feeds.story", slug=s.slug))
                 for s in latest_stories(STORIES_SHOWN, lang)],
    )
