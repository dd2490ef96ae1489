"""A new member's path in headless Chromium: /join, the mailed link that continues to payment, Stripe
Checkout (the stand-in), back signed in on /account (that browser alone; another signs in by the welcome
mail's link), its feed URLs, and replacing those URLs.

The site is the `site` fixture: the app over HTTP, Stripe behind the Checkout stand-in and localstripe,
mail caught by an aiosmtpd sink. Only the browser is new here; helpers come from test_membership.
"""
from __future__ import annotations

import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import feedparser
import pytest

from browser import PHONE  # skips this module without a browser
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from test_membership import archive_status, links_in, plan_and_tier, publish_old_day  # noqa: E402

pytestmark = pytest.mark.slow

SCREENSHOTS = Path("/tmp")


# Where /account shows each format of the site's feed: Atom is the main feed, first on the page.
FEED_FIELDS = {"Atom": "#feed-main", "RSS": "#feed-latest-rss", "JSON Feed": "#feed-latest-json"}


def feed_url(page, label: str) -> str:
    """The URL in the read-only field of one format of the member's site feed on /account."""
    field = page.locator(FEED_FIELDS[label])
    assert field.count() == 1, f"no single field for {label} on /account"
    return field.input_value().strip()


def account_with_cookies_of(context, origin: str) -> tuple[int, str]:
    """GET /account carrying the browser's cookies, following no redirect; (status, Location)."""
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies(origin))

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(origin + "/account", headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as answer:
            return answer.status, answer.headers.get("Location", "")
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, exc.headers.get("Location", "")


def shoot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"syndicate-{name}-375.png"), full_page=True)


