"""What we keep about people: mail deleted once sent or given up; feed networks, used links and abandoned
sign-ups deleted after SYNDICATE_RETENTION_DAYS, by `syndicate purge` and by the service itself, whose
background thread (the outbox sender too) starts with each gunicorn worker, not with the first mail."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from conftest import make_config, member_token
from servers import ROOT, Gunicorn, SMTPSink, free_port, wait_for
from syndicate import retention
from syndicate.extensions import db
from syndicate.members import mail
from syndicate.models import FeedNetwork, Member, OutboxMail, Signup, Tier, UsedSigninLink

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)  # the clock the purge is run against


def days_ago(days: float, now: datetime | None = None) -> datetime:
    return (now or datetime.now(timezone.utc)) - timedelta(days=days)


def plant(app, runner, now: datetime | None = None) -> None:
    """Records of every kind, old (past 30 days) and recent, as the site leaves them."""
    member_token(runner, "reader@example.org")
    with app.app_context():
        member_id = db.session.scalar(select(Member.id))
        tier = Tier(name="Supporter", price_id="price_s")
        db.session.add(tier)
        db.session.flush()
        db.session.add_all([
            FeedNetwork(member_id=member_id, network="192.0.2.0/24", hour=days_ago(31, now)),
            FeedNetwork(member_id=member_id, network="198.51.100.0/24", hour=days_ago(29, now)),
            UsedSigninLink(nonce="old", used_at=days_ago(31, now)),
            UsedSigninLink(nonce="recent", used_at=days_ago(29, now)),
            Signup(email="gave-up@example.org", tier_id=tier.id, created_at=days_ago(31, now)),
            Signup(email="deciding@example.org", tier_id=tier.id, created_at=days_ago(29, now)),
            Signup(email="joined@example.org", tier_id=tier.id, created_at=days_ago(31, now),
                   completed_at=days_ago(31, now)),
            # Kept as sent or failed by an older version, and a request nobody could send for a month.
            OutboxMail(to_addr="a@example.org", body="link", message_id="<1@x>", state="sent"),
            OutboxMail(to_addr="b@example.org", body="link", message_id="<2@x>", state="failed"),
            OutboxMail(kind="signin", to_addr="c@example.org", message_id="<3@x>", created_at=days_ago(31, now),
                       next_attempt_at=NOW + timedelta(days=3650)),
        ])
        db.session.commit()


def kept(app) -> dict:
    with app.app_context():
        found = {
            "networks": sorted(db.session.scalars(select(FeedNetwork.network))),
            "links": sorted(db.session.scalars(select(UsedSigninLink.nonce))),
            "signups": sorted(db.session.scalars(select(Signup.email))),
            "outbox": db.session.scalar(select(func.count(OutboxMail.id))),
        }
        db.session.remove()
    return found


AFTER_PURGE = {
    "networks": ["198.51.100.0/24"],
    "links": ["recent"],
    "signups": ["deciding@example.org", "joined@example.org"],
    "outbox": 0,
}


def test_syndicate_purge_deletes_what_is_past_retention(app, runner):
    plant(app, runner)
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "feed networks: 1 deleted" in result.output and "used links: 1 deleted" in result.output
    assert "abandoned signups: 1 deleted" in result.output and "outbox: 3 deleted" in result.output
    assert kept(app) == AFTER_PURGE
    assert "outbox: 0 deleted" in runner.invoke(args=["purge"]).output  # nothing twice


def test_retention_days_and_the_clock_decide(app, runner):
    plant(app, runner, now=NOW)
    app.config["RETENTION_DAYS"] = 30
    with app.app_context():
        assert retention.purge_all(NOW - timedelta(days=2))["feed_networks"] == 0  # 29 days old then
    app.config["RETENTION_DAYS"] = 1
    with app.app_context():
        counts = retention.purge_all(NOW)
    # A used link is kept while the link itself could still work (7 days for a welcome mail's):
    # otherwise it would sign in a second time.
    assert counts["used_links"] == 2 and counts["feed_networks"] == 2
    with app.app_context():
        db.session.add(UsedSigninLink(nonce="yesterday", used_at=NOW - timedelta(days=2)))
        db.session.commit()
        assert retention.purge_all(NOW)["used_links"] == 0
        assert retention.purge_all(NOW + timedelta(days=6))["used_links"] == 1


def test_config_refuses_a_retention_below_a_day(database_url, tmp_path):
    from syndicate import create_app
    from syndicate.config import ConfigError

    for bad in (0, -1, "30", True):
        with pytest.raises(ConfigError):
            create_app(make_config(database_url, RETENTION_DAYS=bad), instance_path=str(tmp_path))


def test_mail_given_up_is_deleted(app, runner):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_MAX_ATTEMPTS=1, MAIL_TIMEOUT=2)
    result = runner.invoke(args=["members", "comp", "reader@example.org", "--mail"])
    assert result.exit_code == 0, result.output
    assert kept(app)["outbox"] == 0  # the welcome mail (and its sign-in link) is not kept


@pytest.mark.slow
def test_the_service_sends_waiting_mail_and_purges_from_its_start(app, runner, database_url):
    """Mail queued while no worker ran, and mail a killed worker was sending, leave without any request
    queueing mail; old records go too. The old sender only started for a request's new mail."""
    plant(app, runner)
    with app.app_context():
        mail.send("waiting@example.org", "Waiting", "Queued while the service was down.")
        # A worker killed mid-send holds its lease until then; the next sender takes the row after it.
        db.session.add(OutboxMail(to_addr="killed@example.org", subject="Half sent", body="...",
                                  message_id="<killed@x>", attempts=1,
                                  claimed_until=datetime.now(timezone.utc) + timedelta(seconds=3)))
        db.session.commit()
        db.session.remove()
    sink = SMTPSink()
    env = {"SYNDICATE_DATABASE_URL": database_url, "SYNDICATE_SECRET_KEY": app.config["SECRET_KEY"],
           "SYNDICATE_MAIL_SERVER": "127.0.0.1", "SYNDICATE_MAIL_PORT": str(sink.port)}
    try:
        with Gunicorn(env, workers=2):
            sink.wait_for_mail("waiting@example.org")
            sink.wait_for_mail("killed@example.org")
            wait_for(lambda: kept(app) == AFTER_PURGE, what="the purge and an empty outbox")
        assert len(sink.messages) == 2  # two workers, each mail once
    finally:
        sink.close()


@pytest.mark.slow
def test_syndicate_background_runs_beside_another_server(app, runner, database_url):
    """deploy/syndicate-background.service's command: sends and purges until SIGTERM, then exits cleanly."""
    plant(app, runner)
    with app.app_context():
        mail.send("waiting@example.org", "Waiting", "Queued with no web server running.")
        db.session.remove()
    sink = SMTPSink()
    env = {**os.environ, "SYNDICATE_DATABASE_URL": database_url, "SYNDICATE_SECRET_KEY": app.config["SECRET_KEY"],
           "SYNDICATE_MAIL_SERVER": "127.0.0.1", "SYNDICATE_MAIL_PORT": str(sink.port)}
    process = subprocess.Popen([sys.executable, "-m", "syndicate.cli", "background"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        sink.wait_for_mail("waiting@example.org")
        wait_for(lambda: kept(app) == AFTER_PURGE, what="the purge and an empty outbox")
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
        sink.close()
    assert process.returncode == 0, output
