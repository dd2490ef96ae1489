"""Signing members in by email: links that work once, and the welcome mail."""
from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy.exc import IntegrityError

from .. import timeutil
from ..extensions import db
from ..models import Member, UsedSigninLink
from ..urls import absolute
from . import mail
from .service import feed_token, find, has_access
from ..writes import begin_write
from .tokens import make_signin_token, read_signin_token


def feed_urls(member: Member) -> dict[str, str]:
    """The member's private feed URLs, one per format."""
    token = feed_token(member)
    return {fmt: absolute("feeds.latest", fmt=fmt, token=token) for fmt in ("rss", "atom", "json")}


def signin_url(member: Member, kind: str) -> str:
    return absolute("members.signin_link", token=make_signin_token(member.id, kind))


def send_welcome(member_id: int) -> None:
    member = db.session.get(Member, member_id)
    if member is None:
        return
    body = render_template("members/mail/welcome.txt", member=member, signin_url=signin_url(member, "welcome"),
                           feeds=feed_urls(member))
    mail.send(member.email, f"Welcome to {current_app.config['SITE_NAME']}", body)


def send_signin_link(email: str) -> None:
    """Mail a sign-in link if the address is a member's; the caller answers the same either way."""
    member = find(email)
    if member is None:
        return
    body = render_template("members/mail/signin.txt", member=member, signin_url=signin_url(member, "signin"),
                           active=has_access(member))
    mail.send(member.email, f"Sign in to {current_app.config['SITE_NAME']}", body)


def peek(token: str) -> Member | None:
    """The member a sign-in link is for, without using it (GET and HEAD change nothing)."""
    claim = read_signin_token(token)
    if claim is None or db.session.get(UsedSigninLink, claim[1]) is not None:
        return None
    return db.session.get(Member, claim[0])


def use(token: str) -> Member | None:
    """Spend a sign-in link: the member it signs in, or None if it is bad, expired or used."""
    claim = read_signin_token(token)
    if claim is None:
        return None
    begin_write()
    member = db.session.get(Member, claim[0])
    if member is None:
        return None
    db.session.add(UsedSigninLink(nonce=claim[1], used_at=timeutil.now()))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return member
