"""Marketing pacing: the October workspace of test_report as of Fri 30 Oct 12:00 Madrid,
pure rules (business-time share of the month, pace status, quality mix) and the CLI.

Business time of October 2026 on the Madrid calendar: 22 weekdays minus Mon 12 Oct
(National Day) = 21 days x 8 h = 168 h. By Fri 30 Oct 12:00: 20 whole days (160 h) and
Friday 09:00-12:00 (3 h) = 163 h, so the elapsed share is 163/168 = 0.9702.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from smarketing.core.settings import get_settings
from smarketing.sla.calendar import calendar_from_json
from smarketing.sla.pacing import (
    DEFAULT_TOLERANCE,
    RepPace,
    build_pacing,
    elapsed_share,
    pace_status,
    pacing_alerts,
    quality_mix,
)
from smarketing.sla.report import HandoffRow, Month, Rep, RepPlan
from smarketing.sla.report_service import pacing, pacing_json
from smarketing.sla.terms import MarketingTerms, SalesTerms, SlaVersion
from tests.sla.test_report import (
    ANA,
    AS_OF,
    BRUNO,
    CARLA,
    DARIO,
    ELENA,
    MADRID,
    NOW,
    OCTOBER,
    WEEKDAYS,
    load,
    october_cli,
)

SHARE = Decimal(163) / Decimal(168)
CAL = calendar_from_json({
    "timezone": "Europe/Madrid",
    "hours": {d: [["09:00", "14:00"], ["15:00", "18:00"]] for d in WEEKDAYS},
    "holidays": {"country": "ES", "subdivision": "MD"},
})  # fmt: skip
START, END = Month(2026, 10).bounds("Europe/Madrid")


def madrid(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MADRID)


# rep or team, delivered, target, expected (1 decimal), projected, status
# expected = target x 163/168; projected = delivered x 168/163, rounded half up.
GOLDEN_MQLS = [
    (ANA, 4, 3, 2.9, 4, "ahead"),  # 4 > 1.1 x 2.911 = 3.20; 4 x 1.0307 = 4.12
    (BRUNO, 4, 3, 2.9, 4, "ahead"),  # L5, L6, L7, L10 (L11 is September)
    (CARLA, 2, 2, 1.9, 2, "on_pace"),  # pilot target 2: expected 1.94, 2 <= 2.13
    (DARIO, 2, 3, 2.9, 2, "behind"),  # 2 < 0.9 x 2.911 = 2.62
    (ELENA, 0, 3, 2.9, 0, "behind"),
    ("iberia", 10, 12, 11.6, 10, "behind"),  # 10 < 0.9 x 11.643 = 10.48
    ("italia", 2, 2, 1.9, 2, "on_pace"),
]


def test_golden_pacing(session: Session) -> None:
    load(session, OCTOBER)

    result = pacing(session, NOW)

    assert result.month == Month(2026, 10)
    assert [r.elapsed_share for r in result.reps] == [SHARE] * 5
    rows = [*result.reps, *result.teams]
    assert [
        (r.key, r.mqls_delivered, r.mqls_target,
         float(round(r.mqls_expected, 1)) if r.mqls_expected is not None else None,
         r.mqls_projected, r.status)
        for r in rows
    ] == GOLDEN_MQLS  # fmt: skip
    assert result.reps[0].mqls_expected == 3 * SHARE
    # Rows behind pace: reps first, then teams.
    assert [(r.scope, r.key) for r in pacing_alerts(result)] == [
        ("rep", DARIO), ("rep", ELENA), ("team", "iberia"),
    ]  # fmt: skip


def test_golden_lead_value_and_quality(session: Session) -> None:
    load(session, OCTOBER)

    data = pacing_json(session, NOW)

    reps = {row["rep"]: row for row in data["reps"]}
    # Only the pilot sets lead_value_per_rep_per_month (3000): Carla delivered 2 x 1500;
    # expected 3000 x 163/168 = 2910.714 -> 2910.71; 3000 <= 1.1 x 2910.71: on pace.
    assert {k: reps[CARLA][k] for k in ("lead_value_delivered", "lead_value_target",
                                        "lead_value_expected", "lead_value_status")} == {
        "lead_value_delivered": "3000.00", "lead_value_target": "3000.00",
        "lead_value_expected": "2910.71", "lead_value_status": "on_pace",
    }  # fmt: skip
    assert (reps[ANA]["lead_value_delivered"], reps[ANA]["lead_value_status"]) == (
        "4000.00",
        "no_target",
    )
    # Ana's four MQLs: first touch paid_search (L1), organic_search (L2), event (L3 via the
    # fair campaign), none (L4); personas studio x2, architect, none; L1 later accepted,
    # L2 rejected, L3 and L4 undecided.
    assert reps[ANA]["quality"] == {
        "channels": {"event": 1, "organic_search": 1, "paid_search": 1, "unknown": 1},
        "personas": {"studio": 2, "architect": 1, "none": 1},
        "accepted": 1, "rejected": 1, "undecided": 2,
        "accepted_pct": 25.0, "rejected_pct": 25.0,
    }  # fmt: skip
    # Bruno: L6 accepted; the others undecided.
    assert (reps[BRUNO]["quality"]["accepted"], reps[BRUNO]["quality"]["undecided"]) == (1, 3)
    teams = {row["team"]: row for row in data["teams"]}
    # Iberia: Ana 4 + Bruno 4 + Dario 2 MQLs; accepted L1, L6 (2 of 10), rejected L2.
    assert teams["iberia"]["quality"]["accepted_pct"] == 20.0
    assert teams["iberia"]["quality"]["rejected_pct"] == 10.0
    assert teams["iberia"]["quality"]["channels"]["unknown"] == 7
    assert [a.get("rep", a.get("team")) for a in data["alerts"]] == [DARIO, ELENA, "iberia"]
    assert data["month"] == "2026-10"


def test_handoffs_after_now_are_not_delivered_yet(session: Session) -> None:
    load(session, OCTOBER)

    # Fri 30 Oct 08:00: L4 (assigned 09:00) has not happened yet; 160 h of 168 passed.
    result = pacing(session, madrid("2026-10-30 08:00"))

    ana = result.reps[0]
    assert (ana.mqls_delivered, ana.elapsed_share) == (3, Decimal(160) / Decimal(168))
    # 3 x 168/160 = 3.15 -> 3
    assert ana.mqls_projected == 3


# --------------------------------------------------------------------------- pure rules

SHARE_CASES = [
    (START, Decimal(0), "month start"),
    (START - timedelta(days=3), Decimal(0), "before the month"),
    (madrid("2026-10-01 09:00"), Decimal(0), "first opening: nothing passed yet"),
    (madrid("2026-10-01 14:30"), Decimal(5) / 168, "lunch break: 09-14 passed"),
    (madrid("2026-10-12 12:00"), Decimal(56) / 168, "holiday: Oct 1, 2, 5-9 = 7 days"),
    (madrid("2026-10-31 12:00"), Decimal(1), "Saturday after the last business day"),
    (END, Decimal(1), "month end"),
]


@pytest.mark.parametrize(("now", "expected", "why"), SHARE_CASES)
def test_elapsed_share_counts_business_time(now: datetime, expected: Decimal, why: str) -> (
    None
):  # fmt: skip
    assert elapsed_share(CAL, START, END, now) == expected, why


def test_elapsed_share_falls_back_to_calendar_time() -> None:
    # Open only on Sundays, and every Sunday of October 2026 is a company holiday.
    closed = calendar_from_json({
        "timezone": "Europe/Madrid", "hours": {"sun": [["09:00", "18:00"]]},
        "extra_holidays": ["2026-10-04", "2026-10-11", "2026-10-18", "2026-10-25"],
    })  # fmt: skip
    # October has 31 x 24 + 1 = 745 hours (summer time ends on the 25th); 16 Oct 12:00 is
    # 15.5 days = 372 hours in.
    share = elapsed_share(closed, START, END, madrid("2026-10-16 12:00"))
    assert share == Decimal(372) / Decimal(745)


def test_elapsed_share_of_a_single_business_second_and_of_an_empty_period() -> None:
    from datetime import time

    from smarketing.sla.calendar import BusinessCalendar

    one_second = BusinessCalendar("UTC", {0: ((time(9), time(9, 0, 1)),)})
    monday = datetime(2026, 10, 5, tzinfo=UTC)
    # the period's only business second is 09:00:00; at 08:00 none of it has passed,
    # though a sixth of the day has
    assert elapsed_share(one_second, monday, monday + timedelta(days=1),
                         monday + timedelta(hours=8)) == 0  # fmt: skip
    assert elapsed_share(one_second, monday, monday, monday) == 1


@given(st.integers(0, 31 * 24 * 60), st.integers(0, 31 * 24 * 60))
def test_elapsed_share_grows_from_0_to_1(a: int, b: int) -> None:
    early, late = sorted((START + timedelta(minutes=a), START + timedelta(minutes=b)))
    first, second = (elapsed_share(CAL, START, END, t) for t in (early, late))
    assert Decimal(0) <= first <= second <= Decimal(1)


STATUS_CASES = [
    # delivered, expected, unit, status, why
    ("0", None, "1", "no_target", "no target"),
    ("0", "0", "1", "on_pace", "nothing expected yet"),
    ("0", "0.9", "1", "on_pace", "less than one MQL expected: never behind"),
    ("0", "1", "1", "behind", "one MQL expected, none delivered"),
    ("9", "10", "1", "on_pace", "exactly 90 % of expected"),
    ("8.99", "10", "1", "behind", "below 90 %"),
    ("11", "10", "1", "on_pace", "exactly 110 %"),
    ("12", "10", "1", "ahead", "above 110 %"),
    ("1", "0", "1", "ahead", "delivered before anything was expected"),
    ("500", "900", "1000", "on_pace", "value: less than one MQL's worth expected"),
    ("500", "1000", "1000", "behind", "value: one MQL's worth expected"),
]


@pytest.mark.parametrize(("delivered", "expected", "unit", "status", "why"), STATUS_CASES)
def test_pace_status(delivered: str, expected: str | None, unit: str, status: str, why: str) -> (
    None
):  # fmt: skip
    wanted = None if expected is None else Decimal(expected)
    assert pace_status(Decimal(delivered), wanted, Decimal(unit), DEFAULT_TOLERANCE) == status, why


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_delivering_what_is_expected_is_never_behind(delivered: int, expected: int) -> None:
    status = pace_status(Decimal(delivered), Decimal(expected), Decimal(1), DEFAULT_TOLERANCE)
    assert (status == "behind") == (expected >= 1 and delivered < Decimal("0.9") * expected)
    if delivered >= expected:
        assert status != "behind"


def handoff(rep: str, channel: str | None = None, persona: str | None = None,
            decision: str | None = None, sla_id: int = 1) -> HandoffRow:  # fmt: skip
    return HandoffRow(1, rep, "iberia", START, sla_id, channel, persona, decision)


def test_quality_mix_counts_and_shares() -> None:
    mix = quality_mix([
        handoff(ANA, "email", "studio", "accepted"), handoff(ANA, "email", None, "rejected"),
        handoff(ANA, None, "studio"), handoff(ANA, "event", "architect", "accepted"),
    ])  # fmt: skip
    assert dict(mix.channels) == {"email": 2, "event": 1, "unknown": 1}
    assert list(mix.channels) == ["email", "event", "unknown"]  # most frequent first
    assert dict(mix.personas) == {"studio": 2, "architect": 1, "none": 1}
    assert (mix.accepted, mix.rejected, mix.undecided) == (2, 1, 1)
    assert (mix.accepted_pct, mix.rejected_pct) == (Decimal("50.0"), Decimal("25.0"))
    assert quality_mix([]).accepted_pct is None


def version(vid: int, mqls: int | None, value: str | None, per_rep: str | None) -> SlaVersion:
    marketing = MarketingTerms(
        mqls_per_rep_per_month=mqls,
        mql_value=Decimal(value) if value else None,
        lead_value_per_rep_per_month=Decimal(per_rep) if per_rep else None,
    )
    return SlaVersion(vid, f"sla{vid}", 1, "active", date(2026, 1, 1), None, None,
                      marketing, SalesTerms())  # fmt: skip


def test_build_pacing_teams_and_alerts() -> None:
    sla = version(1, 10, "100", "1000")
    no_target = version(2, None, None, None)
    ana = RepPlan(Rep(1, ANA, "sales_rep", "iberia"), "iberia", sla)
    bruno = RepPlan(Rep(2, BRUNO, "sales_rep", "iberia"), "iberia", sla)
    loner = RepPlan(Rep(3, ELENA, "sales_rep", None), None, no_target)
    # Mid-month by business time: Fri 16 Oct 12:00 = Oct 1-2, 5-9, 13-15 (10 days = 80 h)
    # + 3 h = 83 h of 168. Expected 10 x 83/168 = 4.94 MQLs each: Ana's 6 > 1.1 x 4.94 =
    # 5.43 is ahead, Bruno's 4 < 0.9 x 4.94 = 4.45 is behind.
    now = madrid("2026-10-16 12:00")
    reps = [
        RepPace(ana, CAL, tuple(handoff(ANA) for _ in range(6))),
        RepPace(bruno, CAL, tuple(handoff(BRUNO) for _ in range(4))),
        RepPace(loner, CAL, (handoff(ELENA, sla_id=2),)),
    ]
    result = build_pacing(Month(2026, 10), START, END, now, reps, [sla, no_target])

    ana_row, bruno_row, loner_row = result.reps
    assert ana_row.elapsed_share == Decimal(83) / Decimal(168)
    assert (ana_row.status, bruno_row.status, loner_row.status) == ("ahead", "behind",
                                                                    "no_target")  # fmt: skip
    # Value (one MQL is worth 100): expected 1000 x 83/168 = 494.05 each; Bruno's 400 <
    # 444.64 is behind, Ana's 600 > 543.45 ahead; the team's 1000 vs 988.10 on pace.
    assert (ana_row.lead_value_status, bruno_row.lead_value_status) == ("ahead", "behind")
    assert bruno_row.lead_value_expected == Decimal(1000) * (Decimal(83) / Decimal(168))
    # Projection: 4 x 168/83 = 8.10 -> 8
    assert bruno_row.mqls_projected == 8
    iberia, no_team = result.teams
    assert (iberia.key, iberia.mqls_delivered, iberia.mqls_target) == ("iberia", 10, 20)
    # 10 MQLs vs 20 x 83/168 = 9.88: on pace; projected 6 x 168/83 + 4 x 168/83 = 20.24 -> 20
    assert (iberia.status, iberia.mqls_projected) == ("on_pace", 20)
    assert (iberia.lead_value_delivered, iberia.lead_value_status) == (1000, "on_pace")
    assert (no_team.key, no_team.status, no_team.mqls_target) == (None, "no_target", None)
    assert [(r.scope, r.key) for r in pacing_alerts(result)] == [("rep", BRUNO)]
    assert result.to_json()["alerts"][0]["rep"] == BRUNO


def _quality(undecided: int) -> dict[str, object]:
    return {"channels": {"unknown": undecided}, "personas": {"none": undecided}, "accepted": 0,
            "rejected": 0, "undecided": undecided, "accepted_pct": 0.0, "rejected_pct": 0.0}


def test_the_pacing_json_contract_in_full() -> None:
    """The case above as `sla pacing --json` writes it: share 83/168 = 0.4940; expected
    10 x 0.4940 = 4.9 MQLs and 1000 x 0.4940 = 494.05 in value per rep; projections
    6 x 168/83 = 12.14 -> 12 and 4 x 168/83 = 8.10 -> 8; the team adds its reps up."""
    sla, no_target = version(1, 10, "100", "1000"), version(2, None, None, None)
    plans = [RepPlan(Rep(1, ANA, "sales_rep", "iberia"), "iberia", sla),
             RepPlan(Rep(2, BRUNO, "sales_rep", "iberia"), "iberia", sla),
             RepPlan(Rep(3, ELENA, "sales_rep", None), None, no_target)]  # fmt: skip
    reps = [RepPace(plans[0], CAL, tuple(handoff(ANA) for _ in range(6))),
            RepPace(plans[1], CAL, tuple(handoff(BRUNO) for _ in range(4))),
            RepPace(plans[2], CAL, (handoff(ELENA, sla_id=2),))]  # fmt: skip
    result = build_pacing(Month(2026, 10), START, END, madrid("2026-10-16 12:00"), reps,
                          [sla, no_target])  # fmt: skip
    bruno = {"rep": BRUNO, "team": "iberia", "sla": "sla1", "elapsed_share": 0.494,
             "mqls_delivered": 4, "mqls_target": 10, "mqls_expected": 4.9, "mqls_projected": 8,
             "status": "behind", "lead_value_delivered": "400.00",
             "lead_value_target": "1000.00", "lead_value_expected": "494.05",
             "lead_value_status": "behind", "mql_value": "100.00", "quality": _quality(4)}
    assert result.to_json() == {
        "month": "2026-10", "as_of": "2026-10-16T10:00:00Z", "tolerance_pct": 10.0,
        "reps": [
            {**bruno, "rep": ANA, "mqls_delivered": 6, "mqls_projected": 12, "status": "ahead",
             "lead_value_delivered": "600.00", "lead_value_status": "ahead",
             "quality": _quality(6)},
            bruno,
            {"rep": ELENA, "team": None, "sla": "sla2", "elapsed_share": 0.494,
             "mqls_delivered": 1, "mqls_target": None, "mqls_expected": None,
             "mqls_projected": 2, "status": "no_target", "lead_value_delivered": "0.00",
             "lead_value_target": None, "lead_value_expected": None,
             "lead_value_status": "no_target", "mql_value": "0.00", "quality": _quality(1)},
        ],
        "teams": [
            {"team": "iberia", "sla": "sla1", "elapsed_share": None, "mqls_delivered": 10,
             "mqls_target": 20, "mqls_expected": 9.9, "mqls_projected": 20,
             "status": "on_pace", "lead_value_delivered": "1000.00",
             "lead_value_target": "2000.00", "lead_value_expected": "988.10",
             "lead_value_status": "on_pace", "mql_value": "100.00", "quality": _quality(10)},
            {"team": None, "sla": "sla2", "elapsed_share": None, "mqls_delivered": 1,
             "mqls_target": None, "mqls_expected": None, "mqls_projected": 2,
             "status": "no_target", "lead_value_delivered": "0.00", "lead_value_target": None,
             "lead_value_expected": None, "lead_value_status": "no_target",
             "mql_value": "0.00", "quality": _quality(1)},
        ],
        "alerts": [bruno],
    }  # fmt: skip


def test_first_business_hour_of_the_month_has_no_projection() -> None:
    plan = RepPlan(Rep(1, ANA, "sales_rep", "iberia"), "iberia", version(1, 10, None, None))
    result = build_pacing(Month(2026, 10), START, END, madrid("2026-10-01 08:00"),
                          [RepPace(plan, CAL, (handoff(ANA),))], [])  # fmt: skip
    row = result.reps[0]
    assert (row.elapsed_share, row.mqls_projected, row.status) == (Decimal(0), None, "ahead")
    assert result.teams[0].mqls_projected is None
    assert row.to_json()["lead_value_delivered"] == "0.00"


# --------------------------------------------------------------------------- command line


@pytest.fixture
def cli_workspace(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    yield october_cli(sqlite_url, monkeypatch)
    get_settings.cache_clear()


def test_cli_pacing_json(cli_workspace: typer.Typer) -> None:
    result = CliRunner().invoke(cli_workspace, ["sla", "pacing", "--json",
                                                "--as-of", AS_OF])  # fmt: skip

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["month"] == "2026-10"
    assert data["as_of"] == "2026-10-30T11:00:00Z"
    assert [(r["rep"], r["status"]) for r in data["reps"]] == [
        (ANA, "ahead"), (BRUNO, "ahead"), (CARLA, "on_pace"), (DARIO, "behind"),
        (ELENA, "behind"),
    ]  # fmt: skip
    assert data["reps"][0]["elapsed_share"] == 0.9702


def test_cli_pacing_table_names_who_is_behind(cli_workspace: typer.Typer) -> None:
    result = CliRunner().invoke(cli_workspace, ["sla", "pacing",
                                                "--as-of", AS_OF])  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Marketing pacing, 2026-10" in result.stdout
    assert f"behind pace on MQLs: {DARIO}" in result.stdout
    assert "behind pace on MQLs: team iberia" in result.stdout


def test_cli_pacing_bad_instant_exits_2(cli_workspace: typer.Typer) -> None:
    result = CliRunner().invoke(cli_workspace, ["sla", "pacing", "--as-of", "yesterday"])

    assert result.exit_code == 2
    assert "--as-of" in result.output


def test_team_rows_add_up_their_reps_and_never_call_less_than_one_mql_behind() -> None:
    """Wed 14 Oct 12:12 is 67.2 of October's 168 business hours: a share of exactly 0.4."""
    now = madrid("2026-10-14 12:12")
    later = calendar_from_json({"timezone": "Europe/Madrid", "hours": {"mon": [["09:00", "18:00"]]},
                                "extra_holidays": ["2026-10-05", "2026-10-12"]})  # fmt: skip
    sla1, no_value, half, other = (version(1, 10, "100", "50"), version(2, None, None, None),
                                   version(3, None, "0.50", "0.5"), version(4, 5, None, None))
    plans = {name: RepPlan(Rep(i, name, "sales_rep", team), team, sla) for i, (name, team, sla)
             in enumerate([(ANA, "zeta", sla1), (BRUNO, "zeta", no_value),
                           (CARLA, "alpha", half), (DARIO, "alpha", None),
                           (ELENA, "omega", other), ("fe@x.es", "omega", other)])}  # fmt: skip
    reps = [RepPace(plans[ANA], CAL), RepPace(plans[BRUNO], CAL, (handoff(BRUNO, sla_id=2),)),
            RepPace(plans[CARLA], CAL), RepPace(plans[DARIO], CAL),
            RepPace(plans[ELENA], CAL, (handoff(ELENA, sla_id=4),)),
            RepPace(plans["fe@x.es"], later, (handoff("fe@x.es", sla_id=4),))]  # fmt: skip
    result = build_pacing(Month(2026, 10), START, END, now, reps, [sla1, no_value, half, other])
    ana, bruno, _, dario, elena, fe = result.reps
    assert ana.elapsed_share == Decimal("0.4")
    assert (ana.mqls_expected, ana.lead_value_expected) == (Decimal(4), Decimal(20))
    assert bruno.mqls_projected == 3  # 1 / 0.4 = 2.5, rounded half up
    assert (dario.sla, dario.mqls_target, dario.status, dario.lead_value_target) == (
        None, None, "no_target", None)
    assert (elena.mqls_projected, fe.elapsed_share, fe.mqls_projected) == (3, 0, None)
    alpha, omega, zeta = result.teams
    assert [(t.key, t.team) for t in result.teams] == [(t, t) for t in ("alpha", "omega", "zeta")]
    assert zeta.sla == "sla1, sla2"
    # zeta expects 20.00 of value, less than one MQL of its only valued SLA (100): no alert
    # yet; alpha's only MQL value is 0.50 and it expects 0.20: no alert either.
    assert (zeta.lead_value_expected, zeta.mql_value, zeta.lead_value_status) == (
        Decimal(20), Decimal(100), "on_pace")
    assert (alpha.lead_value_expected, alpha.mql_value, alpha.lead_value_status) == (
        Decimal("0.2"), Decimal("0.50"), "on_pace")
    # a rep without a projection yet leaves the team without one
    assert (omega.mqls_delivered, omega.mqls_projected) == (2, None)


def test_quality_channels_rank_by_count_then_name_and_as_of_is_utc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    mix = quality_mix([handoff(ANA, "email"), handoff(ANA, "event"), handoff(ANA, "event")])
    assert list(mix.channels) == ["event", "email"]
    monkeypatch.setenv("TZ", "America/Sao_Paulo")
    time.tzset()
    try:
        result = build_pacing(Month(2026, 10), START, END, madrid("2026-10-14 12:12"), [], [])
        assert result.to_json()["as_of"] == "2026-10-14T10:12:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()
