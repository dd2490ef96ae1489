"""The database schema. Every table is declared here; Alembic migrations follow it."""
from .content import Correction, Day, Entry, NamingNote, Place, Region, SiteState, Story, SyndicationChange
from .editorial import EditorialLog, IdempotentRequest
from .people import Editor, FeedNetwork, Member, Partner, PartnerPull, Signup, StripeEvent, Tier, UsedSigninLink
from .outbox import OutboxMail
from .media import Image, ImageRendition
from .sessions import SignedInSession
from .search import SearchDocument

__all__ = [
    "Correction", "Day", "Entry", "NamingNote", "Place", "Region", "SiteState", "Story", "SyndicationChange",
    "Editor", "FeedNetwork", "Member", "Partner", "PartnerPull", "Signup", "StripeEvent", "Tier", "UsedSigninLink",
    "EditorialLog", "IdempotentRequest",
    "OutboxMail", "SignedInSession",
    "Image", "ImageRendition",
    "SearchDocument",
]
