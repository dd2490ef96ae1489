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
from syndicate.members.tokens import JOIN_PURPOSE, SIGNIN_PURPOSE
from syndicate.models import Member, Signup
from syndicate.writes import private_write


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
        with private_write():  # the caller's unit of work, as a webhook's or a sync's
            billing.apply_subscription(subscription(status), now, outcome, email_hint="payer@example.org",
                                       failed_at=failed)
    token = last_line(runner.invoke(args=["members", "token", "payer@example.org"]).output)
    assert (client.get(f"/archive/{archive}.atom?token={token}").status_code == 200) is open_


def test_older_plan_shape_and_unknown_price(app, runner):
    runner.invoke(args=["tiers", "add", "--name", "Old plan", "--price", "plan_legacy"])
    with app.app_context():
        legacy = {"id": "sub_old", "status": "active", "customer": "cus_9", "plan": {"id": "plan_legacy"},
                  "items": {"data": [{"plan": {"id": "plan_legacy"}}]}}
        outcome = billing.Outcome()
        with private_write():
            billing.apply_subscription(legacy, datetime.now(timezone.utc), outcome, email_hint="legacy@example.org")
        assert [m.email for m in outcome.members] == ["legacy@example.org"]
        other = billing.Outcome()
        with private_write():
            billing.apply_subscription(subscription("active", price="price_tshirt"), datetime.now(timezone.utc),
                                       other, email_hint="merch@example.org")
        assert other.members == [] and other.ignored == "not one of our tiers"


def test_an_older_reading_never_overwrites_a_newer_one(app, runner):
    runner.invoke(args=["tiers", "add", "--name", "Supporter", "--price", "price_supporter"])
    now = datetime.now(timezone.utc)
    with app.app_context():
        with private_write():
            billing.apply_subscription(subscription("canceled"), now, billing.Outcome(), email_hint="r@example.org")
            billing.apply_subscription(subscription("active"), now - timedelta(seconds=1), billing.Outcome())
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
    too_long = runner.invoke(args=["tiers", "add", "--name", "x" * 201, "--price", "price_m"])
    assert too_long.exit_code == 2 and "at most 200 characters" in too_long.output
    assert "Monthly supporter\tprice_m" in runner.invoke(args=["tiers", "list"]).output


def test_sync_without_stripe_key_fails_clearly(runner):
    result = runner.invoke(args=["members", "sync"])
    assert result.exit_code != 0 and "SYNDICATE_STRIPE_SECRET_KEY" in result.output


# --- /join, mail first -----------------------------------------------------------------------------

def ready_to_join(app, runner) -> None:
    """Stripe keys and one tier. Stripe's API is a closed port: a call to it would answer 503, not 200."""
    from servers import free_port

    app.config.update(STRIPE_SECRET_KEY="sk_test_unused", STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}",
                      STRIPE_TIMEOUT=2)
    runner.invoke(args=["tiers", "add", "--name", "Supporter", "--price", "price_s", "--amount", "500",
                        "--currency", "eur", "--interval", "month"])


def mails_to(app, address: str) -> list[email.message.EmailMessage]:
    """The mail the outbox wrote for an address (no SMTP server here), once the outbox is empty."""
    from servers import wait_for
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


def mailed_link(app, address: str, part: str) -> str:
    links = re.findall(r"http://newsroom\.test/\S+", mails_to(app, address)[-1].get_content())
    return next(link for link in links if part in link).replace("http://newsroom.test", "")


def signups(app) -> int:
    with app.app_context():
        count = db.session.scalar(db.select(db.func.count(Signup.id)))
        db.session.remove()
    return count


