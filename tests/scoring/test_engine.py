"""The scoring engine: golden cases for fit, caps, decay, grades, the ledger and explanations."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from smarketing.core.errors import ValidationError
from smarketing.personas.profile import ContactProfile
from smarketing.scoring.domain import (
    LedgerEntry,
    Scorer,
    ScoringEvent,
    format_points,
    grade,
    grade_at_least,
)
from tests.scoring.helpers import event, local, make_model, utc

SPANISH_CORP = ContactProfile(email="ana@grupo-hotelero.es", country="ES", employees=250)
NOW = utc("2026-11-20T12:00:00")


def engagement(entries: tuple[LedgerEntry, ...] | list[LedgerEntry]) -> list[tuple[str, str, int]]:
    return [(e.rule_id, e.activity_id or "", e.points) for e in entries if not e.is_fit]


# -- fit ----------------------------------------------------------------------------------


def test_fit_rules_each_count_once_with_their_facts() -> None:
    scorer = Scorer(make_model())
    update = scorer.update(SPANISH_CORP, [], [], NOW)
    assert [(e.rule_id, e.points, e.at) for e in update.entries] == [
        ("spain", 10, NOW), ("big", 15, NOW)]  # fmt: skip
    assert update.entries[1].fact == "250 employees, wanted >= 100"
    assert (update.score.fit, update.score.engagement, update.score.grade) == (25, 0, "B4")
    # the same profile again: nothing changes
    assert scorer.update(SPANISH_CORP, update.entries, [], NOW).entries == ()


def test_a_fit_change_is_recorded_both_ways() -> None:
    scorer = Scorer(make_model())
    first = scorer.update(SPANISH_CORP, [], [], NOW).entries
    moved = ContactProfile(email="ana@gmail.com", country="PT", employees=250)
    later = NOW + timedelta(days=2)
    change = scorer.update(moved, first, [], later)
    assert [(e.rule_id, e.points, e.at) for e in change.entries] == [
        ("spain", -10, later), ("free-mail", -10, later)]  # fmt: skip
    assert change.entries[0].fact.startswith("no longer matches: country 'PT' not in ES")
    assert change.entries[1].fact == "email domain gmail.com is free_mail"
    assert change.score.fit == 5
    # before the change the ledger still reads 25
    assert scorer.score([*first, *change.entries], NOW + timedelta(days=1)).fit == 25


EMAILS = [
    ("x@gmail.com", "free_mail"),
    ("x@yahoo.com.br", "free_mail"),  # built-in family
    ("x@correo.example", "free_mail"),  # listed in the model
    ("x@rival.example", "competitor"),
    ("x@es.rival.example", "competitor"),  # a subdomain
    ("x@notrival.example", "business"),
    ("x@cocinas-lopez.es", "business"),
]


@pytest.mark.parametrize(("email", "kind"), EMAILS)
def test_email_kinds(email: str, kind: str) -> None:
    model = make_model(
        email_domains={"free_mail": ["correo.example"], "competitor": ["rival.example"]},
        fit_rules=[{"id": k, "points": 1, "when": {"email_kinds": [k]}}
                   for k in ("free_mail", "competitor", "business")],
    )  # fmt: skip
    entries = Scorer(model).update(ContactProfile(email=email), [], [], NOW).entries
    assert [e.rule_id for e in entries] == [kind]


def test_persona_and_property_conditions_in_fit_rules() -> None:
    model = make_model(fit_rules=[
        {"id": "hotel", "points": 20, "when": {"personas": ["hotel_procurement"],
                                               "properties": [{"property": "rooms", "op": "gte",
                                                               "value": 100}]}}])  # fmt: skip
    scorer = Scorer(model)
    big = ContactProfile(persona="hotel_procurement", properties={"rooms": 240})
    small = ContactProfile(persona="hotel_procurement", properties={"rooms": 40})
    assert [e.points for e in scorer.update(big, [], [], NOW).entries] == [20]
    assert scorer.update(small, [], [], NOW).entries == ()
    assert scorer.update(ContactProfile(), [], [], NOW).entries == ()


# -- engagement: matching, caps, negative points -----------------------------------------


def test_rules_add_up_and_globs_match_the_whole_url() -> None:
    scorer = Scorer(make_model())
    events = [
        event("a", utc("2026-11-02T09:00:00"), url="https://nordwood.example/es/careers/jobs"),
        event("b", utc("2026-11-02T09:05:00"), url="https://nordwood.example/es/cocinas"),
        event("c", utc("2026-11-02T09:10:00"), "form_submit", content="quote REQUEST"),
        event("d", utc("2026-11-02T09:20:00"), "form_submit", content="Quote request form"),
    ]
    entries = scorer.rescore(ContactProfile(), events, NOW).entries
    assert engagement(entries) == [("visit", "a", 4), ("careers", "a", -5), ("visit", "b", 4),
                                   ("quote", "c", 30)]  # fmt: skip


def test_regex_campaign_and_channel_conditions() -> None:
    model = make_model(engagement_rules=[
        {"id": "pricing", "points": 5, "when": {"url_regex": r"/(precios|prezzi|precos)\b"}},
        {"id": "fair", "points": 20, "when": {"campaigns": ["salone-milano"]}},
        {"id": "paid", "points": 1, "when": {"channels": ["paid_search", "paid_social"]}},
    ])  # fmt: skip
    scorer = Scorer(model)
    at = utc("2026-11-02T09:00:00")
    events = [
        ScoringEvent("p1", "page_view", at, url="https://x.example/it/PREZZI/cucine"),
        ScoringEvent("p2", "page_view", at, url="https://x.example/it/prezzipieni"),
        ScoringEvent("f1", "event_attended", at, channel="event", campaign="salone-milano"),
        ScoringEvent("g1", "ad_click", at, channel="paid_search", campaign="gads-kitchens"),
    ]
    assert engagement(scorer.rescore(ContactProfile(), events, NOW).entries) == [
        ("fair", "f1", 20), ("paid", "g1", 1), ("pricing", "p1", 5)]  # fmt: skip


def test_daily_cap_shares_out_by_madrid_day() -> None:
    """visit: +4, at most 10 a day in Europe/Madrid (UTC+2 in October)."""
    scorer = Scorer(make_model(half_life_days=None))
    events = [event(f"v{i}", local(t)) for i, t in enumerate([
        "2026-10-09 23:30", "2026-10-09 23:40", "2026-10-09 23:50", "2026-10-09 23:55",
        "2026-10-10 00:10",  # still 9 October in UTC, a new day in Madrid
        "2026-10-10 01:59"])]  # fmt: skip
    entries = scorer.rescore(ContactProfile(), events, NOW).entries
    assert [e.points for e in entries] == [4, 4, 2, 0, 4, 4]
    assert entries[2].note == "capped: +2 of +4 (cap_per_day 10 on 2026-10-09)"
    assert entries[3].note == "capped: +0 of +4 (cap_per_day 10 on 2026-10-09)"
    assert scorer.score(entries, NOW).engagement == 18


def test_daily_cap_in_utc_when_the_model_says_utc() -> None:
    scorer = Scorer(make_model(half_life_days=None, timezone="UTC"))
    events = [event(f"v{i}", local(t)) for i, t in enumerate([
        "2026-10-09 23:30", "2026-10-09 23:40", "2026-10-09 23:50", "2026-10-10 00:10",
        "2026-10-10 01:59", "2026-10-10 02:01"])]  # fmt: skip
    # 01:59 Madrid is 23:59 UTC on the 9th; 02:01 Madrid is 00:01 UTC on the 10th
    assert [e.points for e in scorer.rescore(ContactProfile(), events, NOW).entries] == [
        4, 4, 2, 0, 0, 4]  # fmt: skip


def test_daily_cap_on_the_25_hour_day_of_the_dst_change() -> None:
    """25 October 2026: Madrid goes from UTC+2 to UTC+1; 00:30 and 23:30 are one day."""
    scorer = Scorer(make_model(half_life_days=None))
    events = [event("early", local("2026-10-25 00:30")), event("noon", local("2026-10-25 12:00")),
              event("late", local("2026-10-25 23:30")), event("next", local("2026-10-26 00:00"))]
    assert utc("2026-10-25T22:30:00") == local("2026-10-25 23:30")
    points = [e.points for e in scorer.rescore(ContactProfile(), events, NOW).entries]
    assert points == [4, 4, 2, 4]


def test_total_cap_bounds_negative_points() -> None:
    """careers: -5 a visit, at most -12 in total; the visits also count +4 (cap 10 a day)."""
    scorer = Scorer(make_model(half_life_days=None))
    events = [event(f"c{d}", utc(f"2026-11-1{d}T10:00:00"), url="https://x.example/careers")
              for d in range(4)]  # fmt: skip
    entries = scorer.rescore(ContactProfile(), events, NOW).entries
    careers = [e.points for e in entries if e.rule_id == "careers"]
    assert careers == [-5, -5, -2, 0]
    assert [e.note for e in entries if e.rule_id == "careers"][2] == (
        "capped: -2 of -5 (cap_total 12)")
    assert scorer.score(entries, NOW).engagement == 4 * 4 - 12


def test_the_stricter_cap_names_itself() -> None:
    model = make_model(half_life_days=None, engagement_rules=[
        {"id": "chat", "points": 10, "cap_per_day": 15, "cap_total": 25,
         "when": {"kinds": ["chat"]}}])  # fmt: skip
    events = [event(f"c{i}", utc(t), "chat") for i, t in enumerate([
        "2026-11-01T10:00:00", "2026-11-01T11:00:00", "2026-11-02T10:00:00",
        "2026-11-02T11:00:00"])]  # fmt: skip
    entries = Scorer(model).rescore(ContactProfile(), events, NOW).entries
    assert [(e.points, e.note) for e in entries] == [
        (10, ""), (5, "capped: +5 of +10 (cap_per_day 15 on 2026-11-01)"),
        (10, ""), (0, "capped: +0 of +10 (cap_total 25)")]  # fmt: skip


# -- decay --------------------------------------------------------------------------------

DECAY = [
    # age in days, points, value at now (half-life 30 days)
    (0, 30, 30.0),
    (30, 30, 15.0),
    (60, 30, 7.5),
    (15, 30, 30 / math.sqrt(2)),
    (90, -8, -1.0),
    (1, 4, 4 * 2 ** (-1 / 30)),
]


@pytest.mark.parametrize(("age", "points", "value"), DECAY)
def test_decay_halves_every_half_life(age: int, points: int, value: float) -> None:
    model = make_model(engagement_rules=[
        {"id": "r", "points": points, "when": {"kinds": ["chat"]}}])  # fmt: skip
    scorer = Scorer(model)
    entries = scorer.rescore(ContactProfile(), [event("e", NOW - timedelta(days=age), "chat")],
                             NOW).entries  # fmt: skip
    assert scorer.score(entries, NOW).engagement == pytest.approx(value, abs=1e-12)


def test_no_half_life_means_no_decay_and_fit_never_decays() -> None:
    scorer = Scorer(make_model(half_life_days=None))
    old = NOW - timedelta(days=3650)
    entries = scorer.update(SPANISH_CORP, [], [event("e", old)], old).entries
    assert scorer.score(entries, NOW) == scorer.score(entries, old)
    decaying = Scorer(make_model())
    assert decaying.score(entries, NOW).fit == 25
    assert decaying.score(entries, NOW).engagement == pytest.approx(4 * 2 ** (-3650 / 30))


def test_entries_after_now_do_not_count_yet() -> None:
    scorer = Scorer(make_model(half_life_days=None))
    events = [event("past", NOW - timedelta(hours=1)), event("future", NOW + timedelta(hours=1))]
    update = scorer.rescore(ContactProfile(), events, NOW)
    assert engagement(update.entries) == [("visit", "past", 4), ("visit", "future", 4)]
    assert update.score.engagement == 4
    assert scorer.score(update.entries, NOW + timedelta(hours=2)).engagement == 8
    assert [c.entry.activity_id for c in scorer.explain(update.entries, NOW).contributions] == [
        "past"]  # fmt: skip


# -- grades -------------------------------------------------------------------------------

GRADES = [(30, 40, "A1"), (29.99, 39.99, "B2"), (20, 20, "B2"), (10, 5, "C3"), (9, 4.9, "D4"),
          (-50, -3, "D4"), (1000, 0, "A4")]  # fmt: skip


@pytest.mark.parametrize(("fit", "engaged", "expected"), GRADES)
def test_grade_matrix(fit: float, engaged: float, expected: str) -> None:
    assert grade(fit, engaged, make_model()) == expected


@pytest.mark.parametrize(("value", "minimum", "held"), [
    ("A3", "B", True), ("C1", "B", False), ("B2", "B2", True), ("B2", "C3", True),
    ("B2", "B1", False), ("A4", "D3", False), ("D1", "D", True)])  # fmt: skip
def test_grade_at_least(value: str, minimum: str, held: bool) -> None:
    assert grade_at_least(value, minimum) is held


@pytest.mark.parametrize(("value", "shown"), [
    (72.0, "72"), (59.96, "59.9"), (60.04, "60"), (0.30000000000000004, "0.3"), (-3.25, "-3.3"),
    (0.0, "0")])  # fmt: skip
def test_format_points_rounds_down(value: float, shown: str) -> None:
    assert format_points(value) == shown


# -- ledger: incremental, replay, late arrivals, explanations ----------------------------


def test_incremental_in_order_equals_full_rescore() -> None:
    scorer = Scorer(make_model())
    events = [event(f"v{i}", utc("2026-11-02T08:00:00") + timedelta(hours=3 * i))
              for i in range(8)]  # fmt: skip
    full = scorer.rescore(SPANISH_CORP, events, NOW)
    ledger: list[LedgerEntry] = []
    for batch in (events[:1], events[1:5], [], events[5:]):
        ledger += scorer.update(SPANISH_CORP, ledger, batch, NOW).entries
    assert ledger == list(full.entries)
    assert scorer.score(ledger, NOW) == full.score


def test_a_replayed_activity_changes_nothing() -> None:
    scorer = Scorer(make_model())
    events = [event("v1", utc("2026-11-02T08:00:00")), event("q1", utc("2026-11-02T09:00:00"),
                                                              "form_submit",
                                                              content="Quote request")]  # fmt: skip
    ledger = list(scorer.rescore(SPANISH_CORP, events, NOW).entries)
    assert scorer.update(SPANISH_CORP, ledger, events, NOW).entries == ()
    twice = scorer.rescore(SPANISH_CORP, [*events, *events], NOW).entries
    assert list(twice) == ledger


def test_a_late_activity_takes_its_share_and_corrects_the_later_ones() -> None:
    """visit +4, cap 10 a day: scored in arrival order 10:00, 11:00, 12:00 gives 4, 4, 2;
    then a 09:00 visit arrives: in instant order the day is 4, 4, 2, 0 from 09:00."""
    scorer = Scorer(make_model(half_life_days=None))
    day = [event(f"v{h}", utc(f"2026-11-02T{h}:00:00")) for h in (10, 11, 12)]
    ledger = list(scorer.rescore(ContactProfile(), day, NOW).entries)
    late = event("v09", utc("2026-11-02T09:00:00"))
    update = scorer.update(ContactProfile(), ledger, [late], NOW)
    assert [(e.activity_id, e.points) for e in update.entries] == [
        ("v09", 4), ("v11", -2), ("v12", -2)]  # fmt: skip
    assert update.entries[1].note.startswith("correction: an activity dated earlier arrived")
    assert update.entries[1].at == day[1].at
    full = scorer.rescore(ContactProfile(), [*day, late], NOW)
    assert update.score == full.score
    net: dict[str, int] = {}
    for entry in [*ledger, *update.entries]:
        net[entry.activity_id or ""] = net.get(entry.activity_id or "", 0) + entry.points
    assert net == {e.activity_id: e.points for e in full.entries}


def test_explanation_lists_every_contribution_and_adds_up() -> None:
    scorer = Scorer(make_model())
    events = [event("v1", NOW - timedelta(days=30)),
              event("q1", NOW - timedelta(days=15), "form_submit", content="Quote request")]
    ledger = scorer.rescore(SPANISH_CORP, events, NOW - timedelta(days=1)).entries
    explanation = scorer.explain(ledger, NOW)
    values = [(c.entry.rule_id, round(c.value, 6)) for c in explanation.contributions]
    assert values == [("spain", 10), ("big", 15), ("visit", 2.0), ("quote", round(30 / 2**0.5, 6))]
    assert math.fsum(c.value for c in explanation.contributions) == pytest.approx(
        explanation.score.total, abs=1e-12)  # fmt: skip
    assert explanation.score == scorer.score(ledger, NOW)
    lines = explanation.lines()
    assert lines[0] == "score 48.2 = fit 25 + engagement 23.2, grade B2"
    assert lines[3] == "+4 -> 2.00 engagement: visit (activity v1, 30.0 days ago)"


def test_naive_instants_are_refused() -> None:
    naive = ScoringEvent("n", "page_view", NOW.replace(tzinfo=None))
    with pytest.raises(ValidationError, match="activity n: instant .* has no timezone"):
        Scorer(make_model()).rescore(ContactProfile(), [naive], NOW)


def test_an_event_of_an_unknown_kind_matches_rules_without_kinds() -> None:
    model = make_model(engagement_rules=[
        {"id": "any-sales", "points": 3, "when": {"content": ["*sales*"]}}])  # fmt: skip
    events = [ScoringEvent("w", "webinar_question", NOW, content="Ask sales")]
    assert engagement(Scorer(model).rescore(ContactProfile(), events, NOW).entries) == [
        ("any-sales", "w", 3)]  # fmt: skip
