"""Which language a request gets: pure, no I/O (plain values in, a locale code out)."""

from __future__ import annotations

from smarketing.core.settings import SUPPORTED_LOCALES

__all__ = [
    "DEFAULT_LOCALE",
    "SUPPORTED_LOCALES",
    "accepted_languages",
    "best_accepted_locale",
    "choose_locale",
    "supported_locale",
]

DEFAULT_LOCALE = "en"


def supported_locale(tag: str | None) -> str | None:
    """The supported locale a language tag falls under, or None.

    Only the language counts, whatever the region or the separator: "pt-BR", "pt_BR"
    and "PT" are "pt"; "es-MX" is "es"; "fr-FR" is None.
    """
    if not tag:
        return None
    language = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return language if language in SUPPORTED_LOCALES else None


def accepted_languages(header: str | None) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first.

    "es-MX,es;q=0.9,en;q=0.8" gives ["es-MX", "es", "en"]. Equal weights keep the order
    of the header; q=0, the wildcard "*" and malformed weights are left out.
    """
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")):
        tag, *params = (part.strip() for part in item.split(";"))
        if not tag or tag == "*":
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if 0.0 < weight <= 1.0:
            weighted.append((-weight, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def best_accepted_locale(header: str | None) -> str | None:
    """The supported locale an Accept-Language header wants most, or None."""
    for tag in accepted_languages(header):
        locale = supported_locale(tag)
        if locale:
            return locale
    return None


def choose_locale(
    *, user_locale: str | None, accept_language: str | None, workspace_locale: str | None
) -> str:
    """The locale of a request, the first that is set and supported of:

    1. the user's own locale (their profile),
    2. the best match of the browser's Accept-Language header,
    3. the workspace locale,
    4. English.

    The browser comes before the workspace because every workspace has a locale ("en"
    unless set), so after it the header would never count.
    """
    return (
        supported_locale(user_locale)
        or best_accepted_locale(accept_language)
        or supported_locale(workspace_locale)
        or DEFAULT_LOCALE
    )
