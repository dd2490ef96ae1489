"""Joining, signing in and the member's account page. Thin: the work is in join, signin and billing."""
from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for

from .. import sessions
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


@bp.get("/join")
def join():
    tiers = all_tiers()
    return render_template("members/join.html", open=stripe_api.configured() and bool(tiers), tiers=tiers,
                           email="", errors={})


@bp.post("/join")
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"])
def join_submit():
    tiers = all_tiers()
    if not (stripe_api.configured() and tiers):
        return render_template("members/join.html", open=False, tiers=tiers, email="", errors={})
    result = joining.request_link(request.form.get("email", ""), request.form.get("tier", ""))
    if result.errors:
        return render_template("members/join.html", open=True, tiers=tiers, email=request.form.get("email", ""),
                               errors=result.errors), 422
    # The same page for every address: only the mail, decided when it is sent, differs.
    return render_template("members/join_sent.html")


def _continue_page(token: str, link, errors: dict | None = None, status: int = 200):
    page = render_template("members/join_continue.html", link=link, token=token, errors=errors or {})
    # The token (it carries the address) must reach no one else, Stripe included, in a Referer.
    return _no_referrer(current_app.make_response((page, status if link else 400)))


@bp.get("/join/continue")
def join_continue():
    # Mail scanners open every link: the GET only shows the tier and a button; the POST goes to Checkout.
    token = request.args.get("token", "")
    return _continue_page(token, joining.read_link(token))


@bp.post("/join/continue")
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"])
def join_checkout():
    token = request.args.get("token", "")
    link = joining.read_link(token)
    if link is None:
        return _continue_page(token, None)
    result = checkouts.start(*link) if stripe_api.configured() else joining.payments_unavailable()
    if result.already_member:  # nothing to pay: a sign-in link is on its way instead
        return _no_referrer(current_app.make_response(render_template("members/signin_sent.html")))
    if result.unavailable:
        response = _continue_page(token, link, result.errors, 503)
        response.headers["Retry-After"] = "60"
        return response
    # This browser proved the address: it, and only it, may be signed in once this Checkout is paid.
    session[CHECKOUT_KEY] = result.checkout_session_id or result.paid_session_id
    if result.paid_session_id:  # paid already (a reload after paying): where paying leads, not a second Checkout
        return _no_referrer(redirect(url_for("members.join_success", session_id=result.paid_session_id), code=303))
    return _no_referrer(redirect(result.checkout_url, code=303))


CHECKOUT_KEY = "checkout"  # the Flask session's record of the Checkout this browser started


@bp.get("/join/success")
def join_success():
    # The session_id in the URL proves nothing (it can be shared); the browser that started the Checkout
    # from the mailed link proved the address, and the Flask session (a signed cookie) says which that was.
    session_id = request.args.get("session_id", "")
    started = bool(session_id) and session.get(CHECKOUT_KEY) == session_id
    member = checkouts.paid_member(session_id) if started else None
    if member is not None:
        sessions.start("member", member.id, member.token_version)
        session.pop(CHECKOUT_KEY, None)
        flash("Thank you. Your membership is active and this browser is signed in.")
        return _no_referrer(redirect(url_for("members.account"), code=303))
    return _no_referrer(current_app.make_response(render_template("members/join_success.html", pending=started)))


@bp.route("/signin", methods=["GET"])
def signin_form():
    return render_template("members/signin.html")


@bp.post("/signin")
@limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"])
def signin_submit():
    signin.send_signin_link(request.form.get("email", ""))
    return render_template("members/signin_sent.html")


@bp.get("/signin/<token>")
def signin_link(token: str):
    # Mail scanners open every link: the GET only shows a button; the POST spends the link.
    member = signin.peek(token)
    return _no_referrer(current_app.make_response(
        (render_template("members/signin_link.html", member=member, token=token), 200 if member else 400)
    ))


@bp.post("/signin/<token>")
@limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"])
def signin_use(token: str):
    member = signin.use(token)
    if member is None:
        return _no_referrer(current_app.make_response(
            (render_template("members/signin_link.html", member=None, token=token), 400)))
    # A new member session: an editor's beside it, and the CSRF secret, stay as they are.
    sessions.start("member", member.id, member.token_version)
    return _no_referrer(redirect(url_for("members.account"), code=303))


def _signed_in_member() -> Member:
    member_id = account_member_id()
    member = db.session.get(Member, member_id) if member_id is not None else None
    if member is None:
        abort(redirect(url_for("members.signin_form")))
    return member


@bp.get("/account")
def account():
    member = _signed_in_member()
    tier = db.session.get(Tier, member.tier_id) if member.tier_id else None
    return _no_referrer(current_app.make_response(render_template(
        "members/account.html", member=member, tier=tier, active=has_access(member), feeds=private_feeds(member),
        formats=FORMATS,
        portal=bool(member.stripe_customer_id and stripe_api.configured()),
    )))


@bp.post("/account/token")
def account_new_token():
    member = _signed_in_member()
    if request.form.get("confirm") != "yes":
        flash("Nothing changed: tick the box to confirm that your old feed addresses should stop working.")
        return redirect(url_for("members.account", _anchor="new-addresses"), code=303)
    replace_token(member)  # ends every session of the member's, this one too: it starts afresh
    sessions.start("member", member.id, member.token_version)
    flash("Your feed addresses are new. The old ones no longer work: update your feed reader.")
    return redirect(url_for("members.account"), code=303)


@bp.post("/account/billing")
def account_billing():
    member = _signed_in_member()
    if not (member.stripe_customer_id and stripe_api.configured()):
        abort(404, "There is no Stripe billing for this membership.")
    try:
        portal = stripe_api.create_portal_session(member.stripe_customer_id, absolute("members.account"))
    except stripe_api.StripeUnavailable as exc:
        log.warning("billing portal unavailable: %s", exc)
        abort(503, "The billing service cannot be reached right now. Please try again in a few minutes.")
    return redirect(portal["url"], code=303)


@bp.post("/account/signout")
def account_signout():
    sessions.end("member")  # the member's alone: a desk session in this browser stays
    return redirect(url_for("content.home"), code=303)


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
