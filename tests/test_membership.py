"""Membership through Stripe, against localstripe (plus the thin Checkout stand-in) and a real SMTP server."""
from __future__ import annotations

import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from http.cookiejar import CookieJar

import feedparser
import pytest

from conftest import WEBHOOK_SECRET, ago, last_line
from servers import wait_for
from stripe_standin import post_signed

pytestmark = pytest.mark.slow


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects, for forms with CSRF tokens."""

    def __init__(self, base: str):
        self.base = base
        self.jar = CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, url: str, data: dict | None = None, method: str | None = None, headers=None):
        url = url if url.startswith("http") else self.base + url
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as exc:
            with exc:  # closed here, not whenever it is collected (an unclosed socket warns, and warnings fail)
                return exc.code, dict(exc.headers), exc.read().decode()

    def csrf(self, path: str) -> str:
        status, _, html = self.request(path)
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def submit(self, path: str, **fields):
        return self.request(path, {"csrf_token": self.csrf(path), **fields})


def cli(site, *args) -> str:
    result = site.app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def token_of(site, email: str) -> str | None:
    result = site.app.test_cli_runner().invoke(args=["members", "token", email])
    return last_line(result.output) if result.exit_code == 0 else None


def editor_api(site):
    """POST to the editorial API over HTTP as a new editor: api(path, body) -> the JSON answer."""
    import json

    editor = last_line(cli(site, "editors", "add", f"desk-{uuid.uuid4().hex[:6]}"))

    def api(path, body):
        request = urllib.request.Request(site.url + path, data=json.dumps(body).encode(), method="POST", headers={
            "Authorization": f"Bearer {editor}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    return api


def publish_old_day(site) -> str:
    """An entry ten days back (outside the public window) and two recent days; returns the old day."""
    api = editor_api(site)
    api("/api/stories", {"title": "Old", "slug": "old"})
    api("/api/stories/old/entries", {"headline": "Old news", "body_text": "x", "published_at": ago(days=10)})
    api("/api/stories", {"title": "New", "slug": "new"})
    api("/api/stories/new/entries", {"headline": "Yesterday", "body_text": "y", "published_at": ago(days=1)})
    api("/api/stories/new/entries", {"headline": "Today", "body_text": "z", "published_at": ago(minutes=1)})
    return (datetime.now(timezone(timedelta(hours=4))) - timedelta(days=10)).date().isoformat()


def archive_status(site, day: str, token: str) -> int:
    try:
        with urllib.request.urlopen(f"{site.url}/archive/{day}.atom?token={token}", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def links_in(message) -> list[str]:
    return re.findall(r"https?://\S+", message.get_content())


def events_applied(site, subscription_id: str) -> bool:
    """Whether every event localstripe made about a subscription that we handle is in our ledger."""
    from sqlalchemy import select

    from syndicate.extensions import db
    from syndicate.members.billing import HANDLERS
    from syndicate.models import StripeEvent

    def about(event) -> bool:
        obj = event.to_dict()["data"]["object"]
        return event.type in HANDLERS and subscription_id in (obj.get("id"), obj.get("subscription"))

    ids = {event.id for event in site.stripe.v1.events.list({"limit": 100}).auto_paging_iter() if about(event)}
    with site.app.app_context():
        applied = set(db.session.scalars(select(StripeEvent.id).where(StripeEvent.id.in_(ids))))
        db.session.remove()
    return bool(ids) and ids <= applied


def outbox_empty(site) -> bool:
    """Whether the outbox has sent (or dropped) everything queued so far."""
    from syndicate.extensions import db
    from syndicate.members import outbox

    with site.app.app_context():
        depth = outbox.depth()
        db.session.remove()
    return depth == 0


def plan_and_tier(site, interval="month") -> str:
    plan = site.plan(f"plan_{uuid.uuid4().hex[:10]}", interval=interval)
    cli(site, "tiers", "add", "--name", "Supporter", "--price", plan, "--amount", "500", "--currency", "eur",
        "--interval", interval)
    return plan


def test_subscription_lifecycle_end_to_end(site):
    """Created through the Stripe library (no checkout here): webhooks make the member; cancel ends access."""
    day = publish_old_day(site)
    plan = plan_and_tier(site)
    subscription = site.subscribe("dashboard@example.org", plan)

    token = wait_for(lambda: token_of(site, "dashboard@example.org"), what="member from webhook")
    wait_for(lambda: archive_status(site, day, token) == 200, what="archive opens")
    welcome = site.smtp.wait_for_mail("dashboard@example.org")[0]
    links = links_in(welcome)
    assert any("/signin/" in link for link in links)
    assert f"{site.url}/feeds/latest.atom?token={token}" in links

    site.stripe.v1.subscriptions.cancel(subscription.id)
    wait_for(lambda: archive_status(site, day, token) == 401, what="archive closes after cancel")
    # Any late event (invoice, created) must not reopen it: wait until every one of them was applied.
    wait_for(lambda: events_applied(site, subscription.id), what="every event of the subscription applied")
    assert archive_status(site, day, token) == 401
    assert len(site.smtp.to("dashboard@example.org")) == 1  # one welcome, however many events

    # Subscribing again: the same member, the same token works again.
    site.subscribe("dashboard@example.org", plan)
    wait_for(lambda: archive_status(site, day, token) == 200, what="archive reopens on a new subscription")


def test_bad_or_stale_signature_is_400_and_changes_nothing(site):
    plan = plan_and_tier(site)
    subscription = site.subscribe("unsigned@example.org", plan)
    event = {"id": "evt_forged", "type": "customer.subscription.created", "created": int(time.time()),
             "data": {"object": {"id": subscription.id, "object": "subscription"}}}
    hook = site.url + "/stripe/webhook"
    site.localstripe.register_webhook(site.url + "/nowhere", "whsec_other")  # keep localstripe out of it
    assert post_signed(hook, "whsec_wrong", event) == 400
    assert post_signed(hook, WEBHOOK_SECRET, event, timestamp=int(time.time()) - 3600) == 400
    request = urllib.request.Request(hook, data=b"{}", method="POST", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400
    assert token_of(site, "unsigned@example.org") is None
    # The same event, correctly signed, is applied — once.
    assert post_signed(hook, WEBHOOK_SECRET, event) == 200
    assert token_of(site, "unsigned@example.org") is not None
    assert post_signed(hook, WEBHOOK_SECRET, event) == 200
    assert len(site.smtp.wait_for_mail("unsigned@example.org")) == 1


def test_late_update_after_delete_leaves_the_member_lapsed(site):
    day = publish_old_day(site)
    plan = plan_and_tier(site)
    site.localstripe.register_webhook(site.url + "/nowhere", "whsec_other")  # deliver events by hand
    subscription = site.subscribe("late@example.org", plan)
    snapshot = subscription.to_dict()  # status active, as a delayed "updated" event would carry it
    hook = site.url + "/stripe/webhook"
    assert post_signed(hook, WEBHOOK_SECRET, {"id": "evt_created", "type": "customer.subscription.created",
                                              "data": {"object": snapshot}}) == 200
    token = token_of(site, "late@example.org")
    assert archive_status(site, day, token) == 200
    cancelled = site.stripe.v1.subscriptions.cancel(subscription.id).to_dict()
    assert post_signed(hook, WEBHOOK_SECRET, {"id": "evt_deleted", "type": "customer.subscription.deleted",
                                              "data": {"object": cancelled}}) == 200
    assert archive_status(site, day, token) == 401
    assert post_signed(hook, WEBHOOK_SECRET, {"id": "evt_late_update", "type": "customer.subscription.updated",
                                              "data": {"object": snapshot}}) == 200
    assert archive_status(site, day, token) == 401


def test_subscriptions_to_other_products_are_ignored(site):
    other = site.plan(f"plan_other_{uuid.uuid4().hex[:8]}")
    subscription = site.subscribe("merch@example.org", other)
    # Every event about it delivered and applied; nothing may have come of them.
    wait_for(lambda: events_applied(site, subscription.id), what="the events of the other product's subscription")
    assert token_of(site, "merch@example.org") is None


def test_members_sync_reconciles_every_subscription(site):
    plan = plan_and_tier(site)
    site.localstripe.register_webhook(site.url + "/nowhere", "whsec_other")  # an outage: no webhooks arrive
    emails = [f"sync{n}-{uuid.uuid4().hex[:6]}@example.org" for n in range(3)]
    subs = [site.subscribe(email, plan) for email in emails]
    site.stripe.v1.subscriptions.cancel(subs[2].id)
    site.app.config["STRIPE_PAGE_SIZE"] = 2  # make it paginate
    output = cli(site, "members", "sync")
    assert "welcome emails sent" in output
    day = publish_old_day(site)
    assert archive_status(site, day, token_of(site, emails[0])) == 200
    assert archive_status(site, day, token_of(site, emails[1])) == 200
    lapsed = token_of(site, emails[2])
    assert lapsed is None or archive_status(site, day, lapsed) == 401
    cli(site, "members", "sync")  # again: nothing new
    assert len(site.smtp.to(emails[0])) == 1


def asked_of_stripe(site) -> list[str]:
    """The app's calls to Stripe, less the re-reads a webhook makes: localstripe lives for the whole
    session, so a late event about an earlier test's subscription may arrive at any time."""
    return [call for call in site.standin.api_calls
            if not re.fullmatch(r"GET /v1/(subscriptions|customers)/\w+", call)]


