"""Build the demo workspace: generated records loaded by the interchange importer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.auth.service import set_passwords
from smarketing.core.errors import SmarketingError
from smarketing.demo.constants import DEMO_PASSWORD
from smarketing.demo.generator import demo_users, generate
from smarketing.interchange.importer import ImportReport
from smarketing.interchange.service import import_records
from smarketing.models import Contact

#: How many rejected lines the error quotes.
SHOWN_REJECTIONS = 5


class DemoBuildError(SmarketingError):
    """The importer rejected generated lines: a bug in the demo generator."""


def workspace_has_contacts(session: Session) -> bool:
    return session.execute(select(Contact.id).limit(1)).first() is not None


def build_demo(
    session: Session,
    contacts: int,
    seed: int,
    now: datetime,
    checkpoint: Callable[[], None] | None = None,
    on_line: Callable[[], None] | None = None,
    *,
    on_contact: Callable[[], None] | None = None,
) -> ImportReport:
    """Load the demo workspace with `contacts` contacts and give every demo user the
    demo password. The caller commits (`checkpoint` may commit along the way).

    Raises DemoBuildError when any generated line is rejected.
    """
    records: Iterable[dict[str, Any]] = generate(contacts, seed, now)
    if on_contact is not None:
        records = _counting_contacts(records, on_contact)
    report = import_records(session, records, checkpoint=checkpoint, on_line=on_line)
    if report.rejections:
        shown = "; ".join(
            f"line {r.line_number}: {r.reason}" for r in report.rejections[:SHOWN_REJECTIONS]
        )
        more = report.rejected - SHOWN_REJECTIONS
        raise DemoBuildError(
            f"the demo generator made {report.rejected} line(s) the importer rejected "
            f"(a bug in smarketing.demo.generator): {shown}"
            + (f"; and {more} more" if more > 0 else "")
        )
    set_passwords(session, [user.email for user in demo_users()], DEMO_PASSWORD)
    return report


def _counting_contacts(
    records: Iterable[dict[str, Any]], on_contact: Callable[[], None]
) -> Iterator[dict[str, Any]]:
    for record in records:
        if record["type"] == "contact":
            on_contact()
        yield record


def counts_by_type(report: ImportReport) -> dict[str, int]:
    """Lines applied per record type, e.g. {"contact": 5000, ...}, in a stable order."""
    counts: dict[str, int] = {}
    for key, count in report.applied.items():
        kind = key.split(" ", 1)[0]
        counts[kind] = counts.get(kind, 0) + count
    return dict(sorted(counts.items()))
