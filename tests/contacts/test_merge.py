"""Merging duplicates, on SQLite and PostgreSQL, and the `duplicates` command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from smarketing.contacts.duplicates_cli import duplicates_app
from smarketing.contacts.duplicates_service import list_duplicates
from smarketing.contacts.merge import merge_contacts as merge_contacts_
from smarketing.contacts.merge import resolve_email
from smarketing.core.database import make_engine
from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.core.settings import get_settings
from smarketing.interchange.service import import_records
from smarketing.models import (
    Activity,
    Attempt,
    Contact,
    Deal,
    Decision,
    LifecycleChange,
    MergedContact,
    OwnerChange,
    SlaClock,
    Visitor,
)
from tests.interchange.sample import GOOD

NOW = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
DUPLICATE = "luis@cocinas-lopez.es"
SURVIVOR = "luis.l@gmail.com"
EXTRA = [
    {"type": "contact", "email": SURVIVOR, "created_at": "2026-05-20T10:00:00Z",
     "first_name": "Luis", "last_name": "Lopez", "phone": "612345678", "country": "ES",
     "lifecycle_stage": "lead", "channel": "paid_social",
     "properties": {"booth": "C1", "size": "xl"}},
    {"type": "activity", "id": "act-s1", "contact": SURVIVOR, "kind": "page_view",
     "at": "2026-06-15T08:00:00Z", "channel": "email"},
]  # fmt: skip
MOVED = (Activity, Attempt, Decision, Deal, LifecycleChange, OwnerChange, Visitor)


def load(session: Session) -> None:
    report = import_records(session, [*GOOD, *EXTRA], now=NOW)
    assert report.rejected == 0, report.rejections


def contact(session: Session, email: str) -> Contact | None:
    return session.execute(select(Contact).where(Contact.email == email)).scalar_one_or_none()


def counts(session: Session, contact_id: int) -> dict[str, int]:
    return {
        model.__name__: session.execute(
            select(func.count()).select_from(model).where(model.contact_id == contact_id)
        ).scalar_one()
        for model in (*MOVED, SlaClock)
    }


ACTOR = "marta@acme.example"


def merge(session: Session, survivor: str, duplicate: str) -> dict[str, Any]:
    return merge_contacts_(session, survivor, duplicate, NOW, ACTOR)


def merged_rows(session: Session) -> list[tuple[Any, ...]]:
    rows = session.execute(
        select(MergedContact.merged_contact_id, MergedContact.merged_email,
               MergedContact.survivor_id, MergedContact.merged_at, MergedContact.merged_by)
        .order_by(MergedContact.merged_contact_id)
    ).all()  # fmt: skip
    return [tuple(row) for row in rows]


def test_merge_moves_everything_and_advances_the_stage(session: Session) -> None:
    load(session)
    survivor, duplicate = contact(session, SURVIVOR), contact(session, DUPLICATE)
    assert survivor is not None
    assert duplicate is not None
    survivor_id, duplicate_id = survivor.id, duplicate.id
    dup_created, dup_company = duplicate.created_at, duplicate.company_id
    session.add(Visitor(id="cookie-1", contact_id=duplicate_id, first_seen_at=NOW,
                        last_seen_at=NOW, identified_at=NOW))  # fmt: skip
    session.flush()
    before_s, before_d = counts(session, survivor_id), counts(session, duplicate_id)
    assert before_d["Visitor"] == 1
    assert before_d["SlaClock"] > 0
    assert before_d["Deal"] == 1
    assert before_d["Attempt"] == 1
    session.expunge_all()

    row = merge(session, SURVIVOR.upper(), f" {DUPLICATE} ")

    after = counts(session, survivor_id)
    for model in (Activity, Attempt, Decision, Deal, Visitor):
        assert after[model.__name__] == before_s[model.__name__] + before_d[model.__name__]
    # one stage change (lead -> customer) and one owner change (the duplicate's owner)
    assert after["LifecycleChange"] == (
        before_s["LifecycleChange"] + before_d["LifecycleChange"] + 1
    )
    assert after["OwnerChange"] == before_s["OwnerChange"] + before_d["OwnerChange"] + 1
    assert counts(session, duplicate_id) == dict.fromkeys(after, 0)
    assert after["SlaClock"] > 0  # recomputed from the moved handoff history
    assert contact(session, DUPLICATE) is None

    assert row["lifecycle_stage"] == "customer"
    last = session.execute(
        select(LifecycleChange).where(LifecycleChange.contact_id == survivor_id)
        .order_by(LifecycleChange.id.desc()).limit(1)
    ).scalar_one()  # fmt: skip
    assert (last.from_stage, last.to_stage, last.reason, last.at) == (
        "lead", "customer", f"merged with {DUPLICATE}", NOW
    )
    initial = session.execute(
        select(func.count()).select_from(LifecycleChange)
        .where(LifecycleChange.contact_id == survivor_id, LifecycleChange.source == "contact")
    ).scalar_one()  # fmt: skip
    assert initial == 1

    assert row["created_at"] == dup_created
    assert row["company_id"] == dup_company
    assert row["first_name"] == "Luis"
    assert row["last_name"] == "Lopez"
    assert row["first_touch_channel"] == "event"  # the earlier contact's first touch
    assert row["owner_id"] is not None
    props = row["properties"]
    assert props["booth"] == "C1"
    assert props["size"] == "xl"
    assert props == {"booth": "C1", "size": "xl", "merged_from": {DUPLICATE: {"booth": "B12"}}}
    assert merged_rows(session) == [(duplicate_id, DUPLICATE, survivor_id, NOW, ACTOR)]

    assert resolve_email(session, "Luis@Cocinas-Lopez.es") == SURVIVOR
    assert resolve_email(session, SURVIVOR) == SURVIVOR
    assert resolve_email(session, "nobody@example.org") == "nobody@example.org"


def test_merge_never_moves_the_stage_back(session: Session) -> None:
    load(session)
    survivor = contact(session, DUPLICATE)
    assert survivor is not None
    survivor_id = survivor.id
    history = counts(session, survivor_id)["LifecycleChange"]
    row = merge(session, DUPLICATE, SURVIVOR)
    assert row["lifecycle_stage"] == "customer"
    assert row["properties"]["booth"] == "B12"
    assert row["properties"]["merged_from"] == {SURVIVOR: {"booth": "C1"}}
    assert counts(session, survivor_id)["LifecycleChange"] == history + 1  # the moved one
    # chained merge: the address merged earlier follows its survivor, in one step
    gone = contact(session, SURVIVOR)
    assert gone is None
    eva = contact(session, "eva@example.org")
    assert eva is not None
    eva_id = eva.id
    merge(session, "eva@example.org", DUPLICATE)
    assert resolve_email(session, SURVIVOR) == "eva@example.org"
    assert resolve_email(session, DUPLICATE) == "eva@example.org"
    assert {(row[1], row[2]) for row in merged_rows(session)} == {
        (SURVIVOR, eva_id), (DUPLICATE, eva_id)
    }


def test_stale_merge_rows_give_way(session: Session) -> None:
    """An id reused before migration 0003 (SQLite) or an address that came back as a
    contact: the merge replaces the rows that contradict it."""
    load(session)
    survivor, duplicate = contact(session, SURVIVOR), contact(session, DUPLICATE)
    eva = contact(session, "eva@example.org")
    assert survivor is not None
    assert duplicate is not None
    assert eva is not None
    survivor_id, duplicate_id, eva_id = survivor.id, duplicate.id, eva.id
    session.add_all([
        MergedContact(merged_contact_id=duplicate_id, merged_email="old@example.org",
                      survivor_id=eva_id, merged_at=NOW, merged_by="system"),
        MergedContact(merged_contact_id=999_999, merged_email=SURVIVOR,
                      survivor_id=eva_id, merged_at=NOW, merged_by="system"),
    ])  # fmt: skip
    session.flush()
    session.expunge_all()

    merge(session, SURVIVOR, DUPLICATE)

    assert merged_rows(session) == [(duplicate_id, DUPLICATE, survivor_id, NOW, ACTOR)]


def test_merge_errors(session: Session) -> None:
    load(session)
    with pytest.raises(NotFoundError):
        merge(session, SURVIVOR, "nobody@example.org")
    with pytest.raises(ValidationError):
        merge(session, SURVIVOR, SURVIVOR.upper())


def test_list_duplicates_from_the_database(session: Session) -> None:
    load(session)
    pairs = list_duplicates(session, min_score=1)
    assert [(p.first.email, p.second.email, p.score) for p in pairs] == [
        (DUPLICATE, SURVIVOR, 60)
    ]
    assert pairs[0].evidence == ("same phone +34612345678",)


@pytest.fixture
def cli_url(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        load(session)
        session.commit()
    engine.dispose()
    monkeypatch.setenv("SMARKETING_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield sqlite_url
    get_settings.cache_clear()


def run(*args: str, input: str | None = None) -> Any:  # noqa: A002
    root = typer.Typer()
    root.add_typer(duplicates_app, name="duplicates")
    return CliRunner().invoke(root, ["duplicates", *args], input=input)


def emails(url: str) -> set[str]:
    engine = make_engine(url)
    with Session(engine) as session:
        found = set(session.execute(select(Contact.email)).scalars())
    engine.dispose()
    return found


def test_cli_lists_and_merges(cli_url: str) -> None:
    listed = run("--json", "--min-score", "50")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == [{
        "emails": [DUPLICATE, SURVIVOR], "ids": json.loads(listed.output)[0]["ids"],
        "score": 60, "evidence": ["same phone +34612345678"],
    }]  # fmt: skip
    table = run()
    assert table.exit_code == 0
    assert SURVIVOR in table.output
    assert "60" in table.output
    assert "No likely duplicates" in run("--min-score", "90").output

    declined = run("merge", SURVIVOR, DUPLICATE, input="n\n")
    assert declined.exit_code == 1
    assert DUPLICATE in emails(cli_url)

    merged = run("merge", SURVIVOR, DUPLICATE, "--yes")
    assert merged.exit_code == 0, merged.output
    assert f"Merged {DUPLICATE} into {SURVIVOR} (stage customer)" in merged.output
    assert DUPLICATE not in emails(cli_url)
    assert run("--json").output.strip() == "[]"

    again = run("merge", SURVIVOR, DUPLICATE, "--yes")
    assert again.exit_code == 3
    assert f"duplicate: {DUPLICATE} was merged into {SURVIVOR}" in again.output
    missing = run("merge", SURVIVOR, "nobody@example.org", "--yes")
    assert missing.exit_code == 3
    assert "duplicate: no contact nobody@example.org" in missing.output
    itself = run("merge", SURVIVOR, SURVIVOR.upper(), "--yes")
    assert itself.exit_code == 2
    assert "merged with itself" in itself.output


def history(session: Session, contact_id: int) -> dict[str, int]:
    return {name: n for name, n in counts(session, contact_id).items() if name != "SlaClock"}


def test_reimporting_after_a_merge_changes_nothing(session: Session) -> None:
    load(session)
    survivor = contact(session, SURVIVOR)
    assert survivor is not None
    survivor_id = survivor.id
    merge(session, SURVIVOR, DUPLICATE)
    before = history(session, survivor_id)
    session.expunge_all()

    report = import_records(session, [*GOOD, *EXTRA], now=NOW)

    assert report.rejected == 0, report.rejections
    assert report.applied["contact created"] == 0
    assert contact(session, DUPLICATE) is None
    assert history(session, survivor_id) == before


def test_later_lines_for_a_merged_email_reach_the_survivor(session: Session) -> None:
    load(session)
    survivor = contact(session, SURVIVOR)
    assert survivor is not None
    survivor_id = survivor.id
    merge(session, SURVIVOR, DUPLICATE)
    before = history(session, survivor_id)
    session.expunge_all()

    later = [
        {"type": "contact", "email": DUPLICATE.upper(), "created_at": "2026-06-20T10:00:00Z",
         "first_name": "Luis", "job_title": "Owner", "lifecycle_stage": "lead",
         "properties": {"booth": "A1", "shoe": "42"}},
        {"type": "activity", "id": "act-later", "contact": DUPLICATE, "kind": "email_click",
         "at": "2026-06-21T08:00:00Z", "channel": "email"},
        {"type": "attempt", "id": "att-later", "contact": DUPLICATE, "by": "ana@acme.example",
         "kind": "email", "at": "2026-06-22T09:00:00Z"},
        {"type": "deal", "id": "deal-later", "contact": DUPLICATE, "amount": "900.00",
         "status": "open", "created_at": "2026-06-22T10:00:00Z", "owner": "ana@acme.example"},
    ]  # fmt: skip
    report = import_records(session, later, now=NOW)

    assert report.rejected == 0, report.rejections
    assert report.applied == {"contact updated": 1, "activity created": 1,
                              "attempt created": 1, "deal created": 1}  # fmt: skip
    assert contact(session, DUPLICATE) is None
    after = history(session, survivor_id)
    for model in (Activity, Attempt, Deal):
        assert after[model.__name__] == before[model.__name__] + 1
    for model, key in ((Activity, "act-later"), (Attempt, "att-later"), (Deal, "deal-later")):
        row = session.get(model, key)
        assert row is not None
        assert row.contact_id == survivor_id
    refreshed = contact(session, SURVIVOR)
    assert refreshed is not None
    assert refreshed.job_title == "Owner"  # the survivor had none
    assert refreshed.last_touch_at == datetime(2026, 6, 21, 8, 0, tzinfo=UTC)
    assert refreshed.properties["shoe"] == "42"
    assert refreshed.properties["booth"] == "C1"  # the survivor's value wins
    assert refreshed.properties["merged_from"][DUPLICATE] == {"booth": "A1"}

    again = import_records(session, later, now=NOW)
    assert again.rejected == 0, again.rejections
    assert again.applied["contact unchanged"] == 1
    assert history(session, survivor_id) == after


def test_unknown_emails_are_still_refused(session: Session) -> None:
    load(session)
    report = import_records(session, [
        {"type": "activity", "id": "act-x", "contact": "nobody@example.org", "kind": "page_view",
         "at": "2026-06-21T08:00:00Z"},
    ], now=NOW)  # fmt: skip
    assert report.rejected == 1
    assert "unknown contact 'nobody@example.org'" in report.rejections[0].reason
