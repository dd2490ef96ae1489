"""Membership without Stripe's servers: statuses and grace, sign-in links, leaked feed URLs, mail."""
from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path
from datetime import datetime, timedelta, timezone

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from conftest import ago, last_line, member_token
from syndicate.extensions import db
from syndicate.members import billing
from syndicate.members.tokens import SIGNIN_PURPOSE
from syndicate.models import Member


def old_day() -> str:
    return (datetime.now(timezone(timedelta(hours=4))) - timedelta(days=10)).date().isoformat()


@pytest.fixture
def archive(newsroom):
    newsroom.story(title="Old", slug="old")
    newsroom.entry("old", headline="Old news", published_at=ago(days=10))
    newsroom.story(title="New", slug="new")
    newsroom.entry("new", headline="Today", published_at=ago(minutes=1))
    newsroom.entry("new", headline="Yesterday", published_at=ago(days=1))
    return old_day()


def subscription(status: str, price: str = "price_supporter", sub_id: str = "sub_1", customer: str = "cus_1") -> dict:
    """A subscription as Stripe's current API shapes it."""
    return {"id": sub_id, "object": "subscription", "status": status, "customer": customer,
            "items": {"data": [{"price": {"id": price}}]}}


@pytest.mark.parametrize("status, past_due_days, open_", [
    ("active", None, True),
    ("trialing", None, True),
    ("past_due", 3, True),  # within SYNDICATE_GRACE_DAYS (7)
    ("past_due", 9, False),
    ("canceled", None, False),
    ("unpaid", None, False),
    ("incomplete_expired", None, False),
    ("incomplete", None, False),
])
def test_status_decides_access(app, client, runner, archive, status, past_due_days, open_):
    runner.invoke(args=["tiers", "add", "--name", "Supporter", "--price", "price_supporter"])
    with app.app_context():
        outcome = billing.Outcome()
        now = datetime.now(timezone.utc)
        failed = now - timedelta(days=past_due_days) if past_due_days else None
        billing.apply_subscription(subscription(status), now, outcome, email_hint="payer@example.org",
                                   failed_at=failed)
        db.session.commit()
    token = last_line(runner.invoke(args=["members", "token", "payer@example.org"]).output)
    assert (client.get(f"/archive/{archive}.atom?token={token}").status_code == 200) is open_


def test_older_plan_shape_and_unknown_price(app, runner):
    runner.invoke(args=["tiers", "add", "--name", "Old plan", "--price", "plan_legacy"])
    with app.app_context():
        legacy = {"id": "sub_old", "status": "active", "customer": "cus_9", "plan": {"id": "plan_legacy"},
                  "items": {"data": [{"plan": {"id": "plan_legacy"}}]}}
        outcome = billing.Outcome()
        billing.apply_subscription(legacy, datetime.now(timezone.utc), outcome, email_hint="legacy@example.org")
        assert [m.email for m in outcome.members] == ["legacy@example.org"]
        other = billing.Outcome()
        billing.apply_subscription(subscription("active", price="price_tshirt"), datetime.now(timezone.utc), other,
                                   email_hint="merch@example.org")
        assert other.members == [] and other.ignored == "not one of our tiers"


def test_an_older_reading_never_overwrites_a_newer_one(app, runner):
    runner.invoke(args=["tiers", "add", "--name", "Supporter", "--price", "price_supporter"])
    now = datetime.now(timezone.utc)
    with app.app_context():
        billing.apply_subscription(subscription("canceled"), now, billing.Outcome(), email_hint="r@example.org")
        billing.apply_subscription(subscription("active"), now - timedelta(seconds=1), billing.Outcome())
        db.session.commit()
        assert db.session.scalar(db.select(Member.status)) == "canceled"


def test_join_without_stripe_says_not_open(client):
    assert "not open yet" in client.get("/join").get_data(as_text=True)
    client.get("/join")
    response = client.post("/join", data={"email": "x@example.org", "tier": "1"})
    assert response.status_code in (200, 400)  # CSRF may refuse it; nothing breaks either way


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False, "SIGNIN_RATE_LIMIT": "3 per minute"}


