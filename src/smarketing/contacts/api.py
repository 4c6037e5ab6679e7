"""Contacts through the API: ``/api/v1/contacts`` (see docs/api.md); the companies'
routes (contacts/companies_api.py) are included in this module's router.

A contact is upserted by its normalized email through the upsert every live source
shares (`smarketing.contacts.service.upsert_contacts`). A contact merged into another is found
under its old id and email: the answer is the survivor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from smarketing.contacts.companies_api import companies_router
from smarketing.contacts.repository import names
from smarketing.contacts.service import CONTACT_FIELDS, UpsertResult, upsert_contact
from smarketing.contacts.story import contact_story
from smarketing.core.errors import ValidationError
from smarketing.kit.api import (
    PREFIX,
    READ_ERRORS,
    WRITE_ERRORS,
    Cursor,
    Limit,
    choice_param,
    example,
    instant,
    instant_param,
    invalid,
    list_example,
    not_found,
    page_json,
    upserted,
)
from smarketing.kit.auth import ReadKey, WriteKey
from smarketing.kit.deps import DbSession, Now
from smarketing.kit.errors import is_unavailable
from smarketing.kit.pagination import DEFAULT_LIMIT, PageRequest, page_of, page_request
from smarketing.lifecycle.domain import ALL_STAGES
from smarketing.models import (
    Campaign,
    Company,
    Contact,
    MergedContact,
    Persona,
    ProductLine,
    User,
)
from smarketing.quarantine.http import rejected
from smarketing.records.bounds import normalize_email, shown
from smarketing.records.messages import name_the_field

__all__ = ["router"]

#: The largest value of an integer column (contact ids).
MAX_ID = 2**31 - 1

contacts_router = APIRouter(tags=["contacts"])

# -- contacts: lookups and lists -----------------------------------------------------------


def find_contact(session: Session, ref: str) -> Contact | None:
    """A contact by id or email; a merged id or email finds the survivor."""
    ref = ref.strip()
    if ref.isdigit():
        if int(ref) > MAX_ID:
            return None
        contact = session.get(Contact, int(ref))
        merged = None if contact else session.get(MergedContact, int(ref))
    else:
        try:
            email = normalize_email(ref)
        except ValueError:
            return None
        contact = session.execute(select(Contact).where(Contact.email == email)).scalar()
        merged = None if contact else session.execute(
            select(MergedContact).where(MergedContact.merged_email == email)).scalar()  # fmt: skip
    if contact is None and merged is not None:
        contact = session.get(Contact, merged.survivor_id)
    return contact


@dataclass(frozen=True)
class ContactFilters:
    lifecycle_stage: str | None = None
    owner: str | None = None  # user email
    company: str | None = None  # company domain
    campaign: str | None = None  # first-touch campaign key
    created_after: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive


def contacts_page(session: Session, page: PageRequest, filters: ContactFilters) -> (
    list[Contact]
):
    query = select(Contact).order_by(Contact.id).limit(page.fetch)
    if page.after is not None:
        query = query.where(Contact.id > page.after)
    if filters.lifecycle_stage is not None:
        query = query.where(Contact.lifecycle_stage == filters.lifecycle_stage)
    if filters.owner is not None:
        owner = select(User.id).where(User.email == filters.owner.strip().lower())
        query = query.where(Contact.owner_id == owner.scalar_subquery())
    if filters.company is not None:
        company = select(Company.id).where(Company.domain == filters.company.strip().lower())
        query = query.where(Contact.company_id == company.scalar_subquery())
    if filters.campaign is not None:
        campaign = select(Campaign.id).where(Campaign.key == filters.campaign.strip())
        query = query.where(Contact.first_touch_campaign_id == campaign.scalar_subquery())
    if filters.created_after is not None:
        query = query.where(Contact.created_at >= filters.created_after)
    if filters.created_before is not None:
        query = query.where(Contact.created_at < filters.created_before)
    return list(session.scalars(query))


def contacts_json(session: Session, contacts: list[Contact]) -> list[dict[str, Any]]:
    companies = {row.id: row.domain or row.name for row in session.execute(
        select(Company.id, Company.domain, Company.name)
        .where(Company.id.in_({c.company_id for c in contacts if c.company_id})))}  # fmt: skip
    owners = names(session, User, {c.owner_id for c in contacts}, User.email)
    personas = names(session, Persona, {c.persona_id for c in contacts}, Persona.key)
    product_lines = names(session, ProductLine, {c.product_line_id for c in contacts},
                          ProductLine.key)  # fmt: skip
    campaigns = names(session, Campaign, {c.first_touch_campaign_id for c in contacts}
                      | {c.last_touch_campaign_id for c in contacts}, Campaign.key)  # fmt: skip

    def key(table: dict[int, str], row_id: int | None) -> str | None:
        return table.get(row_id) if row_id is not None else None

    return [{
        "id": c.id,
        "email": c.email,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "phone": c.phone,
        "job_title": c.job_title,
        "company": key(companies, c.company_id),
        "company_id": c.company_id,
        "country": c.country,
        "persona": key(personas, c.persona_id),
        "owner": key(owners, c.owner_id),
        "product_line": key(product_lines, c.product_line_id),
        "lifecycle_stage": c.lifecycle_stage,
        "stage_entered_at": instant(c.stage_entered_at),
        "created_at": instant(c.created_at),
        "first_touch": {"channel": c.first_touch_channel,
                        "campaign": key(campaigns, c.first_touch_campaign_id)},
        "last_touch": {"channel": c.last_touch_channel,
                       "campaign": key(campaigns, c.last_touch_campaign_id),
                       "at": instant(c.last_touch_at)},
        "properties": shown(c.properties or {}),
    } for c in contacts]  # fmt: skip


# -- contacts: writes ----------------------------------------------------------------------


def write_contact(session: Session, body: Any, now: datetime, actor: str) -> UpsertResult:
    """The shared upsert in a SAVEPOINT, so a rejected contact leaves nothing behind;
    every failure becomes a ValidationError that names the field."""
    try:
        with session.begin_nested():
            return upsert_contact(session, body, now=now, actor=actor)
    except DBAPIError as exc:
        if is_unavailable(exc):  # a fault (a lock, a lost connection), not bad data: 503
            raise
        raise ValidationError(f"body: the database refused it: {exc.orig}") from None
    except ValueError as exc:  # ValidationError, and a malformed owner on an update
        raise ValidationError(contact_error(str(exc))) from None


def contact_error(message: str) -> str:
    if message.startswith(("cannot move", "moving from")):
        return f"lifecycle_stage: {message}"
    return name_the_field(message, "contact", CONTACT_FIELDS)


# -- contacts: endpoints -------------------------------------------------------------------

CONTACT_EXAMPLE = {
    "id": 12, "email": "ana@studio.example", "first_name": "Ana", "last_name": "Ruiz",
    "phone": "+34612345678", "job_title": "Architect", "company": "studio.example",
    "company_id": 4, "country": "ES", "persona": "architect", "owner": "bruno@acme.example",
    "product_line": "kitchens", "lifecycle_stage": "mql",
    "stage_entered_at": "2026-05-02T08:15:00Z", "created_at": "2026-04-28T10:00:00Z",
    "first_touch": {"channel": "paid_search", "campaign": "spring-webinar"},
    "last_touch": {"channel": "email", "campaign": "newsletter-may",
                   "at": "2026-05-02T08:10:00Z"},
    "properties": {"budget": "20-50k"},
}  # fmt: skip
CONTACT_BODY = {
    "email": "Ana@Studio.example", "first_name": "Ana", "last_name": "Ruiz",
    "company": "studio.example", "country": "ES", "lifecycle_stage": "mql",
    "campaign": "spring-webinar", "properties": {"budget": "20-50k"},
}  # fmt: skip
TIMELINE_EXAMPLE = {"contact": CONTACT_EXAMPLE, "events": [
    {"at": "2026-04-28T10:00:00Z", "kind": "stage_change", "summary": "created as lead",
     "details": {"transition": "create", "by": "system", "reason": None}},
    {"at": "2026-05-02T08:10:00Z", "kind": "activity", "summary": "form submit",
     "details": {"channel": "email", "campaign": "Newsletter May", "content": None,
                 "url": "https://acme.example/brochure"}},
]}  # fmt: skip
NO_CONTACT = example("No contact with this id or email",
                     {"detail": "contact: no contact 'ana@studio.example'"})  # fmt: skip

ContactBody = Annotated[Any, Body(openapi_examples={"contact": {
    "summary": "A contact from a form", "value": CONTACT_BODY}})]  # fmt: skip


def _contact(session: Session, ref: str) -> Contact:
    contact = find_contact(session, ref)
    if contact is None:
        raise not_found(f"contact: no contact {ref!r}")
    return contact


@contacts_router.post("/contacts", summary="Create or update a contact (by email)", responses={
    201: example("Created", CONTACT_EXAMPLE),
    200: example("Updated, or unchanged", CONTACT_EXAMPLE),
    **WRITE_ERRORS,
})  # fmt: skip
def post_contact(session: DbSession, now: Now, caller: WriteKey, body: ContactBody = None) -> (
    JSONResponse
):
    """Upsert a contact by its normalized email. Only `email` is required; the others
    are `first_name`, `last_name`, `phone`, `job_title`, `company` (domain or name; an
    unknown name creates the company), `country`, `persona`, `owner` (user email),
    `lifecycle_stage` (default lead), `product_line`, `channel` and `campaign` (first
    touch), `properties` and `created_at`. On a known contact the given fields replace
    the stored ones, properties are merged, a stage may only move forward, and fields
    left out are kept. A merged address updates the survivor."""
    try:
        result = write_contact(session, body, now, caller.actor)
    except ValidationError as exc:
        return rejected(session, kind="contact", payload=body, reason=str(exc),
                        source=caller.actor, now=now)  # fmt: skip
    contact = session.get(Contact, result.contact_id)
    assert contact is not None  # noqa: S101 - just written
    session.refresh(contact)
    return upserted(contacts_json(session, [contact])[0], result.status)


@contacts_router.get("/contacts", summary="List contacts", responses={
    200: example("One page of contacts, by id", list_example(CONTACT_EXAMPLE)), **READ_ERRORS,
})  # fmt: skip
def list_contacts(session: DbSession, caller: ReadKey, lifecycle_stage: str | None = None,
                  owner: str | None = None, company: str | None = None,
                  campaign: str | None = None, created_after: str | None = None,
                  created_before: str | None = None, limit: Limit = DEFAULT_LIMIT,
                  cursor: Cursor = None) -> dict[str, Any]:  # fmt: skip
    """Contacts in id order, filtered by `lifecycle_stage`, `owner` (user email),
    `company` (company domain), `campaign` (first-touch campaign key), `created_after`
    (inclusive) and `created_before` (exclusive; ISO 8601 instants with an offset).
    `limit` (1-500, default 100) per page; pass a page's `next_cursor` as `cursor` for
    the next one (null on the last page)."""
    try:
        page = page_request(limit, cursor)
        filters = ContactFilters(
            lifecycle_stage=choice_param("lifecycle_stage", lifecycle_stage, ALL_STAGES),
            owner=owner, company=company, campaign=campaign,
            created_after=instant_param("created_after", created_after),
            created_before=instant_param("created_before", created_before),
        )  # fmt: skip
    except ValidationError as exc:
        raise invalid(exc) from None
    rows = contacts_page(session, page, filters)
    return page_json(page_of(rows, page, lambda c: c.id),
                     lambda items: contacts_json(session, items))  # fmt: skip


@contacts_router.get("/contacts/{ref}", summary="Get a contact by id or email", responses={
    200: example("The contact (the survivor, for a merged id or email)", CONTACT_EXAMPLE),
    404: NO_CONTACT, **READ_ERRORS,
})  # fmt: skip
def get_contact(ref: str, session: DbSession, caller: ReadKey) -> dict[str, Any]:
    """One contact by its id or its email. The id or email of a contact merged into
    another answers with the survivor."""
    return contacts_json(session, [_contact(session, ref)])[0]


@contacts_router.get("/contacts/{ref}/timeline", summary="A contact's timeline", responses={
    200: example("The contact and its events, oldest first", TIMELINE_EXAMPLE),
    404: NO_CONTACT, **READ_ERRORS,
})  # fmt: skip
def get_timeline(ref: str, session: DbSession, now: Now, caller: ReadKey) -> dict[str, Any]:
    """Everything that happened to a contact, oldest first: stage changes, owner
    changes, marketing activities, sales attempts, decisions and deals. Each event has
    `at`, `kind`, a one-line `summary` and `details`."""
    contact = _contact(session, ref)
    story = contact_story(session, contact.email, now)
    return {
        "contact": contacts_json(session, [contact])[0],
        "events": [{"at": instant(e.at), "kind": e.kind, "summary": e.summary,
                    "details": e.details} for e in story.timeline],  # fmt: skip
    }


router = APIRouter(prefix=PREFIX)
router.include_router(contacts_router)
router.include_router(companies_router)
