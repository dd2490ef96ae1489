"""`syndicate members ...`"""
import click
from flask.cli import AppGroup

from .. import timeutil
from ..cli import checked_name, translated_names
from . import billing, networks, outbox, service, signin, stripe_api


@click.group(cls=AppGroup, help="Members and their tokens.")
def members():
    pass


def _day(ctx, param, value):
    if value is None:
        return None
    day = timeutil.parse_day(value)
    if day is None:
        raise click.BadParameter("use YYYY-MM-DD")
    return day


@members.command("comp")
@click.argument("email")
@click.option("--until", callback=_day, help="Last local day (YYYY-MM-DD) of the membership.")
@click.option("--mail", is_flag=True, help="Send the welcome email with a sign-in link and the feed URLs.")
def comp(email, until, mail):
    """Give EMAIL a complimentary membership; prints the member's token last."""
    try:
        member = service.comp(email, until)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    state = "open-ended" if until is None else f"until {until.isoformat()}"
    click.echo(f"Complimentary membership for {member.email}, {state}.")
    if mail:
        signin.send_welcome(member.id)
        _send_now()
        click.echo(f"Welcome email sent to {member.email}.")
    click.echo(service.feed_token(member))


@members.command("sync")
def sync():
    """Reconcile every subscription with Stripe (after an outage or missed webhooks)."""
    if not stripe_api.configured():
        raise click.ClickException("SYNDICATE_STRIPE_SECRET_KEY is not set.")
    try:
        applied, welcome = billing.sync_all()
    except stripe_api.StripeUnavailable as exc:
        raise click.ClickException(f"Stripe could not be read: {exc}") from None
    _send_now()
    click.echo(f"{applied} subscriptions applied, {len(welcome)} welcome emails sent.")


@members.command("suspicious")
def suspicious():
    """Members whose private feed URLs were fetched from unusually many networks in 24 hours."""
    rows = networks.suspicious()
    if not rows:
        click.echo("No member's feed URLs look shared.")
    for member, count in rows:
        click.echo(f"{member.email}\t{count} networks in 24 h\t(replace with: syndicate members new-token {member.email})")


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


def _send_now() -> None:
    """A command's mail leaves before it exits; what the server refuses stays queued for retries."""
    result = outbox.drain()
    if result.pending:
        click.echo(f"{result.pending} emails wait in the outbox for the mail server "
                   "(syndicate mail send-pending retries them).")


@click.group(cls=AppGroup, help="The outgoing mail queue.")
def mail():
    pass


@mail.command("send-pending")
def mail_send_pending():
    """Send every queued email that is due (for cron); prints what was sent and what still waits."""
    result = outbox.drain()
    click.echo(f"{result.sent} sent, {result.failed} given up, {result.pending} waiting.")


def _member(email: str):
    member = service.find(email)
    if member is None:
        raise click.ClickException(f"No member with the email {email!r}.")
    return member


@click.group(cls=AppGroup, help="Membership tiers sold through Stripe.")
def tiers():
    pass


@tiers.command("add")
@click.option("--name", required=True)
@click.option("--price", "price_id", required=True, help="Stripe price id (or plan id on older accounts).")
@click.option("--amount", type=click.IntRange(min=0), help="Price in minor units, e.g. 500 for 5.00.")
@click.option("--currency", help="ISO currency code, e.g. eur.")
@click.option("--interval", type=click.Choice(["month", "year"]))
@click.option("--translated-name", "translated", multiple=True, metavar="LANG=NAME",
              help="The tier's name on another language's pages, e.g. ru=Сторонник (repeatable).")
def tiers_add(name, price_id, amount, currency, interval, translated):
    """Create a tier, or update the one with this price."""
    tier = service.upsert_tier(checked_name(name), price_id, amount, currency, interval, translated_names(translated))
    click.echo(f"Tier {tier.name!r} sells {tier.price_id}.")


@tiers.command("list")
def tiers_list():
    for tier in service.all_tiers():
        price = f"{tier.amount / 100:.2f} {tier.currency or ''}".strip() if tier.amount is not None else "-"
        click.echo(f"{tier.id}\t{tier.name}\t{tier.price_id}\t{price}\t{tier.interval or '-'}")
