"""SLA compliance report: hand-computed golden workspace on both databases, pure rules, CLI.

The workspace (`OCTOBER`) is October 2026 in Madrid: calendar Mon-Fri 09:00-14:00 and
15:00-18:00 (8 business hours a day), Spanish and Madrid holidays (Mon 12 Oct is the
National Day), summer time until Sun 25 Oct. Team iberia works under the active SLA
"default" (first attempt within 8 business hours, 5 attempts in 14 days, 3 MQLs per rep
per month worth 1000 each); team italia pilots "fast-track" (4 business hours, 3
attempts in 7 days, 2 MQLs worth 1500, lead value 3000 per rep per month). The report
is computed as of NOW = Fri 30 Oct 2026 12:00 Madrid.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from smarketing.core.database import transaction
from smarketing.core.settings import get_settings
from smarketing.core.workspace import open_workspace
from smarketing.interchange.service import import_records
from smarketing.sla.report import (
    ClockRow,
    Month,
    Rep,
    ReportError,
    SalesStats,
    build_compliance_report,
    cadence_outcome,
    first_attempt_outcome,
    percentile,
    sales_stats,
)
from smarketing.sla.report_cli import register_report_commands
from smarketing.sla.report_service import compliance_report
from smarketing.sla.service import recompute_all_clocks
from smarketing.sla.terms import MarketingTerms, SalesTerms, SlaVersion

MADRID = ZoneInfo("Europe/Madrid")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
NOW = datetime(2026, 10, 30, 12, 0, tzinfo=MADRID)
AS_OF = "2026-10-30T12:00:00+01:00"  # NOW, as the CLI takes it


def local(text: str) -> str:
    """A Madrid wall time as an ISO instant with its offset."""
    return datetime.fromisoformat(text).replace(tzinfo=MADRID).isoformat()


def user(email: str, team: str | None, role: str = "sales_rep") -> dict[str, Any]:
    record = {"type": "user", "email": email, "name": email.split("@")[0].title(), "role": role}
    return {**record, "team": team} if team else record


def mql(email: str, owner: str, assigned: str, **extra: Any) -> list[dict[str, Any]]:
    """A contact that is an MQL from 1 Sep and is assigned at Madrid wall time `assigned`."""
    return [
        {"type": "contact", "email": email, "created_at": local("2026-09-01 10:00"),
         "lifecycle_stage": "mql", **extra},
        {"type": "assignment", "contact": email, "owner": owner, "at": local(assigned)},
    ]  # fmt: skip


def attempt(key: str, contact: str, by: str, at: str, outcome: str) -> dict[str, Any]:
    return {"type": "attempt", "id": key, "contact": contact, "by": by, "kind": "call",
            "at": local(at), "outcome": outcome}  # fmt: skip


ANA, BRUNO, CARLA = "ana@acme.example", "bruno@acme.example", "carla@acme.example"
DARIO, ELENA = "dario@acme.example", "elena@acme.example"

OCTOBER: list[dict[str, Any]] = [
    {"type": "workspace", "name": "Acme", "timezone": "Europe/Madrid", "currency": "EUR"},
    {"type": "calendar", "key": "madrid", "timezone": "Europe/Madrid",
     "hours": {d: [["09:00", "14:00"], ["15:00", "18:00"]] for d in WEEKDAYS},
     "holidays": {"country": "ES", "subdivision": "MD"}},
    {"type": "team", "key": "iberia", "name": "Iberia", "calendar": "madrid"},
    {"type": "team", "key": "italia", "name": "Italia", "calendar": "madrid"},
    user(ANA, "iberia"), user(BRUNO, "iberia"), user(DARIO, "iberia"), user(ELENA, "iberia"),
    user(CARLA, "italia"),
    user("boss@acme.example", "iberia", "sales_manager"), user("marta@acme.example", None,
                                                               "marketing"),
    {"type": "persona", "key": "studio", "name": "Kitchen studio owner"},
    {"type": "persona", "key": "architect", "name": "Architect"},
    {"type": "campaign", "key": "fair", "name": "Kitchen fair", "channel": "event"},
    {"type": "sla", "key": "default", "status": "active", "effective_from": "2026-01-01",
     "calendar": "madrid", "marketing": {"mqls_per_rep_per_month": 3, "mql_value": 1000},
     "sales": {"first_attempt_within_hours": 8, "attempts": 5, "attempts_within_days": 14}},
    {"type": "sla", "key": "fast-track", "status": "pilot", "effective_from": "2026-10-01",
     "calendar": "madrid", "applies_to": {"teams": ["italia"]},
     "marketing": {"mqls_per_rep_per_month": 2, "mql_value": 1500,
                   "lead_value_per_rep_per_month": 3000},
     "sales": {"first_attempt_within_hours": 4, "attempts": 3, "attempts_within_days": 7}},
    # --- Ana (iberia, 8 business hours) -------------------------------------------------
    # L1 Fri 9 Oct 17:59: 1 min Fri, Mon 12 holiday, Tue 09-14 + 15:00-17:59 -> due Tue
    # 13 17:59. Attempt Tue 17:00 (connected): on time after 1m + 5h + 2h = 7h01m = 25260 s.
    *mql("l1@x.example", ANA, "2026-10-09 17:59", channel="paid_search", persona="studio"),
    attempt("a1", "l1@x.example", ANA, "2026-10-13 17:00", "connected"),
    {"type": "decision", "contact": "l1@x.example", "by": ANA, "decision": "accepted",
     "at": local("2026-10-14 10:00")},
    # L2 on the holiday Mon 12 Oct 10:00: counts from Tue 09:00 -> due Tue 13 18:00.
    # Attempt Wed 14 09:30: late after 8h + 30m = 30600 s. Rejected (recycle) on Thu 15.
    *mql("l2@x.example", ANA, "2026-10-12 10:00", channel="organic_search", persona="studio"),
    attempt("a2", "l2@x.example", ANA, "2026-10-14 09:30", "no_answer"),
    {"type": "decision", "contact": "l2@x.example", "by": ANA, "decision": "rejected",
     "reason": "no budget", "then": "recycle", "at": local("2026-10-15 10:00")},
    # L3 an owned lead becomes an MQL at night (Wed 14 23:30): due Thu 15 18:00, no
    # attempt by NOW -> missing; its cadence (due Wed 28 23:30) is missed.
    {"type": "contact", "email": "l3@x.example", "created_at": local("2026-10-01 10:00"),
     "owner": ANA, "campaign": "fair"},
    {"type": "stage_change", "contact": "l3@x.example", "to": "mql",
     "at": local("2026-10-14 23:30")},
    # L4 Fri 30 Oct 09:00 (after the change to winter time): due Fri 18:00, after NOW ->
    # pending: assigned, in none of on time / late / missing; cadence open.
    *mql("l4@x.example", ANA, "2026-10-30 09:00", persona="architect"),
    # --- Bruno (iberia) -----------------------------------------------------------------
    # L5 Mon 5 Oct 09:00, reassigned to Dario at 11:00 before anything was due: Bruno's
    # clocks are closed (not assigned, cadence left out) but the MQL counts as delivered.
    # Dario from 11:00: due Tue 6 11:00; attempt Mon 16:00 on time after 3h + 1h = 14400 s;
    # one attempt of five, no connection -> Dario's cadence (due 19 Oct) is missed.
    *mql("l5@x.example", BRUNO, "2026-10-05 09:00"),
    {"type": "assignment", "contact": "l5@x.example", "owner": DARIO,
     "at": local("2026-10-05 11:00")},
    attempt("a5", "l5@x.example", DARIO, "2026-10-05 16:00", "left_message"),
    # L6 Tue 6 Oct 09:00, accepted at 10:00 without an attempt: first attempt closed
    # (decided): assigned but in none of the three counts; cadence met by the decision.
    *mql("l6@x.example", BRUNO, "2026-10-06 09:00"),
    {"type": "decision", "contact": "l6@x.example", "by": BRUNO, "decision": "accepted",
     "at": local("2026-10-06 10:00")},
    # L7 Wed 7 Oct 09:00 (due Wed 18:00), reassigned to Dario Thu 8 12:00 after the due
    # instant with no attempt: missing for Bruno; his cadence closed (left out).
    # Dario from Thu 12:00: 2h + 3h Thu, Fri 09-12 -> due Fri 9 12:00; attempt Fri 11:00
    # (replied) on time after 2h + 3h + 2h = 25200 s; cadence met by the reply.
    *mql("l7@x.example", BRUNO, "2026-10-07 09:00"),
    {"type": "assignment", "contact": "l7@x.example", "owner": DARIO,
     "at": local("2026-10-08 12:00")},
    attempt("a7", "l7@x.example", DARIO, "2026-10-09 11:00", "replied"),
    # L10 Thu 1 Oct 00:30 Madrid = 30 Sep 22:30 UTC: October in the workspace time zone.
    # Counts from 09:00; attempt 09:15 (connected): on time after 900 s; cadence met.
    *mql("l10@x.example", BRUNO, "2026-10-01 00:30"),
    attempt("a10", "l10@x.example", BRUNO, "2026-10-01 09:15", "connected"),
    # L11 Wed 30 Sep 23:30 Madrid: September, in no October count.
    *mql("l11@x.example", BRUNO, "2026-09-30 23:30"),
    # --- Carla (italia, pilot: 4 business hours, 3 attempts in 7 days) -----------------
    # L8 Thu 22 Oct 13:00: 1h + 3h -> due Thu 18:00. Attempt 16:00: on time after
    # 1h + 1h = 7200 s; third attempt Mon 26 10:00 within 7 days -> cadence met.
    *mql("l8@x.example", CARLA, "2026-10-22 13:00", channel="event"),
    attempt("a8a", "l8@x.example", CARLA, "2026-10-22 16:00", "no_answer"),
    attempt("a8b", "l8@x.example", CARLA, "2026-10-23 10:00", "no_answer"),
    attempt("a8c", "l8@x.example", CARLA, "2026-10-26 10:00", "left_message"),
    # L9 Fri 23 Oct 17:00: 1h Fri, Mon 26 (winter time) 09-12 -> due Mon 12:00. Attempt
    # Mon 15:30: late after 1h + 5h + 30m = 23400 s. Cadence due Fri 30 17:00 CEST = 16:00
    # CET, after NOW: open.
    *mql("l9@x.example", CARLA, "2026-10-23 17:00", channel="event"),
    attempt("a9", "l9@x.example", CARLA, "2026-10-26 15:30", "no_answer"),
]  # fmt: skip


def load(session: Session, records: list[dict[str, Any]], now: datetime = NOW) -> None:
    report = import_records(session, records)
    assert report.rejections == [], report.rejections
    recompute_all_clocks(session, now)  # import computes the clocks as of the real clock
    session.flush()


def sales(assigned: int, on_time: int, late: int, missing: int, pct: float | None,
          median: float | None, p95: float | None, met: int, missed: int, open_: int) -> (
    dict[str, Any]
):  # fmt: skip
    return {"assigned": assigned, "first_attempt_on_time": on_time, "first_attempt_late": late,
            "first_attempt_missing": missing, "first_attempt_on_time_pct": pct,
            "median_business_hours_to_first_attempt": median,
            "p95_business_hours_to_first_attempt": p95, "cadence_met": met,
            "cadence_missed": missed, "cadence_open": open_}  # fmt: skip


# Ana: on time (L1), late (L2), missing (L3), pending (L4) -> assigned 4; 1 / 3 = 33.3 %.
# Hours to first attempt [25260, 30600] s: median (25260 + 30600) / 2 = 27930 s = 7.758 h;
# p95 at position 0.95: 25260 + 0.95 * 5340 = 30333 s = 8.426 h. Cadence: L1 connected and
# L2 recycled (met), L3 missed, L4 open.
ANA_SALES = sales(4, 1, 1, 1, 33.3, 7.76, 8.43, 2, 1, 1)
# Bruno: L5 closed (reassigned, not assigned), L6 decided (assigned, no count), L7 missing,
# L10 on time (900 s = 0.25 h) -> 1 / 2 = 50 %. Cadence met: L6 decided, L10 connected.
BRUNO_SALES = sales(3, 1, 0, 1, 50.0, 0.25, 0.25, 2, 0, 0)
# Carla: L8 on time (7200 s), L9 late (23400 s) -> 50 %; median 15300 s = 4.25 h;
# p95: 7200 + 0.95 * 16200 = 22590 s = 6.275 h -> 6.28 (half up). Cadence L8 met, L9 open.
CARLA_SALES = sales(2, 1, 1, 0, 50.0, 4.25, 6.28, 1, 0, 1)
# Dario: L5 (14400 s) and L7 (25200 s) on time; median 19800 s = 5.5 h; p95: 14400 +
# 0.95 * 10800 = 24660 s = 6.85 h. Cadence: L7 met (replied), L5 missed (one attempt).
DARIO_SALES = sales(2, 2, 0, 0, 100.0, 5.5, 6.85, 1, 1, 0)
ELENA_SALES = sales(0, 0, 0, 0, None, None, None, 0, 0, 0)
# Iberia = everyone but Carla = every non-pilot clock: assigned 4 + 3 + 2 = 9, on time
# 1 + 1 + 2 = 4, late 1, missing 1 + 1 = 2 -> 4 / 7 = 57.1 %. Hours sorted [900, 14400,
# 25200, 25260, 30600] s: median 25200 s = 7.0 h; p95 at position 4 * 0.95 = 3.8:
# 25260 + 0.8 * 5340 = 29532 s = 8.2033 h -> 8.2. Cadence met 2 + 2 + 1, missed 1 + 1, open 1.
IBERIA_SALES = sales(9, 4, 1, 2, 57.1, 7.0, 8.2, 5, 2, 1)


def test_golden_report_both_sides(session: Session) -> None:
    load(session, OCTOBER)

    report = compliance_report(session, "2026-10", NOW)

    assert report["month"] == "2026-10"
    assert report["sales"] == [
        {"rep": ANA, **ANA_SALES}, {"rep": BRUNO, **BRUNO_SALES}, {"rep": CARLA, **CARLA_SALES},
        {"rep": DARIO, **DARIO_SALES}, {"rep": ELENA, **ELENA_SALES},
    ]  # fmt: skip
    # Handoffs started in October per rep (reassigned ones included): Ana L1-L4, Bruno L5,
    # L6, L7, L10, Carla L8-L9 (pilot: 1500 each), Dario L5 and L7; Elena has a target and
    # nothing delivered. Manager and marketer are not reps.
    assert report["marketing"] == [
        {"rep": ANA, "mqls_delivered": 4, "mqls_target": 3, "lead_value_delivered": "4000.00"},
        {"rep": BRUNO, "mqls_delivered": 4, "mqls_target": 3,
         "lead_value_delivered": "4000.00"},
        {"rep": CARLA, "mqls_delivered": 2, "mqls_target": 2,
         "lead_value_delivered": "3000.00"},
        {"rep": DARIO, "mqls_delivered": 2, "mqls_target": 3,
         "lead_value_delivered": "2000.00"},
        {"rep": ELENA, "mqls_delivered": 0, "mqls_target": 3, "lead_value_delivered": "0.00"},
    ]  # fmt: skip
    assert report["pilot"] == {
        "pilot": CARLA_SALES, "non_pilot": IBERIA_SALES,
        "pilot_slas": ["fast-track"], "non_pilot_slas": ["default"],
    }  # fmt: skip
    assert report["sales_teams"] == [
        {"team": "iberia", **IBERIA_SALES}, {"team": "italia", **CARLA_SALES},
    ]  # fmt: skip
    assert report["marketing_teams"] == [
        {"team": "iberia", "mqls_delivered": 10, "mqls_target": 12,
         "lead_value_delivered": "10000.00"},
        {"team": "italia", "mqls_delivered": 2, "mqls_target": 2,
         "lead_value_delivered": "3000.00"},
    ]  # fmt: skip
    assert report["as_of"] == "2026-10-30T11:00:00Z"


def test_contract_keys_are_exact(session: Session) -> None:
    load(session, OCTOBER)

    report = compliance_report(session, "2026-10", NOW)

    assert {"month", "sales", "marketing", "pilot"} <= set(report)
    assert list(report["sales"][0]) == [
        "rep", "assigned", "first_attempt_on_time", "first_attempt_late",
        "first_attempt_missing", "first_attempt_on_time_pct",
        "median_business_hours_to_first_attempt", "p95_business_hours_to_first_attempt",
        "cadence_met", "cadence_missed", "cadence_open",
    ]  # fmt: skip
    assert list(report["marketing"][0]) == [
        "rep",
        "mqls_delivered",
        "mqls_target",
        "lead_value_delivered",
    ]


def test_september_sees_only_the_late_september_handoff(session: Session) -> None:
    load(session, OCTOBER)

    report = compliance_report(session, "2026-09", NOW)

    # L11 Wed 30 Sep 23:30 Madrid (due Thu 1 Oct 18:00, no attempt): missing; its cadence
    # (due Wed 14 Oct 23:30) missed. L10 (30 Sep 22:30 UTC) belongs to October in Madrid.
    # The pilot starts on 1 Oct, so in September Carla falls under "default".
    by_rep = {row["rep"]: row for row in report["sales"]}
    assert by_rep[BRUNO] == {"rep": BRUNO, **sales(1, 0, 0, 1, 0.0, None, None, 0, 1, 0)}
    assert by_rep[ANA] == {"rep": ANA, **ELENA_SALES}
    marketing = {row["rep"]: row for row in report["marketing"]}
    assert marketing[BRUNO]["mqls_delivered"] == 1
    assert marketing[CARLA] == {"rep": CARLA, "mqls_delivered": 0, "mqls_target": 3,
                                "lead_value_delivered": "0.00"}  # fmt: skip
    assert report["pilot"]["pilot"] == ELENA_SALES
    assert report["pilot"]["pilot_slas"] == []


def test_a_month_without_slas_or_leads_is_empty(session: Session) -> None:
    people = [r for r in OCTOBER if r["type"] in ("workspace", "calendar", "team", "user")]
    load(session, people)  # no SLA, no leads

    report = compliance_report(session, "2026-10", NOW)

    assert report["sales"] == []
    assert report["marketing"] == []
    assert report["pilot"]["pilot"] == ELENA_SALES == report["pilot"]["non_pilot"]


def test_missing_depends_on_now(session: Session) -> None:
    load(session, OCTOBER)

    # Thu 15 Oct 17:00: L3 (due 18:00) is not missing yet; L4 is in the future, so
    # Ana has L1 on time, L2 late and L3 pending.
    before = compliance_report(session, "2026-10", datetime(2026, 10, 15, 17, tzinfo=MADRID))
    ana = before["sales"][0]
    assert (ana["first_attempt_on_time"], ana["first_attempt_late"],
            ana["first_attempt_missing"]) == (1, 1, 0)  # fmt: skip
    assert ana["first_attempt_on_time_pct"] == 50.0


def test_bad_month_is_a_clear_error(session: Session) -> None:
    with pytest.raises(ReportError, match="YYYY-MM"):
        compliance_report(session, "2026-13", NOW)


# --------------------------------------------------------------------------- pure rules

T0 = datetime(2026, 10, 5, 7, tzinfo=UTC)
DUE = T0 + timedelta(hours=8)


def clock(kind: str = "first_attempt", state: str = "on_track", **extra: Any) -> ClockRow:
    values: dict[str, Any] = {
        "contact_id": 1,
        "rep": ANA,
        "team": "iberia",
        "kind": kind,
        "started_at": T0,
        "due_at": DUE,
        "state": state,
        "sla_id": 1,
    }
    return ClockRow(**{**values, **extra})  # fmt: skip


FIRST_ATTEMPT_CASES = [
    (clock(state="met", met_at=DUE), DUE, "on_time", "met exactly at the due instant"),
    (clock(state="breached", met_at=DUE + timedelta(seconds=1)), DUE, "late", "a second late"),
    (clock(state="breached"), DUE, "missing", "due instant reached, no attempt"),
    (clock(state="on_track"), DUE, "missing", "stored state stale: due passed by now"),
    (clock(state="at_risk"), DUE - timedelta(seconds=1), "pending", "not due yet"),
    (clock(state="closed", closed_reason="reassigned"), DUE + timedelta(days=1), "reassigned",
     "handed on before due"),
    (clock(state="closed", closed_reason="decided"), DUE + timedelta(days=1), "not_needed",
     "decided before due"),
]  # fmt: skip


@pytest.mark.parametrize(("row", "now", "expected", "why"), FIRST_ATTEMPT_CASES)
def test_first_attempt_outcome(row: ClockRow, now: datetime, expected: str, why: str) -> None:
    assert first_attempt_outcome(row, now) == expected, why


CADENCE_CASES = [
    ("met", DUE + timedelta(days=30), "met"),
    ("breached", DUE, "missed"),
    ("on_track", DUE - timedelta(seconds=1), "open"),
    ("at_risk", DUE, "missed"),
    ("closed", DUE, None),
]


@pytest.mark.parametrize(("state", "now", "expected"), CADENCE_CASES)
def test_cadence_outcome(state: str, now: datetime, expected: str | None) -> None:
    assert cadence_outcome(clock(kind="cadence", state=state), now) == expected


def test_sales_stats_ignores_decision_clocks_and_rounds_half_up() -> None:
    rows = [
        clock(state="met", met_at=T0 + timedelta(hours=1), elapsed_business_seconds=3600),
        clock(state="breached", met_at=DUE + timedelta(hours=1), elapsed_business_seconds=9),
        clock(state="breached"),
        clock(kind="decision", state="breached"),
    ]
    stats = sales_stats(rows, DUE + timedelta(days=1))
    # 1 / 3 = 33.33 %; median of [9, 3600] s = 1804.5 s = 0.50125 h -> 0.50;
    # p95 = 9 + 0.95 * 3591 = 3420.45 s = 0.950125 h -> 0.95.
    assert stats == SalesStats(3, 1, 1, 1, Decimal("33.3"), Decimal("0.50"), Decimal("0.95"))


@pytest.mark.parametrize(("values", "q", "message"), [
    ([], Decimal("0.5"), "percentile of no values"),
    ([1], Decimal("1.5"), "quantile must be between 0 and 1, got 1.5"),
    ([1], Decimal("-0.1"), "quantile must be between 0 and 1, got -0.1"),
])  # fmt: skip
def test_percentile_refuses_no_values_and_quantiles_outside_0_to_1(
    values: list[int], q: Decimal, message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        percentile(values, q)


def test_percentile_linear_interpolation() -> None:
    assert percentile([1, 2, 3, 4], Decimal("0.5")) == Decimal("2.5")
    assert percentile([10], Decimal("0.95")) == 10
    assert percentile([4, 1, 3, 2], Decimal(1)) == 4
    assert percentile([4, 1, 3, 2], Decimal(0)) == 1
    assert percentile([0, 100], Decimal("0.95")) == 95
    with pytest.raises(ValueError, match="no values"):
        percentile([], Decimal("0.5"))


def oracle_percentile(values: list[int], q: Fraction) -> Fraction:
    """Slow and obvious: walk to the two neighbours of rank (n - 1) * q and blend them."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    below = max(i for i in range(len(ordered)) if i <= rank)
    above = min(i for i in range(len(ordered)) if i >= rank)
    weight = rank - below
    return ordered[below] * (1 - weight) + ordered[above] * weight


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=40),
       st.integers(0, 100))  # fmt: skip
