"""The store reads on SQLite and PostgreSQL: a workspace loaded through the importer."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy.orm import Session

from smarketing.attribution.domain import MODELS, NONE_KEY, Model, attribute, input_from_records
from smarketing.attribution.service import AttributionReport
from smarketing.attribution.service import attribute as attribute_store
from smarketing.core.errors import ValidationError
from smarketing.interchange.service import import_records
from tests.attribution.example import CONVERSIONS, MILESTONES, TOUCHES, interchange_lines


def load(session: Session, lines: list[dict[str, object]]) -> None:
    report = import_records(session, lines)
    assert not report.rejections, report.rejections


def table(report: AttributionReport, model: Model) -> dict[str, tuple[Fraction, str]]:
    result = next(r for r in report.results if r.model is model)
    return {c.key: (c.conversions, str(c.revenue)) for c in result.credits}


def test_the_worked_example_read_from_the_store_gives_the_domain_results(
    session: Session,
) -> None:
    load(session, interchange_lines())
    report = attribute_store(session)
    expected = input_from_records(CONVERSIONS, TOUCHES, milestones=MILESTONES)
    assert [r.model for r in report.results] == list(MODELS)
    for result in report.results:
        reference = attribute(result.model, expected)
        assert result.credits == reference.credits, result.model
        assert result.removal_effects == pytest.approx(reference.removal_effects, abs=1e-12)
    assert report.currency == "EUR"
    assert report.excluded == ()


ACME: list[dict[str, object]] = [
    {"type": "workspace", "name": "Acme", "timezone": "Europe/Madrid", "currency": "EUR"},
    {"type": "campaign", "key": "webinar", "name": "Webinar", "channel": "email"},
    {"type": "campaign", "key": "fair", "name": "Fair", "channel": "event"},
    # Ana: three touches before her first won deal, a fourth before her second.
    {"type": "contact", "email": "ana@acme.example", "created_at": "2025-12-01T10:00:00Z",
     "lifecycle_stage": "subscriber"},
    {"type": "activity", "id": "a1", "contact": "ana@acme.example", "kind": "page_view",
     "at": "2026-01-10T10:00:00Z", "campaign": "webinar"},
    {"type": "activity", "id": "a2", "contact": "ana@acme.example", "kind": "page_view",
     "at": "2026-01-20T10:00:00Z", "channel": "social", "campaign": "fair"},
    {"type": "activity", "id": "a3", "contact": "ana@acme.example", "kind": "page_view",
     "at": "2026-02-01T10:00:00Z"},
    {"type": "stage_change", "contact": "ana@acme.example", "to": "lead",
     "at": "2026-01-15T10:00:00Z"},
    {"type": "stage_change", "contact": "ana@acme.example", "to": "opportunity",
     "at": "2026-01-25T10:00:00Z"},
    # 00:30 on 1 March in Madrid
    {"type": "deal", "id": "d-ana", "contact": "ana@acme.example", "amount": "1000.00",
     "status": "won", "created_at": "2026-01-25T10:00:00Z", "closed_at": "2026-02-28T23:30:00Z"},
    {"type": "activity", "id": "a4", "contact": "ana@acme.example", "kind": "page_view",
     "at": "2026-03-05T10:00:00Z", "channel": "organic_search"},
    {"type": "deal", "id": "d-ana2", "contact": "ana@acme.example", "amount": "500.00",
     "status": "won", "created_at": "2026-03-01T10:00:00Z", "closed_at": "2026-03-10T10:00:00Z"},
    # Ben skips lead (subscriber -> mql); a touch older than the lookback; one at the very
    # instant of his deal (00:30 on 2 March in Madrid); a won deal in dollars.
    {"type": "contact", "email": "ben@acme.example", "created_at": "2025-01-01T00:00:00Z",
     "lifecycle_stage": "subscriber"},
    {"type": "activity", "id": "b1", "contact": "ben@acme.example", "kind": "page_view",
     "at": "2025-01-01T00:00:00Z", "channel": "paid_social"},
    {"type": "activity", "id": "b2", "contact": "ben@acme.example", "kind": "page_view",
     "at": "2026-02-01T10:00:00Z", "channel": "display"},
    {"type": "stage_change", "contact": "ben@acme.example", "to": "mql",
     "at": "2026-02-15T10:00:00Z"},
    {"type": "activity", "id": "b3", "contact": "ben@acme.example", "kind": "page_view",
     "at": "2026-02-20T10:00:00Z", "channel": "email"},
    {"type": "activity", "id": "b4", "contact": "ben@acme.example", "kind": "page_view",
     "at": "2026-03-01T23:30:00Z", "channel": "referral"},
    {"type": "deal", "id": "d-ben", "contact": "ben@acme.example", "amount": "200.00",
     "status": "won", "created_at": "2026-02-20T10:00:00Z", "closed_at": "2026-03-01T23:30:00Z"},
    {"type": "deal", "id": "d-ben-usd", "contact": "ben@acme.example", "amount": "99.00",
     "currency": "USD", "status": "won", "created_at": "2026-02-20T10:00:00Z",
     "closed_at": "2026-03-01T10:00:00Z"},
    # Cy and Dee never win; Cy's deal is lost.
    {"type": "contact", "email": "cy@acme.example", "created_at": "2026-01-01T10:00:00Z"},
    {"type": "activity", "id": "c1", "contact": "cy@acme.example", "kind": "ad_click",
     "at": "2026-02-10T10:00:00Z", "channel": "paid_search"},
    {"type": "deal", "id": "d-cy", "contact": "cy@acme.example", "amount": "300.00",
     "status": "lost", "created_at": "2026-02-10T10:00:00Z", "closed_at": "2026-02-20T10:00:00Z"},
    {"type": "contact", "email": "dee@acme.example", "created_at": "2026-01-01T10:00:00Z"},
    {"type": "activity", "id": "d1", "contact": "dee@acme.example", "kind": "page_view",
     "at": "2026-03-20T10:00:00Z", "channel": "event"},
]  # fmt: skip


def test_keys_windows_and_milestones(session: Session) -> None:
    load(session, ACME)
    report = attribute_store(session, "all")
    assert report.timezone == "Europe/Madrid"
    # d-ana: the webinar touch (its campaign's channel, email), social (its own channel
    # beats the campaign's), a touch with neither; d-ana2 adds organic; d-ben: b1 is older
    # than 365 days, b4 at the very instant of the deal counts.
    assert table(report, Model.FIRST_TOUCH) == {
        "email": (2, "1500.00"), "display": (1, "200.00"), "social": (0, "0.00"),
        NONE_KEY: (0, "0.00"), "organic_search": (0, "0.00"), "referral": (0, "0.00")}
    assert table(report, Model.LAST_TOUCH) == {
        NONE_KEY: (1, "1000.00"), "organic_search": (1, "500.00"), "referral": (1, "200.00"),
        "email": (0, "0.00"), "social": (0, "0.00"), "display": (0, "0.00")}
    # 458.333.. twice and 66.666.. twice: the two missing cents go to the .667 remainders.
    assert table(report, Model.LINEAR) == {
        "email": (Fraction(11, 12), "525.00"), "social": (Fraction(7, 12), "458.33"),
        NONE_KEY: (Fraction(7, 12), "458.33"), "organic_search": (Fraction(1, 4), "125.00"),
        "display": (Fraction(1, 3), "66.67"), "referral": (Fraction(1, 3), "66.67")}
    # Ana's milestones are her first touch (lead on 15 Jan) and her second (opportunity on
    # 25 Jan). Ben went straight to mql on 15 Feb: that is his lead milestone (display);
    # he never reached opportunity, so that milestone is his last touch (referral).
    assert table(report, Model.W_SHAPED) == {
        "email": (Fraction(13, 10), "920.00"), "social": (Fraction(3, 5), "450.00"),
        NONE_KEY: (Fraction(3, 20), "125.00"), "organic_search": (Fraction(1, 20), "25.00"),
        "display": (Fraction(3, 5), "120.00"), "referral": (Fraction(3, 10), "60.00")}


def test_by_campaign_keys_are_campaign_keys(session: Session) -> None:
    load(session, ACME)
    report = attribute_store(session, "first_touch", by="campaign")
    assert table(report, Model.FIRST_TOUCH) == {
        "webinar": (2, "1500.00"), NONE_KEY: (1, "200.00"), "fair": (0, "0.00")}


def test_other_currencies_are_left_out_and_counted(session: Session) -> None:
    load(session, ACME)
    report = attribute_store(session, "linear")
    assert [(e.currency, e.deals, e.amount_cents) for e in report.excluded] == [("USD", 1, 9900)]
    assert report.results[0].conversions == 3  # lost deals never count either
    assert report.results[0].revenue == Decimal("1700.00")
    # One model alone reads no non-converting path, and gives what it gives among all.
    together = attribute_store(session, "all")
    assert report.results[0].credits == together.results[MODELS.index(Model.LINEAR)].credits


def test_the_period_is_whole_days_in_the_workspace_timezone(session: Session) -> None:
    load(session, ACME)
    report = attribute_store(session, "all", from_date=date(2026, 3, 1), to_date=date(2026, 3, 1))
    # d-ana closed at 00:30 on 1 March in Madrid (still 28 February in UTC): in; d-ben at
    # 00:30 on 2 March: out. The dollar deal of 1 March is counted as left out.
    assert table(report, Model.FIRST_TOUCH) == {
        "email": (1, "1000.00"), "social": (0, "0.00"), NONE_KEY: (0, "0.00")}
    assert [(e.currency, e.deals) for e in report.excluded] == [("USD", 1)]
    # Non-converting paths end with the period: Cy's touch of 10 Feb is one, Dee's of
    # 20 March is after it, and Ben won (in dollars) in the period: not a non-converter.
    markov = next(r for r in report.results if r.model is Model.MARKOV)
    assert markov.conversion_probability == pytest.approx(0.5)
    assert markov.removal_effects == pytest.approx(
        {"email": 1.0, "social": 1.0, NONE_KEY: 1.0, "paid_search": 0.0})


def test_stage_conversions_are_first_arrivals(session: Session) -> None:
    load(session, ACME)
    lead = attribute_store(session, "first_touch", stage="lead")
    # Ana reached lead on 15 Jan after one touch; Cy and Dee were created as leads before
    # any touch; Ben never was a lead (subscriber -> mql).
    assert lead.stage == "lead"
    assert table(lead, Model.FIRST_TOUCH) == {"email": (1, "0.00"), NONE_KEY: (2, "0.00")}
    mql = attribute_store(session, "first_touch", stage="mql")
    assert table(mql, Model.FIRST_TOUCH) == {"display": (1, "0.00")}
    longer = attribute_store(session, "first_touch", stage="mql", lookback_days=500)
    assert table(longer, Model.FIRST_TOUCH) == {"paid_social": (1, "0.00"),
                                               "display": (0, "0.00")}  # fmt: skip


def test_equal_instants_are_ordered_by_activity_id_bytewise(session: Session) -> None:
    load(session, [
        {"type": "contact", "email": "eli@acme.example", "created_at": "2026-01-01T00:00:00Z"},
        {"type": "activity", "id": "a-1", "contact": "eli@acme.example", "kind": "page_view",
         "at": "2026-03-15T10:00:00Z", "channel": "social"},
        {"type": "activity", "id": "Z-1", "contact": "eli@acme.example", "kind": "page_view",
         "at": "2026-03-15T10:00:00Z", "channel": "email"},
        {"type": "deal", "id": "d-eli", "contact": "eli@acme.example", "amount": "10.00",
         "status": "won", "created_at": "2026-03-01T00:00:00Z",
         "closed_at": "2026-04-01T00:00:00Z"},
    ])  # fmt: skip
    report = attribute_store(session, "first_touch")
    # "Z-1" sorts before "a-1" (upper case first), whatever the database's collation.
    assert table(report, Model.FIRST_TOUCH) == {"email": (1, "10.00"), "social": (0, "0.00")}


def test_without_a_workspace_row_euros_and_utc(session: Session) -> None:
    report = attribute_store(session, "linear")
    assert (report.currency, report.timezone) == ("EUR", "UTC")
    assert report.results[0].conversions == 0
    assert report.results[0].credits == ()


@pytest.mark.parametrize(("options", "message"), [
    ({"model": "best"}, "model: 'best' is not one of all, first_touch"),
    ({"by": "rep"}, "by: 'rep' is not one of channel, campaign"),
    ({"stage": "won_deal"}, "stage: 'won_deal' is not one of won, lead"),
    ({"lookback_days": 0}, "lookback-days: 0 is not between 1 and 36500"),
    ({"half_life_days": 0}, "half-life-days: 0 is not a positive number"),
    ({"from_date": date(2026, 3, 2), "to_date": date(2026, 3, 1)},
     "from 2026-03-02 is after to 2026-03-01"),
])  # fmt: skip
def test_bad_options_are_named(session: Session, options: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        attribute_store(session, **options)
