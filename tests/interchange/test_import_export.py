"""Import and export on SQLite and PostgreSQL: bad lines, rejects, idempotency, round trip."""

from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from smarketing.interchange.service import export_file, import_file
from smarketing.models import Contact, LifecycleChange, OwnerChange
from smarketing.records.schema import RECORD_TYPES
from tests.interchange.sample import FULL, GOOD


def write_lines(path: Path, lines: list[object]) -> Path:
    with path.open("wb") as out:
        for line in lines:
            out.write(line if isinstance(line, bytes) else orjson.dumps(line))
            out.write(b"\n")
    return path


def table_counts(session: Session) -> dict[str, int]:
    from smarketing.models import Base

    return {
        name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in Base.metadata.tables.items()
    }


BROKEN = [
    (b'{"type": "contact", "email": "x@y.es"', "not valid JSON"),
    (b"[1, 2]", "must be a JSON object, got list"),
    (b'{"type": "prospect"}', "type: 'prospect' is not a record type"),
    (b'{"type":"contact","email":"nope","created_at":"2026-01-01T00:00:00Z"}',
     "email: 'nope' is not a valid email"),
    (b'{"type":"contact","email":"a@b.es","created_at":"2026-01-01T10:00:00"}',
     "has no UTC offset"),
    (b'{"type":"activity","id":"a9","contact":"ghost@b.es","kind":"page_view",'
     b'"at":"2026-05-01T00:00:00Z"}', "unknown contact 'ghost@b.es'"),
    (b'{"type":"stage_change","contact":"luis@cocinas-lopez.es","to":"lead",'
     b'"at":"2026-07-01T00:00:00Z"}', "recycle and needs a reason"),
    (b'{"type":"campaign","key":"x","name":"X","channel":"tv"}', "channel: Input should be"),
    (b'{"type":"deal","id":"d9","contact":"luis@cocinas-lopez.es","amount":"10",'
     b'"status":"won","created_at":"2026-05-01T00:00:00Z"}', "a won deal needs closed_at"),
    (b'{"type":"activity","id":"a8","contact":"luis@cocinas-lopez.es","kind":"page_view",'
     b'"at":"2026-05-01T00:00:00Z","score":5}', "score: unknown field"),
    (b"\xff\xfe not utf-8", "not UTF-8"),
]  # fmt: skip


def test_good_lines_load_and_bad_lines_are_reported_and_kept(
    session: Session, tmp_path: Path
) -> None:
    lines: list[object] = [*GOOD]
    for raw, _ in BROKEN:
        lines.append(raw)
    source = write_lines(tmp_path / "mixed.jsonl", lines)
    report, rejects = import_file(session, source)

    assert report.lines == len(GOOD) + len(BROKEN)
    assert sum(report.applied.values()) == len(GOOD)
    assert [r.line_number for r in report.rejections] == list(
        range(len(GOOD) + 1, len(GOOD) + len(BROKEN) + 1)
    )
    for rejection, (_, reason) in zip(report.rejections, BROKEN, strict=True):
        assert reason in rejection.reason, rejection.reason
    assert rejects == tmp_path / "mixed.rejects.jsonl"
    assert rejects.read_bytes() == b"".join(raw + b"\n" for raw, _ in BROKEN)

    luis = session.execute(
        select(Contact).where(Contact.email == "luis@cocinas-lopez.es")
    ).scalar_one()
    assert luis.lifecycle_stage == "customer"
    assert luis.phone == "+34612345678"
    assert luis.first_touch_channel == "event"
    assert luis.last_touch_channel == "organic_search"
    eva = session.execute(select(Contact).where(Contact.email == "eva@example.org")).scalar_one()
    assert eva.lifecycle_stage == "other"
    moves = session.execute(
        select(LifecycleChange.from_stage, LifecycleChange.to_stage, LifecycleChange.reason)
        .where(LifecycleChange.contact_id == eva.id).order_by(LifecycleChange.id)
    ).all()  # fmt: skip
    assert moves == [(None, "mql", None), ("mql", "other", "no budget")]


def test_history_is_replayed_at_its_recorded_instants(session: Session, tmp_path: Path) -> None:
    import_file(session, write_lines(tmp_path / "good.jsonl", GOOD))
    rows = session.execute(
        select(LifecycleChange.to_stage, LifecycleChange.at, LifecycleChange.actor)
        .join(Contact).where(Contact.email == "luis@cocinas-lopez.es")
        .order_by(LifecycleChange.id)
    ).all()  # fmt: skip
    assert [(r[0], r[1].isoformat(), r[2]) for r in rows] == [
        ("lead", "2026-04-22T08:00:00+00:00", "system"),
        ("mql", "2026-05-03T09:00:00+00:00", "system"),
        ("sql", "2026-05-04T10:00:00+00:00", "ana@acme.example"),
        ("opportunity", "2026-05-10T10:00:00+00:00", "ana@acme.example"),
        ("customer", "2026-06-01T10:00:00+00:00", "ana@acme.example"),
    ]
    owners = session.execute(select(OwnerChange.source, OwnerChange.at)).all()
    assert sorted(o[0] for o in owners) == ["assignment", "contact"]


