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
    OwnerChange,
    SlaClock,
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
MOVED = (Activity, Attempt, Decision, Deal, LifecycleChange, OwnerChange)


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


def merge(session: Session, survivor: str, duplicate: str) -> dict[str, Any]:
    return merge_contacts_(session, survivor, duplicate, NOW, "marta@acme.example")


def test_merge_moves_everything_and_advances_the_stage(session: Session) -> None:
    load(session)
    survivor, duplicate = contact(session, SURVIVOR), contact(session, DUPLICATE)
    assert survivor is not None
    assert duplicate is not None
    survivor_id, duplicate_id = survivor.id, duplicate.id
    dup_created, dup_company = duplicate.created_at, duplicate.company_id
    before_s, before_d = counts(session, survivor_id), counts(session, duplicate_id)
    assert before_d["SlaClock"] > 0
    assert before_d["Deal"] == 1
    assert before_d["Attempt"] == 1
    session.expunge_all()

    row = merge(session, SURVIVOR.upper(), f" {DUPLICATE} ")

    after = counts(session, survivor_id)
    for model in (Activity, Attempt, Decision, Deal):
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
    assert props["merged_from"] == {DUPLICATE: {"booth": "B12"}}
    assert props["merged_emails"] == [DUPLICATE]
    assert props["merged_contact_ids"] == [duplicate_id]

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
    # chained merge: the address merged earlier follows its survivor
    merge(session, "eva@example.org", DUPLICATE)
    assert resolve_email(session, SURVIVOR) == "eva@example.org"
    assert resolve_email(session, DUPLICATE) == "eva@example.org"


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

    missing = run("merge", SURVIVOR, DUPLICATE, "--yes")
    assert missing.exit_code == 3
    assert "no contact" in missing.output
