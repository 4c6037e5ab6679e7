"""Use cases: import contacts from a CSV export (streaming), export contacts to CSV."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from smarketing.core.timeutil import format_instant, utcnow
from smarketing.ingest.csv_presets import (
    PRESETS,
    ColumnMap,
    MappingError,
    Preset,
    RowError,
    build_column_map,
    detect_preset,
    escape_cell,
    map_row,
    unescape_cell,
    with_date_order,
)
from smarketing.interchange.importer import Importer, RejectedLine
from smarketing.models import Activity, Campaign, Company, Contact, User
from smarketing.records.bounds import normalize_email
from smarketing.workspace.keys import Missing
from smarketing.workspace.repository import workspace_settings

SNIFF_BYTES = 64 * 1024
DEFAULT_ENCODING = "utf-8-sig"
#: Read big cells whole so they can be rejected with a reason (csv's default is 128 KiB).
csv.field_size_limit(2**31 - 1)


class CsvImportError(Exception):
    """The file as a whole cannot be imported (encoding, delimiter, unknown campaign, ...)."""


@dataclass
class CsvRejection:
    row: int
    reason: str


@dataclass
class CsvReport:
    preset: str = ""
    delimiter: str = ","
    rows: int = 0
    applied: Counter[str] = field(default_factory=Counter)
    rejections: list[CsvRejection] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejections)


@dataclass(frozen=True)
class Capture:
    """Offline capture: the campaign (e.g. a trade fair) and the rep who met the leads."""

    campaign: str
    captured_by: str


def rejects_path_for(source: Path) -> Path:
    stem = source.name[: -len(".csv")] if source.name.lower().endswith(".csv") else source.name
    return source.with_name(f"{stem}.rejects.csv")


def check_encoding(path: Path, encoding: str) -> None:
    """Decode the whole file in chunks (constant memory); name the first bad byte."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    except LookupError:
        raise CsvImportError(f"unknown encoding {encoding!r}") from None
    offset = 0
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise _encoding_error(
                    encoding,
                    offset + exc.start,
                    exc.object[exc.start : exc.end] if isinstance(exc.object, bytes) else b"",
                ) from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _encoding_error(encoding, offset - 1, b"") from None


def _encoding_error(encoding: str, offset: int, bad: bytes) -> CsvImportError:
    shown = f" (0x{bad[:1].hex()})" if bad else ""
    name = "UTF-8" if encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig", "utf8") \
        else encoding  # fmt: skip
    return CsvImportError(
        f"the file is not valid {name}: bad byte{shown} at byte offset {offset}. "
        "If it was saved by Excel or an older tool, run again with --encoding latin-1 "
        "(or --encoding cp1252)."
    )


def sniff_delimiter(path: Path, encoding: str) -> str:
    """Comma, semicolon or tab, guessed from the first 64 KB (comma when unsure)."""
    with path.open(encoding=encoding, newline="") as stream:
        sample = stream.read(SNIFF_BYTES)
    if len(sample) == SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


UNCLOSED_QUOTE = ("a quote opened in this row is never closed: the rest of the file was "
                  "read as one cell")


def _rows(reader: Any, delimiter: str) -> Iterator[tuple[int, list[str], str | None]]:
    """(row number, cells, what is wrong with the row's CSV or None) for every row after
    the header. A quote left open swallows the next lines into one cell: such a row is
    reported (and kept whole in the rejects file) rather than read as one contact; a row
    the csv module cannot read at all is reported with its error."""
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            unclosed = "unexpected end of data" in str(exc)
            yield number, [], (UNCLOSED_QUOTE if unclosed
                               else f"the CSV of this row cannot be read: {exc}")  # fmt: skip
            continue
        runaway = next((cell for cell in cells if "\n" in cell and delimiter in cell), None)
        if runaway is not None:
            lines = runaway.count("\n") + 1
            yield number, cells, (f"a quoted cell runs over {lines} lines and holds the "
                                  f"delimiter {delimiter!r}: a quote was left open")  # fmt: skip
            continue
        yield number, cells, None


