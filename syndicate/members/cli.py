"""`syndicate members ...`"""
from datetime import date

import click
from flask.cli import AppGroup, with_appcontext

from . import service


@click.group(cls=AppGroup, help="Members and their tokens.")
def members():
    pass


def _day(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD") from None


@members.command("comp")
@click.argument("email")
@click.option("--until", callback=_day, help="Last local day (YYYY-MM-DD) of the membership.")
def comp(email, until):
    """Give EMAIL a complimentary membership; prints the member's token last."""
    try:
        member = service.comp(email, until)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    state = "open-ended" if until is None else f"until {until.isoformat()}"
    click.echo(f"Complimentary membership for {member.email}, {state}.")
    click.echo(service.feed_token(member))


@members.command("token")
@click.argument("email")
def token(email):
    """Print the current feed token of EMAIL as the last line."""
    click.echo(service.feed_token(_member(email)))


@members.command("new-token")
@click.argument("email")
def new_token(email):
    """Replace the feed token of EMAIL (old feed URLs stop working); prints the new one last."""
    new = service.replace_token(_member(email))
    click.echo("The old token no longer works.")
    click.echo(new)


def _member(email: str):
    member = service.find(email)
    if member is None:
        raise click.ClickException(f"No member with the email {email!r}.")
    return member
