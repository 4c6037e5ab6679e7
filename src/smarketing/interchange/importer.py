"""Apply interchange records to the workspace, losing nothing: parse each line and
dispatch it, by record type, to the use case of the domain that owns it.

Lines are read in chunks (a checkpoint commits every CHECKPOINT_EVERY lines). A chunk is
cut into segments that can be written together without changing what file order means;
each segment is written by a few set-based calls (contacts together, then their stories:
stage changes and decisions in order, assignments, attempts, activities, deals), inside
one SAVEPOINT. Segments break:
- around each workspace-wide record (workspace, calendar, team, user, product line,
  persona, campaign, cost, sla): later lines may depend on it;
- when a company follows a contact or a story line (a contact may name that company);
- when a contact line names an address the segment has already seen (a second line of a
  contact, or a contact whose story came before it: its story must see the earlier facts).
So a line that refers to something defined only on a later line is rejected as it would
be line by line. Each use case validates completely before it writes, so a rejected line
leaves no trace; should the database itself refuse a segment, it is rolled back and its
lines applied one by one, each in its own SAVEPOINT, so only the bad line is rejected.
Rejected lines are reported with their number and reason and copied unchanged to a
rejects file. Applying the same line twice changes nothing. SLA clocks of the leads a
chunk touched are recomputed once, before the checkpoint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from smarketing.activities.service import import_activities
from smarketing.campaigns.service import save_campaign, save_cost
from smarketing.contacts import repository as contacts_repo
from smarketing.contacts.companies import CompanyRefs, save_companies
from smarketing.contacts.service import import_contacts, record_lifecycle_events
from smarketing.core import jsonio
from smarketing.core.errors import ValidationError
from smarketing.core.timeutil import utcnow, years_after
from smarketing.deals.service import import_deals
from smarketing.followup.service import import_attempts
from smarketing.lifecycle.domain import decision_target
from smarketing.lifecycle.service import DecisionFacts, LifecycleEvent
from smarketing.records import schema as r
from smarketing.sla.agreements import save_agreement
from smarketing.sla.assignment import Assignment, assign_owners_once
from smarketing.sla.refresh import refreshed_once
from smarketing.workspace import service as workspace
from smarketing.workspace.keys import Keys, Missing

CHECKPOINT_EVERY = 2000
#: Records of the people phase: contacts and their stories.
_STORY_TYPES = ("activity", "stage_change", "assignment", "attempt", "decision", "deal")
Outcome = str | ValidationError


class RejectedLine(Exception):
    """This line cannot be applied; the message says why."""


@dataclass
class Rejection:
    line_number: int
    reason: str
    raw: bytes


@dataclass
class ImportReport:
    applied: Counter[str] = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)
    lines: int = 0
    blank: int = 0

    @property
    def rejected(self) -> int:
        return len(self.rejections)


@dataclass(frozen=True)
class SourceLine:
    number: int
    raw: bytes


def read_lines(stream: BinaryIO) -> Iterator[SourceLine]:
    for number, raw in enumerate(stream, start=1):
        yield SourceLine(number, raw)


def decode(line: SourceLine) -> Any:
    try:
        text = line.raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RejectedLine(f"not UTF-8 (byte {exc.start})") from None
    try:
        return jsonio.loads(text)
    except jsonio.JSONDecodeError as exc:
        raise RejectedLine(f"not valid JSON: {exc}") from None


@dataclass
class _Parsed:
    line: SourceLine
    record: r.Record


class Importer:
    """Applies records to one session. The caller commits (see `checkpoint`)."""

    def __init__(
        self,
        session: Session,
        *,
        checkpoint: Callable[[], None] | None = None,
        on_line: Callable[[], None] | None = None,
        now: datetime | None = None,
    ) -> None:
        self.session = session
        self.checkpoint = checkpoint
        self.on_line = on_line
        #: The instant SLA clocks are evaluated at (default: the real now, at each chunk).
        self.now = now
        self.keys = Keys(session)
        self.companies = CompanyRefs(session)
        #: Instants later than this are refused (a year after now).
        self.latest = years_after(now or utcnow(), 1)

    # -- driving -----------------------------------------------------------------------

    def import_lines(self, lines: Iterable[SourceLine], report: ImportReport | None = None) -> (
        ImportReport
    ):
        """Apply every line (see the module docstring); returns what was applied and
        rejected."""
        report = report or ImportReport()
        chunk: list[_Parsed] = []
        for line in lines:
            report.lines += 1
            if not line.raw.strip():
                report.blank += 1
            else:
                try:
                    chunk.append(_Parsed(line, self._parse(line)))
                except RejectedLine as exc:
                    report.rejections.append(Rejection(line.number, str(exc), line.raw))
            if self.on_line:
                self.on_line()
            if report.lines % CHECKPOINT_EVERY == 0:
                self._apply_chunk(chunk, report)
                chunk = []
        self._apply_chunk(chunk, report)
        report.rejections.sort(key=lambda rejection: rejection.line_number)
        return report

    def _apply_chunk(self, chunk: list[_Parsed], report: ImportReport) -> None:
        if chunk:
            with refreshed_once(self.session, self.now or utcnow()):
                for segment in segments(chunk):
                    self._apply_segment(segment, report)
        if self.checkpoint:
            self.checkpoint()

    def _apply_segment(self, segment: list[_Parsed], report: ImportReport) -> None:
        outcomes: list[Outcome | RejectedLine]
        try:
            with self.session.begin_nested():
                outcomes = list(self._dispatch(segment))
        except DBAPIError:
            self._forget_cached_state()
            outcomes = [self._apply_alone(item.record) for item in segment]
        for item, outcome in zip(segment, outcomes, strict=True):
            kind = item.record.type  # type: ignore[attr-defined]
            if isinstance(outcome, RejectedLine):
                report.rejections.append(Rejection(item.line.number, str(outcome),
                                                   item.line.raw))  # fmt: skip
            elif isinstance(outcome, ValidationError):
                report.rejections.append(Rejection(item.line.number, f"{kind}: {outcome}",
                                                   item.line.raw))  # fmt: skip
            else:
                report.applied[f"{kind} {outcome}"] += 1

    def _apply_alone(self, record: r.Record) -> Outcome | RejectedLine:
        """One record in its own SAVEPOINT (after the database refused its segment)."""
        try:
            with self.session.begin_nested():
                return self._dispatch([_Parsed(SourceLine(0, b""), record)])[0]
        except DBAPIError as exc:
            self._forget_cached_state()
            kind = record.type  # type: ignore[attr-defined]
            return RejectedLine(f"{kind}: the database refused it: {exc.orig}")

    def _forget_cached_state(self) -> None:
        """After a rollback, cached ids may name rows that are gone."""
        self.keys = Keys(self.session)
        self.companies = CompanyRefs(self.session)

    def _parse(self, line: SourceLine) -> r.Record:
        try:
            return r.parse_record(decode(line), self.latest)
        except r.InvalidRecord as exc:
            raise RejectedLine(str(exc)) from None
        except (ArithmeticError, RecursionError, TypeError) as exc:  # data past any bound
            raise RejectedLine(f"cannot be read: {exc}") from None

    # -- one record at a time (the CSV importer, the API) ------------------------------

    def apply_data(self, data: Any) -> str:
        """Validate and apply one decoded line; returns e.g. 'contact created'."""
        try:
            record = r.parse_record(data, self.latest)
        except r.InvalidRecord as exc:
            raise RejectedLine(str(exc)) from None
        return self.apply(record)

    def apply(self, record: r.Record) -> str:
        """Apply one record in its own SAVEPOINT; RejectedLine says why it was refused."""
        with refreshed_once(self.session, self.now or utcnow()):
            outcome = self._apply_alone(record)
        kind = record.type  # type: ignore[attr-defined]
        if isinstance(outcome, RejectedLine):
            raise outcome
        if isinstance(outcome, ValidationError):
            raise RejectedLine(f"{kind}: {outcome}")
        return f"{kind} {outcome}"

    # -- dispatch ----------------------------------------------------------------------

    def _dispatch(self, segment: list[_Parsed]) -> list[Outcome]:
        """Apply a segment (see `segments`); one outcome per record, in order."""
        first = segment[0].record
        if len(segment) == 1 and _phase(first) == 0:
            return [_refusal_or(lambda: self._workspace_record(first))]
        by_type: dict[str, list[int]] = {}
        for position, item in enumerate(segment):
            by_type.setdefault(item.record.type, []).append(position)  # type: ignore[attr-defined]
        outcomes: list[Outcome | None] = [None] * len(segment)
        now = self.now or utcnow()

        def run(kind: str, apply: Callable[[list[Any]], list[Outcome]]) -> None:
            positions = by_type.get(kind, [])
            if positions:
                for position, outcome in zip(positions, apply([segment[p].record
                                                               for p in positions]), strict=True):
                    outcomes[position] = outcome

        run("company", lambda recs: save_companies(self.session, self.keys, self.companies, recs))
        run("contact", lambda recs: import_contacts(self.session, self.keys, self.companies,
                                                    recs, now=now))  # fmt: skip
        self._lifecycle(segment, by_type, outcomes, now)
        run("assignment", lambda recs: self._assignments(recs, now))
        run("attempt", lambda recs: import_attempts(self.session, self.keys, recs, now))
        run("activity", lambda recs: import_activities(self.session, self.keys, recs))
        run("deal", lambda recs: import_deals(self.session, self.keys, recs))
        assert all(o is not None for o in outcomes)  # noqa: S101 - every type dispatched
        return [o for o in outcomes if o is not None]

    def _workspace_record(self, record: r.Record) -> str:
        keys, now = self.keys, self.now or utcnow()
        if isinstance(record, r.WorkspaceRecord):
            return workspace.save_workspace(self.session, record)
        if isinstance(record, r.CalendarRecord):
            return workspace.save_calendar(keys, record)
        if isinstance(record, r.TeamRecord):
            return workspace.save_team(keys, record)
        if isinstance(record, r.UserRecord):
            return workspace.save_user(keys, record)
        if isinstance(record, r.ProductLineRecord):
            return workspace.save_product_line(keys, record)
        if isinstance(record, r.PersonaRecord):
            return workspace.save_persona(keys, record)
        if isinstance(record, r.CampaignRecord):
            return save_campaign(self.session, keys, record)
        if isinstance(record, r.CostRecord):
            return save_cost(self.session, keys, record)
        if isinstance(record, r.SlaRecord):
            return save_agreement(self.session, keys.calendars.get(record.calendar), record, now)
        raise AssertionError(f"not a workspace-wide record: {record!r}")

    def _lifecycle(self, segment: list[_Parsed], by_type: dict[str, list[int]],
                   outcomes: list[Outcome | None], now: datetime) -> None:  # fmt: skip
        """Stage changes and decisions together, in file order (a decision moves the
        stage the next stage change starts from)."""
        positions = sorted(by_type.get("stage_change", []) + by_type.get("decision", []))
        if not positions:
            return
        records = [segment[p].record for p in positions]
        contacts = self._contacts(records)
        events: list[tuple[int, LifecycleEvent]] = []
        for position, record in zip(positions, records, strict=True):
            try:
                events.append((position, self._lifecycle_event(contacts, record)))
            except ValidationError as exc:
                outcomes[position] = exc
        applied = record_lifecycle_events(self.session, [e for _, e in events], now)
        for (position, _), outcome in zip(events, applied, strict=True):
            outcomes[position] = outcome

    def _lifecycle_event(self, contacts: dict[str, int], record: Any) -> LifecycleEvent:
        contact_id = _contact(contacts, record.contact)
        if isinstance(record, r.StageChangeRecord):
            return LifecycleEvent(contact_id, record.to, record.at, self.keys.actor(record.by),
                                  record.reason)  # fmt: skip
        user_id = self.keys.users.get(record.by)
        assert user_id is not None  # noqa: S101 - `by` is required by the record
        target = decision_target(record.decision, record.then)
        facts = DecisionFacts(user_id, record.decision, record.reason, record.comment,
                              record.then)  # fmt: skip
        return LifecycleEvent(contact_id, target.value, record.at, record.by, record.reason,
                              decision=facts)  # fmt: skip

    def _assignments(self, records: list[r.AssignmentRecord], now: datetime) -> list[Outcome]:
        contacts = self._contacts(records)
        outcomes: dict[int, Outcome] = {}
        ready: list[tuple[int, Assignment]] = []
        for index, record in enumerate(records):
            try:
                ready.append((index, Assignment(
                    _contact(contacts, record.contact), self.keys.users.get(record.owner),
                    record.at, self.keys.actor(record.by), record.reason)))
            except ValidationError as exc:
                outcomes[index] = exc
        for (index, _), outcome in zip(ready, assign_owners_once(
                self.session, [a for _, a in ready], now), strict=True):  # fmt: skip
            outcomes[index] = outcome
        return [outcomes[index] for index in range(len(records))]

    def _contacts(self, records: list[Any]) -> dict[str, int]:
        return contacts_repo.resolve_emails(self.session, {record.contact for record in records})


def _contact(contacts: dict[str, int], email: str) -> int:
    if email not in contacts:
        raise Missing(f"unknown contact {email!r}: define it on an earlier line")
    return contacts[email]


def _refusal_or(write: Callable[[], str]) -> Outcome:
    try:
        return write()
    except ValidationError as exc:
        return exc


# -- segments --------------------------------------------------------------------------


def _phase(record: r.Record) -> int:
    """0: workspace-wide, 1: companies, 2: contacts and their stories."""
    kind = record.type  # type: ignore[attr-defined]
    if kind == "company":
        return 1
    if kind == "contact" or kind in _STORY_TYPES:
        return 2
    return 0


def segments(chunk: list[_Parsed]) -> Iterator[list[_Parsed]]:
    """Cut a chunk into the segments the module docstring describes."""
    segment: list[_Parsed] = []
    seen: set[str] = set()
    for item in chunk:
        record = item.record
        phase = _phase(record)
        if segment and _breaks(segment, seen, record, phase):
            yield segment
            segment, seen = [], set()
        segment.append(item)
        if phase == 2:
            seen.add(record.email if isinstance(record, r.ContactRecord)
                     else record.contact)  # type: ignore[attr-defined]  # fmt: skip
    if segment:
        yield segment


def _breaks(segment: list[_Parsed], seen: set[str], record: r.Record, phase: int) -> bool:
    last_phase = _phase(segment[-1].record)
    if phase == 0 or last_phase == 0 or phase < last_phase:
        return True
    return isinstance(record, r.ContactRecord) and record.email in seen


def write_rejects(path: Path, rejections: list[Rejection]) -> None:
    """Copy every rejected line, byte for byte, to `path` (one per line)."""
    with path.open("wb") as out:
        for rejection in rejections:
            raw = rejection.raw if rejection.raw.endswith(b"\n") else rejection.raw + b"\n"
            out.write(raw)


def rejects_path_for(source: Path) -> Path:
    name = source.name[: -len(".jsonl")] if source.name.endswith(".jsonl") else source.name
    return source.with_name(f"{name}.rejects.jsonl")