def test_signin_is_rate_limited(client):
    statuses = [client.post("/signin", data={"email": f"x{n}@example.org"}).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def signin_links(app) -> list[str]:
    outbox = Path(app.instance_path) / "outbox"
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted(outbox.glob("*.eml"))]
    texts = [m.get_content() for m in messages]
    return [link for text in texts for link in re.findall(r"http://newsroom\.test/signin/\S+", text)]


def test_mail_goes_to_the_outbox_without_smtp_and_links_work_once(app, client, runner, caplog):
    runner.invoke(args=["members", "comp", "reader@example.org", "--mail"])
    links = signin_links(app)
    assert len(links) == 1
    secret = links[0].rsplit("/", 1)[1]
    assert secret not in caplog.text  # logged, but never the link itself
    path = links[0].replace("http://newsroom.test", "")
    assert client.get(path).status_code == 200 and client.head(path).status_code == 200
    assert client.get("/account").status_code == 302  # opening the link changed nothing
    assert client.post(path).status_code == 303
    account = client.get("/account").get_data(as_text=True)
    assert "reader@example.org" in account and "latest.json?token=" in account
    assert client.post(path).status_code == 400  # used


def test_signin_links_expire(app, client, runner):
    runner.invoke(args=["members", "comp", "reader@example.org"])

    class HalfAnHourAgo(TimestampSigner):
        def get_timestamp(self):
            return int(datetime.now(timezone.utc).timestamp()) - 31 * 60

    def serializer_31_minutes_ago(key, salt):
        return URLSafeTimedSerializer(key, salt=salt, signer=HalfAnHourAgo)

    stale = serializer_31_minutes_ago(app.config["SECRET_KEY"], salt=SIGNIN_PURPOSE).dumps([1, "nonce", "signin"])
    assert client.post(f"/signin/{stale}").status_code == 400
    welcome_age = serializer_31_minutes_ago(app.config["SECRET_KEY"], salt=SIGNIN_PURPOSE).dumps([1, "nonce2", "welcome"])
    assert client.post(f"/signin/{welcome_age}").status_code == 303  # welcome links last 7 days
    feed_token = member_token(runner)
    assert client.post(f"/signin/{feed_token}").status_code == 400  # a feed token is no sign-in link


def test_leaked_feed_urls_are_flagged(app, client, runner, archive):
    token = member_token(runner, "sharer@example.org")
    honest = member_token(runner, "honest@example.org")
    for n in range(12):
        client.get(f"/feeds/latest.atom?token={token}", environ_base={"REMOTE_ADDR": f"203.0.{n}.7"})
        client.get(f"/feeds/latest.atom?token={token}", environ_base={"REMOTE_ADDR": f"203.0.{n}.8"})  # same /24
    for _ in range(5):
        client.get(f"/feeds/latest.atom?token={honest}", environ_base={"REMOTE_ADDR": "198.51.100.4"})
    output = runner.invoke(args=["members", "suspicious"]).output
    assert "sharer@example.org\t12 networks" in output
    assert "honest@example.org" not in output
    with app.app_context():
        assert db.session.scalar(db.select(Member.flagged_at).where(Member.email == "sharer@example.org"))


def test_tiers_cli(runner):
    assert runner.invoke(args=["tiers", "add", "--name", "Monthly", "--price", "price_m", "--amount", "500",
                               "--currency", "EUR", "--interval", "month"]).exit_code == 0
    assert runner.invoke(args=["tiers", "add", "--name", "Monthly supporter", "--price", "price_m"]).exit_code == 0
    listing = runner.invoke(args=["tiers", "list"]).output
    assert "Monthly supporter\tprice_m" in listing
    assert runner.invoke(args=["tiers", "add", "--name", "x", "--price", "p", "--interval", "week"]).exit_code != 0


def test_sync_without_stripe_key_fails_clearly(runner):
    result = runner.invoke(args=["members", "sync"])
    assert result.exit_code != 0 and "SYNDICATE_STRIPE_SECRET_KEY" in result.output
