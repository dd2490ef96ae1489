"""The command line: init and demo are idempotent, import-feed never duplicates."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from conftest import ago, last_line
from syndicate.extensions import db
from syndicate.models import Entry, NamingNote, Story
from syndicate.search.index import in_models


def syndicate(env_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SYNDICATE_DATABASE_URL": env_url, "SYNDICATE_SECRET_KEY": "cli-test"}
    return subprocess.run([sys.executable, "-m", "syndicate.cli", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Story, Entry, NamingNote))


def test_init_and_demo_are_idempotent(app, database_url, tmp_path):
    for _ in range(2):
        result = syndicate(database_url, tmp_path, "init")
        assert result.returncode == 0, result.stderr
    first = syndicate(database_url, tmp_path, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    loaded = counts(app)
    assert loaded[0] >= 5 and loaded[1] >= 15
    second = syndicate(database_url, tmp_path, "demo", "--no-serve")
    assert second.returncode == 0 and "nothing added" in second.stdout
    assert counts(app) == loaded


def test_schema_matches_the_migrations(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": in_models})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_regions(runner):
    assert runner.invoke(args=["regions", "add", "abkhazia", "--name", "Abkhazia", "--covered"]).exit_code == 0
    assert runner.invoke(args=["regions", "add", "abkhazia", "--not-covered"]).exit_code == 0
    assert "abkhazia\tAbkhazia\tnot covered" in runner.invoke(args=["regions", "list"]).output
    assert runner.invoke(args=["regions", "add", "Bad Slug!"]).exit_code != 0


def test_editors_add_prints_token_last_and_refuses_duplicates(runner):
    result = runner.invoke(args=["editors", "add", "night desk"])
    assert result.exit_code == 0 and last_line(result.output).startswith("ed_")
    assert runner.invoke(args=["editors", "add", "night desk"]).exit_code != 0


def rss(items: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><description>{text}</description>"
        f"<pubDate>Tue, 03 Nov 2020 10:00:00 +0000</pubDate></item>" for guid, title, text in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Old CMS</title>{body}</channel></rss>'


def test_import_feed_updates_and_never_duplicates(app, client, runner, newsroom, tmp_path):
    newsroom.story(title="Imported", slug="imported")
    source = tmp_path / "old.xml"
    source.write_text(rss([("a-1", "First", "One"), ("a-2", "Second", "Two")]))
    result = runner.invoke(args=["import-feed", str(source), "--story", "imported"])
    assert result.exit_code == 0 and "2 created" in result.output
    again = runner.invoke(args=["import-feed", str(source), "--story", "imported"])
    assert "0 created, 0 updated, 2 unchanged" in again.output
    source.write_text(rss([("a-1", "First, corrected", "One"), ("a-2", "Second", "Two"), ("a-3", "Third", "3")]))
    third = runner.invoke(args=["import-feed", str(source), "--story", "imported"])
    assert "1 created, 1 updated, 1 unchanged" in third.output
    titles = sorted(i["title"] for i in client.get("/stories/imported/feed.json", headers=_member(runner)).json["items"])
    assert titles == ["First, corrected", "Second", "Third"]


def test_import_json_feed_and_bad_sources(runner, newsroom, tmp_path):
    newsroom.story(title="Imported", slug="imported")
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "x", "items": [
        {"id": "j1", "title": "From JSON", "content_text": "Plain text.", "date_published": ago(days=1)},
        {"id": "j2", "content_html": "<p>No title: skipped</p>"},
    ]}))
    result = runner.invoke(args=["import-feed", str(feed), "--story", "imported"])
    assert result.exit_code == 0 and "1 created" in result.output and "1 skipped" in result.output
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"\x00\x01 not a feed")
    assert runner.invoke(args=["import-feed", str(junk), "--story", "imported"]).exit_code == 1
    assert runner.invoke(args=["import-feed", str(tmp_path / "missing.xml"), "--story", "imported"]).exit_code == 1
    assert runner.invoke(args=["import-feed", str(feed), "--story", "nope"]).exit_code == 1


def _member(runner) -> dict:
    token = last_line(runner.invoke(args=["members", "comp", "importer@example.org"]).output)
    return {"Authorization": f"Bearer {token}"}


def test_import_feed_keeps_an_undated_item_on_its_first_date(client, runner, newsroom, tmp_path):
    newsroom.story(title="Imported", slug="imported")
    source = tmp_path / "undated.xml"
    source.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>Old CMS</title>'
                      "<item><guid>u-1</guid><title>Undated</title><description>No date.</description></item>"
                      "</channel></rss>")
    assert "1 created" in runner.invoke(args=["import-feed", str(source), "--story", "imported"]).output
    first = client.get("/stories/imported/feed.json", headers=_member(runner)).json["items"][0]["date_published"]
    again = runner.invoke(args=["import-feed", str(source), "--story", "imported"])
    assert "0 created, 0 updated, 1 unchanged" in again.output
    assert client.get("/stories/imported/feed.json", headers=_member(runner)).json["items"][0]["date_published"] \
        == first


def test_import_feed_skips_absurdly_nested_bodies(runner, newsroom, tmp_path):
    newsroom.story(title="Imported", slug="imported")
    deep = "&lt;div&gt;" * 500 + "x" + "&lt;/div&gt;" * 500
    source = tmp_path / "deep.xml"
    source.write_text(rss([("d-1", "Deep", deep), ("d-2", "Fine", "ok")]))
    result = runner.invoke(args=["import-feed", str(source), "--story", "imported"])
    assert result.exit_code == 0 and "1 created" in result.output and "1 skipped" in result.output
    assert "nests elements" in result.output


def test_upgrading_an_older_database_gives_existing_entries_their_text(tmp_path):
    """A database made before the entries kept their plain text gets it during `syndicate init`."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from syndicate import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/old.sqlite", "SECRET_KEY": "k"},
                     instance_path=str(tmp_path / "instance"))
    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO story (id, slug, title, summary, kind, language, access, syndicate, "
                              "published_at, updated_at) VALUES (1, 's', 'S', '', 'live', 'en', 'standard', 1, "
                              "'2026-11-01 10:00:00', '2026-11-01 10:00:00')"))
            for n in range(1, 2503):  # more than one batch
                conn.execute(text("INSERT INTO entry (id, uid, story_id, headline, body_html, published_at, updated_at, "
                                  "day, key_event, syndicate, status, partner_released) VALUES (:n, :uid, 1, 'h', "
                                  ":body, '2026-11-01 10:00:00', '2026-11-01 10:00:00', '2026-11-01', 0, 1, "
                                  "'published', 0)"), {"n": n, "uid": f"u{n}", "body": f"<p>Word &amp; {n}</p>"})
        assert app.test_cli_runner().invoke(args=["init"]).exit_code == 0
        with db.engine.connect() as conn:
            texts = dict(conn.execute(text("SELECT id, body_text FROM entry")).all())
        db.engine.dispose()
    assert len(texts) == 2502 and texts[1] == "Word & 1" and texts[2502] == "Word & 2502"
