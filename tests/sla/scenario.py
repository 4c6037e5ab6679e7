"""A small workspace for SLA tests: Madrid calendar, one team, a rep, a manager, an SLA."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

MADRID = ZoneInfo("Europe/Madrid")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def local(text: str) -> str:
    """A Madrid wall time as an ISO instant with its offset."""
    return datetime.fromisoformat(text).replace(tzinfo=MADRID).isoformat()


def base(sales: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return [
        {"type": "workspace", "name": "Test", "timezone": "Europe/Madrid"},
        {"type": "calendar", "key": "madrid", "timezone": "Europe/Madrid",
         "hours": {d: [["09:00", "14:00"], ["15:00", "18:00"]] for d in WEEKDAYS},
         "holidays": {"country": "ES", "subdivision": "MD"}},
        {"type": "team", "key": "iberia", "name": "Iberia", "calendar": "madrid"},
        {"type": "user", "email": "rep@t.example", "name": "Rep One", "role": "sales_rep",
         "team": "iberia"},
        {"type": "user", "email": "rep2@t.example", "name": "Rep Two", "role": "sales_rep",
         "team": "iberia"},
        {"type": "user", "email": "boss@t.example", "name": "Boss", "role": "sales_manager",
         "team": "iberia"},
        {"type": "sla", "key": "default", "status": "active", "effective_from": "2026-01-01",
         "calendar": "madrid", "marketing": {"mqls_per_rep_per_month": 10},
         "sales": sales or {"first_attempt_within_hours": 8, "attempts": 5,
                            "attempts_within_days": 14}},
    ]  # fmt: skip


def handed_off_lead(email: str, assigned_at: str, owner: str = "rep@t.example") -> list[dict]:
    """A lead that became an MQL and was assigned at the Madrid wall time `assigned_at`."""
    return [
        {"type": "contact", "email": email, "created_at": local("2026-09-01 10:00")},
        {"type": "stage_change", "contact": email, "to": "mql", "at": local("2026-09-02 10:00")},
        {"type": "assignment", "contact": email, "owner": owner, "at": local(assigned_at)},
    ]
