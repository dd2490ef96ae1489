"""Settings that production depends on are said at start-up, not discovered on the first request."""
from __future__ import annotations

import pytest

from syndicate import create_app
from syndicate.config import ConfigError


def production(tmp_path, **settings):
    config = {"ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite", **settings}
    return create_app(config, instance_path=str(tmp_path / "instance"))


def test_production_refuses_to_start_without_a_site_url(tmp_path):
    with pytest.raises(ConfigError, match="SITE_URL"):
        production(tmp_path, SECRET_KEY="k")


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        production(tmp_path, SITE_URL="https://news.example")


def test_production_settings(tmp_path):
    app = production(tmp_path, SECRET_KEY="k", SITE_URL="https://news.example/")
    assert app.config["SITE_URL"] == "https://news.example"
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_development_links_have_a_fixed_base(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite", "SECRET_KEY": "k"},
                     instance_path=str(tmp_path / "instance"))
    assert app.config["SITE_URL"] == "http://127.0.0.1:5000"


@pytest.mark.parametrize("name", ["SHARED_CACHE_SECONDS", "PAGE_SIZE", "DOCUMENT_CACHE_BYTES"])
def test_nonsense_numbers_are_refused(tmp_path, name):
    with pytest.raises(ConfigError, match=name):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite", "SECRET_KEY": "k", name: -1},
                   instance_path=str(tmp_path / "instance"))
