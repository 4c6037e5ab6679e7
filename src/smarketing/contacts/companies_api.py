"""Companies through the API: ``/api/v1/companies`` (see docs/api.md). A company is the
interchange `company` record, upserted by domain, else by name."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.contacts.companies import CompanyRefs, save_companies
from smarketing.contacts.repository import names
from smarketing.core.errors import ValidationError
from smarketing.kit.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    Cursor,
    Limit,
    check_body,
    example,
    invalid,
    list_example,
    not_found,
    page_json,
    upserted,
)
from smarketing.kit.auth import ReadKey, WriteKey
from smarketing.kit.deps import DbSession, Now
from smarketing.kit.pagination import DEFAULT_LIMIT, PageRequest, page_of, page_request
from smarketing.models import (
    Company,
    User,
)
from smarketing.quarantine.http import rejected
from smarketing.quarantine.service import register_replayer
from smarketing.records import schema as r
from smarketing.records.messages import name_the_field
from smarketing.workspace.keys import Keys

COMPANY_FIELDS = ("domain", "name", "country", "industry", "employees", "owner")
#: The largest value of an integer column (company ids, employees).
MAX_ID = 2**31 - 1

companies_router = APIRouter(tags=["companies"])


def upsert_company(session: Session, body: Any) -> tuple[Company, str]:
    """Create or replace the company `body` describes (by domain, else by name, as an
    interchange `company` line); (company, outcome). Fields left out are cleared."""
    data = check_body(body, COMPANY_FIELDS)
    employees = data.get("employees")
    if isinstance(employees, int) and employees > MAX_ID:  # the column is a 32-bit integer
        raise ValidationError(f"employees: must be at most {MAX_ID}, got {employees}")
    try:
        record = r.parse_record({"type": "company", **data})
    except r.InvalidRecord as exc:
        raise ValidationError(name_the_field(str(exc), "company", COMPANY_FIELDS)) from None
    assert isinstance(record, r.CompanyRecord)  # noqa: S101 - parsed as a company
    outcome = save_companies(session, Keys(session), CompanyRefs(session), [record])[0]
    if isinstance(outcome, ValidationError):
        raise ValidationError(name_the_field(f"company: {outcome}", "company", COMPANY_FIELDS))
    where = Company.domain == record.domain if record.domain else (
        (Company.name == record.name) & Company.domain.is_(None))  # fmt: skip
    company = session.execute(select(Company).where(where).order_by(Company.id).limit(1)).scalar()
    assert company is not None  # noqa: S101 - just written
    session.refresh(company)
    return company, outcome


def find_company(session: Session, ref: str) -> Company | None:
    """A company by id, or by domain."""
    ref = ref.strip()
    if ref.isdigit():
        return session.get(Company, int(ref)) if int(ref) <= MAX_ID else None
    return session.execute(select(Company).where(Company.domain == ref.lower())).scalar()


def companies_page(session: Session, page: PageRequest) -> list[Company]:
    query = select(Company).order_by(Company.id).limit(page.fetch)
    if page.after is not None:
        query = query.where(Company.id > page.after)
    return list(session.scalars(query))


def companies_json(session: Session, companies: list[Company]) -> list[dict[str, Any]]:
    owners = names(session, User, {c.owner_id for c in companies}, User.email)
    return [{
        "id": c.id, "domain": c.domain, "name": c.name, "country": c.country,
        "industry": c.industry, "employees": c.employees,
        "owner": owners.get(c.owner_id) if c.owner_id else None,
    } for c in companies]  # fmt: skip


@register_replayer("company")
def replay_company(session: Session, payload: Any, now: datetime, source: str) -> str:
    company, outcome = upsert_company(session, payload)
    return f"company {company.domain or company.name} {outcome}"


COMPANY_EXAMPLE = {"id": 4, "domain": "studio.example", "name": "Studio Ruiz",
                   "country": "ES", "industry": "architecture", "employees": 12,
                   "owner": "bruno@acme.example"}  # fmt: skip
COMPANY_BODY = {"domain": "studio.example", "name": "Studio Ruiz", "country": "ES",
                "industry": "architecture", "employees": 12}  # fmt: skip

CompanyBody = Annotated[Any, Body(openapi_examples={"company": {
    "summary": "A company", "value": COMPANY_BODY}})]  # fmt: skip


@companies_router.post("/companies", summary="Create or replace a company", responses={
    201: example("Created", COMPANY_EXAMPLE),
    200: example("Updated, or unchanged", COMPANY_EXAMPLE),
    **WRITE_ERRORS,
})  # fmt: skip
def post_company(session: DbSession, now: Now, caller: WriteKey, body: CompanyBody = None) -> (
    JSONResponse
):
    """Upsert a company by `domain`, else by `name` (a company without a domain), with
    the fields of an interchange `company` record: `domain` or `name` (at least one);
    `country`, `industry`, `employees`, `owner` (user email). The body is the whole
    company: a field left out is cleared."""
    try:
        company, outcome = upsert_company(session, body)
    except ValidationError as exc:
        return rejected(session, kind="company", payload=body, reason=str(exc),
                        source=caller.actor, now=now)  # fmt: skip
    return upserted(companies_json(session, [company])[0], outcome)


@companies_router.get("/companies", summary="List companies", responses={
    200: example("One page of companies, by id", list_example(COMPANY_EXAMPLE)), **READ_ERRORS,
})  # fmt: skip
def list_companies(session: DbSession, caller: ReadKey, limit: Limit = DEFAULT_LIMIT,
                   cursor: Cursor = None) -> dict[str, Any]:  # fmt: skip
    """Companies in id order, `limit` (1-500, default 100) per page; pass a page's
    `next_cursor` as `cursor` for the next one (null on the last page)."""
    try:
        page = page_request(limit, cursor)
    except ValidationError as exc:
        raise invalid(exc) from None
    rows = companies_page(session, page)
    return page_json(page_of(rows, page, lambda c: c.id),
                     lambda items: companies_json(session, items))  # fmt: skip


@companies_router.get("/companies/{ref}", summary="Get a company by id or domain", responses={
    200: example("The company", COMPANY_EXAMPLE),
    404: example("No company with this id or domain", {"detail": "company: no company '9'"}),
    **READ_ERRORS,
})  # fmt: skip
def get_company(ref: str, session: DbSession, caller: ReadKey) -> dict[str, Any]:
    """One company by its id (or its domain)."""
    company = find_company(session, ref)
    if company is None:
        raise not_found(f"company: no company {ref!r}")
    return companies_json(session, [company])[0]
