"""The languages of the pages: English, Spanish, Portuguese and Italian.

`choose_locale` (pure) picks the language of one request; `get_translations` gives the
Babel translations of a language, read from the `.po` catalogs under `locales/`. How
the pages use them: smarketing.kit.templating. How to add or update a translation:
docs/i18n.md.
"""

from smarketing.i18n.catalogs import DOMAIN, LOCALES_DIR, N_, Np_, get_translations
from smarketing.i18n.negotiation import (
    DEFAULT_LOCALE,
    SUPPORTED_LOCALES,
    accepted_languages,
    best_accepted_locale,
    choose_locale,
    supported_locale,
)

__all__ = [
    "DEFAULT_LOCALE",
    "DOMAIN",
    "LOCALES_DIR",
    "N_",
    "Np_",
    "SUPPORTED_LOCALES",
    "accepted_languages",
    "best_accepted_locale",
    "choose_locale",
    "get_translations",
    "supported_locale",
]