def test_percentile_matches_the_oracle(values: list[int], pct: int) -> None:
    got = percentile(values, Decimal(pct) / 100)
    assert Fraction(got) == oracle_percentile(values, Fraction(pct, 100))


MONTH_ERRORS = ["2026-13", "2026-00", "2026-1", "26-10", "2026/10", "", "october", "2026-10-01"]


@pytest.mark.parametrize("text", MONTH_ERRORS)
def test_month_parse_rejects(text: str) -> None:
    with pytest.raises(ReportError, match="YYYY-MM"):
        Month.parse(text)


def test_month_bounds_follow_the_workspace_time_zone() -> None:
    october = Month.parse("2026-10")
    start, end = october.bounds("Europe/Madrid")
    assert start == datetime(2026, 9, 30, 22, tzinfo=UTC)  # midnight CEST
    assert end == datetime(2026, 10, 31, 23, tzinfo=UTC)  # midnight CET
    assert Month.parse("2026-12").next() == Month(2027, 1)
    assert len(october.days()) == 31
    assert october.last_day.day == 31
    assert Month.of(datetime(2026, 9, 30, 22, 30, tzinfo=UTC), "Europe/Madrid") == october


def test_reps_targets_come_from_the_sla_of_their_latest_handoff() -> None:
    def version(vid: int, key: str, status: str, mqls: int, teams: frozenset[str]) -> SlaVersion:
        return SlaVersion(vid, key, 1, status, date(2026, 1, 1), None, None,
                          MarketingTerms(mqls_per_rep_per_month=mqls, mql_value=Decimal(10)),
                          SalesTerms(), teams=teams)  # fmt: skip

    default = version(1, "default", "active", 30, frozenset())
    pilot = version(2, "pilot", "pilot", 20, frozenset({"italia"}))
    reps = [Rep(1, ANA, "sales_rep", "iberia"), Rep(2, CARLA, "sales_rep", "italia"),
            Rep(3, "mgr@acme.example", "sales_manager", "iberia")]  # fmt: skip
    # Ana's latest handoff ran under the pilot (e.g. she moved team mid-month).
    rows = [clock(started_at=T0, sla_id=1), clock(started_at=T0 + timedelta(days=2), sla_id=2,
                                                  contact_id=2, team="italia")]  # fmt: skip
    report = build_compliance_report(Month(2026, 10), rows, reps, [default, pilot], DUE)
    marketing = report.to_json()["marketing"]
    assert marketing == [
        {"rep": ANA, "mqls_delivered": 2, "mqls_target": 20, "lead_value_delivered": "20.00"},
        {"rep": CARLA, "mqls_delivered": 0, "mqls_target": 20, "lead_value_delivered": "0.00"},
    ]
    # Ana counts in the team of her latest handoff.
    assert [t["team"] for t in report.to_json()["marketing_teams"]] == ["italia"]


