"""Fixtures shaped like flaskr's: app, client, runner, plus an editor and a small newsroom.

The database is SQLite by default; set SYNDICATE_TEST_DATABASE_URL (e.g.
postgresql+psycopg://postgres@127.0.0.1/test) to run the same tests on PostgreSQL.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from syndicate import create_app
from syndicate.cli import upgrade_database
from syndicate.extensions import db

TEST_DB_URL = os.environ.get("SYNDICATE_TEST_DATABASE_URL")
SITE = "http://newsroom.test"


def make_config(database_url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "SITE_URL": SITE,
        **extra,
    }


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> str:
    """A migrated database: a SQLite file copied per test, or the PostgreSQL test database."""
    if TEST_DB_URL:
        app = create_app(make_config(TEST_DB_URL), instance_path=str(tmp_path_factory.mktemp("pg-instance")))
        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            upgrade_database()
            db.engine.dispose()
        return TEST_DB_URL
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    app = create_app(make_config(f"sqlite:///{path}"), instance_path=str(path.parent / "instance"))
    with app.app_context():
        upgrade_database()
        db.engine.dispose()
    return str(path)


def fresh_database(template: str, tmp_path: Path) -> str:
    """A database URL holding an empty, migrated schema for one test."""
    if TEST_DB_URL:
        app = create_app(make_config(TEST_DB_URL), instance_path=str(tmp_path / "reset"))
        with app.app_context():
            tables = [t.name for t in reversed(db.metadata.sorted_tables)]
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            from syndicate.content.state import ensure_state_row

            ensure_state_row()
            db.engine.dispose()
        return TEST_DB_URL
    target = tmp_path / "syndicate.sqlite"
    shutil.copy(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def database_url(database_template, tmp_path) -> str:
    return fresh_database(database_template, tmp_path)


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change settings."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_config):
    app = create_app(make_config(database_url, **app_config), instance_path=str(tmp_path / "instance"))
    yield app
    close_app(app)


def close_app(app) -> None:
    """Let go of every database connection an app holds, so the next test can empty the tables."""
    from syndicate.members import outbox

    outbox.sender(app).stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def chromium():
    """Headless Debian Chromium (modules that use it import `browser`, which skips them without one)."""
    from playwright.sync_api import sync_playwright

    from browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


@pytest.fixture
def editor_token(runner) -> str:
    result = runner.invoke(args=["editors", "add", "desk"])
    assert result.exit_code == 0, result.output
    return last_line(result.output)


class Newsroom:
    """Drives the editorial API and CLI the way an editor would."""

    def __init__(self, client, runner, token):
        self.client = client
        self.runner = runner
        self.headers = {"Authorization": f"Bearer {token}"}

    def cli(self, *args) -> str:
        result = self.runner.invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output

    def region(self, slug, name, covered=True, **translated):
        """A region; `translated` gives its names in other languages (ru="Абхазия")."""
        names = [f"--translated-name={lang}={local}" for lang, local in translated.items()]
        self.cli("regions", "add", slug, "--name", name, "--covered" if covered else "--not-covered", *names)

    def story(self, **fields) -> dict:
        response = self.client.post("/api/stories", json=fields, headers=self.headers)
        assert response.status_code == 201, response.json
        return response.json

    def entry(self, slug, **fields) -> dict:
        if "body_html" not in fields:
            fields.setdefault("body_text", "Reporting from the ground.")
        response = self.client.post(f"/api/stories/{slug}/entries", json=fields, headers=self.headers)
        assert response.status_code == 201, response.json
        return response.json

    def patch(self, entry_id, **fields):
        return self.client.patch(f"/api/entries/{entry_id}", json=fields, headers=self.headers)

    def withdraw(self, entry_id, **fields):
        return self.client.post(f"/api/entries/{entry_id}/withdraw", json=fields, headers=self.headers)


@pytest.fixture
def newsroom(client, runner, editor_token) -> Newsroom:
    return Newsroom(client, runner, editor_token)


def ago(**delta) -> str:
    return (datetime.now(timezone.utc) - timedelta(**delta)).isoformat()


def earlier_today(fraction: float, zone: str = "Asia/Tbilisi") -> str:
    """A moment of the newsroom's current day that has passed: `fraction` of the way from its midnight to now.

    "An hour ago" is yesterday for the first hour after midnight; this is today at any hour.
    """
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo(zone))
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight + (now - midnight) * fraction).isoformat()


def member_token(runner, email="reader@example.org", *extra) -> str:
    result = runner.invoke(args=["members", "comp", email, *extra])
    assert result.exit_code == 0, result.output
    return last_line(result.output)


def sign_in(client, runner, email="reader@example.org") -> None:
    """Sign a browser in as a member does: the mailed link's page, then its button (a session on the server)."""
    import re

    from syndicate.members.tokens import make_signin_token

    member_token(runner, email)
    from syndicate.extensions import db
    from syndicate.models import Member

    with client.application.app_context():
        link = "/signin/" + make_signin_token(db.session.scalar(db.select(Member.id).where(Member.email == email)),
                                              "signin")
    page = client.get(link).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(link, data={"csrf_token": csrf})
    assert response.status_code == 303, response.get_data(as_text=True)


