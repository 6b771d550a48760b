"""Display helpers for figures: kilograms shown as tonnes, shares of a cap, month names."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()

DASH = "\u2013"  # en dash: a figure that is not there
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@register.filter
def tonnes(kg) -> str:
    """1234567.8 kg -> "1,235" (tonnes, no decimals; one decimal under 10 t)."""
    if kg in (None, ""):
        return DASH
    value = float(kg) / 1000
    if abs(value) < 10:
        return f"{value:,.1f}"
    return intcomma(round(value))


@register.filter
def share(ratio) -> str:
    """0.953 -> "95%"."""
    if ratio in (None, ""):
        return DASH
    return f"{float(ratio) * 100:,.0f}%"


@register.filter
def month_name(number) -> str:
    try:
        return MONTHS[int(number) - 1]
    except (TypeError, ValueError, IndexError):
        return DASH


@register.filter
def megabytes(size) -> str:
    return f"{int(size) / (1024 * 1024):,.0f} MB"


@register.simple_tag(takes_context=True)
def page_url(context, number) -> str:
    """The current URL's query string with another page number (the table state is kept)."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    if int(number) != 1:
        params["page"] = str(number)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
