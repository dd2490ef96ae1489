"""The member pages and mail in Russian: every page kind under /ru/ in Russian alone, links that keep the
language, and mail written in the member's language (the form's they last used), English for the rest.

Most with the test client: Stripe's API is a closed port (a call to it answers "payments unavailable"),
and mail goes to the instance's outbox folder. The last tests join through Checkout (the stand-in in
front of localstripe) and read the mail an SMTP server received. Axe and screenshots: test_i18n_members_browser.
"""
from __future__ import annotations

import email
import email.policy
import html
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from catalogue import english_left, latin_runs, page_language
from conftest import SITE, member_token
from servers import free_port, wait_for
from syndicate.extensions import db
from syndicate.models import Member, Tier

RU = "chitatel@example.org"  # addresses are Latin whatever the language: the scans allow the one shown
EN = "reader@example.org"


@pytest.fixture
def app_config():
    return {"LANGUAGES": "en,ru", "STRIPE_SECRET_KEY": "sk_test_unused",
            "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}", "STRIPE_TIMEOUT": 2,
            "SIGNIN_RATE_LIMIT": "100 per minute", "SIGNUP_RATE_LIMIT": "100 per minute"}


@pytest.fixture
def tiers(runner):
    for args in (("--name", "Supporter", "--translated-name", "ru=Сторонник", "--price", "price_month",
                  "--amount", "500", "--currency", "eur", "--interval", "month"),
                 ("--name", "Sustainer", "--translated-name", "ru=Меценат", "--price", "price_year",
                  "--amount", "5050", "--currency", "eur", "--interval", "year")):
        result = runner.invoke(args=["tiers", "add", *args])
        assert result.exit_code == 0, result.output


@pytest.fixture
def russian_newsroom(newsroom):
    newsroom.region("abkhazia", "Abkhazia", ru="Абхазия")  # entered in English, named in Russian too
    newsroom.region("south-ossetia", "South Ossetia", ru="Южная Осетия")
    newsroom.story(slug="koridor", title="Гуманитарный коридор", kind="live", language="ru", regions=["abkhazia"])
    newsroom.entry("koridor", headline="Грузовики пересекают границу", body_text="Репортаж с места.")
    newsroom.story(slug="corridor", title="The corridor", kind="live", regions=["abkhazia"])
    newsroom.entry("corridor", headline="Lorries cross", body_text="Reporting from the ground.")


def russian(page: str, *shown: str) -> None:
    """The page is a Russian one, and nothing on it is English: neither marked strings nor unmarked ones."""
    assert page_language(page) == "ru"
    assert english_left(page) == []
    site = "syndicate demo newsroom"
    assert latin_runs(page, {site, *shown}) == []


def flat(page: str) -> str:
    """The page with its runs of white space made one space, as a reader sees them."""
    return re.sub(r"[ \t\n]+", " ", page)  # not str.split(): a price's no-break space stays


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post(client, form_page: str, action: str | None = None, **data):
    """Submit a form as a browser does: the CSRF token from the page that holds it."""
    token = csrf_of(client.get(form_page).get_data(as_text=True))
    return client.post(action or form_page, data={"csrf_token": token, **data})


def member_id(app, address: str) -> int:
    with app.app_context():
        found = db.session.scalar(db.select(Member.id).where(Member.email == address))
        db.session.remove()
    return found


def language_of(app, address: str) -> str | None:
    with app.app_context():
        found = db.session.scalar(db.select(Member.language).where(Member.email == address))
        db.session.remove()
    return found


def link_path(app, address: str, kind: str = "signin", lang: str = "ru") -> str:
    from syndicate.members.tokens import make_signin_token

    with app.app_context():
        token = make_signin_token(member_id(app, address), kind)
    return f"/{lang}/signin/{token}" if lang != "en" else f"/signin/{token}"


def sign_in_ru(app, client, address: str) -> None:
    link = link_path(app, address)
    response = post(client, link)
    assert response.status_code == 303 and response.headers["Location"] == "/ru/account"


def mails_to(app, address: str) -> list[email.message.EmailMessage]:
    """What the outbox wrote for an address (no SMTP server here), once it has sent everything queued."""
    from syndicate.members import outbox

    def drained() -> bool:
        with app.app_context():
            depth = outbox.depth()
            db.session.remove()
        return depth == 0

    wait_for(drained, what="the outbox to empty")
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted((Path(app.instance_path) / "outbox").glob("*.eml"))]
    return [m for m in messages if m["To"] == address]


def links_in(message) -> list[str]:
    return re.findall(r"https?://\S+", message.get_content())


