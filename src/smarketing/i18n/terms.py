"""The product's fixed words and texts made of parts, in any of the languages.

Pure: no web, no database. The pages (smarketing.kit.templating) and the notifications
(smarketing.notify.service) both translate through these.

- `STAGE_LABELS` and `TERMS`: stored keys ("mql", "on_track", "page_view") and their
  labels, marked with N_ and translated where they are shown. Keys stay as they are.
- `Phrase`: a text whose words are chosen in the code (an N_-marked message with named
  `%(name)s` placeholders) and whose parameters come from the data. Some parameters are
  product words (`terms`, `stages`), translated with the message; the rest (names,
  emails, companies, content titles) are shown as they are. A parameter may itself be a
  Phrase. A Phrase may have a plural form (`Phrase.counted`, marked with Np_): the
  parameter named by `count` chooses the form, with the language's plural rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import format_decimal
from babel.support import NullTranslations

from smarketing.i18n.catalogs import N_
from smarketing.i18n.negotiation import DEFAULT_LOCALE, SUPPORTED_LOCALES

__all__ = ["STAGE_LABELS", "TERMS", "Phrase", "stage_label", "term_text"]

#: MQL and SQL are the product's words in every language.
STAGE_LABELS: dict[str, str] = {
    "subscriber": N_("Subscriber"),
    "lead": N_("Lead"),
    "mql": "MQL",
    "sql": "SQL",
    "opportunity": N_("Opportunity"),
    "customer": N_("Customer"),
    "evangelist": N_("Evangelist"),
    "other": N_("Other"),
}
#: The product's fixed words, stored as keys and shown in the reader's language (teams,
#: SLA clock kinds and states, pace, SLA statuses, attempt kinds and outcomes, key scopes,
#: quarantine statuses, activity kinds, channels, handoff decisions, stage transitions,
#: deal statuses). A key not listed shows with spaces for underscores.
TERMS: dict[str, str] = {
    "first_attempt": N_("First attempt"),
    "cadence": N_("Attempt cadence"),
    "decision": N_("Decision"),
    "marketing": N_("marketing"),
    "sales": N_("sales"),
    "on_track": N_("on track"),
    "at_risk": N_("at risk"),
    "breached": N_("breached"),
    "met": N_("met"),
    "closed": N_("closed"),
    "reassigned": N_("reassigned"),
    "behind": N_("behind"),
    "on_pace": N_("on pace"),
    "ahead": N_("ahead"),
    "no_target": N_("no target"),
    "draft": N_("draft"),
    "pilot": N_("pilot"),
    "active": N_("active"),
    "retired": N_("retired"),
    "call": N_("call"),
    "email": N_("email"),
    "meeting": N_("meeting"),
    "social": N_("social"),
    "other": N_("other"),
    "no_answer": N_("no answer"),
    "left_message": N_("left message"),
    "connected": N_("connected"),
    "replied": N_("replied"),
    "bounced": N_("bounced"),
    "read": N_("read"),
    "write": N_("write"),
    "open": N_("open"),
    "replayed": N_("replayed"),
    "discarded": N_("discarded"),
    # activity kinds
    "page_view": N_("page view"),
    "form_submit": N_("form submit"),
    "email_open": N_("email open"),
    "email_click": N_("email click"),
    "content_download": N_("content download"),
    "event_attended": N_("event attended"),
    "ad_click": N_("ad click"),
    "chat": N_("chat"),
    "meeting_booked": N_("meeting booked"),
    # channels
    "organic_search": N_("organic search"),
    "paid_search": N_("paid search"),
    "paid_social": N_("paid social"),
    "referral": N_("referral"),
    "direct": N_("direct"),
    "event": N_("event"),
    "display": N_("display"),
    # handoff decisions, stage transitions, deal statuses
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "create": N_("create"),
    "advance": N_("advance"),
    "recycle": N_("recycle"),
    "disqualify": N_("disqualify"),
    "won": N_("won"),
    "lost": N_("lost"),
}


def stage_label(stage: str, translations: NullTranslations | None = None) -> str:
    """A lifecycle stage's label ("Lead", "MQL"), translated when `translations` is given."""
    label = STAGE_LABELS.get(str(stage), str(stage).capitalize())
    return translations.gettext(label) if translations is not None else label


