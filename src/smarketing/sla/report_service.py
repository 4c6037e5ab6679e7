"""Use cases: the SLA compliance report of a month, and marketing pacing of the current one.

Both read the stored SLA clocks (kept in step with the facts by
:func:`smarketing.sla.service.recompute_clocks`) and never write. ``now`` is passed in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from smarketing.i18n import N_
from smarketing.i18n.terms import Phrase
from smarketing.sla import report_repository as rr
from smarketing.sla import repository as repo
from smarketing.sla.calendar import BusinessCalendar
from smarketing.sla.pacing import DEFAULT_TOLERANCE, Pacing, RepPace, build_pacing
from smarketing.sla.report import (
    ComplianceReport,
    HandoffRow,
    Month,
    ReportError,
    RepPlan,
    build_compliance_report,
    handoffs_of,
    resolve_reps,
)
from smarketing.sla.service import SlaContext

#: The behind-pace alert, written in each reader's language.
PACING_TEAM = N_("team %(key)s")
PACING_SUBJECT = N_("Behind MQL pace: %(who)s")
PACING_BODY = N_("%(who)s: %(delivered)s MQLs delivered, %(expected)s expected by today, "
                 "target %(target)s this month (projected %(projected)s).")

__all__ = [
    "ReportError",
    "compliance_report",
    "compliance_report_data",
    "pacing",
    "pacing_json",
]


def compliance_report_data(session: Session, month: str | Month, now: datetime) -> ComplianceReport:
    """The report of ``month`` (``"YYYY-MM"``, workspace time zone) as of ``now``.

    Raises :class:`ReportError` for a malformed month.
    """
    wanted = month if isinstance(month, Month) else Month.parse(month)
    start, end = wanted.bounds(repo.workspace_timezone(session))
    clocks = rr.clocks_started(session, start, end)
    return build_compliance_report(wanted, clocks, rr.users(session), repo.sla_versions(session),
                                   now)  # fmt: skip


def compliance_report(session: Session, month: str, now: datetime) -> dict[str, Any]:
    """The JSON contract of ``smarketing sla report --month YYYY-MM --json``."""
    return compliance_report_data(session, month, now).to_json()


def _calendar(ctx: SlaContext, plan: RepPlan) -> BusinessCalendar:
    """The SLA's calendar, else the rep's, else the team's, else the workspace's."""
    if plan.sla is not None:
        return ctx.calendar_for(plan.sla, plan.rep.id)
    for key in ctx.people.calendar_keys.get(plan.rep.id, []):
        if key in ctx.calendars:
            return ctx.calendars[key]
    return ctx.default_calendar


def _first_decision(
    handoff: HandoffRow, decisions: dict[int, list[tuple[datetime, str]]]
) -> str | None:
    return next((d for at, d in decisions.get(handoff.contact_id, []) if at >= handoff.started_at),
                None)  # fmt: skip


def pacing(session: Session, now: datetime, tolerance: Decimal = DEFAULT_TOLERANCE) -> Pacing:
    """Marketing pacing of the month (workspace time zone) that ``now`` falls in."""
    ctx = SlaContext(session)
    month = Month.of(now, ctx.timezone)
    start, end = month.bounds(ctx.timezone)
    clocks = [c for c in rr.clocks_started(session, start, end) if c.started_at <= now]
    quality = rr.contact_quality(session, start, end)
    decisions = rr.contact_decisions(session, start, end)
    handoffs = [
        replace(h, channel=channel, persona=persona, decision=_first_decision(h, decisions))
        for h in handoffs_of(clocks)
        for channel, persona in [quality.get(h.contact_id, (None, None))]
    ]
    plans = resolve_reps(rr.users(session), handoffs, ctx.versions, month.days())
    by_rep: dict[str, list[HandoffRow]] = defaultdict(list)
    for handoff in handoffs:
        by_rep[handoff.rep].append(handoff)
    reps = [RepPace(plan, _calendar(ctx, plan), tuple(by_rep[plan.rep.email])) for plan in plans]
    return build_pacing(month, start, end, now, reps, ctx.versions, tolerance)


def pacing_json(
    session: Session, now: datetime, tolerance: Decimal = DEFAULT_TOLERANCE
) -> dict[str, Any]:
    """Pacing as JSON: month, as_of, reps, teams and the alerts (rows behind pace)."""
    return pacing(session, now, tolerance).to_json()


def alert_behind_pace(session: Session, now: datetime) -> int:
    """Tell marketing (and admins) once a day about each rep or team behind MQL pace.

    Returns the number of notifications raised; running it again the same day raises none.
    """
    from smarketing.notify.service import notify
    from smarketing.sla.pacing import pacing_alerts

    ctx = SlaContext(session)
    today = now.astimezone(ZoneInfo(ctx.timezone)).date().isoformat()
    recipients = [u.id for u in ctx.people.by_id.values() if u.role in ("marketing", "admin")]
    if not recipients:
        return 0
    raised = 0
    for row in pacing_alerts(pacing(session, now)):
        # Written in each reader's language; the rep's email and the team's key as they are.
        who = row.key if row.scope == "rep" else Phrase(PACING_TEAM, {"key": row.key})
        expected = f"{row.mqls_expected:.1f}" if row.mqls_expected is not None else "?"
        subject = Phrase(PACING_SUBJECT, {"who": who})
        body = Phrase(PACING_BODY, {
            "who": who, "delivered": row.mqls_delivered, "expected": expected,
            "target": row.mqls_target, "projected": row.mqls_projected})  # fmt: skip
        created = notify(session, user_ids=recipients, kind="sla_pacing", subject=subject,
                         body=body, link="/sla/pacing",
                         dedupe_key=f"pacing:{today}:{row.scope}:{row.key}", now=now)  # fmt: skip
        raised += len(created)
    return raised