# --- membership: localstripe, the Checkout stand-in, SMTP and the app served over HTTP -------------

STRIPE_KEY = "sk_test_syndicate"
WEBHOOK_SECRET = "whsec_syndicate_test"


@pytest.fixture(scope="session")
def localstripe():
    from servers import LocalStripe

    server = LocalStripe()
    yield server
    server.close()


@pytest.fixture
def smtp():
    from servers import SMTPSink

    sink = SMTPSink()
    yield sink
    sink.close()


class Site:
    """The app served over HTTP with Stripe (localstripe + stand-in) and SMTP wired in."""

    def __init__(self, app, url, standin, localstripe, smtp):
        self.app, self.url, self.standin, self.localstripe, self.smtp = app, url, standin, localstripe, smtp
        import stripe

        self.stripe = stripe.StripeClient(STRIPE_KEY, base_addresses={"api": localstripe.url})

    def plan(self, plan_id: str, amount: int = 500, interval: str = "month") -> str:
        import stripe

        try:
            self.stripe.v1.plans.create({"id": plan_id, "amount": amount, "currency": "eur", "interval": interval,
                                         "product": {"name": plan_id}})
        except stripe.InvalidRequestError:
            pass  # localstripe lives for the whole session: the plan may exist already
        return plan_id

    def subscribe(self, email: str, plan_id: str):
        """A subscription made outside our checkout (the Dashboard, a migration)."""
        customer = self.stripe.v1.customers.create({"email": email})
        card = self.stripe.v1.payment_methods.create({"type": "card", "card": {
            "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
        self.stripe.v1.payment_methods.attach(card.id, {"customer": customer.id})
        self.stripe.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": card.id}})
        return self.stripe.v1.subscriptions.create({"customer": customer.id, "items": [{"plan": plan_id}]})


@pytest.fixture
def site_config() -> dict:
    return {}


@pytest.fixture
def site(database_url, tmp_path, localstripe, smtp, site_config):
    from servers import LiveServer, free_port
    from stripe_standin import StripeStandIn

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with StripeStandIn(localstripe.url, STRIPE_KEY, url + "/stripe/webhook", WEBHOOK_SECRET) as standin:
        app = create_app(make_config(
            database_url, SITE_URL=url, STRIPE_SECRET_KEY=STRIPE_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            STRIPE_API_BASE=standin.url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, **site_config,
        ), instance_path=str(tmp_path / "site-instance"))
        localstripe.register_webhook(url + "/stripe/webhook", WEBHOOK_SECRET)
        with LiveServer(app, port):
            yield Site(app, url, standin, localstripe, smtp)
        close_app(app)


@pytest.fixture
def make_app(database_url, tmp_path):
    """Apps made with extra settings, all closed at the end (their outbox threads too)."""
    made = []

    def make(**settings):
        app = create_app(make_config(database_url, WTF_CSRF_ENABLED=False, **settings),
                         instance_path=str(tmp_path / f"instance-{len(made)}"))
        made.append(app)
        return app

    yield make
    for app in made:
        close_app(app)
