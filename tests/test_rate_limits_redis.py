"""Rate limits shared by every worker through Redis (run when SYNDICATE_TEST_REDIS_URL is set, as in CI)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from conftest import close_app, last_line, make_config
from syndicate import create_app

REDIS_URL = os.environ.get("SYNDICATE_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="SYNDICATE_TEST_REDIS_URL is not set")

# A second process, as a second gunicorn worker would be: its own memory, the same Redis.
OTHER_WORKER = """
import json, sys
from syndicate import create_app
settings, instance, key = json.loads(sys.argv[1])
client = create_app(settings, instance_path=instance).test_client()
print(json.dumps([client.get("/syndication/entries.json", headers={"Authorization": "Bearer " + key}).status_code
                  for _ in range(2)]))
"""


def test_partner_limit_is_shared_across_processes(database_url, tmp_path):
    settings = make_config(database_url, RATELIMIT_STORAGE_URI=REDIS_URL, PARTNER_RATE_LIMIT="3 per minute",
                           RATELIMIT_KEY_PREFIX=f"syndicate-test-{uuid.uuid4().hex}")
    app = create_app(settings, instance_path=str(tmp_path / "one"))
    key = last_line(app.test_cli_runner().invoke(args=["partners", "add", "Shared"]).output)
    client = app.test_client()
    here = [client.get("/syndication/entries.json", headers={"Authorization": f"Bearer {key}"}).status_code
            for _ in range(2)]
    other = subprocess.run([sys.executable, "-c", OTHER_WORKER, json.dumps([settings, str(tmp_path / "two"), key])],
                           capture_output=True, text=True, timeout=60)
    assert other.returncode == 0, other.stderr
    assert here + json.loads(other.stdout.strip().splitlines()[-1]) == [200, 200, 200, 429]
    close_app(app)
