"""Builders of what /t.js sends, shared by the tracking tests."""

from __future__ import annotations

from typing import Any

SITE = "https://www.acme.example"
VISITOR = "3f2b8c1e-0d4a-4b6e-9a57-5d1c2e7f9a10"
CAMPAIGN_RECORDS: list[dict[str, Any]] = [
    {"type": "campaign", "key": "spring-webinar", "name": "Spring webinar", "channel": "email",
     "utm_campaign": "Spring_Webinar_2026"},
    {"type": "campaign", "key": "brand-search", "name": "Brand search",
     "channel": "paid_search"},
]  # fmt: skip


def page_view(event_id: str, url: str, referrer: str | None = None, **extra: Any) -> (
    dict[str, Any]
):
    event: dict[str, Any] = {"id": event_id, "kind": "page_view", "url": url, **extra}
    if referrer is not None:
        event["referrer"] = referrer
    return event


def form_submit(event_id: str, email: str, fields: dict[str, str] | None = None,
                url: str = f"{SITE}/contact", referrer: str | None = f"{SITE}/pricing",
                ) -> dict[str, Any]:  # fmt: skip
    event: dict[str, Any] = {"id": event_id, "kind": "form_submit", "url": url,
                             "email": email, "fields": fields or {"email": email},
                             "form": "contact"}  # fmt: skip
    if referrer is not None:
        event["referrer"] = referrer
    return event


def body(*events: dict[str, Any], visitor: str = VISITOR) -> dict[str, Any]:
    return {"visitor": visitor, "site": "www", "events": list(events)}
