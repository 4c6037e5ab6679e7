"""Qualification: the workspace's MQL rule as a JSON document, and the decision.

    {"min_score": 60,
     "min_grade": null,
     "hand_raises": [{"id": "quote-request", "kinds": ["form_submit"],
                      "content": ["Quote request", "Contact sales"]},
                     {"id": "demo-request", "kinds": ["form_submit"],
                      "url": ["*/demo-request*"]}],
     "hand_raise_within_days": 30}

A lead qualifies when it passes the score test or has raised its hand:

- the score test holds when every threshold given holds: the total score is at least
  `min_score`, and the grade is at least `min_grade` ("B": fit A or B, any engagement;
  "B2": fit A or B and engagement 1 or 2);
- a hand-raise is an activity of the last `hand_raise_within_days` days (counted back
  from `now`) that matches one of `hand_raises` (the conditions of an engagement rule:
  kinds, url or url_regex, content or content_regex, campaigns, channels).

At least one of `min_score`, `min_grade` or `hand_raises` must be given. Whether the
lead's stage may still become `mql` (a subscriber or a lead) is the caller's concern.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, Field, model_validator

from smarketing.core.errors import ValidationError as DocumentError
from smarketing.personas.profile import Document, parse_document
from smarketing.scoring.domain import (
    EventMatcher,
    Score,
    ScoringEvent,
    check_grade,
    format_points,
    grade_at_least,
)
from smarketing.scoring.model import EngagementConditions, Key, Number, canonical_json


class HandRaise(EngagementConditions):
    id: Key


class MqlRule(Document):
    min_score: Number | None = None
    min_grade: Annotated[str, AfterValidator(check_grade)] | None = None
    hand_raises: tuple[HandRaise, ...] = ()
    hand_raise_within_days: Annotated[int, Field(ge=1, le=3650)] = 30

    @model_validator(mode="after")
    def _something_qualifies(self) -> MqlRule:
        if self.min_score is None and self.min_grade is None and not self.hand_raises:
            raise ValueError("give min_score, min_grade or hand_raises (else no lead qualifies)")
        ids = [h.id for h in self.hand_raises]
        if len(ids) != len(set(ids)):
            raise ValueError("hand_raises: ids must be unique")
        return self


@dataclass(frozen=True, slots=True)
class Qualification:
    qualified: bool
    reason: str


def mql_rule_from_data(data: Any, where: str = "mql_rule") -> MqlRule:
    return parse_document(MqlRule, data, where)


def load_mql_rule(text: str | bytes, where: str = "mql_rule") -> MqlRule:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise DocumentError(f"{where}: not valid JSON ({exc})") from None
    return mql_rule_from_data(data, where)


def dump_mql_rule(rule: MqlRule) -> str:
    return canonical_json(rule.model_dump(mode="json", exclude_defaults=True))


def qualify(rule: MqlRule, score: Score, events: Iterable[ScoringEvent], now: datetime) -> (
    Qualification
):
    """Whether the lead qualifies at `now`, and why (or why not), in words."""
    score_ok, score_reason = _score_test(rule, score)
    raised = _hand_raise(rule, events, now)
    if score_ok or raised:
        passed = [score_reason] if score_ok else []
        return Qualification(True, "; ".join(passed + ([raised] if raised else [])))
    reasons = [score_reason] if score_reason else []
    if rule.hand_raises:
        reasons.append(f"no hand-raise in the last {rule.hand_raise_within_days} days")
    return Qualification(False, "; ".join(reasons))


def _score_test(rule: MqlRule, score: Score) -> tuple[bool, str]:
    tests: list[tuple[bool, str]] = []
    if rule.min_score is not None:
        held = score.total >= rule.min_score
        sign = ">=" if held else "<"
        tests.append((held, f"score {format_points(score.total)} {sign} "
                            f"{format_points(rule.min_score)}"))  # fmt: skip
    if rule.min_grade is not None:
        held = grade_at_least(score.grade, rule.min_grade)
        word = "meets" if held else "below"
        tests.append((held, f"grade {score.grade} {word} {rule.min_grade}"))
    if not tests:
        return False, ""
    if all(held for held, _ in tests):
        return True, " and ".join(text for _, text in tests)
    return False, " and ".join(text for held, text in tests if not held)


def _hand_raise(rule: MqlRule, events: Iterable[ScoringEvent], now: datetime) -> str:
    """The latest hand-raise in the window, in words; "" when there is none."""
    if not rule.hand_raises:
        return ""
    since = now - timedelta(days=rule.hand_raise_within_days)
    matchers = [(h.id, EventMatcher.of(h)) for h in rule.hand_raises]
    recent = sorted((e for e in events if since <= e.at <= now), key=lambda e: (e.at, e.id))
    for event in reversed(recent):
        for hand_raise, matcher in matchers:
            if matcher.matches(event):
                shown = " ".join(t for t in (event.kind, event.url, _quoted(event.content)) if t)
                return f"hand-raise {hand_raise}: {shown}"
    return ""


def _quoted(text: str | None) -> str | None:
    return f"'{text}'" if text else None
