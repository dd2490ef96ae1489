"""One person, one subscription: the mailed continue link POSTed again and again (reload, back button, double
click, a second tab, in parallel) leads to one Checkout; /join/success signs in only the browser that started it.

Against the `site` fixture: the app over HTTP, the Checkout stand-in (which honours Idempotency-Key as Stripe
does) in front of localstripe, and an SMTP sink.
"""
from __future__ import annotations

import re
import threading

import pytest

from servers import wait_for
from test_membership import Browser, cli, continue_link, plan_and_tier

pytestmark = pytest.mark.slow


@pytest.fixture
def site_config() -> dict:
    return {"SIGNUP_RATE_LIMIT": "1000 per minute"}  # these tests post the same form many times on purpose


def creates(site) -> int:
    """How many times the app asked Stripe to create a Checkout."""
    return site.standin.api_calls.count("POST /v1/checkout/sessions")


def open_sessions(site) -> list[str]:
    return [sid for sid, s in site.standin.sessions.items() if s["status"] == "open"]


def mailed_link(site, email: str, tier: str = "1", count: int = 1) -> str:
    assert Browser(site.url).submit("/join", email=email, tier=tier)[0] == 200
    return continue_link(site, email, count)


def press_continue(browser: Browser, link: str, csrf: str | None = None):
    """The "Continue to payment" button: (status, Location, page)."""
    status, headers, page = browser.request(link, {"csrf_token": csrf or browser.csrf(link)})
    return status, headers.get("Location", ""), page


def test_the_continue_link_posted_again_and_again_reuses_one_checkout(site):
    plan_and_tier(site)
    link = mailed_link(site, "again@example.org")
    browser = Browser(site.url)
    csrf = browser.csrf(link)
    # A double click (the same form twice), a reload, the back button and the button again, a second tab.
    answers = [press_continue(browser, link, csrf), press_continue(browser, link, csrf),
               press_continue(browser, link), press_continue(Browser(site.url), link)]
    locations = {location for status, location, _ in answers}
    assert [status for status, _, _ in answers] == [303] * 4 and len(locations) == 1
    assert locations.pop().startswith(site.standin.url + "/pay/cs_test_")
    assert len(site.standin.sessions) == 1 and creates(site) == 1

    # Paid: the membership is active, so the link leads to no Checkout at all any more.
    session_id = next(iter(site.standin.sessions))
    browser.request(f"{site.standin.url}/pay/{session_id}", data={})
    site.smtp.wait_for_mail("again@example.org", 2)  # the welcome: the membership is active
    status, _, page = press_continue(browser, link)
    assert status == 200 and "sign-in link is on its way" in page
    assert len(site.standin.sessions) == 1 and creates(site) == 1


def test_parallel_posts_of_the_continue_link_make_one_checkout(site):
    plan_and_tier(site)
    link = mailed_link(site, "parallel@example.org")
    browser = Browser(site.url)
    csrf = browser.csrf(link)
    site.standin.gate.clear()  # Stripe is slow: the first create is still running when the others arrive
    answers = [None] * 3

    def press(i):
        answers[i] = press_continue(browser, link, csrf)

    threads = [threading.Thread(target=press, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    try:
        # Each request reached Stripe with the one sign-up's key; two were told the first is still running.
        wait_for(lambda: creates(site) == 3, what="three creates at Stripe")
    finally:
        site.standin.gate.set()
    for thread in threads:
        thread.join(30)
    assert [status for status, _, _ in answers] == [303] * 3
    assert len({location for _, location, _ in answers}) == 1
    assert len(site.standin.sessions) == 1 and len(site.standin.idempotent) == 1


def test_a_lost_answer_is_retried_with_the_same_idempotency_key(site):
    plan_and_tier(site)
    link = mailed_link(site, "lost@example.org")
    browser = Browser(site.url)
    site.standin.lost_answers = 1  # Stripe makes the session, and its answer never arrives
    status, _, page = press_continue(browser, link)
    assert status == 503 and "Payments cannot be taken right now" in page
    status, location, _ = press_continue(browser, link)  # the person tries again
    assert status == 303 and location == site.standin.url + "/pay/" + next(iter(site.standin.sessions))
    assert creates(site) == 2 and len(site.standin.sessions) == 1


def test_an_expired_checkout_is_replaced_and_another_tier_closes_the_open_one(site):
    plan_and_tier(site)
    cli(site, "tiers", "add", "--name", "Patron", "--price", site.plan("plan_patron_checkout", amount=2000))
    link = mailed_link(site, "switch@example.org")
    browser = Browser(site.url)
    first = press_continue(browser, link)[1].rsplit("/", 1)[-1]
    site.standin.expire(first)  # a day goes by
    second = press_continue(browser, link)[1].rsplit("/", 1)[-1]
    assert second != first and open_sessions(site) == [second]

    # A newer mail for the other tier: its Checkout replaces the open one, which can no longer be paid.
    patron = mailed_link(site, "switch@example.org", tier="2", count=2)
    third = press_continue(browser, patron)[1].rsplit("/", 1)[-1]
    assert third not in (first, second) and open_sessions(site) == [third]
    assert site.standin.sessions[third]["_price"] == "plan_patron_checkout"
    assert browser.request(f"{site.standin.url}/pay/{second}", data={})[0] == 410
    # And back: the first mail's link again closes the patron Checkout rather than keeping two.
    fourth = press_continue(browser, link)[1].rsplit("/", 1)[-1]
    assert open_sessions(site) == [fourth] and fourth != third


def test_success_signs_in_only_the_browser_that_started_the_checkout(site):
    """Even before any webhook: the success page asks Stripe whether the Checkout is paid."""
    plan_and_tier(site)
    site.localstripe.register_webhook(site.url + "/nowhere", "whsec_other")  # no subscription events
    site.standin.send_completed = False  # and no checkout.session.completed
    link = mailed_link(site, "first@example.org")
    browser = Browser(site.url)
    pay_url = press_continue(browser, link)[1]
    session_id = pay_url.rsplit("/", 1)[-1]
    success = f"{site.url}/join/success?session_id={session_id}"

    # Before paying: thanked, not signed in.
    status, _, page = browser.request(success)
    assert status == 200 and "still being confirmed" in page and browser.request("/account")[0] == 302

    status, headers, _ = browser.request(pay_url, data={})
    assert status == 303 and headers["Location"] == success
    # A reload of the continue link right after paying makes no second Checkout: it leads to the success page.
    status, location, _ = press_continue(browser, link)
    assert status == 303 and site.url + location == success and len(site.standin.sessions) == 1

    # Others holding the URL: a stranger, and a browser that started a Checkout of its own.
    stranger = Browser(site.url)
    other = Browser(site.url)
    press_continue(other, mailed_link(site, "second@example.org"))
    for someone in (stranger, other):
        status, _, page = someone.request(success)
        assert status == 200 and "Thank you" in page and "still being confirmed" not in page
        assert someone.request("/account")[0] == 302

    # The browser that proved the address and paid.
    status, headers, _ = browser.request(success)
    assert status == 303 and headers["Location"].endswith("/account")
    status, _, page = browser.request("/account")
    assert status == 200 and "first@example.org" in page and re.search(r"latest\.atom\?token=", page)
    welcome = site.smtp.wait_for_mail("first@example.org", 2)[1]
    assert "Welcome" in welcome["Subject"]
    # Its success URL, used again, signs no one else in either.
    assert stranger.request(success)[0] == 200 and stranger.request("/account")[0] == 302
