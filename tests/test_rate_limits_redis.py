"""Rate limits shared by every worker through Redis (run when SYNDICATE_TEST_REDIS_URL is set, as in CI)."""
from __future__ import annotations

import os
import uuid

import pytest

from conftest import last_line, make_config
from syndicate import create_app
from syndicate.extensions import db

REDIS_URL = os.environ.get("SYNDICATE_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="SYNDICATE_TEST_REDIS_URL is not set")


def test_partner_limit_is_shared_by_two_workers(database_url, tmp_path):
    settings = make_config(database_url, RATELIMIT_STORAGE_URI=REDIS_URL, PARTNER_RATE_LIMIT="3 per minute",
                           RATELIMIT_KEY_PREFIX=f"syndicate-test-{uuid.uuid4().hex}")
    # Two app instances with their own memory stand for two gunicorn workers.
    first = create_app(settings, instance_path=str(tmp_path / "one"))
    second = create_app(settings, instance_path=str(tmp_path / "two"))
    key = last_line(first.test_cli_runner().invoke(args=["partners", "add", "Shared"]).output)
    headers = {"Authorization": f"Bearer {key}"}
    statuses = [app.test_client().get("/syndication/entries.json", headers=headers).status_code
                for app in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()
