"""The `syndicate` command: a Flask CLI group with the project's own commands."""
from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app():
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main():
    """syndicate: the newsroom's publishing back end."""


def upgrade_database() -> None:
    """Create or upgrade the schema to the newest migration; safe to run any number of times."""
    from flask_migrate import upgrade

    from .content.state import ensure_state_row

    upgrade()
    ensure_state_row()


@click.command("init")
@with_appcontext
def init_command():
    """Create or upgrade the database schema (idempotent)."""
    upgrade_database()
    click.echo(f"Database ready: {_safe_url(current_app.config['SQLALCHEMY_DATABASE_URI'])}")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Load the demo newsroom and exit.")
@with_appcontext
def demo_command(host, port, no_serve):
    """Create the database, load the demo newsroom (idempotent) and serve it."""
    from . import console
    from .demo import load_demo, welcome_lines
    from .members import outbox

    app = current_app._get_current_object()
    watchers = outbox.sender(app).file_watchers
    if not app.config["MAIL_SERVER"] and console.echo_way_in not in watchers:
        # Mail is only written to .eml files here: the demo says where, and prints their sign-in links.
        watchers.append(console.echo_way_in)
    if not os.environ.get("SYNDICATE_LANGUAGES"):
        # The seed newsroom publishes in English and Russian, so both sites can be seen on first run.
        from .languages import parse

        app.config["LANGUAGES"] = parse("en,ru")
    upgrade_database()
    loaded = load_demo()
    if not os.environ.get("SYNDICATE_SITE_URL"):
        # Links (feeds, mail) point where the demo itself serves, unless the operator said otherwise.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        app.config["SITE_URL"] = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"
    for line in welcome_lines(loaded):
        click.echo(line)
    if no_serve:
        return
    from . import background

    background.start(app)  # mail leaves while the demo serves, as under gunicorn
    click.echo()
    # app.run() is ignored inside a Flask CLI command, so the console serves with werkzeug directly.
    console.serve(app, host, port)


@click.command("purge")
@with_appcontext
def purge_command():
    """Delete what is kept about people past SYNDICATE_RETENTION_DAYS (the service also does this hourly)."""
    from . import retention, timeutil

    counts = retention.purge_all(timeutil.now())
    for kind, count in counts.items():
        click.echo(f"{kind.replace('_', ' ')}: {count} deleted")
    click.echo(f"Kept: {current_app.config['RETENTION_DAYS']} days.")


@click.command("background")
@with_appcontext
def background_command():
    """Send the mail outbox and purge old records until stopped (for a server that runs no gunicorn.conf.py)."""
    import signal
    import threading

    from . import background

    app = current_app._get_current_object()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    sender = background.start(app)
    click.echo("Sending mail and purging old records; SIGTERM or Ctrl-C stops.")
    while not stop.wait(1):
        if sender.thread is None or not sender.thread.is_alive():
            raise click.ClickException("the background thread ended (its error is in the log); restart me")
    sender.stop()  # lets a message being sent finish


NAME_LENGTH = 200  # a region's or a tier's name, in any language (the columns' size)


def checked_name(name: str | None, hint: str = "--name") -> str | None:
    """A display name given on the command line, refused when it would not fit its column."""
    if name is not None and len(name.strip()) > NAME_LENGTH:
        raise click.BadParameter(f"at most {NAME_LENGTH} characters", param_hint=hint)
    return name.strip() if name is not None else None


def translated_names(items: tuple[str, ...]) -> dict[str, str]:
    """--translated-name LANG=NAME options (tiers, regions) as {lang: name}; LANG must be configured."""
    from . import languages

    names = {}
    for item in items:
        lang, sep, local = item.partition("=")
        lang = lang.strip().lower()
        if not sep or not local.strip() or lang not in languages.configured():
            raise click.BadParameter(f"{item!r}: give LANG=NAME with LANG one of {', '.join(languages.configured())}",
                                     param_hint="--translated-name")
        names[lang] = checked_name(local, "--translated-name")
    return names


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def init_app(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(background_command)


if __name__ == "__main__":
    main()