def mail_text(message) -> str:
    """A mail as a page for the scans: its subject and body, links left out (addresses are no words)."""
    body = re.sub(r"https?://\S+", "", message.get_content())
    return (f'<html lang="ru"><head><title>{html.escape(message["Subject"])}</title></head>'
            f"<body><pre>{html.escape(body)}</pre></body></html>")


def russian_mail(message) -> None:
    page = mail_text(message)
    assert english_left(page) == [], message.get_content()
    assert latin_runs(page, {"syndicate demo newsroom"}) == [], message.get_content()
    assert re.search("[а-я]", message["Subject"]) and re.search("[а-я]", message.get_content())


def english_mail(message) -> None:
    assert not re.search("[а-яё]", message["Subject"] + message.get_content(), re.I), message.get_content()


# --- pages -------------------------------------------------------------------------------------------

def test_the_join_pages_are_russian_under_ru(app, client, tiers):
    page = client.get("/ru/join").get_data(as_text=True)
    russian(page)
    # Tiers by their Russian names, priced as a Russian reader writes it, with the interval in words.
    assert "Сторонник: 5\xa0€ в месяц" in page and "Меценат: 50,50\xa0€ в год" in page
    assert 'action="/ru/join"' in page and 'href="/ru/signin"' in page
    assert 'hreflang="en" href="http://newsroom.test/join"' in page  # the switcher leads to this page in English

    # A form with mistakes comes back in Russian, its errors too.
    wrong = post(client, "/ru/join", email="not an address", tier="999")
    assert wrong.status_code == 422
    russian(wrong.get_data(as_text=True), "not an address")
    assert "Укажите адрес электронной почты" in wrong.get_data(as_text=True)

    sent = post(client, "/ru/join", email=RU, tier="1")
    assert sent.status_code == 200
    russian(sent.get_data(as_text=True))
    assert 'href="/ru/join"' in sent.get_data(as_text=True)

    # The mailed link leads to the Russian continue page, in Russian, with the tier and price.
    (mail,) = mails_to(app, RU)
    link = next(u for u in links_in(mail) if "/join/continue" in u).replace(SITE, "")
    assert link.startswith("/ru/join/continue?token=")
    page = client.get(link).get_data(as_text=True)
    russian(page, RU)
    assert "Сторонник, 5\xa0€ в месяц" in page and f'action="{html.escape(link)}"' in page

    # Its button: Stripe is unreachable here, and says so in Russian.
    unavailable = post(client, link)
    assert unavailable.status_code == 503
    russian(unavailable.get_data(as_text=True), RU)
    assert "Сейчас мы не можем принять оплату" in unavailable.get_data(as_text=True)

    expired = client.get("/ru/join/continue?token=broken")
    assert expired.status_code == 400
    russian(expired.get_data(as_text=True))
    assert 'href="/ru/join"' in expired.get_data(as_text=True)


def test_join_when_closed_is_russian_too(app, client, runner):
    app.config["STRIPE_SECRET_KEY"] = ""
    russian(client.get("/ru/join").get_data(as_text=True))  # no tiers: not open yet
    runner.invoke(args=["tiers", "add", "--name", "Supporter", "--translated-name", "ru=Сторонник",
                        "--price", "price_m", "--amount", "500", "--currency", "eur", "--interval", "month"])
    page = client.get("/ru/join").get_data(as_text=True)
    russian(page)  # tiers, but no payments here
    assert "<strong>Сторонник</strong>: 5\xa0€ в месяц" in page


def test_the_success_page_is_russian_while_the_payment_is_confirmed(client):
    page = client.get("/ru/join/success?session_id=cs_test_unknown")
    russian(page.get_data(as_text=True))
    assert 'href="/ru/signin"' in page.get_data(as_text=True)
    with client.session_transaction() as session:
        session["checkout"] = "cs_test_started"  # this browser started that Checkout: it waits to be signed in
    pending = client.get("/ru/join/success?session_id=cs_test_started").get_data(as_text=True)
    russian(pending)
    assert "Оплата ещё подтверждается" in pending
    assert 'href="/ru/join/success?session_id=cs_test_started"' in pending


