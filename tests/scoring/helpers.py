"""Small builders shared by the scoring tests."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from smarketing.scoring.domain import ScoringEvent
from smarketing.scoring.model import ScoringModel, model_from_data

MADRID = ZoneInfo("Europe/Madrid")

BASE: dict[str, Any] = {
    "key": "test",
    "version": 1,
    "name": "Test model",
    "timezone": "Europe/Madrid",
    "half_life_days": 30,
    "fit_grades": {"A": 30, "B": 20, "C": 10},
    "engagement_grades": {"1": 40, "2": 20, "3": 5},
    "fit_rules": [
        {"id": "spain", "points": 10, "when": {"countries": ["ES"]}},
        {"id": "big", "points": 15, "when": {"employees": {"min": 100}}},
        {"id": "free-mail", "points": -10, "when": {"email_kinds": ["free_mail"]}},
    ],
    "engagement_rules": [
        {"id": "visit", "points": 4, "cap_per_day": 10, "when": {"kinds": ["page_view"]}},
        {"id": "careers", "points": -5, "cap_total": 12,
         "when": {"kinds": ["page_view"], "url": ["*/careers*"]}},
        {"id": "quote", "points": 30, "cap_total": 50,
         "when": {"kinds": ["form_submit"], "content": ["Quote request"]}},
    ],
}  # fmt: skip


def model_data(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data


def make_model(**changes: Any) -> ScoringModel:
    return model_from_data(model_data(**changes))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str) -> datetime:
    """Madrid wall time."""
    return datetime.fromisoformat(text).replace(tzinfo=MADRID)


def event(id: str, at: datetime, kind: str = "page_view", **fields: Any) -> ScoringEvent:
    return ScoringEvent(id, kind, at, **fields)