def term_text(value: str, translations: NullTranslations) -> str:
    """A stored product word (TERMS) in a language: "on_track" is "on track" in English."""
    label = TERMS.get(value)
    return translations.gettext(label) if label else value.replace("_", " ")


@dataclass(frozen=True)
class Phrase:
    """A text to show in the reader's language, rendered where it is shown.

    `message` is marked with N_ and has named `%(name)s` placeholders filled from
    `params`; the parameters named in `terms` are TERMS keys and those in `stages` are
    lifecycle stages, both shown as translated labels. A Phrase parameter is rendered in
    the same language. The parameters named in `numbers` are numbers written the
    language's way (1,000.5 in English, 1.000,5 in Spanish). Everything else is data and
    is shown as it is.

    With a `plural` message (both marked together with Np_, see `counted`), the number
    in the parameter named `count` chooses between them with the language's plural
    rules ("1 day", "3 days"; "1 giorno", "3 giorni"); that parameter is a number too.
    """

    message: str
    params: Mapping[str, object] = field(default_factory=dict)
    terms: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    plural: str | None = None
    count: str | None = None

    @classmethod
    def counted(
        cls, forms: tuple[str, str], params: Mapping[str, object], count: str = "count",
        **options: frozenset[str],
    ) -> Phrase:  # fmt: skip
        """A Phrase with a plural form: `forms` is `Np_(singular, plural)` and the
        parameter `count` of `params` chooses the form."""
        singular, plural = forms
        return cls(singular, params, plural=plural, count=count, **options)

    def render(self, translations: NullTranslations) -> str:
        """The text in the language of `translations` (English: `NullTranslations()`)."""
        if self.plural is not None:
            message = translations.ngettext(self.message, self.plural, self._form_number())
        else:
            message = translations.gettext(self.message)
        return self._fill(message, translations)

    def plain(self) -> str:
        """The English text with product words as their stored keys ("lead → mql",
        "page view"): what the command line and the JSON API print."""
        message = self.message
        if self.plural is not None and self._form_number() != 1:
            message = self.plural
        return self._fill(message, None)

    def _form_number(self) -> int:
        """The whole number that chooses the plural form. A count with a fraction takes
        the form of 2 ("other": "1.5 days" in English, Spanish, Portuguese, Italian)."""
        value = self.params.get(self.count) if self.count else None
        if isinstance(value, int):
            return value
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            return 2
        return int(number) if number.is_finite() and number == number.to_integral_value() else 2

    def _fill(self, message: str, translations: NullTranslations | None) -> str:
        if not self.params:
            return message
        return message % {name: self._param(name, value, translations)
                          for name, value in self.params.items()}  # fmt: skip

    def _param(self, name: str, value: object, translations: NullTranslations | None) -> object:
        if isinstance(value, Phrase):
            return value.plain() if translations is None else value.render(translations)
        if value is None:
            return ""
        if name in self.stages:
            return str(value) if translations is None else stage_label(str(value), translations)
        if name in self.terms:
            text = str(value)
            return text.replace("_", " ") if translations is None else term_text(text, translations)
        if (name in self.numbers or name == self.count) and isinstance(value, int | Decimal):
            return format_decimal(value, locale=_language(translations))
        return value


def _language(translations: NullTranslations | None) -> str:
    """The locale of `translations`, from its catalog's `Language` header; English for
    none (the identity translations and `plain()`)."""
    language = translations.info().get("language") if translations is not None else None
    return language if language in SUPPORTED_LOCALES else DEFAULT_LOCALE