def test_join_answers_alike_and_mails_a_member_no_payment_link(app, client, runner):
    ready_to_join(app, runner)
    member_token(runner, "member@example.org")
    member = client.post("/join", data={"email": "member@example.org", "tier": "1"},
                         environ_base={"REMOTE_ADDR": "198.51.100.1"})
    stranger = client.post("/join", data={"email": "stranger@example.org", "tier": "1"},
                           environ_base={"REMOTE_ADDR": "198.51.100.2"})
    assert member.status_code == stranger.status_code == 200
    assert member.get_data() == stranger.get_data() and "Check your email" in member.get_data(as_text=True)
    # A rate-limit window's reset is counted in whole seconds from each address's first request.
    same = lambda response: sorted((k, v) for k, v in response.headers.items() if k != "X-RateLimit-Reset")  # noqa
    assert same(member) == same(stranger)

    to_member = mails_to(app, "member@example.org")
    assert len(to_member) == 1 and "already a member" in to_member[0].get_content()
    assert "/join/" not in to_member[0].get_content() and "/signin/" in to_member[0].get_content()
    to_stranger = mails_to(app, "stranger@example.org")
    assert len(to_stranger) == 1 and "/signin/" not in to_stranger[0].get_content()
    assert mailed_link(app, "stranger@example.org", "/join/continue?token=")
    assert signups(app) == 0  # nothing started: no sign-up, no Checkout


def test_opening_the_continue_link_changes_nothing(app, client, runner):
    ready_to_join(app, runner)
    client.post("/join", data={"email": "reader@example.org", "tier": "1"})
    link = mailed_link(app, "reader@example.org", "/join/continue?token=")
    for _ in range(2):
        assert client.head(link).status_code == 200
        page = client.get(link)
        assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
        html = page.get_data(as_text=True)
        assert "Supporter, 5.00 EUR a month" in html and "Continue to payment" in html
        assert f'action="{link}"' in html.replace("&amp;", "&")
    assert signups(app) == 0 and len(mails_to(app, "reader@example.org")) == 1
    # Its POST is what goes to Stripe (unreachable here: the page says so, and nothing is lost).
    response = client.post(link)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "Payments cannot be taken right now" in response.get_data(as_text=True)


def serializer_signing_at(key: str, salt: str, seconds_ago: int) -> URLSafeTimedSerializer:
    class Then(TimestampSigner):
        def get_timestamp(self):
            return int(datetime.now(timezone.utc).timestamp()) - seconds_ago

    return URLSafeTimedSerializer(key, salt=salt, signer=Then)


def test_continue_links_that_are_tampered_with_or_expired_are_refused(app, client, runner):
    ready_to_join(app, runner)
    client.post("/join", data={"email": "reader@example.org", "tier": "1"})
    link = mailed_link(app, "reader@example.org", "/join/continue?token=")
    token = link.split("token=", 1)[1]
    payload, stamp, signature = token.split(".")
    key = app.config["SECRET_KEY"]
    other = URLSafeTimedSerializer(key, salt=JOIN_PURPOSE).dumps(["someone@example.org", 1]).split(".")[0]
    refused = {
        "signature changed": f"{payload}.{stamp}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}",
        "another address": f"{other}.{stamp}.{signature}",
        "a sign-in token": serializer_signing_at(key, SIGNIN_PURPOSE, 0).dumps(["reader@example.org", 1]),
        "a day and a minute old": serializer_signing_at(key, JOIN_PURPOSE, 24 * 3600 + 60).dumps(
            ["reader@example.org", 1]),
        "no such tier": serializer_signing_at(key, JOIN_PURPOSE, 0).dumps(["reader@example.org", 99]),
        "empty": "",
    }
    for why, bad in refused.items():
        assert client.get(f"/join/continue?token={bad}").status_code == 400, why
        response = client.post(f"/join/continue?token={bad}")
        assert response.status_code == 400 and "expired or is not valid" in response.get_data(as_text=True), why
    assert signups(app) == 0
    # Within the day it still works (the clock, not the attempt count, decides).
    almost = serializer_signing_at(key, JOIN_PURPOSE, 24 * 3600 - 60).dumps(["reader@example.org", 1])
    assert client.get(f"/join/continue?token={almost}").status_code == 200


def test_a_continue_link_of_someone_who_became_a_member_signs_in_instead(app, client, runner):
    ready_to_join(app, runner)
    client.post("/join", data={"email": "reader@example.org", "tier": "1"})
    link = mailed_link(app, "reader@example.org", "/join/continue?token=")
    member_token(runner, "reader@example.org")  # a membership made meanwhile (another tab, the desk)
    response = client.post(link)
    assert response.status_code == 200 and "sign-in link is on its way" in response.get_data(as_text=True)
    assert signups(app) == 0  # no Checkout: Stripe's closed port would have made this a 503
    assert "/signin/" in mails_to(app, "reader@example.org")[-1].get_content()
