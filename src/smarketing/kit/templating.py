"""The Jinja2 environment of the pages (autoescape on) and the context every page gets.

The pages speak the request's language (English, Spanish, Portuguese or Italian; see
smarketing.i18n and docs/i18n.md). How, safely for threads and async tasks:

- One environment serves every request, so nothing language-specific is stored on it.
  `jinja2.ext.i18n` is installed with gettext callables that take the render context
  (`pass_context`) and translate through the `translations` of *that* render.
- `_page_context`, the context processor run for every page, chooses the locale of the
  request (`request_locale`) and puts it, with its translations, into the page's own
  context dict. A render never reads another render's context, whatever thread or
  task it runs on, so concurrent requests in different languages cannot mix; there is
  no global, thread-local or contextvar to set and reset.
- The filters that format for a language (`local`, `duration`, `number`, `month`,
  `stage_label`, `term`, `phrase`) take the render context the same way.
- The translations themselves are loaded once per locale and only read afterwards.

In templates: `{% trans %}...{% endtrans %}` and `_("...")` (newstyle gettext: a
literal "%" is written "%%" in `_()`, variables are passed by name and escaped).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_skeleton
from babel.numbers import format_decimal
from babel.support import NullTranslations
from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import object_session

from smarketing.i18n import DEFAULT_LOCALE, N_, SUPPORTED_LOCALES, choose_locale, get_translations
from smarketing.i18n.terms import Phrase, stage_label, term_text
from smarketing.kit.deps import CSRF_FIELD, csrf_token
from smarketing.workspace.repository import workspace_settings

PACKAGE_DIR = Path(__file__).resolve().parent.parent
#: Where templates are found: the kit's own (base.html, error.html), then each domain's
#: `templates/` folder. Found by path, so the kit imports no domain.
TEMPLATE_DIRS = [PACKAGE_DIR / "kit" / "templates",
                 *sorted(p for p in PACKAGE_DIR.glob("*/templates") if p.parent.name != "kit")]

ROLE_LABELS = {
    "admin": N_("Admin"),
    "marketing": N_("Marketing"),
    "sales_manager": N_("Sales manager"),
    "sales_rep": N_("Sales rep"),
}
#: A time in a stage: "15d 2h", "3h 5m", "7m" in English.
DURATION_DAYS = N_("%(days)sd %(hours)sh")
DURATION_HOURS = N_("%(hours)sh %(minutes)sm")
DURATION_MINUTES = N_("%(minutes)sm")
#: How an instant is shown: English keeps its ISO-style "2026-05-05 12:00"; the other
#: languages get their own numeric date from Babel ("5/5/2026 12:00" in Spanish).
ENGLISH_INSTANT = "%Y-%m-%d %H:%M"
#: How the pages' Python code writes a month ("May 2026"), read back by `month`.
MONTH_FORMAT = "%B %Y"


def local_time(value: datetime | None, zone: ZoneInfo, locale: str = DEFAULT_LOCALE) -> str:
    """An instant as wall time in the workspace timezone."""
    if value is None:
        return ""
    try:
        wall = value.astimezone(zone)
    except OverflowError:  # an instant at the edge of the calendar, stored by older code
        return value.isoformat()
    if locale == DEFAULT_LOCALE:
        return wall.strftime(ENGLISH_INSTANT)
    return f"{format_skeleton('yMd', wall, locale=locale)} {wall:%H:%M}"


def describe_duration(delta: timedelta, translations: NullTranslations) -> str:
    days, seconds = delta.days, delta.seconds
    hours, minutes = seconds // 3600, (seconds % 3600) // 60
    if days:
        return translations.gettext(DURATION_DAYS) % {"days": days, "hours": hours}
    if seconds >= 3600:
        return translations.gettext(DURATION_HOURS) % {"hours": hours, "minutes": minutes}
    return translations.gettext(DURATION_MINUTES) % {"minutes": minutes}


def month_label(value: str, locale: str) -> str:
    """A month the page code wrote as "May 2026", in `locale` ("mayo de 2026")."""
    if locale == DEFAULT_LOCALE:
        return value
    try:
        first_day = datetime.strptime(value, MONTH_FORMAT)  # noqa: DTZ007 - a calendar month
    except ValueError:
        return value
    return format_skeleton("yMMMM", first_day, locale=locale)


# --------------------------------------------------------------------------- the request


def request_locale(request: Request) -> str:
    """The locale of this request (smarketing.i18n.choose_locale): the user's own, the
    browser's, the workspace's, else English."""
    user = getattr(request.state, "user", None)
    return choose_locale(
        user_locale=user.locale if user is not None else None,
        accept_language=request.headers.get("accept-language"),
        workspace_locale=_workspace_locale(request, user),
    )


def _workspace_locale(request: Request, user: Any) -> str | None:
    """The workspace row's locale, read in the logged-in user's own session (the
    request's transaction, without flushing it). Before login, or when that session is
    gone (error pages), no extra connection is taken from the pool for it: the configured
    SMARKETING_LOCALE, which the row starts from, stands in."""
    session = object_session(user) if user is not None else None
    if session is not None:
        try:
            with session.no_autoflush:  # a page shown before its handler's flush is unchanged
                locale = workspace_settings(session).locale
        except SQLAlchemyError:
            locale = None
        if locale:
            return str(locale)
    workspace = getattr(request.app.state, "workspace", None)
    return workspace.settings.locale if workspace is not None else None


def page_translations(request: Request) -> NullTranslations:
    """The translations of this request's locale, for texts page code makes in Python."""
    return get_translations(request_locale(request))


def page_text(request: Request, message: str, /, **params: Any) -> str:
    """`message` (marked with N_) in this request's language, its `%(name)s` placeholders
    filled from `params`: `page_text(request, N_("Item %(id)s discarded."), id=7)`."""
    translated = page_translations(request).gettext(message)
    return translated % params if params else translated


def _page_context(request: Request) -> dict[str, Any]:
    user = getattr(request.state, "user", None)
    locale = request_locale(request)
    translations = get_translations(locale)
    role = ROLE_LABELS.get(user.role) if user else None
    return {
        "user": user,
        "role_label": translations.gettext(role) if role else (user.role if user else ""),
        "csrf_token": csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "locale": locale,
        "translations": translations,
    }


# --------------------------------------------------------------------------- the environment


def _translations(context: jinja2.runtime.Context) -> NullTranslations:
    found = context.get("translations")
    return found if isinstance(found, NullTranslations) else get_translations(DEFAULT_LOCALE)


def _locale(context: jinja2.runtime.Context) -> str:
    found = context.get("locale")
    return str(found) if found in SUPPORTED_LOCALES else DEFAULT_LOCALE


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str) -> str:
    return _translations(context).gettext(message)


