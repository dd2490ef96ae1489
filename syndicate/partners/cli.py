"""`syndicate partners ...`"""
import click
from flask.cli import AppGroup

from . import keys, stats


@click.group(cls=AppGroup, help="Partner outlets and their syndication keys.")
def partners():
    pass


@partners.command("add")
@click.argument("name")
@click.option("--license", "license_text", help="Licence text shown in the partner's feed (default: SYNDICATE_PARTNER_LICENSE).")
def add(name, license_text):
    """Create a partner; prints its key (shown once) as the last line."""
    try:
        key = keys.add(name, license_text)
    except keys.NameTaken:
        raise click.ClickException(f"A partner named {name!r} exists already.") from None
    click.echo(f"Partner {name!r} created. Give them this key; it is not shown again:")
    click.echo(key)


@partners.command("revoke")
@click.argument("name")
def revoke(name):
    """Revoke NAME's key; it answers 401 from the next request."""
    if not keys.revoke(name):
        raise click.ClickException(f"No partner named {name!r} with a current key.")
    click.echo(f"The key of {name!r} is revoked.")


@partners.command("list")
def list_():
    for partner in keys.all_partners():
        state = f"revoked {partner.revoked_at:%Y-%m-%d}" if partner.revoked_at else "active"
        click.echo(f"{partner.name}\t{state}\tsince {partner.created_at:%Y-%m-%d}\t{partner.license}")


@partners.command("stats")
def stats_():
    """Pulls, entries and tombstones sent per partner, and their last pull."""
    rows = stats.per_partner()
    click.echo(f"{'partner':<24} {'pulls':>7} {'entries':>9} {'tombstones':>11}  last pull")
    for row in rows:
        last = row.last_pull.strftime("%Y-%m-%d %H:%M UTC") if row.last_pull else "never"
        click.echo(f"{row.name:<24} {row.pulls:>7} {row.entries:>9} {row.tombstones:>11}  {last}")
