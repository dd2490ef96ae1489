"""Joining, signing in and the member's account page. Thin: the work is in join, signin and billing.

Every page is also under /<lang>/ for the site's other languages, and each leads on to pages of its own
language: the language is the address's, never the browser's (Accept-Language), as on every page.
"""
from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from .. import languages, sessions
from ..errors import APIError
from ..extensions import csrf, db, limiter
from ..metrics import WEBHOOKS
from ..models import Member, Tier
from ..urls import absolute
from . import billing, bp, checkout as checkouts, join as joining, signin, stripe_api, webhooks
from .auth import account_member_id
from .feedlinks import FORMATS, private_feeds
from .service import all_tiers, has_access, replace_token

log = logging.getLogger(__name__)


def _no_referrer(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _lang() -> str:
    """This page's language: its address's."""
    return (request.view_args or {}).get("lang") or languages.default()


def _where() -> dict:
    """The URL values that keep a link in this page's language."""
    return languages.prefix_values(_lang())


def _alternates() -> list[languages.Link]:
    """This very page in each language (its token or session id with it): what the language switcher offers."""
    if len(languages.configured()) < 2:
        return []
    values = {k: v for k, v in (request.view_args or {}).items() if k != "lang"}
    values.update(request.args.to_dict())
    return [languages.Link(lang, absolute(request.endpoint, **values, **languages.prefix_values(lang)),
                           languages.name(lang), True) for lang in languages.configured()]


def _page(template: str, **context) -> str:
    return render_template(template, page_lang=_lang(), alternates=_alternates(), lang_values=_where(), **context)


def _private(page, status: int = 200):
    return _no_referrer(current_app.make_response((page, status)))


def _join_page(open_: bool, tiers, email: str = "", errors: dict | None = None) -> str:
    return _page("members/join.html", open=open_, tiers=tiers, email=email, errors=errors or {})


@bp.get("/join", defaults={"lang": None})
@bp.get("/<lang:lang>/join")
def join(lang):
    tiers = all_tiers()
    return _join_page(stripe_api.configured() and bool(tiers), tiers)


@bp.post("/join", defaults={"lang": None})
@bp.post("/<lang:lang>/join")
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"])
def join_submit(lang):
    tiers = all_tiers()
    if not (stripe_api.configured() and tiers):
        return _join_page(False, tiers)
    result = joining.request_link(request.form.get("email", ""), request.form.get("tier", ""), _lang())
    if result.errors:
        return _join_page(True, tiers, request.form.get("email", ""), result.errors), 422
    # The same page for every address: only the mail, decided when it is sent, differs.
    return _page("members/join_sent.html")


def _continue_page(token: str, link, errors: dict | None = None, status: int = 200):
    page = _page("members/join_continue.html", link=link, token=token, errors=errors or {})
    # The token (it carries the address) must reach no one else, Stripe included, in a Referer.
    return _private(page, status if link else 400)


@bp.get("/join/continue", defaults={"lang": None})
@bp.get("/<lang:lang>/join/continue")
def join_continue(lang):
    # Mail scanners open every link: the GET only shows the tier and a button; the POST goes to Checkout.
    token = request.args.get("token", "")
    return _continue_page(token, joining.read_link(token))


@bp.post("/join/continue", defaults={"lang": None})
@bp.post("/<lang:lang>/join/continue")
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"])
def join_checkout(lang):
    token = request.args.get("token", "")
    link = joining.read_link(token)
    if link is None:
        return _continue_page(token, None)
    result = checkouts.start(*link, _lang()) if stripe_api.configured() else joining.payments_unavailable()
    if result.already_member:  # nothing to pay: a sign-in link is on its way instead
        return _private(_page("members/signin_sent.html"))
    if result.unavailable:
        response = _continue_page(token, link, result.errors, 503)
        response.headers["Retry-After"] = "60"
        return response
    # This browser proved the address: it, and only it, may be signed in once this Checkout is paid.
    session[CHECKOUT_KEY] = result.checkout_session_id or result.paid_session_id
    if result.paid_session_id:  # paid already (a reload after paying): where paying leads, not a second Checkout
        return _no_referrer(redirect(url_for("members.join_success", session_id=result.paid_session_id,
                                             **_where()), code=303))
    return _no_referrer(redirect(result.checkout_url, code=303))


CHECKOUT_KEY = "checkout"  # the Flask session's record of the Checkout this browser started


@bp.get("/join/success", defaults={"lang": None})
@bp.get("/<lang:lang>/join/success")
def join_success(lang):
    # The session_id in the URL proves nothing (it can be shared); the browser that started the Checkout
    # from the mailed link proved the address, and the Flask session (a signed cookie) says which that was.
    session_id = request.args.get("session_id", "")
    started = bool(session_id) and session.get(CHECKOUT_KEY) == session_id
    member = checkouts.paid_member(session_id) if started else None
    if member is not None:
        sessions.start("member", member.id, member.token_version)
        session.pop(CHECKOUT_KEY, None)
        flash(_("Thank you. Your membership is active and this browser is signed in."))
        return _no_referrer(redirect(url_for("members.account", **_where()), code=303))
    return _private(_page("members/join_success.html", pending=started))


@bp.get("/signin", defaults={"lang": None})
@bp.get("/<lang:lang>/signin")
def signin_form(lang):
    return _page("members/signin.html")


@bp.post("/signin", defaults={"lang": None})
@bp.post("/<lang:lang>/signin")
@limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"])
def signin_submit(lang):
    signin.send_signin_link(request.form.get("email", ""), _lang())
    return _page("members/signin_sent.html")


@bp.get("/signin/<token>", defaults={"lang": None})
@bp.get("/<lang:lang>/signin/<token>")
def signin_link(token: str, lang):
    # Mail scanners open every link: the GET only shows a button; the POST spends the link.
    member = signin.peek(token)
    return _private(_page("members/signin_link.html", member=member, token=token), 200 if member else 400)


@bp.post("/signin/<token>", defaults={"lang": None})
@bp.post("/<lang:lang>/signin/<token>")
@limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"])
def signin_use(token: str, lang):
    member = signin.use(token)
    if member is None:
        return _private(_page("members/signin_link.html", member=None, token=token), 400)
    # A new member session: an editor's beside it, and the CSRF secret, stay as they are.
    sessions.start("member", member.id, member.token_version)
    return _no_referrer(redirect(url_for("members.account", **_where()), code=303))


def _signed_in_member() -> Member:
    member_id = account_member_id()
    member = db.session.get(Member, member_id) if member_id is not None else None
    if member is None:
        abort(redirect(url_for("members.signin_form", **_where())))
    return member


@bp.get("/account", defaults={"lang": None})
@bp.get("/<lang:lang>/account")
def account(lang):
    member = _signed_in_member()
    tier = db.session.get(Tier, member.tier_id) if member.tier_id else None
    return _private(_page(
        "members/account.html", member=member, tier=tier, active=has_access(member),
        feeds=private_feeds(member, _lang()), formats=FORMATS,
        portal=bool(member.stripe_customer_id and stripe_api.configured()),
    ))


@bp.post("/account/token", defaults={"lang": None})
@bp.post("/<lang:lang>/account/token")
def account_new_token(lang):
    member = _signed_in_member()
    if request.form.get("confirm") != "yes":
        flash(_("Nothing changed: tick the box to confirm that your old feed addresses should stop working."))
        return redirect(url_for("members.account", _anchor="new-addresses", **_where()), code=303)
    replace_token(member)  # ends every session of the member's, this one too: it starts afresh
    sessions.start("member", member.id, member.token_version)
    flash(_("Your feed addresses are new. The old ones no longer work: update your feed reader."))
    return redirect(url_for("members.account", **_where()), code=303)


@bp.post("/account/billing", defaults={"lang": None})
@bp.post("/<lang:lang>/account/billing")
def account_billing(lang):
    member = _signed_in_member()
    if not (member.stripe_customer_id and stripe_api.configured()):
        abort(404, _("There is no Stripe billing for this membership."))
    try:
        portal = stripe_api.create_portal_session(member.stripe_customer_id,
                                                  absolute("members.account", **_where()), _lang())
    except stripe_api.StripeUnavailable as exc:
        log.warning("billing portal unavailable: %s", exc)
        abort(503, _("The billing service cannot be reached right now. Please try again in a few minutes."))
    return redirect(portal["url"], code=303)


@bp.post("/account/signout", defaults={"lang": None})
@bp.post("/<lang:lang>/account/signout")
def account_signout(lang):
    sessions.end("member")  # the member's alone: a desk session in this browser stays
    return redirect(url_for("content.home", **_where()), code=303)


@bp.post("/stripe/webhook")
@csrf.exempt
@limiter.exempt
def stripe_webhook():
    if not current_app.config["STRIPE_WEBHOOK_SECRET"]:
        raise APIError(404, "Stripe webhooks are not configured here.")
    try:
        event = webhooks.read(request.get_data(), request.headers.get("Stripe-Signature", ""))
        kind = event["type"] if event["type"] in billing.HANDLERS else "other"
        outcome = billing.handle_event(event)
    except webhooks.BadEvent as exc:
        # Whatever the bytes, a webhook we cannot read is the sender's problem: 400, one line, no trace.
        WEBHOOKS.labels("unverified" if exc.code == "bad_signature" else "malformed", exc.code).inc()
        log.warning("stripe webhook refused: %s", exc.reason)
        raise APIError(400, "The Stripe webhook could not be verified or read.", code=exc.code) from None
    except stripe_api.StripeUnavailable as exc:
        WEBHOOKS.labels(kind, "unavailable").inc()
        log.warning("stripe event %s not applied: %s", event["id"], exc)
        raise APIError(503, "Stripe could not be read; deliver the event again.",
                       headers={"Retry-After": "60"}) from None
    WEBHOOKS.labels(kind, "ignored" if outcome.ignored else "applied").inc()
    return {"received": True, "ignored": outcome.ignored}