def test_the_signin_pages_are_russian_and_lead_to_the_russian_account(app, client, runner, russian_newsroom):
    member_token(runner, RU)
    form = client.get("/ru/signin").get_data(as_text=True)
    russian(form)
    assert 'action="/ru/signin"' in form
    sent = post(client, "/ru/signin", email=RU)
    russian(sent.get_data(as_text=True))

    link = link_path(app, RU)
    page = client.get(link)
    assert page.status_code == 200
    russian(page.get_data(as_text=True), RU)
    assert f'action="{link}"' in page.get_data(as_text=True)
    response = post(client, link)
    assert response.status_code == 303 and response.headers["Location"] == "/ru/account"

    used = client.get(link)
    assert used.status_code == 400
    russian(used.get_data(as_text=True))
    assert 'href="/ru/signin"' in used.get_data(as_text=True)
    spent = post(client, "/ru/signin", action=link)  # the button again, once the link is spent
    assert spent.status_code == 400
    russian(spent.get_data(as_text=True))


def test_the_account_page_is_russian_active_lapsed_and_paying(app, client, runner, russian_newsroom, tiers):
    member_token(runner, RU)
    sign_in_ru(app, client, RU)
    page = client.get("/ru/account").get_data(as_text=True)
    russian(page, RU)
    assert "Бесплатное членство · действует" in flat(page) and "бессрочно" in page
    # Feeds of the member's language: the Russian site's, its regions', the Russian stories'.
    assert re.search(r'value="http://newsroom\.test/ru/feeds/latest\.atom\?token=[^"]+"', page)
    assert "/ru/regions/abkhazia/feed.rss?token=" in page and "/stories/koridor/feed.atom?token=" in page
    assert "/stories/corridor/" not in page  # the English story is on the English account page
    assert "<h3>Абхазия</h3>" in page and "По регионам (2)" in page and "По материалам (1 самый новый)" in page
    # Links and forms stay Russian.
    for target in ('href="/ru/feeds"', 'action="/ru/account/token"', 'action="/ru/account/signout"'):
        assert target in page
    assert 'data-copied="Скопировано"' in page

    # The confirmation unticked, then ticked: each says so, in Russian, on the Russian page.
    response = post(client, "/ru/account", action="/ru/account/token")
    assert response.headers["Location"] == "/ru/account#new-addresses"
    page = client.get("/ru/account").get_data(as_text=True)
    russian(page, RU)
    assert "Ничего не изменилось" in page
    response = post(client, "/ru/account", action="/ru/account/token", confirm="yes")
    assert response.headers["Location"] == "/ru/account"
    page = client.get("/ru/account").get_data(as_text=True)
    russian(page, RU)
    assert "Адреса ваших лент обновлены" in page

    # A lapsed complimentary membership: a day in Russian, and the way to renew in Russian.
    runner.invoke(args=["members", "comp", RU, "--until", "2020-11-04"])
    page = client.get("/ru/account").get_data(as_text=True)
    russian(page, RU)
    assert "не действует" in page and 'по <time datetime="2020-11-04">4 ноября 2020</time> включительно' in page
    assert 'href="/ru/join">Продлите членство</a>' in page

    # A paying member: tier, price, the renewal day and the billing form.
    with app.app_context():
        member = db.session.get(Member, member_id(app, RU))
        member.status, member.tier_id, member.stripe_customer_id = "active", 2, "cus_test_ru"
        member.period_end = datetime(2030, 3, 1, 12, tzinfo=timezone.utc)
        db.session.commit()
        db.session.remove()
    page = client.get("/ru/account").get_data(as_text=True)
    russian(page, RU)
    assert "Меценат, 50,50\xa0€ в год · действует" in flat(page) and "Продлевается" in page and "1 марта 2030" in page
    assert 'action="/ru/account/billing"' in page

    signout = post(client, "/ru/account", action="/ru/account/signout")
    assert signout.headers["Location"] == "/ru/"
    assert client.get("/ru/account").headers["Location"] == "/ru/signin"


def test_english_member_pages_are_unchanged(app, client, runner, tiers):
    page = client.get("/join").get_data(as_text=True)
    assert page_language(page) == "en" and "Supporter: 5.00 EUR a month" in page
    assert "Sustainer: 50.50 EUR a year" in page and 'action="/join"' in page
    assert 'hreflang="ru" href="http://newsroom.test/ru/join"' in page
    member_token(runner, EN)
    link = link_path(app, EN, lang="en")
    assert post(client, link).headers["Location"] == "/account"
    account = client.get("/account").get_data(as_text=True)
    assert page_language(account) == "en" and "Complimentary · active" in flat(account)
    assert "http://newsroom.test/feeds/latest.atom?token=" in account and 'href="/feeds"' in account


def test_accept_language_changes_nothing(client, tiers):
    plain = client.get("/join").get_data()
    assert client.get("/join", headers={"Accept-Language": "ru"}).get_data() == plain
    russian_page = client.get("/ru/join", headers={"Accept-Language": "en"})
    assert russian_page.status_code == 200 and page_language(russian_page.get_data(as_text=True)) == "ru"


