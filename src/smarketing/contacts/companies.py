"""Companies: written many at a time (by domain, else by name), and found by the
reference a contact gives (a domain, else a name)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from smarketing.core.errors import ValidationError
from smarketing.core.rows import changed_values, chunks
from smarketing.models import Company
from smarketing.workspace.keys import Keys, Missing

#: Bound on the reference cache, so a file with millions of companies stays in bounds.
CACHE_LIMIT = 100_000
_COLUMNS = ("domain", "name", "country", "industry", "employees", "owner_id")


class CompanyRefs:
    """Company ids by the reference contacts give: a domain, else a name (the company
    created first with that name). Cached: a company is never deleted."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._ids: dict[str, int] = {}

    def get(self, ref: str | None) -> int | None:
        """The id of `ref`; None for None; Missing for an unknown company."""
        if ref is None:
            return None
        found = self.find([ref]).get(ref)
        if found is None:
            raise Missing(f"unknown company {ref!r}: define it on an earlier line")
        return found

    def find(self, refs: Collection[str]) -> dict[str, int]:
        """The known companies among `refs`."""
        wanted = [ref for ref in set(refs) if ref not in self._ids]
        if wanted:
            if len(self._ids) + len(wanted) > CACHE_LIMIT:
                self._ids.clear()
            self._ids.update(_ids_by_domain(self.session, wanted))
            by_name = [ref for ref in wanted if ref not in self._ids]
            self._ids.update(_ids_by_name(self.session, by_name))
        return {ref: self._ids[ref] for ref in refs if ref in self._ids}

    def remember(self, ref: str, company_id: int) -> None:
        self._ids[ref] = company_id


def save_companies(session: Session, keys: Keys, refs: CompanyRefs,
                   records: Sequence[Any]) -> list[str | ValidationError]:  # fmt: skip
    """Create or replace companies (interchange `company` records, in order): a company
    is found by its domain, else by its name among companies without a domain. One
    outcome per record: created, updated, unchanged, or the error refusing it."""
    outcomes: dict[int, str | ValidationError] = {}
    for batch in _rounds(records):
        outcomes.update(_save_batch(session, keys, refs, batch))
    return [outcomes[index] for index in range(len(records))]


def _rounds(records: Sequence[Any]) -> list[list[tuple[int, Any]]]:
    """The records in rounds where each company appears once (the same company twice in
    one call is applied in order: the second sees the first)."""
    rounds: list[list[tuple[int, Any]]] = []
    seen: dict[tuple[str | None, str | None], int] = {}
    for index, record in enumerate(records):
        identity = (record.domain, None if record.domain else record.name)
        number = seen.get(identity, -1) + 1
        seen[identity] = number
        if number == len(rounds):
            rounds.append([])
        rounds[number].append((index, record))
    return rounds


Outcome = str | ValidationError


def _save_batch(session: Session, keys: Keys, refs: CompanyRefs,
                batch: list[tuple[int, Any]]) -> list[tuple[int, Outcome]]:  # fmt: skip
    outcomes: list[tuple[int, Outcome]] = []
    values: list[tuple[int, Any, dict[str, Any]]] = []
    for index, record in batch:
        try:
            owner_id = keys.users.get(record.owner)
        except Missing as exc:
            outcomes.append((index, exc))
            continue
        values.append((index, record, {
            "domain": record.domain, "name": record.name,
            "country": record.country.upper() if record.country else None,
            "industry": record.industry, "employees": record.employees, "owner_id": owner_id,
        }))  # fmt: skip
    existing = _existing(session, [record for _, record, _ in values])
    new_rows, changes = [], []
    for index, record, row in values:
        stored = existing.get(_identity(record))
        if stored is None:
            new_rows.append(row)
            outcomes.append((index, "created"))
            continue
        changed = changed_values(stored, row)
        if changed:
            changes.append((stored["id"], changed))
        outcomes.append((index, "updated" if changed else "unchanged"))
    connection = session.connection()
    for chunk in chunks(new_rows):
        for company_id, domain, name in connection.execute(
                insert(Company).returning(Company.id, Company.domain, Company.name), chunk):
            refs.remember(domain or name or "", company_id)
    for company_id, changed in changes:
        connection.execute(update(Company).where(Company.id == company_id).values(**changed))
    return outcomes


def _identity(record: Any) -> tuple[str, str]:
    return ("domain", record.domain) if record.domain else ("name", record.name)


def _existing(session: Session, records: list[Any]) -> dict[tuple[str, str], dict[str, Any]]:
    domains = [r.domain for r in records if r.domain]
    names = [r.name for r in records if not r.domain]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    columns = (Company.id, *(getattr(Company, c) for c in _COLUMNS))
    for chunk in chunks(domains):
        for row in session.execute(select(*columns).where(Company.domain.in_(chunk))):
            found[("domain", row.domain)] = dict(row._mapping)
    for chunk in chunks(names):
        rows = session.execute(select(*columns).where(
            Company.name.in_(chunk), Company.domain.is_(None)).order_by(Company.id))
        for row in rows:
            found.setdefault(("name", row.name), dict(row._mapping))
    return found


def _ids_by_domain(session: Session, refs: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(refs):
        rows = session.execute(select(Company.domain, Company.id).where(Company.domain.in_(chunk)))
        found.update((domain, company_id) for domain, company_id in rows if domain)
    return found


def _ids_by_name(session: Session, refs: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(refs):
        rows = session.execute(select(Company.name, Company.id)
                               .where(Company.name.in_(chunk)).order_by(Company.id))
        for name, company_id in rows:
            if name:
                found.setdefault(name, company_id)
    return found
