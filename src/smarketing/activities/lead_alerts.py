"""Tell a lead's owner when the lead acts: a form, a download, a chat, a booked meeting,
an email click, an event. Sales hears of it within the minute it is ingested, through
the in-app inbox and the owner's notification targets (Slack, Teams, e-mail...).

Only recent activity alerts (an import of last year's history must not page anyone),
and at most one alert per lead per hour: a lead who downloads three guides in a row is
one reason to call, not three.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.i18n import N_
from smarketing.i18n.terms import Phrase
from smarketing.models import Contact
from smarketing.notify.service import notify

#: What the lead did, by activity kind; the alert is written in the owner's language.
ALERT_KINDS = {
    "form_submit": N_("submitted a form"), "content_download": N_("downloaded content"),
    "chat": N_("started a chat"), "meeting_booked": N_("booked a meeting"),
    "email_click": N_("clicked an email"), "event_attended": N_("attended an event"),
}  # fmt: skip
SUBJECT = N_("%(name)s (%(stage)s) %(action)s")
BODY = N_("%(name)s <%(email)s> %(action)s.")
BODY_WITH_WHAT = N_("%(name)s <%(email)s> %(action)s: %(what)s.")
RECENT = timedelta(hours=24)


@dataclass(frozen=True)
class Acted:
    """One stored activity, as much of it as an alert tells."""

    contact_id: int
    kind: str
    at: datetime
    what: str | None  # the content, else the page, else the campaign


def alert_owners(session: Session, activities: Sequence[Acted], now: datetime) -> int:
    """Raise the alerts for `activities` (just stored); returns how many were raised."""
    latest: dict[int, Acted] = {}
    for act in activities:
        if act.kind in ALERT_KINDS and now - act.at <= RECENT:
            if act.contact_id not in latest or act.at > latest[act.contact_id].at:
                latest[act.contact_id] = act
    if not latest:
        return 0
    owned = session.execute(
        select(Contact.id, Contact.email, Contact.first_name, Contact.last_name,
               Contact.lifecycle_stage, Contact.owner_id)
        .where(Contact.id.in_(latest), Contact.owner_id.is_not(None))
    ).all()  # fmt: skip
    raised = 0
    for contact_id, email, first, last, stage, owner_id in owned:
        act = latest[contact_id]
        name = " ".join(p for p in (first, last) if p) or email
        action = Phrase(ALERT_KINDS[act.kind])
        # Names, emails and content titles are data: shown as they are, in any language.
        raised += len(notify(
            session, user_ids=[owner_id], kind="lead_activity",
            subject=Phrase(SUBJECT, {"name": name, "stage": stage, "action": action},
                           stages=frozenset({"stage"})),
            body=Phrase(BODY_WITH_WHAT if act.what else BODY,
                        {"name": name, "email": email, "action": action, "what": act.what}),
            link="/contacts/" + quote(email),
            dedupe_key=f"lead-activity:{contact_id}:{act.at:%Y-%m-%dT%H}", now=now,
        ))  # fmt: skip
    return raised