# --------------------------------------------------------------------------- command line


def october_cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """A local app with `sla report` and `sla pacing` on a SQLite file holding OCTOBER,
    loaded the way `smarketing import` does it (one transaction)."""
    monkeypatch.setenv("SMARKETING_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        load(session, OCTOBER)
    workspace.engine.dispose()
    root = typer.Typer()
    sla_app = typer.Typer()
    register_report_commands(sla_app)
    root.add_typer(sla_app, name="sla")
    return root


@pytest.fixture
def cli_workspace(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    yield october_cli(sqlite_url, monkeypatch)
    get_settings.cache_clear()


def test_cli_json_is_the_contract(cli_workspace: typer.Typer) -> None:
    import json

    result = CliRunner().invoke(cli_workspace, ["sla", "report", "--month", "2026-10", "--json",
                                                "--as-of", AS_OF])  # fmt: skip

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sales"][0] == {"rep": ANA, **ANA_SALES}
    assert data["pilot"]["pilot"] == CARLA_SALES


def test_cli_tables_for_humans(cli_workspace: typer.Typer) -> None:
    result = CliRunner().invoke(cli_workspace, ["sla", "report", "--month", "2026-10",
                                                "--as-of", AS_OF])  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Sales side, 2026-10" in result.stdout
    assert "Marketing side, 2026-10" in result.stdout
    assert "fast-track" in result.stdout
    assert ELENA in result.stdout


@pytest.mark.parametrize(("args", "hint"), [
    (["--month", "2026-13"], "--month"),
    (["--month", "10/2026"], "--month"),
    (["--month", "2026-10", "--as-of", "2026-10-30T12:00:00"], "--as-of"),
])  # fmt: skip
def test_cli_bad_input_exits_2(cli_workspace: typer.Typer, args: list[str], hint: str) -> None:
    result = CliRunner().invoke(cli_workspace, ["sla", "report", *args])

    assert result.exit_code == 2
    assert hint in result.output
    assert "Traceback" not in result.output


def test_without_an_sla_there_are_no_targets_and_teams_come_in_name_order_with_no_team_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    reps = [Rep(1, ANA, "sales_rep", "zeta"), Rep(2, BRUNO, "sales_rep", None),
            Rep(3, CARLA, "sales_rep", "alpha")]  # fmt: skip
    # each handed a lead under an SLA version the report was not given
    rows = [clock(rep=rep.email, team=rep.team, contact_id=rep.id, sla_id=99) for rep in reps]
    monkeypatch.setenv("TZ", "America/Sao_Paulo")
    time.tzset()
    try:
        data = build_compliance_report(Month(2026, 10), rows, reps, [], DUE).to_json()
    finally:
        monkeypatch.undo()
        time.tzset()
    assert [t["team"] for t in data["marketing_teams"]] == ["alpha", "zeta", None]
    assert [t["team"] for t in data["sales_teams"]] == ["alpha", "zeta", None]
    assert {r["mqls_target"] for r in data["marketing"]} == {None}
    assert {t["mqls_target"] for t in data["marketing_teams"]} == {None}
    assert data["as_of"] == DUE.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(("text", "month"), [
    ("2026-01", Month(2026, 1)), ("2026-12", Month(2026, 12)), ("0001-07", Month(1, 7)),
    (" 2026-10 ", Month(2026, 10)),
])  # fmt: skip
def test_month_parse_takes_every_month_of_any_year_from_1(text: str, month: Month) -> None:
    assert Month.parse(text) == month


@pytest.mark.parametrize("text", ["0000-07", 202610, None])
def test_month_parse_refuses_year_0_and_anything_but_text(text: object) -> None:
    with pytest.raises(ReportError) as refused:
        Month.parse(text)  # type: ignore[arg-type]
    assert str(refused.value) == f"{text!r} is not a month; write YYYY-MM, for example 2026-10"


def test_business_hours_round_half_up_and_come_only_from_attempts_on_time_or_late() -> None:
    # 3,618 s = 1.005 h: half up to 1.01 (half to even would give 1.00)
    on_time = clock(state="met", met_at=T0 + timedelta(hours=1), elapsed_business_seconds=3618)
    closed = clock(state="closed", closed_reason="decided", elapsed_business_seconds=7200)
    stats = sales_stats([on_time, closed], DUE + timedelta(days=1))
    assert (stats.median_business_hours_to_first_attempt,
            stats.p95_business_hours_to_first_attempt) == (Decimal("1.01"), Decimal("1.01"))


def test_an_owner_the_user_list_does_not_know_keeps_the_facts_of_their_handoff() -> None:
    report = build_compliance_report(Month(2026, 10), [clock(rep="gone@acme.example",
                                                             team="italia")], [], [], DUE)
    assert [row["rep"] for row in report.to_json()["marketing"]] == ["gone@acme.example"]
    assert [t["team"] for t in report.to_json()["marketing_teams"]] == ["italia"]


def test_a_rep_without_handoffs_is_in_the_report_when_an_sla_covers_them_on_any_day() -> None:
    """A pilot for Ana alone, from the middle of the month: she is in October's report
    with its target, though nothing was handed to her; Bruno is not covered."""
    mid_month = SlaVersion(1, "ana-only", 1, "pilot", date(2026, 10, 15), None, None,
                           MarketingTerms(mqls_per_rep_per_month=7), SalesTerms(),
                           users=frozenset({ANA}))  # fmt: skip
    reps = [Rep(1, ANA, "sales_rep", "iberia"), Rep(2, BRUNO, "sales_rep", "iberia")]
    report = build_compliance_report(Month(2026, 10), [], reps, [mid_month], DUE)
    assert report.to_json()["marketing"] == [
        {"rep": ANA, "mqls_delivered": 0, "mqls_target": 7, "lead_value_delivered": "0.00"}]