def continue_link(site, email: str, count: int = 1) -> str:
    """The "continue to payment" link in the count-th mail to an address."""
    mail = site.smtp.wait_for_mail(email, count)[count - 1]
    return next(link for link in links_in(mail) if "/join/continue?token=" in link)


def test_join_checkout_signin_and_account(site):
    day = publish_old_day(site)
    plan_and_tier(site, interval="year")
    browser = Browser(site.url)
    status, _, page = browser.request("/join")
    assert status == 200 and "Supporter" in page and "5.00 EUR a year" in page
    status, _, page = browser.submit("/join", email="reader@example.org", tier="1")
    assert status == 200 and "Check your email" in page
    assert asked_of_stripe(site) == []  # nothing goes to Stripe before the address is proven

    # The mail's link: opening it (a scanner first, then the person) changes nothing.
    link = continue_link(site, "reader@example.org")
    assert link.startswith(site.url + "/join/continue?token=")
    for method in ("HEAD", "GET"):
        assert Browser(site.url).request(link, method=method)[0] == 200
    status, headers, page = browser.request(link)
    assert status == 200 and "Supporter" in page and "Continue to payment" in page
    assert headers["Referrer-Policy"] == "no-referrer" and "no-store" in headers["Cache-Control"]
    assert asked_of_stripe(site) == [] and site.standin.sessions == {}

    token_field = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    status, headers, _ = browser.request(link, {"csrf_token": token_field})
    assert status == 303 and headers["Location"].startswith(site.standin.url + "/pay/cs_test_")
    session = site.standin.sessions[headers["Location"].rsplit("/", 1)[-1]]
    assert session["mode"] == "subscription" and session["customer_email"] == "reader@example.org"
    assert session["success_url"] == site.url + "/join/success?session_id={CHECKOUT_SESSION_ID}"
    assert session["cancel_url"] == site.url + "/join"
    assert session["client_reference_id"]

    status, headers, _ = browser.request(headers["Location"], data={})  # "pay"
    success = f"{site.url}/join/success?session_id={session['id']}"
    assert status == 303 and headers["Location"] == success
    # Anyone else given the success URL is thanked and signed in as no one.
    stranger = Browser(site.url)
    status, _, page = stranger.request(success)
    assert status == 200 and "email" in page and "token=" not in page
    assert stranger.request("/account")[0] == 302
    # The browser that opened the mailed link and started this Checkout is the same person: signed in.
    status, headers, _ = browser.request(success)
    assert status == 303 and headers["Location"].endswith("/account")
    status, _, page = browser.request("/account")
    assert status == 200 and "this browser is signed in" in page
    assert stranger.request(success)[0] == 200 and stranger.request("/account")[0] == 302

    # The welcome mail's sign-in link, opened on another device.
    device = Browser(site.url)
    mail = site.smtp.wait_for_mail("reader@example.org", 2)[1]  # the welcome, after the join mail
    signin = next(link for link in links_in(mail) if "/signin/" in link)
    for method in ("HEAD", "GET", "GET"):  # a mail scanner opens it first; nothing is spent
        assert Browser(site.url).request(signin, method=method)[0] == 200
    status, _, page = device.request(signin)
    assert "Sign in" in page
    token_field = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    status, headers, _ = device.request(signin, {"csrf_token": token_field})
    assert status == 303 and headers["Location"].endswith("/account")
    assert device.request("/account")[0] == 200
    status, headers, account = browser.request("/account")
    assert status == 200 and headers["Referrer-Policy"] == "no-referrer"
    feed_url = re.search(r'value="(http[^"]+latest\.atom\?token=[^"]+)"', account).group(1)
    parsed = feedparser.parse(urllib.request.urlopen(feed_url.replace("&amp;", "&"), timeout=10).read())
    assert parsed.bozo == 0 and parsed.entries

    # The link works once.
    again = Browser(site.url)
    page = again.request(signin)[2]
    assert "expired or has been used" in page

    # A new token: the old feed URL dies at once.
    old_token = feed_url.split("token=")[1]
    assert archive_status(site, day, old_token) == 200
    status, _, _ = browser.request("/account/token", {"csrf_token": browser.csrf("/account")})
    assert status == 303 and archive_status(site, day, old_token) == 200  # not confirmed: nothing changed
    status, _, _ = browser.request("/account/token", {"csrf_token": browser.csrf("/account"), "confirm": "yes"})
    assert status == 303
    assert archive_status(site, day, old_token) == 401
    new_token = re.search(r'latest\.atom\?token=([^"]+)"', browser.request("/account")[2]).group(1)
    assert archive_status(site, day, new_token) == 200

    # The billing portal.
    status, headers, _ = browser.request("/account/billing", {"csrf_token": browser.csrf("/account")})
    assert status == 303 and headers["Location"].startswith(site.standin.url + "/portal/bps_")

    # Joining again while a member: the answer is the one anyone gets, and the mail (a sign-in link, no
    # payment link) says there is nothing to pay. Nothing reaches Stripe.
    calls = len(asked_of_stripe(site))
    status, _, page = Browser(site.url).submit("/join", email="reader@example.org", tier="1")
    assert status == 200 and "Check your email" in page
    mail = site.smtp.wait_for_mail("reader@example.org", 3)[2]
    assert "already a member" in mail.get_content()
    assert any("/signin/" in link for link in links_in(mail))
    assert not any("/join/continue" in link for link in links_in(mail))

    # The first mail's continue link, still within its day, leads to no second subscription either.
    sessions = dict(site.standin.sessions)
    status, _, page = browser.request(link, {"csrf_token": browser.csrf(link)})
    assert status == 200 and "sign-in link is on its way" in page
    assert site.standin.sessions == sessions
    assert asked_of_stripe(site)[calls:] == []
    assert "/signin/" in site.smtp.wait_for_mail("reader@example.org", 4)[3].get_content()