def test_reimport_changes_nothing(session: Session, tmp_path: Path) -> None:
    source = write_lines(tmp_path / "good.jsonl", GOOD)
    import_file(session, source)
    before = table_counts(session)
    report, rejects = import_file(session, source)
    assert rejects is None
    assert table_counts(session) == before
    assert {k.split(" ")[1] for k in report.applied} == {"unchanged"}, report.applied


def test_export_import_export_round_trips(
    session: Session, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    import_file(session, write_lines(tmp_path / "good.jsonl", GOOD))
    first = tmp_path / "first.jsonl"
    export_file(session, first)
    # Into an empty workspace: a second, fresh database of the same kind.
    from smarketing.core.database import make_engine

    url = request.getfixturevalue(
        "sqlite_url" if session.bind.dialect.name == "sqlite" else "postgres_url"
    )
    engine = make_engine(url)
    with Session(engine) as other:
        report, rejects = import_file(other, first)
        other.commit()
        assert rejects is None, [r.reason for r in report.rejections]
        second = tmp_path / "second.jsonl"
        export_file(other, second)
    engine.dispose()
    assert first.read_bytes() == second.read_bytes()
    assert len(first.read_bytes().splitlines()) == len(GOOD)


def identity(record: dict) -> tuple:
    """What names a record in a workspace: its key, email, id or domain, else its place."""
    kind = record["type"]
    if kind == "cost":
        return kind, record["campaign"], record["on"]
    for name in ("id", "key", "email", "domain"):
        if name in record:
            return kind, record[name]
    return (kind, record["contact"], record["at"]) if "contact" in record else (kind,)


def test_the_full_sample_fills_every_field_of_every_record_type() -> None:
    filled: dict[str, set[str]] = {}
    for record in FULL:
        filled.setdefault(record["type"], set()).update(record)
    assert filled.keys() == RECORD_TYPES.keys()
    for kind, model in RECORD_TYPES.items():
        assert filled[kind] == set(model.model_fields), kind


def test_every_exported_record_equals_its_source_record_field_by_field(
    session: Session, tmp_path: Path
) -> None:
    report, rejects = import_file(session, write_lines(tmp_path / "full.jsonl", FULL))
    assert rejects is None, [r.reason for r in report.rejections]
    target = tmp_path / "export.jsonl"
    export_file(session, target)
    exported = [orjson.loads(line) for line in target.read_bytes().splitlines()]
    by_identity = {identity(record): record for record in exported}
    assert sorted(by_identity) == sorted(identity(record) for record in FULL)
    for source in FULL:
        name = identity(source)
        written = by_identity[name]
        for field, value in source.items():
            assert written.get(field, "(missing)") == value, f"{name}: {field}"
        assert written.keys() == source.keys(), name


def test_a_changed_contact_origin_is_rejected_not_rewritten(
    session: Session, tmp_path: Path
) -> None:
    import_file(session, write_lines(tmp_path / "good.jsonl", GOOD))
    moved = {**GOOD[10], "created_at": "2026-01-01T00:00:00Z"}
    report, _ = import_file(session, write_lines(tmp_path / "moved.jsonl", [moved]))
    assert "created_at cannot change" in report.rejections[0].reason


def test_a_line_the_database_refuses_is_rejected_alone(session: Session, tmp_path: Path) -> None:
    """Lines share a savepoint for speed; a database error replays them one by one."""
    if session.bind.dialect.name == "sqlite":
        session.execute(text(
            "CREATE TEMP TRIGGER refuse_forbidden BEFORE INSERT ON contacts "
            "WHEN NEW.job_title = 'forbidden' BEGIN SELECT RAISE(ABORT, 'forbidden title'); END"
        ))  # fmt: skip
    else:
        session.execute(text(
            "ALTER TABLE contacts ADD CONSTRAINT refuse_forbidden "
            "CHECK (job_title IS NULL OR job_title <> 'forbidden')"
        ))  # fmt: skip
    lines = [*GOOD[:11]]
    lines.append({"type": "contact", "email": "bad@x.es", "created_at": "2026-05-01T00:00:00Z",
                  "job_title": "forbidden"})  # fmt: skip
    lines += GOOD[11:]
    report, rejects = import_file(session, write_lines(tmp_path / "f.jsonl", lines))
    assert [r.line_number for r in report.rejections] == [12]
    assert "the database refused it" in report.rejections[0].reason
    assert sum(report.applied.values()) == len(GOOD)
    luis = session.execute(
        select(Contact).where(Contact.email == "luis@cocinas-lopez.es")
    ).scalar_one()
    assert luis.lifecycle_stage == "customer"  # lines before and after the bad one loaded
    assert session.execute(select(Contact).where(Contact.email == "bad@x.es")).first() is None
