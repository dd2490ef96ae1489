"""A tier as a reader sees it, in the page's language: its name, and its price with the interval.

Prices are written by Babel for the language ("5 € в месяц"), except English, which keeps the house
style the site has always shown ("5.00 EUR a month").
"""
from __future__ import annotations

from copy import copy
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, format_decimal, get_currency_precision
from flask import Flask
from flask_babel import gettext as _

from .. import i18n
from ..models import Tier

# A language's own pattern for a price, where the house style differs from Babel's for it.
PRICE_PATTERNS = {"en": "#,##0.00 ¤¤"}


def tier_name(tier: Tier, lang: str | None = None) -> str:
    """The tier's name in `lang` (the language being rendered), its plain name where it has none."""
    return (tier.names or {}).get(lang or i18n.current()) or tier.name


def price(amount: int, currency: str | None, lang: str | None = None) -> str:
    """An amount in the currency's minor unit, as a reader of `lang` writes it: '5 €', '5,50 €', '5.00 EUR'."""
    lang = lang or i18n.current()
    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except (ValueError, LookupError):
        locale = Locale.parse("en")
    if not currency:  # a tier added without one: the number alone
        return format_decimal(Decimal(amount).scaleb(-2), "#,##0.00", locale=locale)
    code = currency.upper()
    value = Decimal(amount).scaleb(-get_currency_precision(code))
    if lang in PRICE_PATTERNS:
        return format_currency(value, code, PRICE_PATTERNS[lang], locale=locale)
    pattern = copy(locale.currency_formats["standard"])
    if value == value.to_integral_value():
        pattern.frac_prec = (0, 0)  # a round sum reads without its ",00"
        return format_currency(value, code, pattern, locale=locale, currency_digits=False)
    return format_currency(value, code, pattern, locale=locale)


def tier_price(tier: Tier) -> str | None:
    """What the tier costs and how often, in the language being rendered; None when it names no price."""
    if not tier.amount:
        return None
    amount = price(tier.amount, tier.currency)
    if tier.interval == "month":
        return _("%(price)s a month", price=amount)
    if tier.interval == "year":
        return _("%(price)s a year", price=amount)
    return amount


def init_app(app: Flask) -> None:
    app.add_template_global(tier_name)
    app.add_template_global(tier_price)
