"""Apply interchange records to the workspace, line by line, losing nothing.

Each line is validated completely before anything is written, and written inside its
own SAVEPOINT, so a bad line leaves no trace and the good lines around it still load.
Rejected lines are reported with their number and reason and copied unchanged to a
rejects file. Applying the same line twice changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import phonenumbers
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from smarketing.contacts.merge import filled_values
from smarketing.contacts.ownership import assign_owner
from smarketing.core.errors import ValidationError
from smarketing.interchange.repository import (
    Keys,
    Missing,
    row_matches,
    update_if_changed,
)
from smarketing.lifecycle import service as lifecycle
from smarketing.lifecycle.domain import Stage, decision_target
from smarketing.models import (
    Activity,
    Attempt,
    Company,
    Contact,
    CostEntry,
    Deal,
    Decision,
    LifecycleChange,
    OwnerChange,
    SlaAgreement,
    Workspace,
)
from smarketing.records import schema as r
from smarketing.workspace.repository import workspace_settings

CHECKPOINT_EVERY = 2000

# Statements built once and run with parameters: this is the per-line hot path, and
# building a statement costs more than executing it.
_CONTACT_BY_EMAIL = select(Contact.id, Contact.created_at).where(
    Contact.email == bindparam("b_email")
)
_INSERT_CONTACT = insert(Contact)
_UPDATE_CONTACT = update(Contact).where(Contact.id == bindparam("b_contact"))
_TOUCH_STATE = select(Contact.first_touch_channel, Contact.last_touch_at).where(
    Contact.id == bindparam("b_contact")
)
_ACTIVITY_BY_ID = select(Activity.contact_id, Activity.kind, Activity.at).where(
    Activity.id == bindparam("b_id")
)
_ATTEMPT_BY_ID = select(Attempt.contact_id, Attempt.at).where(Attempt.id == bindparam("b_id"))
_INSERT_ATTEMPT = insert(Attempt)
_ASSIGNMENT_EXISTS = select(OwnerChange.id).where(
    OwnerChange.contact_id == bindparam("b_contact"),
    OwnerChange.to_owner_id == bindparam("b_owner"),
    OwnerChange.at == bindparam("b_at"),
    OwnerChange.source == "assignment",
)
_DECISION_EXISTS = select(Decision.id).where(
    Decision.contact_id == bindparam("b_contact"),
    Decision.at == bindparam("b_at"),
    Decision.decision == bindparam("b_decision"),
)
_INSERT_DECISION = insert(Decision)
_DEAL_CONTACT = select(Deal.contact_id).where(Deal.id == bindparam("b_id"))
_INSERT_DEAL = insert(Deal)


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
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise RejectedLine(f"not valid JSON: {exc}") from None


class _Batch:
    """The SAVEPOINT a run of lines shares, and the records applied inside it."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.savepoint: Any = None
        self.records: list[r.Record] = []

    def open(self) -> None:
        if self.savepoint is None:
            self.savepoint = self.session.connection().begin_nested()

    def release(self) -> None:
        if self.savepoint is not None:
            self.savepoint.commit()
        self.savepoint, self.records = None, []

    def rollback(self) -> list[r.Record]:
        """Undo the batch; returns the records to apply again."""
        replay = self.records
        if self.savepoint is not None:
            self.savepoint.rollback()
        self.savepoint, self.records = None, []
        return replay


