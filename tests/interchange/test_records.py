"""Interchange records as pure validation: one line in, a typed record or a message that
names the field and the problem."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from smarketing.records.schema import InvalidRecord, parse_record

CONTACT = {"type": "contact", "email": "ana@b.es", "created_at": "2026-01-01T00:00:00Z"}
DEAL = {"type": "deal", "id": "d1", "contact": "ana@b.es", "amount": "10", "status": "open",
        "created_at": "2026-01-01T00:00:00Z"}  # fmt: skip


@pytest.mark.parametrize(("data", "message"), [
    ({**DEAL, "status": "won"}, "deal: a won deal needs closed_at"),
    ({"type": "company"}, "company: a company needs a domain or a name"),
    ({"type": "calendar", "key": "k", "timezone": "UTC", "hours": {"mon": [["09:00", "18:00"]]},
      "holidays": {"country": "E"}},
     "calendar: holidays.country: String should have at least 2 characters"),
    ({**CONTACT, "email": "nope", "score": 1},
     "contact: email: 'nope' is not a valid email address: An email address must have an @-sign.; "
     "score: unknown field (not in the spec for this record type)"),
    ({**CONTACT, "created_at": 5}, "contact: created_at: must be an ISO 8601 instant string "
                                   "with an offset"),
    ({"type": "cost", "campaign": "c", "on": 20260101, "amount": 1},
     "cost: on: must be an ISO 8601 date string (YYYY-MM-DD)"),
    ({"type": "cost", "campaign": "c", "on": "2026-01-01", "amount": True},
     "cost: amount: must be a decimal string or number"),
    ({"type": "cost", "campaign": "c", "on": "2026-01-01", "amount": "1.005"},
     "cost: amount: '1.005' has more than two decimals"),
    ({"type": "cost", "campaign": "c", "on": "2026-01-01", "amount": "Infinity"},
     "cost: amount: 'Infinity' is not a finite amount"),
    ({"type": "cost", "campaign": "c", "on": "2026-01-01", "amount": "1e15"},
     "cost: amount: '1e15' is too large (at most 999999999999999.99)"),
    ({"type": "cost", "campaign": "c", "on": "2026-01-01", "amount": 1, "currency": "EURO"},
     "cost: currency: 'EURO' is not an ISO 4217 currency code (e.g. EUR, USD)"),
    ({"type": "team", "key": "  ", "name": "T"}, "team: key: must not be empty"),
    ({"type": "workspace", "name": "W", "timezone": "Mars/Olympus"},
     "workspace: timezone: unknown IANA timezone 'Mars/Olympus'"),
])  # fmt: skip
def test_a_bad_record_is_refused_with_every_problem_named(data: dict[str, Any],
                                                          message: str) -> None:  # fmt: skip
    with pytest.raises(InvalidRecord) as refused:
        parse_record(data)
    assert str(refused.value) == message


def test_values_are_normalized_as_the_spec_says() -> None:
    contact = parse_record({**CONTACT, "email": " Ana@B.ES ",
                            "created_at": " 2026-01-01T01:00+01:00 "})  # fmt: skip
    assert (contact.email, contact.created_at) == (  # type: ignore[attr-defined]
        "ana@b.es", datetime(2026, 1, 1, 0, 0, tzinfo=UTC))
    lower_z = parse_record({**CONTACT, "created_at": "2026-01-01T01:00z"})
    assert lower_z.created_at == datetime(2026, 1, 1, 1, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    cost = parse_record({"type": "cost", "campaign": "c", "on": " 2026-01-02 ", "amount": " 7.5",
                         "currency": "usd"})  # fmt: skip
    assert (cost.on, cost.amount, cost.currency) == (  # type: ignore[attr-defined]
        date(2026, 1, 2), Decimal("7.50"), "USD")
    assert str(cost.amount) == "7.50"  # type: ignore[attr-defined]
    team = parse_record({"type": "team", "key": " iberia ", "name": "I"})
    assert team.key == "iberia"  # type: ignore[attr-defined]
