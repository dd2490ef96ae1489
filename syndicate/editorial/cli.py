"""Editors' commands: editors, regions, the naming note, the gazetteer, feed imports."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..cli import checked_name, translated_names
from ..content.queries import story_by_slug
from ..errors import APIError
from ..extensions import db
from ..models import Editor, Place, Region
from . import importer, service
from .auth import add_editor, revoke_editor
from ..members.service import normalise_email
from .validate import LANGUAGE, SLUG


def init_app(app: Flask) -> None:
    for command in (editors, regions, naming_note, gazetteer, import_feed):
        app.cli.add_command(command)


@click.group(cls=AppGroup, help="Editors and their API tokens.")
def editors():
    pass


@editors.command("add")
@click.argument("name")
@click.option("--email", help="Address the desk mails sign-in links to.")
def editors_add(name, email):
    """Create an editor; prints the API token (shown once) as the last line."""
    if email is not None:
        # Stored lower-cased, and looked up so at the desk: editors never fail on a capital letter.
        email = (normalise_email(email) or "").lower() or None
        if email is None:
            raise click.BadParameter("give an email address such as name@example.org", param_hint="--email")
    try:
        token = add_editor(name, email)
    except IntegrityError:  # add_editor's scope has rolled back
        raise click.ClickException(f"An editor named {name!r}, or with that email, exists already.") from None
    click.echo(f"Editor {name!r} created." + (f" They sign in to /desk as {email}." if email else ""))
    click.echo("Keep this API token; it is not shown again:")
    click.echo(token)


@editors.command("revoke")
@click.argument("name")
def editors_revoke(name):
    """End an editor's API token and desk sessions (each stops on its next request)."""
    editor = revoke_editor(name)
    if editor is None:
        raise click.ClickException(f"No editor named {name!r}.")
    click.echo(f"Editor {name!r} revoked: the API token and desk sessions no longer work.")


@editors.command("list")
def editors_list():
    for editor in db.session.scalars(select(Editor).order_by(Editor.name)):
        state = "revoked" if editor.revoked_at else "active"
        click.echo(f"{editor.name}\t{state}\t{editor.email or '-'}\tsince {editor.created_at:%Y-%m-%d}")


@click.group(cls=AppGroup, help="Regions, and whether the naming note covers them.")
def regions():
    pass


@regions.command("add")
@click.argument("slug")
@click.option("--name", help="Display name.")
@click.option("--covered/--not-covered", default=None, help="Whether the naming note applies.")
@click.option("--translated-name", "translated", multiple=True, metavar="LANG=NAME",
              help="The region's name on another language's pages and feeds, e.g. ru=Абхазия (repeatable).")
def regions_add(slug, name, covered, translated):
    """Create or update a region."""
    if not SLUG.match(slug) or len(slug) > 64:
        raise click.BadParameter("use lower-case letters, digits and hyphens", param_hint="SLUG")
    region, created = service.upsert_region(slug, checked_name(name), covered, translated_names(translated))
    verb = "Created" if created else "Updated"
    click.echo(f"{verb} {region.slug}: {_region_names(region)} ({'covered' if region.covered else 'not covered'})")


@regions.command("list")
def regions_list():
    for region in db.session.scalars(select(Region).order_by(Region.slug)):
        click.echo(f"{region.slug}\t{_region_names(region)}\t{'covered' if region.covered else 'not covered'}")


def _region_names(region: Region) -> str:
    """'Abkhazia', or 'Abkhazia (ru: Абхазия)' where it has names in other languages."""
    others = ", ".join(f"{lang}: {name}" for lang, name in sorted((region.names or {}).items()))
    return f"{region.name} ({others})" if others else region.name


@click.group("naming-note", cls=AppGroup, help="The editorial note on naming.")
def naming_note():
    pass


@naming_note.command("set")
@click.argument("text")
@click.option("--lang", default="en", show_default=True, help="BCP 47 language of the text.")
def naming_note_set(text, lang):
    """Make TEXT the new version of the note in LANG."""
    if not text.strip():
        raise click.BadParameter("the note cannot be empty", param_hint="TEXT")
    if not LANGUAGE.match(lang):
        raise click.BadParameter("use a BCP 47 tag such as en or ka", param_hint="--lang")
    note = service.set_naming_note(text, lang)
    click.echo(f"Naming note ({note.lang}) is now version {note.id}.")


@click.group(cls=AppGroup, help="Places written with two names, e.g. Shusha (Shushi).")
def gazetteer():
    pass


@gazetteer.command("add")
@click.argument("name")
@click.argument("alternate")
def gazetteer_add(name, alternate):
    """Record that NAME is written with ALTERNATE in brackets."""
    place = service.add_place(name, alternate)
    click.echo(f"{place.name} ({place.alternate})")


@gazetteer.command("list")
def gazetteer_list():
    for place in db.session.scalars(select(Place).order_by(Place.name)):
        click.echo(f"{place.name} ({place.alternate})")


@click.command("import-feed")
@with_appcontext
@click.argument("source")
@click.option("--story", "slug", required=True, help="Slug of the story to import into.")
def import_feed(source, slug):
    """Import an RSS, Atom or JSON feed (URL or file) into a story; re-importing updates, never duplicates."""
    story = story_by_slug(slug)
    if story is None:
        raise click.ClickException(f"No story with the slug {slug!r}.")
    try:
        result = importer.import_feed(story, source)
    except importer.ImportProblem as exc:
        raise click.ClickException(str(exc)) from None
    except APIError as exc:
        raise click.ClickException(f"{exc.description} {exc.fields or ''}".strip()) from None
    click.echo(f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
               f"{result.skipped} skipped")
    for warning in result.warnings:
        click.echo(f"warning: {warning}")