class _RawLines:
    """Feeds the csv reader line by line and remembers the text of the current record,
    so a rejected row is copied unchanged."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.pending: list[str] = []

    def __iter__(self) -> Iterator[str]:
        for line in self.stream:
            self.pending.append(line)
            yield line

    def take(self) -> str:
        text = "".join(self.pending)
        self.pending = []
        return text


def workspace_zone(session: Session) -> tzinfo:
    return workspace_settings(session).zone


def check_capture(session: Session, capture: Capture | None) -> Capture | None:
    """Raise CsvImportError when the campaign or the user is unknown."""
    if capture is None:
        return None
    if session.execute(select(Campaign.id).where(Campaign.key == capture.campaign)).first() \
            is None:  # fmt: skip
        raise CsvImportError(f"unknown campaign {capture.campaign!r}: create it first")
    try:
        email = normalize_email(capture.captured_by)
    except ValueError as exc:
        raise CsvImportError(f"--captured-by: {exc}") from None
    if session.execute(select(User.id).where(User.email == email)).first() is None:
        raise CsvImportError(f"unknown user {email!r} (--captured-by): create the user first")
    return Capture(capture.campaign, email)


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """Country names in en, es, pt and it (lower case) -> ISO 3166 alpha-2, from Babel."""
    from babel import Locale

    names: dict[str, str] = {}
    for locale in ("en", "es", "pt", "it"):
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(name.lower(), code.upper())
    return names


def country_code(value: str) -> str | None:
    text = value.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return _country_names().get(text.lower())


#: Rows between two commits of a long import.
CHECKPOINT_ROWS = 2000


def import_csv(
    session: Session,
    path: Path,
    *,
    preset: str | None = None,
    date_order: str | None = None,
    mapping: dict[str, str] | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    capture: Capture | None = None,
    rejects_path: Path | None = None,
    on_row: Callable[[int], None] | None = None,
    checkpoint: Callable[[], None] | None = None,
    now: datetime | None = None,
) -> tuple[CsvReport, Path | None]:
    """Load every row as a contact; bad rows go, unchanged, to the rejects file.

    The caller commits; `checkpoint` (when given, and not in a dry run) is called every
    CHECKPOINT_ROWS rows to commit what is loaded so far, so a long import does not hold
    the database's write lock from the first row to the last (re-import is idempotent,
    so an import cut short is simply run again). With `dry_run` every row is validated
    and applied inside a SAVEPOINT that is rolled back, and no rejects file is written.
    `on_row` gets the number of bytes read so far. `date_order` ("day-first" or
    "month-first") overrides the preset's order of slash dates.
    """
    now = now or utcnow()
    encoding = encoding or DEFAULT_ENCODING
    check_encoding(path, encoding)
    capture = check_capture(session, capture)
    delimiter = delimiter or sniff_delimiter(path, encoding)
    if len(delimiter) != 1:
        raise CsvImportError(f"--delimiter must be one character, got {delimiter!r}")
    zone = workspace_zone(session)
    report = CsvReport(delimiter=delimiter)
    target = rejects_path or rejects_path_for(path)
    rejects: IO[str] | None = None
    savepoint = session.begin_nested() if dry_run else None
    try:
        with (
            path.open("rb") as binary,
            io.TextIOWrapper(binary, encoding=encoding, newline="") as stream,
        ):
            lines = _RawLines(stream)
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            headers = next(reader, None)
            header_text = lines.take()
            if headers is None:
                raise CsvImportError("the file is empty: expected a header row")
            chosen = with_date_order(PRESETS[preset] if preset else detect_preset(headers),
                                     date_order)  # fmt: skip
            report.preset = chosen.name
            try:
                columns = build_column_map(headers, chosen, mapping, delimiter)
            except MappingError as exc:
                raise CsvImportError(str(exc)) from None
            loader = _RowLoader(session, chosen, columns, zone, now, capture)
            for number, cells, problem in _rows(reader, delimiter):
                raw = lines.take()
                if problem is None and not any(cell.strip() for cell in cells):
                    continue
                report.rows += 1
                try:
                    if problem is not None:
                        raise RowError(problem)
                    for outcome in loader.load([unescape_cell(cell) for cell in cells]):
                        report.applied[outcome] += 1
                except (RowError, RejectedLine) as exc:
                    report.rejections.append(CsvRejection(number, _short(str(exc))))
                    if not dry_run:
                        if rejects is None:
                            rejects = target.open(
                                "w", encoding=_rejects_encoding(path, encoding), newline=""
                            )
                            rejects.write(header_text)
                        rejects.write(raw if raw.endswith(("\n", "\r")) else raw + "\r\n")
                if on_row:
                    on_row(binary.tell())
                if checkpoint and not dry_run and report.rows % CHECKPOINT_ROWS == 0:
                    checkpoint()
    finally:
        if rejects is not None:
            rejects.close()
        if savepoint is not None:
            savepoint.rollback()
    return report, (target if report.rejections and not dry_run else None)


def _rejects_encoding(path: Path, encoding: str) -> str:
    """The input's encoding; a UTF-8 BOM only when the input had one."""
    if codecs.lookup(encoding).name != "utf-8-sig":
        return encoding
    with path.open("rb") as stream:
        return encoding if stream.read(3) == codecs.BOM_UTF8 else "utf-8"