def test_languages_the_site_does_not_have_are_no_pages(client):
    assert client.get("/de/join").status_code == 404
    assert client.get("/en/signin").status_code == 404  # the default language lives at the root


# --- mail ----------------------------------------------------------------------------------------------

def test_signin_mail_is_in_the_language_of_the_form_and_remembered(app, client, runner):
    member_token(runner, RU)
    assert language_of(app, RU) is None  # `members comp`: no form used yet
    post(client, "/ru/signin", email=RU)
    (mail,) = mails_to(app, RU)
    russian_mail(mail)
    assert mail["Subject"] == "Вход на syndicate demo newsroom"
    (link,) = links_in(mail)
    assert link.startswith(SITE + "/ru/signin/")
    assert language_of(app, RU) == "ru"

    # The same member on the English form: English from now on.
    post(client, "/signin", email=RU)
    mail = mails_to(app, RU)[-1]
    english_mail(mail)
    assert links_in(mail)[0].startswith(SITE + "/signin/")
    assert language_of(app, RU) == "en"


def test_a_lapsed_members_signin_mail_says_so_in_russian(app, client, runner):
    member_token(runner, RU, "--until", "2020-01-01")
    post(client, "/ru/signin", email=RU)
    (mail,) = mails_to(app, RU)
    russian_mail(mail)
    assert "не действует" in mail.get_content()


def test_join_mails_are_in_the_language_of_the_form(app, client, runner, tiers):
    post(client, "/ru/join", email=RU, tier="2")
    (mail,) = mails_to(app, RU)
    russian_mail(mail)
    assert "Меценат, 50,50\xa0€ в год" in mail.get_content() and "действует 24 часа" in mail.get_content()
    assert mail["Subject"] == "Членство в syndicate demo newsroom: перейдите к оплате"

    # An active member asking from the Russian form is told so in Russian, with a Russian sign-in link.
    member_token(runner, EN)
    post(client, "/ru/join", email=EN, tier="1")
    (mail,) = mails_to(app, EN)
    russian_mail(mail)
    assert links_in(mail)[0].startswith(SITE + "/ru/signin/") and language_of(app, EN) == "ru"

    # And from the English form, in English.
    post(client, "/join", email="someone@example.org", tier="1")
    (mail,) = mails_to(app, "someone@example.org")
    english_mail(mail)
    assert "Supporter, 5.00 EUR a month" in mail.get_content()
    assert links_in(mail)[0].startswith(SITE + "/join/continue?token=")


def test_welcome_mail_is_in_the_members_language_with_that_languages_feeds(app, client, runner):
    # `members comp --mail` makes a member no form named a language for: the site's default.
    result = runner.invoke(args=["members", "comp", EN, "--mail"])
    assert result.exit_code == 0, result.output
    (mail,) = mails_to(app, EN)
    english_mail(mail)
    assert mail["Subject"] == "Welcome to syndicate demo newsroom"
    assert any(u.startswith(SITE + "/feeds/latest.atom?token=") for u in links_in(mail))

    # A member whose language is Russian is welcomed in Russian, with the Russian feeds and sign-in page.
    member_token(runner, RU)
    post(client, "/ru/signin", email=RU)
    mails_to(app, RU)
    result = runner.invoke(args=["members", "comp", RU, "--mail"])
    assert result.exit_code == 0, result.output
    mail = mails_to(app, RU)[-1]
    russian_mail(mail)
    assert mail["Subject"] == "Добро пожаловать в syndicate demo newsroom"
    links = links_in(mail)
    assert links[0].startswith(SITE + "/ru/signin/")
    assert {u.split("?")[0] for u in links[1:]} == {SITE + f"/ru/feeds/latest.{fmt}" for fmt in ("rss", "atom", "json")}


def test_a_language_no_longer_configured_falls_back_to_the_default(app, client, runner):
    member_token(runner, RU)
    with app.app_context():
        db.session.get(Member, member_id(app, RU)).language = "ka"  # a language the site has since dropped
        db.session.commit()
        db.session.remove()
    runner.invoke(args=["members", "comp", RU, "--mail"])
    (mail,) = mails_to(app, RU)
    english_mail(mail)
    assert links_in(mail)[0].startswith(SITE + "/signin/")


