"""Importer messages turned into API errors that start with the field (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smarketing.deals.service import DEAL_FIELDS
from smarketing.kit.api import money
from smarketing.records.messages import name_the_field

COMPANY_FIELDS = ("domain", "name", "country", "industry", "employees", "owner")


@pytest.mark.parametrize(("message", "kind", "fields", "expected"), [
    ("deal: a won deal needs closed_at", "deal", DEAL_FIELDS,
     "closed_at: a won deal needs closed_at"),
    ("deal: closed_at is before created_at", "deal", DEAL_FIELDS,
     "closed_at: closed_at is before created_at"),
    ("deal: amount: must be a decimal string or number", "deal", DEAL_FIELDS,
     "amount: must be a decimal string or number"),
    ("deal: unknown contact 'x@y.example': define it on an earlier line", "deal", DEAL_FIELDS,
     "contact: unknown contact 'x@y.example': create it first"),
    ("deal: unknown user 'x@y.example': define it on an earlier line", "deal", DEAL_FIELDS,
     "owner: unknown user 'x@y.example': create it first"),
    ("deal: deal id 'd1' belongs to another contact", "deal", DEAL_FIELDS,
     "id: deal id 'd1' belongs to another contact"),
    ("company: a company needs a domain or a name", "company", COMPANY_FIELDS,
     "domain: a company needs a domain or a name"),
    ("company: the database refused it: boom", "company", COMPANY_FIELDS,
     "body: the database refused it: boom"),
    ("body: must be a JSON object", "contact", ("email",), "body: must be a JSON object"),
    ("properties.x: bad", "contact", ("properties",), "properties.x: bad"),
])  # fmt: skip
def test_importer_messages_name_the_field(
    message: str, kind: str, fields: tuple[str, ...], expected: str
) -> None:
    assert name_the_field(message, kind, fields) == expected


def test_money_is_a_string_with_two_decimals() -> None:
    assert money(Decimal("1234.5")) == "1234.50"
    assert money(Decimal("0")) == "0.00"
    assert money(None) is None
