"""What pages and the API show of the SLA for one lead: its clocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from smarketing.sla import repository as repo

#: The order a lead's clocks are listed in; their labels are product terms (i18n.terms.TERMS).
KIND_ORDER = {kind: n for n, kind in enumerate(("first_attempt", "cadence", "decision"))}


@dataclass(frozen=True)
class ClockView:
    """One SLA clock of a lead, as the contact page and the API show it."""

    id: int
    kind: str
    owner_email: str
    owner_name: str
    sla: str
    sla_version: int
    in_pilot: bool
    started_at: datetime
    due_at: datetime
    at_risk_at: datetime | None
    state: str
    met_at: datetime | None
    closed_at: datetime | None
    closed_reason: str | None
    attempts_done: int
    attempts_required: int | None

    def to_json(self) -> dict[str, Any]:
        def instant(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat().replace("+00:00", "Z")

        return {
            "id": self.id, "kind": self.kind, "owner": self.owner_email, "sla": self.sla,
            "sla_version": self.sla_version, "in_pilot": self.in_pilot,
            "started_at": instant(self.started_at), "due_at": instant(self.due_at),
            "at_risk_at": instant(self.at_risk_at), "state": self.state,
            "met_at": instant(self.met_at), "closed_at": instant(self.closed_at),
            "closed_reason": self.closed_reason, "attempts_done": self.attempts_done,
            "attempts_required": self.attempts_required,
        }  # fmt: skip


def lead_clocks(session: Session, contact_id: int) -> list[ClockView]:
    """The lead's clocks, newest handoff first, then first attempt, cadence, decision."""
    views = [ClockView(c.id, c.kind, email, name, key, version, c.in_pilot, c.started_at,
                       c.due_at, c.at_risk_at, c.state, c.met_at, c.closed_at, c.closed_reason,
                       c.attempts_done, c.attempts_required)
             for c, email, name, key, version in repo.clock_rows(session, contact_id)]  # fmt: skip
    views.sort(key=lambda v: (-v.started_at.timestamp(), KIND_ORDER.get(v.kind, 9), v.id))
    return views