def _short(reason: str, limit: int = 300) -> str:
    return reason if len(reason) <= limit else reason[: limit - 3] + "..."


class _RowLoader:
    """Turns mapped rows into interchange records and applies them."""

    def __init__(self, session: Session, preset: Preset, columns: ColumnMap, zone: tzinfo,
                 now: datetime, capture: Capture | None) -> None:  # fmt: skip
        self.session = session
        self.preset = preset
        self.columns = columns
        self.zone = zone
        self.now = now
        self.capture = capture
        self.importer = Importer(session, now=now)
        self.user_emails: dict[str, bool] = {}

    def load(self, cells: list[str]) -> list[str]:
        row = map_row(cells, self.columns, self.preset, self.zone)
        values: dict[str, Any] = dict(row.values)
        try:
            email = normalize_email(values["email"])
        except ValueError as exc:
            raise RowError(f"email: {exc}") from None
        values["email"] = email
        properties: dict[str, Any] = dict(row.properties)
        if "country" in values:
            code = country_code(values["country"])
            if code is None:
                properties["source_country"] = values.pop("country")
            else:
                values["country"] = code
        if row.owner:
            if self._is_user(row.owner):
                values["owner"] = row.owner
            else:
                properties["source_owner"] = row.owner
        created_at = row.created_at or self._known_created_at(email) or self.now
        record: dict[str, Any] = {
            "type": "contact", **values, "created_at": format_instant(created_at),
            "lifecycle_stage": row.stage, "properties": properties,
        }  # fmt: skip
        if self.capture is not None:
            record["campaign"] = self.capture.campaign
        outcomes = []
        if values.get("company"):
            outcomes.extend(self._ensure_company(values["company"]))
        outcomes.append(self.importer.apply_data(record))
        if self.capture is not None:
            outcomes.append(self.importer.apply_data(self._capture_activity(email, row.created_at)))
        return outcomes

    def _capture_activity(self, email: str, at: datetime | None) -> dict[str, Any]:
        assert self.capture is not None  # noqa: S101
        activity_id = f"csv:{self.capture.campaign}:{email}"
        if at is None:  # a re-import without dates keeps the first import's instant
            at = (
                self.session.execute(
                    select(Activity.at).where(Activity.id == activity_id)
                ).scalar_one_or_none()
                or self.now
            )
        return {
            "type": "activity", "id": activity_id, "contact": email, "kind": "event_attended",
            "at": format_instant(at), "campaign": self.capture.campaign,
            "properties": {"captured_by": self.capture.captured_by},
        }  # fmt: skip

    def _ensure_company(self, name: str) -> list[str]:
        """A company is found by domain or name; an unknown one is created by name."""
        try:
            self.importer.companies.get(name)
        except Missing:
            return [self.importer.apply_data({"type": "company", "name": name})]
        return []

    def _is_user(self, value: str) -> bool:
        if value not in self.user_emails:
            try:
                email = normalize_email(value)
            except ValueError:
                self.user_emails[value] = False
            else:
                found = self.session.execute(select(User.id).where(User.email == email)).first()
                self.user_emails[value] = found is not None
        return self.user_emails[value]

    def _known_created_at(self, email: str) -> datetime | None:
        """A row without a date keeps the known contact's created_at (re-import is a no-op)."""
        return self.session.execute(
            select(Contact.created_at).where(Contact.email == email)
        ).scalar_one_or_none()



EXPORT_HEADER = ("email", "first_name", "last_name", "company", "lifecycle_stage", "owner",
                 "first_touch_channel", "first_touch_campaign", "created_at")  # fmt: skip


def export_csv(session: Session, path: Path, *, delimiter: str = ",") -> int:
    """Write every contact to `path` (UTF-8 with BOM, for Excel); returns the row count.

    Cells that a spreadsheet would run as a formula get a leading apostrophe.
    """
    owner = aliased(User)
    query = (
        select(Contact.email, Contact.first_name, Contact.last_name, Company.name,
               Contact.lifecycle_stage, owner.email, Contact.first_touch_channel,
               Campaign.key, Contact.created_at)
        .outerjoin(Company, Company.id == Contact.company_id)
        .outerjoin(owner, owner.id == Contact.owner_id)
        .outerjoin(Campaign, Campaign.id == Contact.first_touch_campaign_id)
        .order_by(Contact.id)
        .execution_options(yield_per=1000)
    )  # fmt: skip
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(EXPORT_HEADER)
        for row in session.execute(query):
            cells = [*row[:-1], format_instant(row[-1])]
            writer.writerow([escape_cell(str(c)) if c is not None else "" for c in cells])
            count += 1
    return count