def test_new_member_joins_pays_signs_in_and_replaces_feed_urls(site, chromium):
    day = publish_old_day(site)
    plan = plan_and_tier(site)
    email = f"reader-{uuid.uuid4().hex[:8]}@example.org"
    allowed = (site.url + "/", site.standin.url + "/")

    context = chromium.new_context(viewport=PHONE, locale="en-GB", timezone_id="UTC", service_workers="block")
    page = context.new_page()
    requests, failures = [], []
    page.on("request", lambda request: requests.append((page.url, request.url)))
    page.on("requestfailed", lambda request: failures.append(f"{request.failure} {request.url}"))
    blocked = []  # what the browser refused to do, in its own words (CSP violations land in the console)
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    try:
        # /join: choose the tier, give an email, ask for the link.
        response = page.goto(site.url + "/join", wait_until="load")
        assert response.status == 200
        shoot(page, "join")
        tier = page.get_by_role("radio", name=re.compile(r"Supporter"))
        tier.check()
        assert tier.is_checked()
        page.get_by_label("Your email address").fill(email)
        with page.expect_navigation(wait_until="load"):
            page.get_by_role("button", name="Email me a link to continue").click()
        assert page.get_by_role("heading", level=1).inner_text().strip() == "Check your email"
        assert site.standin.sessions == {}, "Checkout started before the address was proven"

        # The mail's link shows the tier and a button; opening it starts nothing.
        mailed = site.smtp.wait_for_mail(email)[0]
        link = next(link for link in links_in(mailed) if "/join/continue?token=" in link)
        assert link.startswith(site.url + "/join/continue?token=")
        page.goto(link, wait_until="load")
        assert "Supporter" in page.locator("main").inner_text()
        shoot(page, "join-continue")
        assert site.standin.sessions == {}, "opening the mailed link started a Checkout"
        page.get_by_role("button", name="Continue to payment").click()

        # Stripe Checkout (the stand-in's hosted page).
        try:
            page.wait_for_url(re.compile(re.escape(site.standin.url) + r"/pay/cs_test_\w+$"), timeout=10_000)
            at_checkout = True
        except PlaywrightTimeout:
            at_checkout = False
        assert at_checkout, (f"'Continue to payment' never reached Stripe Checkout; still at {page.url}; "
                             f"browser says: {blocked}")
        session = site.standin.sessions[page.url.rsplit("/", 1)[-1]]
        assert session["mode"] == "subscription" and session["customer_email"] == email
        assert session["_price"] == plan  # the tier chosen is the price charged
        page.get_by_role("button", name=re.compile(r"^Pay ")).click()

        # Back on our site: the browser that proved the address and paid is signed in, and lands on /account.
        page.wait_for_url(site.url + "/account")
        notice = page.get_by_role("status").filter(has_text="signed in")
        assert "signed in" in notice.inner_text(), notice.inner_text()
        success = f"{site.url}/join/success?session_id={session['id']}"

        # Anyone else given the success URL (here another browser) is thanked and signed in as no one.
        other = chromium.new_context(viewport=PHONE, locale="en-GB", timezone_id="UTC", service_workers="block")
        try:
            elsewhere = other.new_page()
            assert elsewhere.goto(success, wait_until="load").status == 200
            main = elsewhere.locator("main")
            assert re.search(r"\bemail\b", main.inner_text(), re.I), main.inner_text()
            html = elsewhere.content()
            assert "token=" not in html and "/signin/" not in html, "the success page shows a sign-in secret"
            status, location = account_with_cookies_of(other, site.url)
            assert status in (302, 303) and "/signin" in location, (status, location)

            # The welcome mail's sign-in link, opened in that other browser (another device of the member's).
            welcome = site.smtp.wait_for_mail(email, 2)[1]  # after the join mail
            signin = next(link for link in links_in(welcome) if "/signin/" in link)
            assert signin.startswith(site.url + "/signin/")
            elsewhere.goto(signin, wait_until="load")
            button = elsewhere.get_by_role("button", name="Sign in", exact=True)
            assert button.is_visible()
            shoot(elsewhere, "signin-link")
            # Opening the link signed nobody in: /account, asked with the browser's cookies, still says sign in.
            # (Asked outside the browser so the answer's cookies cannot change the browser's session.)
            status, location = account_with_cookies_of(other, site.url)
            assert status in (302, 303) and "/signin" in location, (status, location)
            button.click()
            elsewhere.wait_for_url(site.url + "/account")
        finally:
            other.close()

        # /account: three feed URLs.
        assert page.get_by_role("heading", level=1).inner_text().strip() == "Your account"
        feeds = {label: feed_url(page, label) for label in ("RSS", "Atom", "JSON Feed")}
        for label, url in feeds.items():
            assert url.startswith(site.url + "/feeds/latest.") and "token=" in url, (label, url)
        assert len(set(feeds.values())) == 3
        shoot(page, "account")

        old_atom = feeds["Atom"]
        with urllib.request.urlopen(old_atom, timeout=10) as answer:
            parsed = feedparser.parse(answer.read())
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        titles = [entry.title for entry in parsed.entries]
        assert "Old news" in titles and "Today" in titles, titles

        # New feed addresses: the shown URL changes, the old one dies at once.
        old_token = old_atom.split("token=", 1)[1]
        assert archive_status(site, day, old_token) == 200
        page.get_by_role("button", name="Make new feed addresses").click()  # unconfirmed: the form stays
        assert archive_status(site, day, old_token) == 200
        page.get_by_label("I understand that my old feed addresses will stop working").check()
        with page.expect_navigation(wait_until="load"):
            page.get_by_role("button", name="Make new feed addresses").click()
        assert page.url == site.url + "/account"
        new_atom = feed_url(page, "Atom")
        assert new_atom != old_atom and new_atom.startswith(site.url + "/feeds/latest.atom?token=")
        new_token = new_atom.split("token=", 1)[1]
        assert archive_status(site, day, old_token) == 401
        assert archive_status(site, day, new_token) == 200
    finally:
        context.close()

    assert requests, "the browser recorded no requests"
    foreign = [(origin, url) for origin, url in requests if not url.startswith(allowed)]
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert failures == [], f"failed requests: {failures}"
    assert blocked == [], f"the browser blocked: {blocked}"
