"""Who may see and act on what (pure): the access rules every door checks on the server.

Sales reps see only the leads they own; admins, marketing and sales managers see every
lead. A follow-up attempt on a lead may be logged by its owner, a sales manager of the
owner's team, or an admin (marketing never logs attempts); only the owner's attempts
count for the SLA.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

FULL_VIEW_ROLES = frozenset({"admin", "marketing", "sales_manager"})


def can_see_contact(role: str, user_id: int, owner_id: int | None) -> bool:
    """Sales reps see only the contacts they own; everyone else sees all."""
    return role in FULL_VIEW_ROLES or (owner_id is not None and owner_id == user_id)


def visible_owner_id(role: str, user_id: int) -> int | None:
    """The owner a user's views are limited to: None (everything) for the roles that see
    every contact, the user's own id for sales reps."""
    return None if role in FULL_VIEW_ROLES else user_id


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
