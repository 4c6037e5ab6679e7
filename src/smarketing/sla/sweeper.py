"""The SLA sweeper: notices at-risk and breached clocks and acts on each exactly once.

Due clocks are found through the indexed `next_check_at` column. Each transition is a
conditional UPDATE that only succeeds if the row is still in the state the sweeper saw,
and on PostgreSQL the rows are also claimed with SELECT ... FOR UPDATE SKIP LOCKED, so
several workers sweeping at once never alert twice. The alert (in-app and apprise
deliveries) is written in the same transaction as the transition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from smarketing.i18n import N_
from smarketing.i18n.terms import Phrase
from smarketing.models import Contact, SlaClock, User
from smarketing.sla import repository as repo
from smarketing.sla.assignment import Assignment, assign_owners
from smarketing.sla.clocks import OPEN_STATES
from smarketing.sla.service import SlaContext

BATCH = 500
#: The clock kinds as the alerts say them; each alert is written in its reader's language.
KIND_LABELS = {
    "first_attempt": N_("first attempt"),
    "cadence": N_("attempt cadence"),
    "decision": N_("decision"),
}
BREACH_SUBJECT = N_("SLA breached: %(what)s for %(email)s")
BREACH_BODY = N_("The %(what)s for %(email)s, owned by %(owner)s, was due %(due)s (%(timezone)s).")
AT_RISK_SUBJECT = N_("SLA at risk: %(what)s for %(email)s")
AT_RISK_BODY = N_("The %(what)s for %(email)s is due %(due)s (%(timezone)s). Act now.")


@dataclass
class SweepStats:
    examined: int = 0
    breached: int = 0
    at_risk: int = 0
    reassigned: int = 0


def sweep(session: Session, now: datetime, *, limit: int = BATCH) -> SweepStats:
    """One pass over the clocks that are due for a look. The caller commits."""
    stats = SweepStats()
    ctx: SlaContext | None = None
    for clock_id in repo.due_clock_ids(session, now, limit):
        clock = session.get(SlaClock, clock_id, populate_existing=True)
        if clock is None or clock.next_check_at is None or clock.next_check_at > now:
            continue
        stats.examined += 1
        if _claim_breach(session, clock, now):
            stats.breached += 1
            ctx = ctx or SlaContext(session)
            _alert(session, clock, "breach", now, ctx)
            if _maybe_reassign(session, clock, now, ctx):
                stats.reassigned += 1
        elif _claim_at_risk(session, clock, now):
            stats.at_risk += 1
            ctx = ctx or SlaContext(session)
            _alert(session, clock, "at_risk", now, ctx)
        else:
            _reschedule(session, clock, now)
    return stats


def _claim_breach(session: Session, clock: SlaClock, now: datetime) -> bool:
    """Mark a clock breached and handled; True only for the one caller that did it."""
    due = clock.met_at is not None or clock.due_at <= now
    if not due or clock.breach_handled_at is not None:
        return False
    if clock.state not in OPEN_STATES and clock.state != "breached":
        return False
    result = session.execute(
        update(SlaClock)
        .where(SlaClock.id == clock.id, SlaClock.breach_handled_at.is_(None),
               SlaClock.state == clock.state)
        .values(state="breached", breach_handled_at=now, at_risk_handled_at=now,
                next_check_at=None)
    )  # fmt: skip
    return result.rowcount == 1  # type: ignore[attr-defined]


def _claim_at_risk(session: Session, clock: SlaClock, now: datetime) -> bool:
    if clock.state != "on_track" or clock.at_risk_at is None or clock.at_risk_at > now:
        return False
    result = session.execute(
        update(SlaClock)
        .where(SlaClock.id == clock.id, SlaClock.state == "on_track",
               SlaClock.at_risk_handled_at.is_(None))
        .values(state="at_risk", at_risk_handled_at=now, next_check_at=clock.due_at)
    )  # fmt: skip
    return result.rowcount == 1  # type: ignore[attr-defined]


def _reschedule(session: Session, clock: SlaClock, now: datetime) -> None:
    """Nothing to do now (already handled elsewhere): look again at the due instant."""
    next_check = clock.due_at if clock.state in OPEN_STATES and clock.due_at > now else None
    session.execute(
        update(SlaClock)
        .where(SlaClock.id == clock.id, SlaClock.next_check_at == clock.next_check_at)
        .values(next_check_at=next_check)
    )  # fmt: skip


def _recipients(session: Session, clock: SlaClock, kind: str) -> list[int]:
    """The rep, and for a breach also the sales managers of the rep's team."""
    recipients = [clock.owner_id]
    if kind == "breach" and clock.team_id is not None:
        managers = session.scalars(
            select(User.id).where(User.team_id == clock.team_id, User.role == "sales_manager")
        )
        recipients += [m for m in managers if m not in recipients]
    return recipients


def _alert(session: Session, clock: SlaClock, kind: str, now: datetime, ctx: SlaContext) -> None:
    from smarketing.notify.service import notify

    email = session.execute(
        select(Contact.email).where(Contact.id == clock.contact_id)
    ).scalar_one()
    owner = ctx.people.by_id[clock.owner_id]
    due_local = clock.due_at.astimezone(ZoneInfo(ctx.timezone)).strftime("%Y-%m-%d %H:%M")
    params = {"what": Phrase(KIND_LABELS.get(clock.kind, clock.kind)), "email": email,
              "owner": owner.name, "due": due_local, "timezone": ctx.timezone}  # fmt: skip
    if kind == "breach":
        subject, body = Phrase(BREACH_SUBJECT, params), Phrase(BREACH_BODY, params)
    else:
        subject, body = Phrase(AT_RISK_SUBJECT, params), Phrase(AT_RISK_BODY, params)
    notify(session, user_ids=_recipients(session, clock, kind), kind=f"sla_{kind}",
           subject=subject, body=body, link=f"/contacts/{email}",
           dedupe_key=f"sla-{kind}:{clock.id}", now=now)  # fmt: skip


def _maybe_reassign(session: Session, clock: SlaClock, now: datetime, ctx: SlaContext) -> bool:
    """Optionally hand a lead whose first attempt was missed to another rep of the team."""
    sla = next((v for v in ctx.versions if v.id == clock.sla_id), None)
    if sla is None or not sla.sales.reassign_on_breach or clock.kind != "first_attempt":
        return False
    if clock.met_at is not None or clock.team_id is None:
        return False
    current_owner = repo.contact_owner(session, clock.contact_id)
    if current_owner != clock.owner_id:
        return False
    candidates = [
        u for u in ctx.people.by_id.values()
        if u.team_id == clock.team_id and u.role == "sales_rep" and u.id != clock.owner_id
    ]  # fmt: skip
    if not candidates:
        return False
    new_owner = min(candidates, key=lambda u: (_open_load(session, u.id), u.id))
    missed_by = ctx.people.by_id[clock.owner_id].email
    reason = f"SLA breach: first attempt missed by {missed_by}"
    assign_owners(session, [Assignment(clock.contact_id, new_owner.id, now, "system", reason)],
                  now)  # the lead's clocks follow
    return True


def _open_load(session: Session, user_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(SlaClock)
        .where(SlaClock.owner_id == user_id, SlaClock.state.in_(OPEN_STATES))
    ).scalar_one()  # fmt: skip
