"""SLA agreements as data: terms, statuses, versions and which one applies to a lead.

Pure logic. The marketing side promises MQLs (and their value in money) per rep per
month at a minimum quality; the sales side promises a first attempt within N business
hours of assignment, K attempts within D calendar days, and a decision within M business
hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

STATUSES = ("draft", "pilot", "active", "retired")
STATUS_MOVES: dict[str, frozenset[str]] = {
    "draft": frozenset({"pilot", "active", "retired"}),
    "pilot": frozenset({"draft", "active", "retired"}),
    "active": frozenset({"retired"}),
    "retired": frozenset(),
}


class SlaTermsError(ValueError):
    """Bad SLA terms; the message names the field."""


@dataclass(frozen=True)
class MarketingTerms:
    mqls_per_rep_per_month: int | None = None
    mql_value: Decimal | None = None
    lead_value_per_rep_per_month: Decimal | None = None
    min_grade: str | None = None


@dataclass(frozen=True)
class SalesTerms:
    first_attempt_within_hours: Decimal | None = None
    attempts: int | None = None
    attempts_within_days: int | None = None
    decision_within_hours: Decimal | None = None
    at_risk_share: Decimal = Decimal("0.25")
    reassign_on_breach: bool = False


#: The sources' example: 300 MQLs per rep per month; first attempt within 8 working
#: hours; 5 attempts in 14 days. A new workspace starts from it.
TEMPLATE_MARKETING: dict[str, Any] = {"mqls_per_rep_per_month": 300, "min_grade": None}
TEMPLATE_SALES: dict[str, Any] = {
    "first_attempt_within_hours": 8,
    "attempts": 5,
    "attempts_within_days": 14,
    "decision_within_hours": None,
}


def _positive_int(section: str, name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SlaTermsError(f"{section}.{name}: must be a whole number >= 1, got {value!r}")
    return value


def _positive_decimal(section: str, name: str, value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise SlaTermsError(f"{section}.{name}: must be a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SlaTermsError(f"{section}.{name}: must be a number, got {value!r}") from None
    if not number.is_finite() or number <= 0:
        raise SlaTermsError(f"{section}.{name}: must be greater than 0, got {value!r}")
    return number


def _known_keys(section: str, data: Mapping[str, Any], known: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise SlaTermsError(
            f"{section}: unknown term(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )


def parse_marketing(data: Mapping[str, Any]) -> MarketingTerms:
    keys = ("mqls_per_rep_per_month", "mql_value", "lead_value_per_rep_per_month", "min_grade")
    _known_keys("marketing", data, keys)
    grade = data.get("min_grade")
    if grade is not None and not isinstance(grade, str):
        raise SlaTermsError(f"marketing.min_grade: must be a grade name or null, got {grade!r}")
    return MarketingTerms(
        mqls_per_rep_per_month=_positive_int(
            "marketing", "mqls_per_rep_per_month", data.get("mqls_per_rep_per_month")
        ),
        mql_value=_positive_decimal("marketing", "mql_value", data.get("mql_value")),
        lead_value_per_rep_per_month=_positive_decimal(
            "marketing", "lead_value_per_rep_per_month", data.get("lead_value_per_rep_per_month")
        ),
        min_grade=grade,
    )


def parse_sales(data: Mapping[str, Any]) -> SalesTerms:
    keys = ("first_attempt_within_hours", "attempts", "attempts_within_days",
            "decision_within_hours", "at_risk_share", "reassign_on_breach")  # fmt: skip
    _known_keys("sales", data, keys)
    attempts = _positive_int("sales", "attempts", data.get("attempts"))
    within_days = _positive_int("sales", "attempts_within_days", data.get("attempts_within_days"))
    if (attempts is None) != (within_days is None):
        raise SlaTermsError("sales: attempts and attempts_within_days go together")
    share = _positive_decimal("sales", "at_risk_share", data.get("at_risk_share", "0.25"))
    if share is None or share >= 1:
        raise SlaTermsError("sales.at_risk_share: must be between 0 and 1 (e.g. 0.25)")
    reassign = data.get("reassign_on_breach", False)
    if not isinstance(reassign, bool):
        raise SlaTermsError(f"sales.reassign_on_breach: must be true or false, got {reassign!r}")
    return SalesTerms(
        first_attempt_within_hours=_positive_decimal(
            "sales", "first_attempt_within_hours", data.get("first_attempt_within_hours")
        ),
        attempts=attempts,
        attempts_within_days=within_days,
        decision_within_hours=_positive_decimal(
            "sales", "decision_within_hours", data.get("decision_within_hours")
        ),
        at_risk_share=share,
        reassign_on_breach=reassign,
    )


def check_status_move(current: str, target: str) -> None:
    if target not in STATUSES:
        raise SlaTermsError(f"status must be one of {', '.join(STATUSES)}, got {target!r}")
    if target != current and target not in STATUS_MOVES[current]:
        allowed = ", ".join(sorted(STATUS_MOVES[current])) or "nothing (retired is final)"
        raise SlaTermsError(f"an SLA cannot go from {current} to {target}; allowed: {allowed}")


@dataclass(frozen=True)
class SlaVersion:
    """One stored SLA version, as the pure rules see it."""

    id: int
    key: str
    version: int
    status: str
    effective_from: date
    effective_to: date | None
    calendar_key: str | None
    marketing: MarketingTerms
    sales: SalesTerms
    teams: frozenset[str] = field(default_factory=frozenset)
    users: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_pilot(self) -> bool:
        return self.status == "pilot"

    def in_effect_on(self, day: date) -> bool:
        ends = self.effective_to
        return self.effective_from <= day and (ends is None or day <= ends)

    def covers(self, user_email: str, team_key: str | None) -> bool:
        """A pilot covers only its chosen teams and reps; other statuses cover everyone."""
        if not self.is_pilot:
            return True
        return user_email in self.users or (team_key is not None and team_key in self.teams)


def applicable_sla(
    versions: Iterable[SlaVersion], day: date, user_email: str, team_key: str | None
) -> SlaVersion | None:
    """The SLA version that governs a lead handed to `user_email` on `day`.

    Drafts never apply. A pilot that covers the rep wins over an active SLA; a retired
    version still governs the days it was in effect (history keeps its SLA). Among
    equals, the latest start and then the highest version win.
    """
    candidates = [
        v for v in versions
        if v.status != "draft" and v.in_effect_on(day) and v.covers(user_email, team_key)
    ]  # fmt: skip
    if not candidates:
        return None
    return max(candidates, key=lambda v: (v.is_pilot, v.effective_from, v.version, v.id))
