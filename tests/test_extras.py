"""psycopg and redis are extras: a SQLite install runs without them, and a configuration that needs one says so."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs in a fresh interpreter where importing psycopg or redis fails, as on an install without the extras.
WITHOUT_EXTRAS = textwrap.dedent("""
    import sys

    class NotInstalled:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("psycopg", "psycopg2", "redis"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NotInstalled())
""")


def run(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env = {k: v for k, v in env.items() if not k.startswith("SYNDICATE_")}
    return subprocess.run([sys.executable, "-c", WITHOUT_EXTRAS + textwrap.dedent(code)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_sqlite_install_serves_without_psycopg_or_redis(tmp_path):
    done = run(f"""
        import sys
        from syndicate import create_app
        from syndicate.cli import upgrade_database

        app = create_app({{"DATABASE_URL": "sqlite:///{tmp_path}/s.sqlite", "SECRET_KEY": "k"}},
                         instance_path="{tmp_path}/instance")
        with app.app_context():
            upgrade_database()
        client = app.test_client()
        print(client.get("/").status_code, client.get("/feeds/latest.atom").status_code,
              client.get("/readyz").status_code)
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("psycopg", "redis")))
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["200 200 200", "[]"]


def test_postgresql_or_redis_without_its_extra_is_said_at_start(tmp_path):
    done = run(f"""
        from syndicate import create_app
        from syndicate.config import ConfigError

        for config in ({{"DATABASE_URL": "postgresql+psycopg://user:s3cret@db.example/news"}},
                       {{"RATELIMIT_STORAGE_URI": "redis://:s3cret@cache.example:6379/0"}}):
            try:
                create_app({{"SECRET_KEY": "k", **config}}, instance_path="{tmp_path}/instance")
            except ConfigError as exc:
                print(exc)
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    database, redis = done.stdout.splitlines()
    assert "pip install 'syndicate[postgres]'" in database and "psycopg" in database
    assert "pip install 'syndicate[redis]'" in redis
    assert "s3cret" not in done.stdout + done.stderr


def test_the_drivers_are_extras_and_the_tests_pull_both():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [d.split(">")[0].split("[")[0].split("<")[0].strip().lower() for d in project["dependencies"]]
    assert "psycopg" not in names and "redis" not in names
    extras = project["optional-dependencies"]
    assert [d.split("[")[0] for d in extras["postgres"]] == ["psycopg"]
    assert [d.split(">")[0] for d in extras["redis"]] == ["redis"]
    assert "syndicate[postgres,redis]" in extras["test"]
