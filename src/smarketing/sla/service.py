"""SLA use cases: compute and store the clocks of leads, and sweep them for breaches.

Clocks are always derived from recorded facts (assignments, stage changes, attempts,
decisions), so history imported from another tool gets the same compliance as live
work. Services never commit; the edge (a command, a request, a job) does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from smarketing.models import SlaClock
from smarketing.sla import repository as repo
from smarketing.sla.calendar import BusinessCalendar, calendar_from_json
from smarketing.sla.clocks import OPEN_STATES, ClockState, evaluate_clocks
from smarketing.sla.handoffs import Handoff, derive_handoffs
from smarketing.sla.terms import SlaVersion, applicable_sla

#: Columns that the facts determine; the rest (alert bookkeeping) is kept on recompute.
_COMPUTED = ("due_at", "at_risk_at", "state", "met_at", "closed_at", "closed_reason",
             "attempts_done", "attempts_required", "elapsed_business_seconds",
             "next_check_at", "sla_id", "in_pilot", "team_id")  # fmt: skip


class SlaContext:
    """Agreements, calendars and people, loaded once for a batch of recomputations."""

    def __init__(self, session: Session) -> None:
        self.versions: list[SlaVersion] = repo.sla_versions(session)
        self.calendars = repo.calendars_by_key(session)
        self.people = repo.People(session)
        self.timezone = repo.workspace_timezone(session)
        self.default_calendar = calendar_from_json(
            {"timezone": self.timezone, "hours": repo.DEFAULT_HOURS}
        )

    def calendar_for(self, sla: SlaVersion, owner_id: int) -> BusinessCalendar:
        """The SLA's calendar, else the rep's, else the team's, else the workspace's."""
        for key in [sla.calendar_key, *self.people.calendar_keys.get(owner_id, [])]:
            if key and key in self.calendars:
                return self.calendars[key]
        return self.default_calendar

    def sla_for(self, handoff: Handoff) -> SlaVersion | None:
        owner = self.people.by_id.get(handoff.owner_id)
        if owner is None:
            return None
        day = handoff.facts.started_at.astimezone(ZoneInfo(self.timezone)).date()
        return applicable_sla(self.versions, day, owner.email, self.people.team_key[owner.id])


@dataclass(frozen=True)
class PlannedClock:
    owner_id: int
    sla: SlaVersion
    team_id: int | None
    state: ClockState


def plan_contact_clocks(session: Session, ctx: SlaContext, contact_id: int, now: datetime) -> (
    list[PlannedClock]
):
    events = repo.contact_events(session, contact_id)
    handoffs = derive_handoffs(
        events["stages"], events["owners"], events["attempts"], [d[0] for d in events["decisions"]]
    )
    planned = []
    for handoff in handoffs:
        sla = ctx.sla_for(handoff)
        if sla is None:
            continue
        calendar = ctx.calendar_for(sla, handoff.owner_id)
        owner = ctx.people.by_id[handoff.owner_id]
        for state in evaluate_clocks(handoff.facts, sla.sales, calendar, now):
            planned.append(PlannedClock(handoff.owner_id, sla, owner.team_id, state))
    return planned


def recompute_clocks(
    session: Session, contact_ids: Iterable[int], now: datetime, ctx: SlaContext | None = None
) -> int:
    """Bring the stored clocks of these contacts in line with their facts.

    A clock that is new and already breached (history being imported) is marked as
    handled, so the past raises no alerts. A stored clock that becomes breached (an
    attempt logged late) is left for the sweeper to alert once.
    """
    ctx = ctx or SlaContext(session)
    written = 0
    for contact_id in contact_ids:
        stored = {
            (c.kind, c.started_at, c.owner_id): c for c in repo.stored_clocks(session, contact_id)
        }
        for plan in plan_contact_clocks(session, ctx, contact_id, now):
            values = _values(plan)
            key = (plan.state.kind, plan.state.started_at, plan.owner_id)
            existing = stored.pop(key, None)
            if existing is None:
                repo.insert_clock(session, {**values, **_new_clock_bookkeeping(values, now),
                                            "contact_id": contact_id, "kind": plan.state.kind,
                                            "started_at": plan.state.started_at,
                                            "owner_id": plan.owner_id})  # fmt: skip
                written += 1
            else:
                changed = _changes(existing, values)
                if changed:
                    repo.update_clock(session, existing.id, changed)
                    written += 1
        repo.delete_clocks(session, (c.id for c in stored.values()))
    return written


def _values(plan: PlannedClock) -> dict[str, Any]:
    state = asdict(plan.state)
    values = {k: state[k] for k in _COMPUTED if k in state}
    values.update(sla_id=plan.sla.id, in_pilot=plan.sla.is_pilot, team_id=plan.team_id)
    return values


def _new_clock_bookkeeping(values: dict[str, Any], now: datetime) -> dict[str, Any]:
    if values["state"] == "breached":
        return {"breach_handled_at": now, "at_risk_handled_at": now}
    if values["state"] == "at_risk":
        return {"at_risk_handled_at": now}
    return {}


def _changes(existing: SlaClock, values: dict[str, Any]) -> dict[str, Any]:
    changed = {k: v for k, v in values.items() if getattr(existing, k) != v}
    if values["state"] == "breached" and existing.breach_handled_at is None:
        changed["next_check_at"] = values["met_at"] or values["due_at"]
    return changed


def is_open(clock: SlaClock) -> bool:
    return clock.state in OPEN_STATES


def recompute_all_clocks(session: Session, now: datetime, batch: int = 1000) -> int:
    """Recompute the clocks of every contact that ever had an owner (after an SLA change)."""
    ctx = SlaContext(session)
    written = 0
    last_id = 0
    while True:
        ids = repo.owned_contact_ids(session, after=last_id, limit=batch)
        if not ids:
            return written
        written += recompute_clocks(session, ids, now, ctx)
        last_id = ids[-1]
