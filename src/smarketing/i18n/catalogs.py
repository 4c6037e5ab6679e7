"""The translations of each locale, read from the `.po` catalogs the repository keeps.

No compiled `.mo` file is committed or built at install time: the first time a locale
is asked for, its catalog is parsed (babel.messages.pofile.read_po), compiled in memory
(write_mo into a buffer) and loaded as a `babel.support.Translations`. The result is
cached per locale and never changes afterwards, so it may be shared by every request and
thread. Fuzzy entries are left out, as `pybabel compile` would.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from smarketing.i18n.negotiation import DEFAULT_LOCALE, SUPPORTED_LOCALES

__all__ = ["DOMAIN", "LOCALES_DIR", "N_", "Np_", "catalog_path", "get_translations"]

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Marks `message` for `pybabel extract` without translating it: for labels defined
    at import time and translated where they are shown."""
    return message


def Np_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with a plural form for `pybabel extract` (keyword `Np_:1,2` in
    babel.cfg) without translating it: `Phrase.counted(Np_("%(count)s day",
    "%(count)s days"), {"count": 3})`."""
    return singular, plural


def catalog_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def get_translations(locale: str) -> NullTranslations:
    """The translations of `locale`; English (the language of the source) and any
    unsupported locale get the identity translations."""
    if locale == DEFAULT_LOCALE or locale not in SUPPORTED_LOCALES:
        return NullTranslations()
    with catalog_path(locale).open("rb") as po_file:
        catalog = read_po(po_file, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
