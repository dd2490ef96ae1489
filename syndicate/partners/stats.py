"""Accounting of partner pulls."""
from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import Partner, PartnerPull
from ..models.types import UTCDateTime


def per_partner():
    query = (
        select(Partner.name,
               func.count(PartnerPull.id).label("pulls"),
               func.coalesce(func.sum(PartnerPull.entries), 0).label("entries"),
               func.coalesce(func.sum(PartnerPull.tombstones), 0).label("tombstones"),
               func.max(PartnerPull.at, type_=UTCDateTime).label("last_pull"))
        .outerjoin(PartnerPull, PartnerPull.partner_id == Partner.id)
        .group_by(Partner.id, Partner.name).order_by(Partner.name)
    )
    return db.session.execute(query).all()
