"""The database schema. Every table is declared here; Alembic migrations follow it."""
from .content import Correction, Day, Entry, NamingNote, Place, Region, SiteState, Story
from .people import Editor, FeedNetwork, Member, Signup, StripeEvent, Tier, UsedSigninLink

__all__ = [
    "Correction", "Day", "Entry", "NamingNote", "Place", "Region", "SiteState", "Story",
    "Editor", "FeedNetwork", "Member", "Signup", "StripeEvent", "Tier", "UsedSigninLink",
]
