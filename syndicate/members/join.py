"""Starting a membership, mail first: /join emails a link, and only that link leads to Stripe Checkout.

An address typed on /join proves nothing, and the answer must not tell whose
address it is. So /join only queues a request in the outbox, the same for any
address; the outbox decides, when sending, whether the mail holds a link that
continues to payment or (for an active member, who must not pay twice) a
sign-in link. Opening the continue link changes nothing; its POST starts the
Checkout Session (members.checkout, which never makes a second one).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, render_template
from flask_babel import gettext as _

from .. import i18n, languages
from ..extensions import db
from ..models import Tier
from ..numbers import ascii_int
from ..urls import absolute
from . import mail, signin
from .service import find, has_access, known_language, language_of, normalise_email
from .tokens import JOIN_MAX_AGE, make_join_token, read_join_token


@dataclass
class JoinResult:
    checkout_url: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    unavailable: bool = False
    already_member: bool = False
    checkout_session_id: str | None = None
    paid_session_id: str | None = None  # the address's Checkout is paid already: its success page, not another


def _tier(tier_id: str) -> Tier | None:
    row_id = ascii_int(tier_id)
    return db.session.get(Tier, row_id) if row_id is not None else None


def request_link(email: str, tier_id: str, lang: str) -> JoinResult:
    """Queue the join mail for any well-formed address and tier: the same work whoever's address it is.

    `lang` is the language of the form: the mail, and the pages its link leads to, are in it.
    """
    normal = normalise_email(email)
    tier = _tier(tier_id)
    errors = {}
    if normal is None:
        errors["email"] = _("Please give an email address we can write to.")
    if tier is None:
        errors["tier"] = _("Please choose a membership.")
    if errors:
        return JoinResult(errors=errors)
    mail.request_join(normal, tier.id, lang)  # in a private_write() of its own (members.mail)
    return JoinResult()


def join_mail(email: str, tier_id: str, lang: str | None = None) -> tuple[str, str, str] | None:
    """(to, subject, body) of the mail a join request is owed, decided when sending; None if the tier is gone.

    Called by the outbox in a write of its own: a member who asked has their language become the form's.
    """
    tier = _tier(tier_id)
    if tier is None:
        return None
    member = find(email)
    site = current_app.config["SITE_NAME"]
    if member is not None:
        signin.remember_language(member, lang)
    if member is not None and has_access(member):
        with i18n.in_language(language_of(member)):
            body = render_template("members/mail/join_member.txt", member=member,
                                   signin_url=signin.signin_url(member, "signin"))
            return member.email, _("You are already a member of %(site)s", site=site), body
    lang = known_language(lang) or languages.default()
    with i18n.in_language(lang):
        body = render_template("members/mail/join.txt", tier=tier, hours=JOIN_MAX_AGE // 3600,
                               continue_url=continue_url(email, tier.id, lang))
        return email, _("Your %(site)s membership: continue to payment", site=site), body


def continue_url(email: str, tier_id: int, lang: str) -> str:
    """The mailed link that continues to payment, on the page of the join form's language."""
    return absolute("members.join_continue", token=make_join_token(email, tier_id), **languages.prefix_values(lang))


def read_link(token: str) -> tuple[str, Tier] | None:
    """(email, tier) a continue link is for, or None if it is tampered with, expired or its tier is gone.

    Reading it changes nothing: mail scanners open links before people do.
    """
    claim = read_join_token(token)
    if claim is None:
        return None
    tier = db.session.get(Tier, claim[1])
    return (claim[0], tier) if tier is not None else None


def payments_unavailable() -> JoinResult:
    return JoinResult(errors={"form": _("Payments cannot be taken right now. Please try again in a few minutes.")},
                      unavailable=True)
