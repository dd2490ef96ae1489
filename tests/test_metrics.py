"""/metrics (Prometheus text format, behind a Bearer token) and the packaging it depends on."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from conftest import last_line
from servers import free_port


@pytest.fixture
def app_config():
    # Mail to a closed port, retried only much later: queued mail stays queued for the depth gauge.
    return {"METRICS_TOKEN": "metrics-secret", "WTF_CSRF_ENABLED": False, "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": free_port(), "MAIL_RETRY_SECONDS": 3600}


def scrape(client, token="metrics-secret"):
    return client.get("/metrics", headers={"Authorization": f"Bearer {token}"})


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_need_the_token(app, client):
    assert scrape(client, "wrong").status_code == 401
    assert scrape(client, "wrong").headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics").status_code == 401
    app.config["METRICS_TOKEN"] = None
    assert scrape(client).status_code == 404


def test_requests_latency_pulls_and_outbox_depth(app, client, runner):
    before = scrape(client).get_data(as_text=True)
    for _ in range(3):
        client.get("/")
    client.get("/no-such-page")
    key = last_line(runner.invoke(args=["partners", "add", "P"]).output)
    assert client.get("/syndication/entries.json", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    runner.invoke(args=["members", "comp", "reader@example.org", "--mail"])  # the mail server is down: it waits

    response = scrape(client)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    home = dict(endpoint="content.home", method="GET", status="200")
    assert sample(text, "syndicate_requests_total", **home) - sample(before, "syndicate_requests_total", **home) == 3
    assert sample(text, "syndicate_requests_total", endpoint="unmatched", status="404") >= 1
    assert sample(text, "syndicate_request_seconds_count", endpoint="content.home") >= 3
    assert sample(text, "syndicate_partner_pulls_total", format="json") - \
        sample(before, "syndicate_partner_pulls_total", format="json") == 1
    assert sample(text, "syndicate_outbox_depth") == 1
    assert re.search(r"^# TYPE syndicate_cache_total counter", text, re.M) or "syndicate_cache" in text


def test_every_dependency_has_an_upper_bound_and_stripe_moves_with_its_api_version():
    import stripe

    from syndicate.members.stripe_api import API_VERSION

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    # Every extra's too (psycopg and redis are extras); the test extra's reference to the others is no requirement.
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values()
                                              for r in extra if not r.startswith("syndicate[")]
    names = {re.split(r"[\[<>=!~ ]", r, maxsplit=1)[0].lower() for r in requirements}
    assert {"lxml", "prometheus-client", "stripe"} <= names
    unbounded = [r for r in requirements if "<" not in r and not r.startswith("tzdata")]
    assert unbounded == []
    # The installed stripe-python is built for one API version: the one we pin.
    assert API_VERSION == stripe.api_version
    bound = next(r for r in project["dependencies"] if r.startswith("stripe"))
    assert f">={stripe.VERSION.split('.')[0]}," in bound


def test_cache_hits_and_misses_are_counted(client, newsroom):
    newsroom.story(title="Live", slug="live")
    newsroom.entry("live", headline="First")
    before = scrape(client).get_data(as_text=True)
    for _ in range(3):
        client.get("/stories/live")
        client.get("/feeds/latest.atom")
    after = scrape(client).get_data(as_text=True)
    for kind in ("page", "feed"):
        misses = sample(after, "syndicate_cache_total", cache=kind, result="miss") - sample(
            before, "syndicate_cache_total", cache=kind, result="miss")
        hits = sample(after, "syndicate_cache_total", cache=kind, result="hit") - sample(
            before, "syndicate_cache_total", cache=kind, result="hit")
        assert (misses, hits) == (1, 2), kind
