"""Who may log a follow-up attempt on a lead, and for whom (pure).

The lead's owner, a sales manager of the owner's team, and admins may log attempts on a
lead. Marketing never logs attempts. Only the owner's attempts count for the SLA.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from smarketing.core.errors import TranslatableValidationError
from smarketing.i18n import N_

NOTE_MAX = 5000
NOT_A_CHOICE = N_("%(field)s: must be one of %(choices)s; got %(value)s")


class Person(Protocol):
    """What the rules read of a user."""

    id: int
    role: str
    team_id: int | None


P = TypeVar("P", bound=Person)


def may_log_attempt(user: P, owner: P | None) -> bool:
    """The lead's owner, a sales manager of the owner's team, or an admin."""
    if user.role == "admin":
        return True
    if owner is None:
        return False
    if user.role == "sales_rep":
        return owner.id == user.id
    if user.role == "sales_manager":
        return user.team_id is not None and user.team_id == owner.team_id
    return False


def attempt_makers(user: P, owner: P | None) -> list[P]:
    """Who the attempt may be recorded for: a rep logs their own; a manager or admin the
    owner's (only the owner's attempts count for the SLA) or their own."""
    if user.role == "sales_rep" or owner is None or owner.id == user.id:
        return [user]
    return [owner, user]


def check_choice(field: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise TranslatableValidationError(NOT_A_CHOICE, field=field, choices=", ".join(choices),
                                          value=repr(value))  # fmt: skip