@jinja2.pass_context
def _ngettext(context: jinja2.runtime.Context, singular: str, plural: str, count: int) -> str:
    return _translations(context).ngettext(singular, plural, count)


@jinja2.pass_context
def _pgettext(context: jinja2.runtime.Context, msgctxt: str, message: str) -> str:
    return str(_translations(context).pgettext(msgctxt, message))


@jinja2.pass_context
def _npgettext(
    context: jinja2.runtime.Context, msgctxt: str, singular: str, plural: str, count: int
) -> str:
    return str(_translations(context).npgettext(msgctxt, singular, plural, count))


@jinja2.pass_context
def _local_filter(context: jinja2.runtime.Context, value: datetime | None, zone: ZoneInfo) -> str:
    return local_time(value, zone, _locale(context))


@jinja2.pass_context
def _duration_filter(context: jinja2.runtime.Context, delta: timedelta) -> str:
    return describe_duration(delta, _translations(context))


@jinja2.pass_context
def _stage_label_filter(context: jinja2.runtime.Context, stage: str) -> str:
    return stage_label(stage, _translations(context))


@jinja2.pass_context
def _term_filter(context: jinja2.runtime.Context, value: str | None) -> str:
    """A stored product word in the page's language: "on_track" is "on track"."""
    if value is None:
        return ""
    return term_text(value, _translations(context))


@jinja2.pass_context
def _phrase_filter(context: jinja2.runtime.Context, value: Phrase | str | None) -> str:
    """A Phrase (smarketing.i18n.terms) in the page's language, its product words too."""
    if value is None:
        return ""
    if isinstance(value, Phrase):
        return value.render(_translations(context))
    return _translations(context).gettext(value)


@jinja2.pass_context
def _number_filter(
    context: jinja2.runtime.Context, value: int | float, signed: bool = False
) -> str:
    """A count with the language's digit grouping: 12,345 (en), 12.345 (es, pt, it);
    `signed` adds a "+" to positive numbers."""
    pattern = "+#,##0.###;-#,##0.###" if signed else None
    return format_decimal(value, format=pattern, locale=_locale(context))


@jinja2.pass_context
def _month_filter(context: jinja2.runtime.Context, value: str) -> str:
    return month_label(value, _locale(context))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIRS),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Multi-line {% trans %} blocks become one-line messages (babel.cfg says the same).
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    env.filters["local"] = _local_filter
    env.filters["stage_label"] = _stage_label_filter
    env.filters["duration"] = _duration_filter
    env.filters["term"] = _term_filter
    env.filters["phrase"] = _phrase_filter
    env.filters["number"] = _number_filter
    env.filters["month"] = _month_filter
    return env


def _load_catalogs() -> None:
    """Read every catalog at start, so a broken one fails here and not on a page."""
    for locale in SUPPORTED_LOCALES:
        get_translations(locale)


_load_catalogs()
templates = Jinja2Templates(env=_environment(), context_processors=[_page_context])
