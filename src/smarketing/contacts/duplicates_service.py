"""Use cases for duplicates: list likely pairs from the database, merge one pair."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.contacts.duplicates import ContactRow, DuplicatePair, find_duplicates
from smarketing.contacts.merge import merge_contacts
from smarketing.models import Company, Contact

STREAM_BATCH = 10_000


def contact_rows(session: Session) -> Iterator[ContactRow]:
    """Every contact as a small row, streamed from the database in batches."""
    statement = (
        select(Contact.id, Contact.email, Contact.first_name, Contact.last_name, Contact.phone,
               Company.name, Company.domain)
        .outerjoin(Company, Company.id == Contact.company_id)
        .order_by(Contact.id)
        .execution_options(yield_per=STREAM_BATCH)
    )  # fmt: skip
    for row in session.execute(statement):
        yield ContactRow(*row)


def list_duplicates(session: Session, min_score: int = 1, limit: int | None = None) -> (
    list[DuplicatePair]
):
    pairs = find_duplicates(contact_rows(session), min_score=min_score)
    return pairs if limit is None else pairs[:limit]


def pair_as_dict(pair: DuplicatePair) -> dict[str, Any]:
    return {
        "emails": [pair.first.email, pair.second.email],
        "ids": [pair.first.id, pair.second.id],
        "score": pair.score,
        "evidence": list(pair.evidence),
    }


def merge(session: Session, survivor_email: str, duplicate_email: str, now: datetime,
          actor: str) -> dict[str, Any]:  # fmt: skip
    """Merge the duplicate into the survivor (see `merge.merge_contacts`); never commits."""
    return merge_contacts(session, survivor_email, duplicate_email, now, actor)