def test_tier_names_in_other_languages_are_checked_and_kept(app, runner):
    bad = runner.invoke(args=["tiers", "add", "--name", "Supporter", "--price", "price_m",
                              "--translated-name", "de=Unterstützer"])
    assert bad.exit_code != 0 and "LANG=NAME" in bad.output
    for args in (("--translated-name", "ru=Сторонник"), ()):  # updated without names: the Russian one stays
        assert runner.invoke(args=["tiers", "add", "--name", "Supporter", "--price", "price_m", *args]).exit_code == 0
    with app.app_context():
        tier = db.session.scalar(db.select(Tier))
        assert tier.names == {"ru": "Сторонник"}
        db.session.remove()


# --- through Stripe Checkout (the stand-in in front of localstripe) and an SMTP server -------------------

@pytest.fixture
def site_config():
    return {"LANGUAGES": "en,ru"}


@pytest.mark.slow
def test_a_join_from_the_russian_pages_is_russian_to_the_welcome(site):
    from test_membership import Browser, cli

    plan = site.plan(f"plan_ru_{free_port()}")
    cli(site, "tiers", "add", "--name", "Supporter", "--translated-name", "ru=Сторонник", "--price", plan,
        "--amount", "500", "--currency", "eur", "--interval", "month")
    address = f"novyi-{free_port()}@example.org"
    browser = Browser(site.url)
    status, _, page = browser.submit("/ru/join", email=address, tier="1")
    assert status == 200 and page_language(page) == "ru"
    join_mail = site.smtp.wait_for_mail(address)[0]
    russian_mail(join_mail)
    link = next(u for u in links_in(join_mail) if "/join/continue" in u)
    assert link.startswith(site.url + "/ru/join/continue?token=")

    # Checkout in Russian, and the language written into the subscription it makes.
    status, headers, _ = browser.request(link, {"csrf_token": browser.csrf(link)})
    assert status == 303
    session = site.standin.sessions[headers["Location"].rsplit("/", 1)[-1]]
    assert session["locale"] == "ru" and session["metadata"] == {"language": "ru"}
    assert session["success_url"] == site.url + "/ru/join/success?session_id={CHECKOUT_SESSION_ID}"
    assert session["cancel_url"] == site.url + "/ru/join"
    status, headers, _ = browser.request(headers["Location"], data={})  # "pay"
    assert status == 303 and headers["Location"] == f"{site.url}/ru/join/success?session_id={session['id']}"
    assert site.stripe.v1.subscriptions.retrieve(session["subscription"]).metadata.to_dict() == {"language": "ru"}

    # Back on the Russian pages, signed in, thanked in Russian.
    status, headers, _ = browser.request(headers["Location"])
    assert status == 303 and headers["Location"] == "/ru/account"
    status, _, page = browser.request("/ru/account")
    assert status == 200 and "Спасибо! Ваше членство действует" in page
    russian(page, address)

    # The welcome: Russian, its sign-in link to the Russian page, the Russian feeds.
    welcome = site.smtp.wait_for_mail(address, 2)[1]
    russian_mail(welcome)
    links = links_in(welcome)
    assert links[0].startswith(site.url + "/ru/signin/")
    assert any(u.startswith(site.url + "/ru/feeds/latest.atom?token=") for u in links)

    # The billing portal opens in Russian too, and comes back to the Russian account page.
    status, headers, _ = browser.request("/ru/account/billing", {"csrf_token": browser.csrf("/ru/account")})
    portal = site.standin.portal_sessions[headers["Location"].rsplit("/", 1)[-1]]
    assert status == 303 and portal["locale"] == "ru" and portal["return_url"] == site.url + "/ru/account"


@pytest.mark.slow
def test_a_subscription_from_the_dashboard_is_welcomed_in_the_default_language(site):
    from test_membership import cli

    plan = site.plan(f"plan_dash_{free_port()}")
    cli(site, "tiers", "add", "--name", "Supporter", "--translated-name", "ru=Сторонник", "--price", plan,
        "--amount", "500", "--currency", "eur", "--interval", "month")
    address = f"dashboard-{free_port()}@example.org"
    site.subscribe(address, plan)
    welcome = site.smtp.wait_for_mail(address)[0]
    english_mail(welcome)
    assert links_in(welcome)[0].startswith(site.url + "/signin/")
    assert any(u.startswith(site.url + "/feeds/latest.atom?token=") for u in links_in(welcome))


def test_a_russian_signin_link_is_scrubbed_from_logs_like_any():
    from syndicate.logs import scrub_request_line

    line = scrub_request_line("GET /ru/signin/WzEsInNlY3JldCJd.abc.def HTTP/1.1")
    assert "WzEs" not in line and "/ru/signin/[scrubbed]" in line
