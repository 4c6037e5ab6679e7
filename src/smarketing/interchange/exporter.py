"""Write the whole workspace as interchange records, in an order that imports cleanly.

Workspace-wide records come first (workspace, calendars, teams, users, product lines,
personas, campaigns, costs, companies, SLAs), each type in id order. Then each contact,
in id order, followed by its story in time order: at one instant, lifecycle records
(stage changes and decisions, in the order they were applied) come before assignments,
attempts, activities and deals. Streams are merged lazily, so memory stays bounded.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from smarketing.models import (
    Activity,
    Attempt,
    Calendar,
    Campaign,
    Company,
    Contact,
    CostEntry,
    Deal,
    Decision,
    LifecycleChange,
    OwnerChange,
    Persona,
    ProductLine,
    SlaAgreement,
    Team,
    User,
    Workspace,
)

BATCH = 2000
#: Sorts a contact line before anything else of its story, even activities before it.
FIRST = datetime.min.replace(tzinfo=UTC)
Record = dict[str, Any]


def _instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _clean(record: Record) -> Record:
    """Leave out absent optional fields (None, empty list or dict)."""
    return {k: v for k, v in record.items() if v is not None and v != [] and v != {}}


class Exporter:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.users = dict(session.execute(select(User.id, User.email)).all())
        self.teams = dict(session.execute(select(Team.id, Team.key)).all())
        self.calendars = dict(session.execute(select(Calendar.id, Calendar.key)).all())
        self.campaigns = dict(session.execute(select(Campaign.id, Campaign.key)).all())
        self.product_lines = dict(session.execute(select(ProductLine.id, ProductLine.key)).all())
        self.personas = dict(session.execute(select(Persona.id, Persona.key)).all())

    def _stream(self, statement: Select[Any]) -> Iterator[Any]:
        yield from self.session.execute(statement.execution_options(yield_per=BATCH))

    def records(self) -> Iterator[Record]:
        yield from self._workspace_records()
        yield from self._contact_stories()

    # -- workspace-wide ----------------------------------------------------------------

    def _workspace_records(self) -> Iterator[Record]:
        workspace = self.session.get(Workspace, 1)
        if workspace:
            yield {"type": "workspace", "name": workspace.name, "timezone": workspace.timezone,
                   "currency": workspace.currency, "locale": workspace.locale}  # fmt: skip
        for cal in self.session.scalars(select(Calendar).order_by(Calendar.id)):
            holidays = None
            if cal.holidays_country:
                holidays = _clean({"country": cal.holidays_country,
                                   "subdivision": cal.holidays_subdivision})  # fmt: skip
            yield _clean({"type": "calendar", "key": cal.key, "timezone": cal.timezone,
                          "hours": cal.hours, "holidays": holidays,
                          "extra_holidays": cal.extra_holidays,
                          "extra_workdays": cal.extra_workdays})  # fmt: skip
        for team in self.session.scalars(select(Team).order_by(Team.id)):
            yield _clean({"type": "team", "key": team.key, "name": team.name,
                          "calendar": self.calendars.get(team.calendar_id)})  # fmt: skip
        for user in self.session.scalars(select(User).order_by(User.id)):
            yield _clean({"type": "user", "email": user.email, "name": user.name,
                          "role": user.role, "team": self.teams.get(user.team_id),
                          "calendar": self.calendars.get(user.calendar_id),
                          "locale": user.locale, "weight": user.weight,
                          "out_of_office": user.out_of_office})  # fmt: skip
        for line in self.session.scalars(select(ProductLine).order_by(ProductLine.id)):
            yield {"type": "product_line", "key": line.key, "name": line.name}
        for persona in self.session.scalars(select(Persona).order_by(Persona.id)):
            yield _clean({"type": "persona", "key": persona.key, "name": persona.name,
                          "description": persona.description,
                          "criteria": persona.criteria})  # fmt: skip
        for c in self.session.scalars(select(Campaign).order_by(Campaign.id)):
            yield _clean({"type": "campaign", "key": c.key, "name": c.name, "channel": c.channel,
                          "product_line": self.product_lines.get(c.product_line_id),
                          "cost": _money(c.cost), "currency": c.currency,
                          "starts_on": _day(c.starts_on), "ends_on": _day(c.ends_on),
                          "utm_source": c.utm_source, "utm_medium": c.utm_medium,
                          "utm_campaign": c.utm_campaign})  # fmt: skip
        for cost in self.session.scalars(select(CostEntry).order_by(CostEntry.id)):
            yield _clean({"type": "cost", "campaign": self.campaigns[cost.campaign_id],
                          "on": _day(cost.spent_on), "amount": _money(cost.amount),
                          "currency": cost.currency, "note": cost.note or None})  # fmt: skip
        for co in self._stream(select(Company).order_by(Company.id)):
            co = co[0]
            yield _clean({"type": "company", "domain": co.domain, "name": co.name,
                          "country": co.country, "industry": co.industry,
                          "employees": co.employees,
                          "owner": self.users.get(co.owner_id)})  # fmt: skip
        statement = select(SlaAgreement).order_by(SlaAgreement.key, SlaAgreement.version)
        for sla in self.session.scalars(statement):
            yield _clean({"type": "sla", "key": sla.key, "version": sla.version,
                          "status": sla.status,
                          "effective_from": _day(sla.effective_from),
                          "effective_to": _day(sla.effective_to),
                          "calendar": self.calendars.get(sla.calendar_id),
                          "marketing": sla.marketing, "sales": sla.sales,
                          "applies_to": sla.applies_to})  # fmt: skip

    # -- contacts and their stories ----------------------------------------------------

    def _contact_stories(self) -> Iterator[Record]:
        streams = [
            self._contacts(),
            self._stage_changes(),
            self._decisions(),
            self._assignments(),
            self._attempts(),
            self._activities(),
            self._deals(),
        ]
        for _key, record in heapq.merge(*streams, key=lambda item: item[0]):
            yield record

    def _contacts(self) -> Iterator[tuple[tuple[Any, ...], Record]]:
        initial_owner = aliased(OwnerChange)
        initial_stage = aliased(LifecycleChange)
        companies = aliased(Company)
        statement = (
            select(Contact, initial_stage.to_stage, initial_owner.to_owner_id,
                   companies.domain, companies.name)
            .outerjoin(initial_stage, (initial_stage.contact_id == Contact.id)
                       & (initial_stage.source == "contact"))
            .outerjoin(initial_owner, (initial_owner.contact_id == Contact.id)
                       & (initial_owner.source == "contact"))
            .outerjoin(companies, companies.id == Contact.company_id)
            .order_by(Contact.id)
        )  # fmt: skip
        for contact, stage, owner_id, domain, company_name in self._stream(statement):
            record = _clean({
                "type": "contact", "email": contact.email,
                "created_at": _instant(contact.created_at),
                "first_name": contact.first_name, "last_name": contact.last_name,
                "phone": contact.phone, "job_title": contact.job_title,
                "company": domain or company_name, "country": contact.country,
                "persona": self.personas.get(contact.persona_id),
                "owner": self.users.get(owner_id),
                "lifecycle_stage": stage or contact.lifecycle_stage,
                "channel": contact.first_touch_channel,
                "campaign": self.campaigns.get(contact.first_touch_campaign_id),
                "product_line": self.product_lines.get(contact.product_line_id),
                "properties": contact.properties,
            })  # fmt: skip
            yield (contact.id, FIRST, 0, 0), record

    def _stage_changes(self) -> Iterator[tuple[tuple[Any, ...], Record]]:
        statement = (
            select(LifecycleChange, Contact.email)
            .join(Contact, Contact.id == LifecycleChange.contact_id)
            .where(LifecycleChange.source == "stage_change")
            .order_by(LifecycleChange.contact_id, LifecycleChange.at, LifecycleChange.id)
        )
        for change, email in self._stream(statement):
            record = _clean({"type": "stage_change", "contact": email, "to": change.to_stage,
                             "at": _instant(change.at), "by": change.actor,
                             "reason": change.reason})  # fmt: skip
            yield (change.contact_id, change.at, 1, change.id), record

    def _decisions(self) -> Iterator[tuple[tuple[Any, ...], Record]]:
        statement = (
            select(Decision, Contact.email, LifecycleChange.id)
            .join(Contact, Contact.id == Decision.contact_id)
            .outerjoin(LifecycleChange, LifecycleChange.decision_id == Decision.id)
            .order_by(
                Decision.contact_id, Decision.at, func.coalesce(LifecycleChange.id, 0), Decision.id
            )
        )
        for decision, email, history_id in self._stream(statement):
            record = _clean({"type": "decision", "contact": email,
                             "by": self.users[decision.user_id], "decision": decision.decision,
                             "at": _instant(decision.at), "reason": decision.reason,
                             "comment": decision.comment, "then": decision.then})  # fmt: skip
            yield (decision.contact_id, decision.at, 1, history_id or 0), record

    def _assignments(self) -> Iterator[tuple[tuple[Any, ...], Record]]:
        statement = (
            select(OwnerChange, Contact.email)
            .join(Contact, Contact.id == OwnerChange.contact_id)
            .where(OwnerChange.source == "assignment")
            .order_by(OwnerChange.contact_id, OwnerChange.at, OwnerChange.id)
        )
        for change, email in self._stream(statement):
            record = _clean({"type": "assignment", "contact": email,
                             "owner": self.users[change.to_owner_id], "at": _instant(change.at),
                             "by": change.actor, "reason": change.reason})  # fmt: skip
            yield (change.contact_id, change.at, 2, change.id), record

    def _attempts(self) -> Iterator[tuple[tuple[Any, ...], Record]]:
        statement = (
            select(Attempt, Contact.email)
            .join(Contact, Contact.id == Attempt.contact_id)
            .order_by(Attempt.contact_id, Attempt.at, Attempt.id)
        )
        for attempt, email in self._stream(statement):
            record = _clean({"type": "attempt", "id": attempt.id, "contact": email,
                             "by": self.users[attempt.user_id], "kind": attempt.kind,
                             "at": _instant(attempt.at), "outcome": attempt.outcome,
                             "note": attempt.note})  # fmt: skip
            yield (attempt.contact_id, attempt.at, 3, attempt.id), record

    def _activities(self) -> Iterator[tuple[tuple[Any, ...], Record]]:
        statement = (
            select(Activity, Contact.email)
            .join(Contact, Contact.id == Activity.contact_id)
            .order_by(Activity.contact_id, Activity.at, Activity.id)
        )
        for activity, email in self._stream(statement):
            record = _clean({"type": "activity", "id": activity.id, "contact": email,
                             "kind": activity.kind, "at": _instant(activity.at),
                             "channel": activity.channel,
                             "campaign": self.campaigns.get(activity.campaign_id),
                             "url": activity.url, "content": activity.content,
                             "properties": activity.properties})  # fmt: skip
            yield (activity.contact_id, activity.at, 4, activity.id), record

    def _deals(self) -> Iterator[tuple[tuple[Any, ...], Record]]:
        statement = (
            select(Deal, Contact.email)
            .join(Contact, Contact.id == Deal.contact_id)
            .order_by(Deal.contact_id, Deal.created_at, Deal.id)
        )
        for deal, email in self._stream(statement):
            record = _clean({"type": "deal", "id": deal.id, "contact": email,
                             "amount": _money(deal.amount), "status": deal.status,
                             "created_at": _instant(deal.created_at), "name": deal.name,
                             "currency": deal.currency,
                             "product_line": self.product_lines.get(deal.product_line_id),
                             "closed_at": _instant(deal.closed_at),
                             "owner": self.users.get(deal.owner_id),
                             "lost_reason": deal.lost_reason})  # fmt: skip
            yield (deal.contact_id, deal.created_at, 5, deal.id), record
