"""Use cases: import a JSON Lines file (with its rejects file) and export the workspace."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session

from smarketing.interchange.exporter import Exporter
from smarketing.interchange.importer import (
    Importer,
    ImportReport,
    SourceLine,
    read_lines,
    rejects_path_for,
    write_rejects,
)


def import_file(
    session: Session,
    path: Path,
    *,
    rejects_path: Path | None = None,
    checkpoint: Callable[[], None] | None = None,
    on_line: Callable[[], None] | None = None,
    now: datetime | None = None,
) -> tuple[ImportReport, Path | None]:
    """Load `path`; write rejected lines unchanged to the rejects file (if any).

    `now` is the instant SLA clocks are evaluated at (default: the real now).
    """
    importer = _importer(session, checkpoint, on_line, now)
    with path.open("rb") as stream:
        report = importer.import_lines(read_lines(stream))
    if not report.rejections:
        return report, None
    target = rejects_path or rejects_path_for(path)
    write_rejects(target, report.rejections)
    return report, target


def import_records(
    session: Session,
    records: Iterable[dict[str, Any]],
    *,
    checkpoint: Callable[[], None] | None = None,
    on_line: Callable[[], None] | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Load records made in memory (the demo) through the same path as a file."""
    importer = _importer(session, checkpoint, on_line, now)
    lines = (
        SourceLine(number, orjson.dumps(record)) for number, record in enumerate(records, 1)
    )
    return importer.import_lines(lines)


def _importer(
    session: Session,
    checkpoint: Callable[[], None] | None,
    on_line: Callable[[], None] | None,
    now: datetime | None,
) -> Importer:
    return Importer(session, checkpoint=checkpoint, on_line=on_line, now=now)


def export_file(session: Session, path: Path) -> int:
    """Write every record of the workspace to `path`; returns the number of lines."""
    count = 0
    with path.open("wb") as out:
        for record in Exporter(session).records():
            out.write(_line(record))
            out.write(b"\n")
            count += 1
    return count


def _line(record: dict[str, Any]) -> bytes:
    """One record as a JSON line. orjson stops at 255 levels of nesting; values stored
    before the bounds existed may be deeper, and a backup must never fail on them."""
    try:
        return orjson.dumps(record)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
