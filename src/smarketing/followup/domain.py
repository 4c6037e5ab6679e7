"""Pure rules of follow-up attempts' input (who may log one: smarketing.auth.access)."""

from __future__ import annotations

from smarketing.core.errors import TranslatableValidationError
from smarketing.i18n import N_

NOTE_MAX = 5000
NOT_A_CHOICE = N_("%(field)s: must be one of %(choices)s; got %(value)s")


def check_choice(field: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise TranslatableValidationError(NOT_A_CHOICE, field=field, choices=", ".join(choices),
                                          value=repr(value))  # fmt: skip