def test_join_answers_members_and_strangers_alike_and_asks_stripe_nothing(site):
    plan_and_tier(site)
    cli(site, "members", "comp", "member@example.org")
    cli(site, "members", "comp", "lapsed@example.org", "--until", "2020-01-31")
    answers = {}
    for email in ("member@example.org", "stranger@example.org", "lapsed@example.org"):
        browser = Browser(site.url)
        csrf = browser.csrf("/join")
        status, headers, body = browser.request("/join", {"csrf_token": csrf, "email": email, "tier": "1"})
        # Cookies and the CSRF token are per browser; the rate-limit counters count this test's requests.
        ignored = {"Set-Cookie", "Date", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
        answers[email] = status, {k: v for k, v in headers.items() if k not in ignored}, body.replace(csrf, "")
    assert answers["member@example.org"] == answers["stranger@example.org"] == answers["lapsed@example.org"]
    assert answers["stranger@example.org"][0] == 200
    assert asked_of_stripe(site) == []

    member = site.smtp.wait_for_mail("member@example.org")[0]
    assert "already a member" in member.get_content()
    assert [link for link in links_in(member) if "/join/" in link] == []
    assert any(link.startswith(site.url + "/signin/") for link in links_in(member))
    for email in ("stranger@example.org", "lapsed@example.org"):  # a lapsed member may pay again
        mail = site.smtp.wait_for_mail(email)[0]
        assert "/signin/" not in mail.get_content()
        assert continue_link(site, email).startswith(site.url + "/join/continue?token=")
    assert asked_of_stripe(site) == []


def test_signin_answers_the_same_for_unknown_addresses(site):
    plan_and_tier(site)
    cli(site, "members", "comp", "known@example.org")
    known = Browser(site.url).submit("/signin", email="known@example.org")
    unknown = Browser(site.url).submit("/signin", email="stranger@example.org")
    assert known[0] == unknown[0] == 200 and known[2] == unknown[2]
    assert site.smtp.wait_for_mail("known@example.org")
    wait_for(lambda: outbox_empty(site), what="the outbox to finish both requests")
    assert site.smtp.to("stranger@example.org") == []


def test_forms_need_csrf(site):
    plan_and_tier(site)
    status, _, _ = Browser(site.url).request("/join", {"email": "x@example.org", "tier": "1"})
    assert status == 400
    Browser(site.url).submit("/join", email="x@example.org", tier="1")
    link = continue_link(site, "x@example.org")
    assert Browser(site.url).request(link, {})[0] == 400
    assert site.standin.sessions == {}
    assert Browser(site.url).request("/signin", {"email": "x@example.org"})[0] == 400


def test_sync_never_writes_back_what_a_webhook_overtook(localstripe, database_url, tmp_path):
    """A sync reads a page (active); a cancellation webhook is applied before the sync applies the page:
    the page is older than the cancellation, so the member stays canceled."""
    import json

    import stripe
    from werkzeug.wrappers import Request, Response

    from conftest import STRIPE_KEY, close_app, make_config
    from servers import LiveServer, free_port
    from stripe_standin import sign
    from syndicate import create_app
    from syndicate.extensions import db
    from syndicate.models import Member

    client = stripe.StripeClient(STRIPE_KEY, base_addresses={"api": localstripe.url})
    plan = f"plan_{uuid.uuid4().hex[:10]}"
    client.v1.plans.create({"id": plan, "amount": 500, "currency": "eur", "interval": "month",
                            "product": {"name": plan}})
    localstripe.register_webhook("http://127.0.0.1:9/nowhere", "whsec_other")  # events come by hand here
    email = f"overtaken-{uuid.uuid4().hex[:6]}@example.org"
    customer = client.v1.customers.create({"email": email})
    card = client.v1.payment_methods.create({"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    client.v1.payment_methods.attach(card.id, {"customer": customer.id})
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": card.id}})
    subscription = client.v1.subscriptions.create({"customer": customer.id, "items": [{"plan": plan}]})

    port = free_port()
    app = create_app(make_config(database_url, STRIPE_SECRET_KEY=STRIPE_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                                 STRIPE_API_BASE=f"http://127.0.0.1:{port}"), instance_path=str(tmp_path / "i"))
    def run(*args) -> str:
        result = app.test_cli_runner().invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output

    run("tiers", "add", "--name", "Supporter", "--price", plan)
    overtaken = []

    def proxy(environ, start_response):
        """Stripe as seen by the app; the first subscription list it is given is overtaken by a cancellation."""
        request = Request(environ)
        forward = urllib.request.Request(localstripe.url + request.full_path.rstrip("?"), method=request.method,
                                         data=request.get_data() or None, headers={
                                             "Authorization": request.headers.get("Authorization", ""),
                                             "Content-Type": request.headers.get("Content-Type", "")})
        with urllib.request.urlopen(forward, timeout=10) as answer:
            body, status = answer.read(), answer.status
        if request.path == "/v1/subscriptions" and request.method == "GET" and not overtaken:
            overtaken.append(True)
            cancelled = client.v1.subscriptions.cancel(subscription.id).to_dict()
            payload = json.dumps({"id": "evt_overtaking", "type": "customer.subscription.deleted",
                                  "data": {"object": cancelled}}).encode()
            hook = app.test_client().post("/stripe/webhook", data=payload, headers={
                "Content-Type": "application/json", "Stripe-Signature": sign(payload, WEBHOOK_SECRET)})
            assert hook.status_code == 200
        return Response(body, status=status, content_type="application/json")(environ, start_response)

    with LiveServer(proxy, port):
        output = run("members", "sync")
    assert overtaken and "subscriptions applied" in output
    with app.app_context():
        status = db.session.scalar(db.select(Member.status).where(Member.email == email))
        db.session.remove()
    close_app(app)
    assert status == "canceled"