class Importer:
    """Applies records to one session. The caller commits (see `checkpoint`)."""

    def __init__(
        self,
        session: Session,
        *,
        workspace_currency: str | None = None,
        checkpoint: Callable[[], None] | None = None,
        on_line: Callable[[], None] | None = None,
        on_history: Callable[[set[int]], None] | None = None,
        on_sla_change: Callable[[], None] | None = None,
    ) -> None:
        self.session = session
        #: Contacts whose handoff history changed since the last batch (for SLA clocks).
        self.history_changed: set[int] = set()
        #: (contact id, first-touch channel, last-touch instant) of the contact touched last:
        #: a contact's activities come in consecutive lines.
        self._touch_state: tuple[int, str | None, datetime | None] | None = None
        self._insert_activity = insert_ignoring_duplicates(session, Activity).returning(
            Activity.id
        )
        self.sla_changed = False
        self.on_history = on_history
        self.on_sla_change = on_sla_change
        self.keys = Keys(session)
        self.currency = workspace_currency or self._workspace_currency()
        self.checkpoint = checkpoint
        self.on_line = on_line

    def _workspace_currency(self) -> str:
        return workspace_settings(self.session).currency

    # -- driving -----------------------------------------------------------------------

    def import_lines(self, lines: Iterable[SourceLine], report: ImportReport | None = None) -> (
        ImportReport
    ):
        """Apply every line; a batch of lines shares one SAVEPOINT.

        Handlers validate completely before they write, so a rejected line has written
        nothing. Should the database itself refuse a line (a constraint the validation
        missed), the batch is rolled back and replayed one line per SAVEPOINT, so only
        that line is rejected.
        """
        report = report or ImportReport()
        batch = _Batch(self.session)
        for line in lines:
            report.lines += 1
            if not line.raw.strip():
                report.blank += 1
                continue
            try:
                record = self._parse(line)
                outcome = self._apply_in_batch(batch, record)
            except RejectedLine as exc:
                report.rejections.append(Rejection(line.number, str(exc), line.raw))
            else:
                report.applied[outcome] += 1
            if self.on_line:
                self.on_line()
            if report.lines % CHECKPOINT_EVERY == 0:
                batch.release()
                self._end_batch()
        batch.release()
        self._end_batch()
        if self.sla_changed and self.on_sla_change:
            self.on_sla_change()
            if self.checkpoint:
                self.checkpoint()
        return report

    def _apply_in_batch(self, batch: _Batch, record: r.Record) -> str:
        batch.open()
        try:
            outcome = self.apply(record, savepoint=False)
        except DBAPIError:
            replay = batch.rollback()
            self.forget_cached_state()
            for earlier in replay:
                self.apply(earlier)
            outcome = self.apply(record)
            return outcome
        batch.records.append(record)
        return outcome

    def forget_cached_state(self) -> None:
        """After a rollback, cached ids and touch state may name rows that are gone."""
        self.keys = Keys(self.session)
        self._touch_state = None

    def _end_batch(self) -> None:
        if self.on_history and self.history_changed:
            self.on_history(self.history_changed)
        self.history_changed = set()
        if self.checkpoint:
            self.checkpoint()

    @staticmethod
    def _parse(line: SourceLine) -> r.Record:
        try:
            return r.parse_record(decode(line))
        except r.InvalidRecord as exc:
            raise RejectedLine(str(exc)) from None

    def apply_data(self, data: Any) -> str:
        """Validate and apply one decoded line; returns e.g. 'contact created'."""
        try:
            record = r.parse_record(data)
        except r.InvalidRecord as exc:
            raise RejectedLine(str(exc)) from None
        return self.apply(record)

    def apply(self, record: r.Record, *, savepoint: bool = True) -> str:
        """Apply one record, in its own SAVEPOINT unless the caller holds one."""
        handler = getattr(self, f"_apply_{record.type}")  # type: ignore[attr-defined]
        try:
            if savepoint:
                try:
                    with self.session.connection().begin_nested():
                        outcome: str = handler(record)
                except DBAPIError as exc:
                    raise RejectedLine(
                        f"{record.type}: the database refused it: {exc.orig}"  # type: ignore[attr-defined]
                    ) from None
            else:
                outcome = handler(record)
        except (Missing, ValidationError) as exc:
            raise RejectedLine(f"{record.type}: {exc}") from None  # type: ignore[attr-defined]
        return f"{record.type} {outcome}"  # type: ignore[attr-defined]

    # -- workspace-wide records --------------------------------------------------------

    def _apply_workspace(self, rec: r.WorkspaceRecord) -> str:
        values = {"name": rec.name, "timezone": rec.timezone, "currency": rec.currency,
                  "locale": rec.locale}  # fmt: skip
        if self.session.get(Workspace, 1) is None:
            self.session.execute(insert(Workspace).values(id=1, **values))
            outcome = "created"
        else:
            outcome = update_if_changed(self.session, Workspace, Workspace.id == 1, values)
        self.currency = rec.currency
        return outcome

    def _apply_calendar(self, rec: r.CalendarRecord) -> str:
        return self.keys.calendars.upsert(rec.key, {
            "key": rec.key,
            "timezone": rec.timezone,
            "hours": {day: [list(w) for w in windows] for day, windows in rec.hours.items()},
            "holidays_country": rec.holidays.country if rec.holidays else None,
            "holidays_subdivision": rec.holidays.subdivision if rec.holidays else None,
            "extra_holidays": [d.isoformat() for d in rec.extra_holidays],
            "extra_workdays": [d.isoformat() for d in rec.extra_workdays],
        })  # fmt: skip

    def _apply_team(self, rec: r.TeamRecord) -> str:
        calendar_id = self.keys.calendars.get(rec.calendar)
        return self.keys.teams.upsert(
            rec.key, {"key": rec.key, "name": rec.name, "calendar_id": calendar_id}
        )

    def _apply_user(self, rec: r.UserRecord) -> str:
        values = {
            "email": rec.email,
            "name": rec.name,
            "role": rec.role,
            "team_id": self.keys.teams.get(rec.team),
            "calendar_id": self.keys.calendars.get(rec.calendar),
            "locale": rec.locale,
            "weight": rec.weight,
            "out_of_office": [[a.isoformat(), b.isoformat()] for a, b in rec.out_of_office],
        }
        return self.keys.users.upsert(rec.email, values)

    def _apply_product_line(self, rec: r.ProductLineRecord) -> str:
        return self.keys.product_lines.upsert(rec.key, {"key": rec.key, "name": rec.name})

    def _apply_persona(self, rec: r.PersonaRecord) -> str:
        return self.keys.personas.upsert(rec.key, {
            "key": rec.key, "name": rec.name, "description": rec.description,
            "criteria": rec.criteria,
        })  # fmt: skip

    def _apply_campaign(self, rec: r.CampaignRecord) -> str:
        values = {
            "key": rec.key,
            "name": rec.name,
            "channel": rec.channel,
            "product_line_id": self.keys.product_lines.get(rec.product_line),
            "cost": rec.cost,
            "currency": rec.currency,
            "starts_on": rec.starts_on,
            "ends_on": rec.ends_on,
            "utm_source": rec.utm_source,
            "utm_medium": rec.utm_medium,
            "utm_campaign": rec.utm_campaign,
        }
        outcome = self.keys.campaigns.upsert(rec.key, values)
        self.keys.forget_campaign_channel(self.keys.campaigns.get(rec.key) or 0)
        return outcome

    def _apply_cost(self, rec: r.CostRecord) -> str:
        values = {
            "campaign_id": self.keys.campaigns.get(rec.campaign),
            "spent_on": rec.on,
            "amount": rec.amount,
            "currency": rec.currency or self.currency,
            "note": rec.note or "",
        }
        found = self.session.execute(
            select(CostEntry.id).where(*(getattr(CostEntry, k) == v for k, v in values.items()))
        ).first()
        if found:
            return "unchanged"
        self.session.execute(insert(CostEntry).values(**values))
        return "created"

    def _apply_company(self, rec: r.CompanyRecord) -> str:
        values = {
            "domain": rec.domain,
            "name": rec.name,
            "country": rec.country.upper() if rec.country else None,
            "industry": rec.industry,
            "employees": rec.employees,
            "owner_id": self.keys.users.get(rec.owner),
        }
        where = Company.domain == rec.domain if rec.domain else (
            (Company.name == rec.name) & Company.domain.is_(None)
        )
        existing = self.session.execute(select(Company.id).where(where).limit(1)).first()
        if existing is None:
            self.session.execute(insert(Company).values(**values))
            return "created"
        return update_if_changed(self.session, Company, Company.id == existing[0], values)

    def _apply_sla(self, rec: r.SlaRecord) -> str:
        """SLA versions: `version` names one; without it, a changed agreement becomes a
        new version unless the latest is still a draft (drafts are edited in place)."""
        values = {
            "key": rec.key,
            "status": rec.status,
            "effective_from": rec.effective_from,
            "effective_to": rec.effective_to,
            "calendar_id": self.keys.calendars.get(rec.calendar),
            "marketing": rec.marketing,
            "sales": rec.sales,
            "applies_to": rec.applies_to,
        }
        versions = self.session.execute(
            select(SlaAgreement.id, SlaAgreement.version, SlaAgreement.status)
            .where(SlaAgreement.key == rec.key).order_by(SlaAgreement.version)
        ).all()  # fmt: skip
        if rec.version is not None:
            target = next((v for v in versions if v.version == rec.version), None)
        elif versions:
            latest = versions[-1]
            same = row_matches(self.session, SlaAgreement, latest.id, values)
            target = latest if same or latest.status == "draft" else None
        else:
            target = None
        if target is None:
            version = rec.version or (versions[-1].version + 1 if versions else 1)
            self.session.execute(insert(SlaAgreement).values(version=version, **values))
            self._note_sla_change()
            return "created"
        outcome = update_if_changed(self.session, SlaAgreement, SlaAgreement.id == target.id,
                                    values)  # fmt: skip
        if outcome != "unchanged":
            self._note_sla_change()
        return outcome

    def _note_sla_change(self) -> None:
        """Existing handoffs may now fall under other terms: recompute every clock at the end."""
        if self.session.execute(select(OwnerChange.id).limit(1)).first() is not None:
            self.sla_changed = True

    # -- contacts and their story ------------------------------------------------------

    def _apply_contact(self, rec: r.ContactRecord) -> str:
        campaign_id = self.keys.campaigns.get(rec.campaign)
        channel = rec.channel or (self.keys.campaign_channel(campaign_id) if campaign_id else None)
        owner_id = self.keys.users.get(rec.owner)
        values: dict[str, Any] = {
            "first_name": rec.first_name,
            "last_name": rec.last_name,
            "phone": normalize_phone(rec.phone, rec.country),
            "job_title": rec.job_title,
            "company_id": self.keys.company(rec.company),
            "country": rec.country.upper() if rec.country else None,
            "persona_id": self.keys.personas.get(rec.persona),
            "product_line_id": self.keys.product_lines.get(rec.product_line),
            "first_touch_channel": channel,
            "first_touch_campaign_id": campaign_id,
            "properties": rec.properties,
        }
        connection = self.session.connection()
        existing = connection.execute(_CONTACT_BY_EMAIL, {"b_email": rec.email}).first()
        if existing is not None:
            self._check_same_origin(existing[0], existing[1], rec, owner_id)
            return update_if_changed(self.session, Contact, Contact.id == existing[0], values)
        survivor_id = self.keys.survivor_id(rec.email)
        if survivor_id is not None:
            return self._fill_survivor(survivor_id, rec.email, values)
        contact_id = connection.execute(_INSERT_CONTACT, {
            "email": rec.email, "created_at": rec.created_at,
            "lifecycle_stage": rec.lifecycle_stage, "stage_entered_at": rec.created_at,
            "owner_id": owner_id, **values,
        }).inserted_primary_key[0]  # fmt: skip
        lifecycle.record_initial_stage(
            self.session, contact_id, Stage(rec.lifecycle_stage), rec.created_at
        )
        if owner_id is not None:
            self.history_changed.add(contact_id)
        if owner_id is not None:
            assign_owner(self.session, contact_id, owner_id, rec.created_at, "system", None,
                         source="contact")  # fmt: skip
        return "created"

    def _fill_survivor(self, survivor_id: int, email: str, values: dict[str, Any]) -> str:
        """A line for a merged email describes the survivor: it fills what the survivor
        lacks, as the merge did, and never recreates the merged contact."""
        survivor = self.session.execute(
            select(Contact.__table__).where(Contact.id == survivor_id)
        ).mappings().one()  # fmt: skip
        changes = filled_values(dict(survivor), values, email)
        if not changes:
            return "unchanged"
        return update_if_changed(self.session, Contact, Contact.id == survivor_id, changes)

    def _check_same_origin(
        self, contact_id: int, created_at: datetime, rec: r.ContactRecord, owner_id: int | None
    ) -> None:
        """A known contact's creation facts are history: they may not change on re-import.
        A merge may have moved created_at earlier (the duplicate's): the later one is fine."""
        merged_earlier = created_at < rec.created_at and self.keys.is_survivor(contact_id)
        if created_at != rec.created_at and not merged_earlier:
            raise ValidationError(
                f"{rec.email} already exists, created at {created_at.isoformat()}; "
                "created_at cannot change"
            )
        initial_stage = self.session.execute(
            select(LifecycleChange.to_stage).where(
                LifecycleChange.contact_id == contact_id, LifecycleChange.source == "contact"
            )
        ).scalar_one_or_none()
        if initial_stage is not None and initial_stage != rec.lifecycle_stage:
            raise ValidationError(
                f"{rec.email} already exists, created as {initial_stage}; change the stage "
                "with a stage_change line"
            )
        initial_owner = self.session.execute(
            select(OwnerChange.to_owner_id).where(
                OwnerChange.contact_id == contact_id, OwnerChange.source == "contact"
            )
        ).scalar_one_or_none()
        if initial_owner != owner_id:
            raise ValidationError(
                f"{rec.email} already exists with another initial owner; change the owner "
                "with an assignment line"
            )

    def _apply_activity(self, rec: r.ActivityRecord) -> str:
        contact_id = self.keys.contact_id(rec.contact)
        campaign_id = self.keys.campaigns.get(rec.campaign)
        connection = self.session.connection()
        inserted = connection.execute(self._insert_activity, {
            "id": rec.id, "contact_id": contact_id, "kind": rec.kind, "at": rec.at,
            "channel": rec.channel, "campaign_id": campaign_id, "url": rec.url,
            "content": rec.content, "properties": rec.properties,
        }).first()  # fmt: skip
        if inserted is None:  # a replay of a known id: the same fact, or a contradiction
            known = connection.execute(_ACTIVITY_BY_ID, {"b_id": rec.id}).one()
            if tuple(known) != (contact_id, rec.kind, rec.at):
                raise ValidationError(f"activity id {rec.id!r} is already recorded with "
                                      "another contact, kind or time")  # fmt: skip
            return "unchanged"
        channel = rec.channel or (self.keys.campaign_channel(campaign_id) if campaign_id else None)
        self._touch(contact_id, rec.at, channel, campaign_id)
        return "created"

    def _touch(self, contact_id: int, at: datetime, channel: str | None, campaign: int | None) -> (
        None
    ):
        """Keep last touch up to date; fill first touch when the contact has none yet."""
        connection = self.session.connection()
        if self._touch_state is not None and self._touch_state[0] == contact_id:
            first_channel, last_at = self._touch_state[1], self._touch_state[2]
        else:
            first_channel, last_at = connection.execute(
                _TOUCH_STATE, {"b_contact": contact_id}).one()  # fmt: skip
        values: dict[str, Any] = {}
        if last_at is None or at >= last_at:
            values.update(last_touch_at=at, last_touch_channel=channel,
                          last_touch_campaign_id=campaign)  # fmt: skip
            last_at = at
        if first_channel is None and channel is not None:
            values.update(first_touch_channel=channel, first_touch_campaign_id=campaign)
            first_channel = channel
        if values:
            connection.execute(_UPDATE_CONTACT, {"b_contact": contact_id, **values})
        self._touch_state = (contact_id, first_channel, last_at)

    def _apply_stage_change(self, rec: r.StageChangeRecord) -> str:
        contact_id = self.keys.contact_id(rec.contact)
        actor = self.keys.actor(rec.by)
        if lifecycle.repository.history_exists(self.session, contact_id, rec.to, rec.at):
            return "unchanged"
        move = lifecycle.check_move(self.session, contact_id, rec.to, rec.at, rec.reason)
        if move is None:
            return "unchanged"
        lifecycle.apply_move(self.session, contact_id, move, rec.at, actor, "stage_change")
        self.history_changed.add(contact_id)
        return "created"

    def _apply_assignment(self, rec: r.AssignmentRecord) -> str:
        contact_id = self.keys.contact_id(rec.contact)
        owner_id = self.keys.users.get(rec.owner)
        actor = self.keys.actor(rec.by)
        assert owner_id is not None  # noqa: S101 - owner is required by the record
        known = self.session.connection().execute(
            _ASSIGNMENT_EXISTS, {"b_contact": contact_id, "b_owner": owner_id, "b_at": rec.at}
        ).first()
        if known:
            return "unchanged"
        assign_owner(self.session, contact_id, owner_id, rec.at, actor, rec.reason)
        self.history_changed.add(contact_id)
        return "created"

    def _apply_attempt(self, rec: r.AttemptRecord) -> str:
        contact_id = self.keys.contact_id(rec.contact)
        user_id = self.keys.users.get(rec.by)
        connection = self.session.connection()
        known = connection.execute(_ATTEMPT_BY_ID, {"b_id": rec.id}).first()
        if known is not None:
            if tuple(known) != (contact_id, rec.at):
                raise ValidationError(f"attempt id {rec.id!r} is already recorded with "
                                      "another contact or time")  # fmt: skip
            return "unchanged"
        connection.execute(_INSERT_ATTEMPT, {
            "id": rec.id, "contact_id": contact_id, "user_id": user_id, "kind": rec.kind,
            "at": rec.at, "outcome": rec.outcome, "note": rec.note,
        })  # fmt: skip
        self.history_changed.add(contact_id)
        return "created"

    def _apply_decision(self, rec: r.DecisionRecord) -> str:
        contact_id = self.keys.contact_id(rec.contact)
        user_id = self.keys.users.get(rec.by)
        connection = self.session.connection()
        known = connection.execute(_DECISION_EXISTS, {
            "b_contact": contact_id, "b_at": rec.at, "b_decision": rec.decision,
        }).first()  # fmt: skip
        if known:
            return "unchanged"
        reason = rec.reason if rec.decision == "rejected" else None
        target = decision_target(rec.decision, rec.then)
        move = lifecycle.check_move(self.session, contact_id, target.value, rec.at, reason)
        decision_id = connection.execute(_INSERT_DECISION, {
            "contact_id": contact_id, "user_id": user_id, "decision": rec.decision, "at": rec.at,
            "reason": rec.reason, "comment": rec.comment, "then": rec.then,
        }).inserted_primary_key[0]  # fmt: skip
        if move is not None:
            lifecycle.apply_move(self.session, contact_id, move, rec.at, rec.by, "decision",
                                 decision_id=decision_id)  # fmt: skip
        self.history_changed.add(contact_id)
        return "created"

    def _apply_deal(self, rec: r.DealRecord) -> str:
        values = {
            "contact_id": self.keys.contact_id(rec.contact),
            "name": rec.name,
            "amount": rec.amount,
            "currency": rec.currency or self.currency,
            "status": rec.status,
            "created_at": rec.created_at,
            "closed_at": rec.closed_at,
            "owner_id": self.keys.users.get(rec.owner),
            "product_line_id": self.keys.product_lines.get(rec.product_line),
            "lost_reason": rec.lost_reason,
        }
        connection = self.session.connection()
        known = connection.execute(_DEAL_CONTACT, {"b_id": rec.id}).first()
        if known is None:
            connection.execute(_INSERT_DEAL, {"id": rec.id, **values})
            return "created"
        if known[0] != values["contact_id"]:
            raise ValidationError(f"deal id {rec.id!r} belongs to another contact")
        return update_if_changed(self.session, Deal, Deal.id == rec.id, values)


def insert_ignoring_duplicates(session: Session, model: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for the session's database (SQLite or PostgreSQL).

    Add RETURNING to learn whether a row went in: rowcount is not reliable here.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(model).on_conflict_do_nothing()


def normalize_phone(phone: str | None, country: str | None) -> str | None:
    """E.164 when the number parses (with the contact's country as region), else as given."""
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return phone.strip()
    if not phonenumbers.is_valid_number(parsed):
        return phone.strip()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def write_rejects(path: Path, rejections: list[Rejection]) -> None:
    """Copy every rejected line, byte for byte, to `path` (one per line)."""
    with path.open("wb") as out:
        for rejection in rejections:
            raw = rejection.raw if rejection.raw.endswith(b"\n") else rejection.raw + b"\n"
            out.write(raw)


def rejects_path_for(source: Path) -> Path:
    name = source.name[: -len(".jsonl")] if source.name.endswith(".jsonl") else source.name
    return source.with_name(f"{name}.rejects.jsonl")
