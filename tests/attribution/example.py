"""The worked example of docs/attribution.md, as domain records and as interchange lines.

Ana converts after five touches (email, social, event, social, email), Ben after two
(social, email), Cy without any; Dee and Eva touch and never convert.
"""

from datetime import UTC, datetime
from decimal import Decimal

from smarketing.attribution.domain import Conversion, Milestones, Touch


def day(d: int, month: int = 3) -> datetime:
    return datetime(2026, month, d, 12, 0, tzinfo=UTC)


ANA, BEN, CY, DEE, EVA = 1, 2, 3, 4, 5
CONVERSIONS = [
    Conversion("won-ana", ANA, day(31), Decimal("1000.00")),
    Conversion("won-ben", BEN, day(20), Decimal("300.00")),
    Conversion("won-cy", CY, day(25), Decimal("200.00")),
]
TOUCHES = {
    ANA: [Touch("a1", day(1), "email"), Touch("a2", day(8), "social"),
          Touch("a3", day(15), "event"), Touch("a4", day(22), "social"),
          Touch("a5", day(29), "email")],
    BEN: [Touch("b1", day(18), "social"), Touch("b2", day(19), "email")],
    DEE: [Touch("d1", day(10), "event"), Touch("d2", day(12), "email")],
    EVA: [Touch("e1", day(5), "social")],
}  # fmt: skip
MILESTONES = {
    ANA: Milestones(lead=day(10), opportunity=day(20)),
    BEN: Milestones(lead=day(15, month=2)),
}

CONTACT_EMAIL = {ANA: "ana@example.com", BEN: "ben@example.com", CY: "cy@example.com",
                 DEE: "dee@example.com", EVA: "eva@example.com"}  # fmt: skip


def interchange_lines() -> list[dict[str, object]]:
    """The same facts as interchange records (contacts created as subscribers a month
    before, so the lead milestones come from their stage changes)."""

    def instant(at: datetime) -> str:
        return at.isoformat().replace("+00:00", "Z")

    lines: list[dict[str, object]] = [
        {"type": "workspace", "name": "Example", "timezone": "UTC", "currency": "EUR"},
    ]
    for email in CONTACT_EMAIL.values():
        lines.append({"type": "contact", "email": email, "created_at": instant(day(1, 2)),
                      "lifecycle_stage": "subscriber"})  # fmt: skip
    for contact, milestones in MILESTONES.items():
        if milestones.lead:
            lines.append({"type": "stage_change", "contact": CONTACT_EMAIL[contact],
                          "to": "lead", "at": instant(milestones.lead)})  # fmt: skip
        if milestones.opportunity:
            lines.append({"type": "stage_change", "contact": CONTACT_EMAIL[contact],
                          "to": "opportunity", "at": instant(milestones.opportunity)})  # fmt: skip
    for contact, touches in TOUCHES.items():
        for touch in touches:
            lines.append({"type": "activity", "id": touch.activity_id,
                          "contact": CONTACT_EMAIL[contact], "kind": "page_view",
                          "at": instant(touch.at), "channel": touch.key})  # fmt: skip
    for conversion in CONVERSIONS:
        lines.append({"type": "deal", "id": conversion.id,
                      "contact": CONTACT_EMAIL[conversion.contact],
                      "amount": str(conversion.value), "status": "won",
                      "created_at": instant(day(1)), "closed_at": instant(conversion.instant)})
    return lines
