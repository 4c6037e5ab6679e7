"""Use cases for duplicates: list likely pairs from the database, merge one pair.

Shared by the command, the API and the page. A contact is named by its email or its id
(`ContactRef`); errors name the field they are about ("survivor: ...", "duplicate: ...").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.contacts.duplicates import ContactRow, DuplicatePair, find_duplicates
from smarketing.contacts.merge import merge_contacts, merged_into
from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.models import Company, Contact, User

STREAM_BATCH = 10_000
DEFAULT_MIN_SCORE = 40

#: A contact named by email, or by id (an int, or a string of digits).
ContactRef = int | str


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
    """The command's JSON of one pair."""
    return {
        "emails": [pair.first.email, pair.second.email],
        "ids": [pair.first.id, pair.second.id],
        "score": pair.score,
        "evidence": list(pair.evidence),
    }


@dataclass(frozen=True, slots=True)
class ContactSummary:
    """One side of a pair as the API and the page show it."""

    id: int
    email: str
    name: str
    company: str | None
    phone: str | None
    lifecycle_stage: str
    owner: str | None  # the owner's email

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "name": self.name,
                "company": self.company, "phone": self.phone,
                "lifecycle_stage": self.lifecycle_stage, "owner": self.owner}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ShownPair:
    score: int
    evidence: tuple[str, ...]
    a: ContactSummary
    b: ContactSummary

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "evidence": list(self.evidence),
                "a": self.a.as_dict(), "b": self.b.as_dict()}  # fmt: skip


def shown_pairs(session: Session, min_score: int, limit: int) -> list[ShownPair]:
    """The best `limit` pairs scoring at least `min_score`, with both contacts' details."""
    pairs = list_duplicates(session, min_score=min_score, limit=limit)
    summaries = _summaries(session, {row.id for p in pairs for row in (p.first, p.second)})
    return [ShownPair(p.score, p.evidence, summaries[p.first.id], summaries[p.second.id])
            for p in pairs]  # fmt: skip


def _summaries(session: Session, ids: Iterable[int]) -> dict[int, ContactSummary]:
    wanted = sorted(ids)
    found: dict[int, ContactSummary] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(Contact.id, Contact.email, Contact.first_name, Contact.last_name,
                   Company.name, Contact.phone, Contact.lifecycle_stage, User.email)
            .outerjoin(Company, Company.id == Contact.company_id)
            .outerjoin(User, User.id == Contact.owner_id)
            .where(Contact.id.in_(wanted[start:start + 500]))
        )  # fmt: skip
        for cid, email, first, last, company, phone, stage, owner in rows:
            name = " ".join(part for part in (first, last) if part)
            found[cid] = ContactSummary(cid, email, name, company, phone, stage, owner)
    return found


def contact_summary(session: Session, contact_id: int) -> ContactSummary:
    found = _summaries(session, [contact_id])
    if contact_id not in found:
        raise NotFoundError(f"no contact {contact_id}")
    return found[contact_id]


def find_contact_email(session: Session, ref: ContactRef, field: str) -> str:
    """The email of the live contact `ref` names; NotFoundError naming `field` otherwise
    (saying where it went when it was merged)."""
    key = _parse_ref(ref, field)
    column = Contact.id if isinstance(key, int) else Contact.email
    email = session.execute(select(Contact.email).where(column == key)).scalar_one_or_none()
    if email is not None:
        return email
    merged = merged_into(session, key)
    if merged is not None:
        survivor = session.get(Contact, merged.survivor_id)
        where = survivor.email if survivor is not None else f"contact {merged.survivor_id}"
        raise NotFoundError(f"{field}: {key} was merged into {where}")
    raise NotFoundError(f"{field}: no contact {key}")


def _parse_ref(ref: ContactRef, field: str) -> int | str:
    if isinstance(ref, bool):
        raise ValidationError(f"{field}: give a contact's email or id")
    if isinstance(ref, int):
        return ref
    text = ref.strip().lower()
    if text.isdigit():
        return int(text)
    if "@" not in text:
        raise ValidationError(f"{field}: {ref!r} is neither an email nor a contact id")
    return text


@dataclass(frozen=True, slots=True)
class MergeResult:
    survivor: dict[str, Any]  # the survivor's row as it is after the merge
    merged_id: int
    merged_email: str

    def as_dict(self, session: Session) -> dict[str, Any]:
        """The survivor as the list shows contacts, and the merged id and email."""
        return {"survivor": contact_summary(session, self.survivor["id"]).as_dict(),
                "merged": {"id": self.merged_id, "email": self.merged_email}}  # fmt: skip


def merge(session: Session, survivor: ContactRef, duplicate: ContactRef, now: datetime,
          actor: str) -> MergeResult:  # fmt: skip
    """Merge the duplicate into the survivor (see `merge.merge_contacts`); never commits."""
    survivor_email = find_contact_email(session, survivor, "survivor")
    duplicate_email = find_contact_email(session, duplicate, "duplicate")
    if survivor_email == duplicate_email:
        raise ValidationError("duplicate: is the survivor itself; a contact cannot be merged "
                              "with itself")  # fmt: skip
    duplicate_id = session.execute(
        select(Contact.id).where(Contact.email == duplicate_email)
    ).scalar_one()
    row = merge_contacts(session, survivor_email, duplicate_email, now, actor)
    return MergeResult(row, duplicate_id, duplicate_email)
