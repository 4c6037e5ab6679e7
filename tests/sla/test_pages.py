"""The SLA pages, the contact page's clocks and attempt form, and the notifications inbox,
through FastAPI's TestClient on a real migrated workspace.

The workspace is the hand-computed October 2026 of tests/sla/test_report.py (Madrid,
teams iberia and italia, the active SLA "default" and the pilot "fast-track"), plus an
admin and a draft SLA "trial" with the sources' template terms. Now is Fri 30 Oct 2026
12:00 in Madrid.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smarketing.core.database import transaction
from smarketing.core.workspace import OpenWorkspace
from smarketing.interchange.service import import_records
from smarketing.models import Attempt, Contact, Notification, SlaAgreement, SlaClock, User
from smarketing.notify.service import notify
from smarketing.sla.report_service import compliance_report, pacing_json
from tests.sla.test_report import ANA, BRUNO, CARLA, DARIO, ELENA, NOW, local
from tests.support.october import (  # noqa: F401 - names the tests below use
    ADMIN,
    BOSS,
    L3,
    L4,
    L6,
    L8,
    LOGINS,
    MARTA,
    RECORDS,
    SLA_PAGES,
    TEMPLATE_TERMS,
    log_in,
    october_workspace,
    table_rows,
)
from tests.support.web import contact_url, csrf_from

# --------------------------------------------------------------------------- access


def test_every_sla_page_needs_a_login(client: TestClient) -> None:
    for path in SLA_PAGES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/login?next=" + quote(path, safe="")


@pytest.mark.parametrize("email", [ADMIN, BOSS, MARTA, ANA])
def test_sla_report_and_pacing_render_for_every_role(client: TestClient, email: str) -> None:
    log_in(client, email)
    for path in ("/sla", "/sla/report", "/sla/pacing", "/notifications"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "http://" not in response.text
        assert "https://" not in response.text


def test_navigation_is_role_aware(client: TestClient) -> None:
    log_in(client, ANA)
    nav = client.get("/").text
    assert 'href="/sla/report"' in nav
    assert 'href="/sla/pacing"' in nav
    assert 'href="/sla/plan"' not in nav
    client.post("/logout", data={"csrf_token": csrf_from(nav)})
    log_in(client, MARTA)
    assert 'href="/sla/plan"' in client.get("/").text


# --------------------------------------------------------------------------- agreements


def test_agreements_in_words(client: TestClient) -> None:
    log_in(client, MARTA)
    html = client.get("/sla").text
    default = html[html.index('data-key="default"') : html.index('data-key="fast-track"')]
    assert "First attempt within 8 business hours" in default
    assert "5 attempts within 14 days" in default
    assert "3 MQLs per rep per month" in default
    assert "One MQL is worth €1,000.00" in default
    assert "from 2026-01-01" in default
    pilot = html[html.index('data-key="fast-track"') : html.index('data-key="trial"')]
    assert "First attempt within 4 business hours" in pilot
    assert "3 attempts within 7 days" in pilot
    assert "Lead value of €3,000.00 per rep per month" in pilot
    assert "team italia" in pilot
    trial = html[html.index('data-key="trial"') :]
    assert "300 MQLs per rep per month" in trial
    assert "Nobody yet (draft)" in trial
    assert "/status" not in html  # no status form for marketing


def test_only_admins_get_the_status_forms(client: TestClient) -> None:
    log_in(client, ADMIN)
    html = client.get("/sla").text
    for key in ("default", "fast-track", "trial"):
        assert f'action="/sla/{key}/status"' in html
    assert 'name="teams" value="iberia"' in html


def test_admin_moves_a_draft_to_a_pilot_for_one_team(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    token = log_in(client, ADMIN)
    response = client.post("/sla/trial/status", data={
        "csrf_token": token, "status": "pilot", "teams": ["iberia"], "users": "",
    }, follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/sla"
    page = client.get("/sla").text
    assert "trial is now pilot" in page
    trial = page[page.index('data-key="trial"') :]
    assert "team iberia" in trial
    assert client.get("/sla").text.count("is now pilot") == 0  # the message shows once
    with transaction(workspace.sessions) as session:
        row = session.execute(select(SlaAgreement).where(SlaAgreement.key == "trial")).scalar_one()
        assert (row.status, row.applies_to) == ("pilot", {"teams": ["iberia"], "users": []})
        # The clocks were recomputed: Ana's October leads now run under the pilot.
        ana = session.execute(select(User.id).where(User.email == ANA)).scalar_one()
        slas = set(session.scalars(select(SlaClock.sla_id).where(SlaClock.owner_id == ana)))
        assert slas == {row.id}


def test_a_bad_status_move_is_explained_and_changes_nothing(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    token = log_in(client, ADMIN)
    response = client.post("/sla/default/status", data={
        "csrf_token": token, "status": "pilot", "teams": ["iberia"],
    })  # fmt: skip
    assert response.status_code == 422
    assert "An SLA cannot go from active to pilot; allowed: retired." in response.text
    no_team = client.post("/sla/trial/status", data={"csrf_token": token, "status": "pilot"})
    assert no_team.status_code == 422
    assert "tick at least one team or name a rep" in no_team.text
    unknown = client.post("/sla/trial/status", data={
        "csrf_token": token, "status": "pilot", "users": "ghost@acme.example"})  # fmt: skip
    assert unknown.status_code == 422
    assert "Unknown team or user: ghost@acme.example." in unknown.text
    with transaction(workspace.sessions) as session:
        statuses = dict(session.execute(select(SlaAgreement.key, SlaAgreement.status)).all())
    assert statuses == {"default": "active", "fast-track": "pilot", "trial": "draft"}


def test_only_admins_may_change_a_status(client: TestClient, workspace: OpenWorkspace) -> None:
    token = log_in(client, MARTA)
    response = client.post("/sla/trial/status", data={"csrf_token": token, "status": "active"})
    assert response.status_code == 403
    forged = client.post("/sla/trial/status", data={"csrf_token": "x", "status": "active"})
    assert forged.status_code == 403
    with transaction(workspace.sessions) as session:
        status = session.execute(
            select(SlaAgreement.status).where(SlaAgreement.key == "trial")
        ).scalar_one()
    assert status == "draft"


# --------------------------------------------------------------------------- the report


def _cell(value: Any, suffix: str = "") -> str:
    return "—" if value is None else f"{value}{suffix}"


def assert_sales_row(cells: dict[str, str], row: dict[str, Any]) -> None:
    for key, value in row.items():
        if key in ("rep", "team"):
            continue
        suffix = "%" if key == "first_attempt_on_time_pct" else ""
        assert cells[key] == _cell(value, suffix), key


def test_report_page_matches_the_compliance_report(
    db_client: TestClient, db_workspace: OpenWorkspace
) -> None:
    log_in(db_client, MARTA)
    page = db_client.get("/sla/report?month=2026-10")
    assert page.status_code == 200
    with transaction(db_workspace.sessions) as session:
        expected = compliance_report(session, "2026-10", NOW)
    rows = table_rows(page.text).rows
    assert [key for table, key in rows if table == "sales"] == [
        ANA, BRUNO, CARLA, DARIO, ELENA, "iberia", "italia"]  # fmt: skip
    for row in expected["sales"]:
        assert_sales_row(rows[("sales", row["rep"])], row)
    for row in expected["sales_teams"]:
        assert_sales_row(rows[("sales", row["team"])], row)
    for row in expected["marketing"] + expected["marketing_teams"]:
        cells = rows[("marketing", row.get("rep") or row["team"])]
        assert cells["mqls_delivered"] == str(row["mqls_delivered"])
        assert cells["mqls_target"] == _cell(row["mqls_target"])
        assert cells["lead_value_delivered.value"] == row["lead_value_delivered"]
    assert rows[("marketing", ANA)]["lead_value_delivered"] == "€4,000.00"
    assert_sales_row(rows[("pilot", "pilot")], expected["pilot"]["pilot"])
    assert_sales_row(rows[("pilot", "non_pilot")], expected["pilot"]["non_pilot"])
    # Spot checks against the hand-computed golden figures.
    assert rows[("sales", ANA)]["first_attempt_on_time_pct"] == "33.3%"
    assert rows[("sales", "iberia")]["p95_business_hours_to_first_attempt"] == "8.2"


def test_report_defaults_to_this_month_and_links_its_neighbours(client: TestClient) -> None:
    log_in(client, BOSS)
    page = client.get("/sla/report").text
    assert "SLA compliance, October 2026" in page
    assert 'href="/sla/report?month=2026-09"' in page
    assert 'href="/sla/report?month=2026-11"' in page
    september = table_rows(client.get("/sla/report?month=2026-09").text).rows
    assert september[("sales", BRUNO)]["first_attempt_missing"] == "1"
    january = client.get("/sla/report?month=2026-01").text
    assert 'href="/sla/report?month=2025-12"' in january


def test_a_rep_sees_only_own_rows_in_the_report(client: TestClient) -> None:
    log_in(client, ANA)
    page = client.get("/sla/report?month=2026-10").text
    rows = table_rows(page).rows
    assert sorted(rows) == sorted([("sales", ANA), ("sales", "iberia"), ("marketing", ANA),
                                   ("marketing", "iberia")])  # fmt: skip
    assert BRUNO not in page
    assert CARLA not in page
    assert "Pilot versus the rest" not in page


def test_a_bad_month_is_a_clear_error(client: TestClient) -> None:
    log_in(client, MARTA)
    response = client.get("/sla/report?month=2026-13")
    assert response.status_code == 422
    assert "is not a month; write YYYY-MM" in response.text


# --------------------------------------------------------------------------- pacing


def test_pacing_page_shows_every_rep_and_highlights_who_is_behind(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    log_in(client, MARTA)
    html = client.get("/sla/pacing").text
    with transaction(workspace.sessions) as session:
        expected = pacing_json(session, NOW)
    parsed = table_rows(html)
    for row in expected["reps"]:
        cells = parsed.rows[("pacing-mqls", row["rep"])]
        assert cells["mqls_delivered"] == str(row["mqls_delivered"])
        assert cells["mqls_target"] == _cell(row["mqls_target"])
        assert cells["mqls_expected"] == _cell(row["mqls_expected"])
        assert cells["mqls_projected"] == _cell(row["mqls_projected"])
        assert cells["status"] == row["status"].replace("_", " ")
        behind = parsed.attrs[("pacing-mqls", row["rep"])].get("class") == "behind"
        assert behind == (row["status"] == "behind"), row["rep"]
    # Elena has a target of 3 and nothing delivered on the month's last day.
    assert parsed.rows[("pacing-mqls", ELENA)]["status"] == "behind"
    assert "Behind pace:" in html
    assert ("pacing-mqls", "iberia") in parsed.rows
    assert "October 2026" in html


def test_a_rep_sees_own_pacing_and_team(client: TestClient) -> None:
    log_in(client, CARLA)
    html = client.get("/sla/pacing").text
    keys = {key for table, key in table_rows(html).rows if table == "pacing-mqls"}
    assert keys == {CARLA, "italia"}
    assert ELENA not in html


# --------------------------------------------------------------------------- the planner


def test_planner_walks_the_funnel_backwards_with_the_default_rates(client: TestClient) -> None:
    log_in(client, MARTA)
    form = client.get("/sla/plan").text
    assert 'value="0.2"' in form
    assert 'value="0.4"' in form
    page = client.get(
        "/sla/plan?revenue_goal=100000&avg_deal_size=5000&reps=4&months=1"
        "&lead_mql=0.2&mql_sql=0.5&sql_opportunity=0.6&opportunity_customer=0.4"
    )
    assert page.status_code == 200
    rows = table_rows(page.text).rows
    totals = [rows[("plan", stage)]["total"]
              for stage in ("customers", "opportunities", "sqls", "mqls", "leads")]  # fmt: skip
    assert totals == ["20", "50", "84", "168", "840"]
    per_rep = [rows[("plan", stage)]["per-rep-per-month"]
               for stage in ("customers", "opportunities", "sqls", "mqls", "leads")]  # fmt: skip
    assert per_rep == ["5", "13", "21", "42", "210"]
    assert "42 MQLs per month" in page.text
    assert "€595.24" in page.text  # one MQL: 100000 / 168
    assert "€119.05" in page.text  # one lead: 100000 / 840
    assert '0.6 <span class="muted small">(60%)' in page.text


@pytest.mark.parametrize(("query", "message"), [
    ("revenue_goal=lots&avg_deal_size=5000&reps=4", "is not a number"),
    ("revenue_goal=100000&avg_deal_size=5000&reps=0", "must be at least 1"),
    ("revenue_goal=100000&avg_deal_size=5000&reps=4&lead_mql=2", "at most 1"),
    ("revenue_goal=&avg_deal_size=5000&reps=4", "required"),
    ("revenue_goal=100000&avg_deal_size=5000&reps=4&from_history=1&window=6",
     "not enough history"),
])  # fmt: skip
def test_planner_errors_are_shown_next_to_the_form(
    client: TestClient, query: str, message: str
) -> None:
    log_in(client, MARTA)
    page = client.get("/sla/plan?" + query)
    assert page.status_code == 422
    assert message in page.text
    assert 'class="field-error"' in page.text
    assert 'id="plan"' not in page.text
    assert "--window" not in page.text


def funnel_history() -> list[dict[str, Any]]:
    """10 leads in September: 5 became MQLs, 3 SQLs, 2 opportunities, 1 customer."""
    records: list[dict[str, Any]] = []
    for n in range(10):
        email = f"h{n}@hist.example"
        records.append({"type": "contact", "email": email, "lifecycle_stage": "lead",
                        "created_at": local("2026-09-01 10:00")})  # fmt: skip
        for stage, reached in (("mql", 5), ("sql", 3), ("opportunity", 2), ("customer", 1)):
            if n < reached:
                day = {"mql": 2, "sql": 3, "opportunity": 4, "customer": 7}[stage]
                records.append({"type": "stage_change", "contact": email, "to": stage,
                                "at": local(f"2026-09-{day:02d} 10:00")})  # fmt: skip
    return records


def test_planner_measures_the_rates_from_history(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    with transaction(workspace.sessions) as session:
        report = import_records(session, funnel_history(), now=NOW)
        assert not report.rejections, report.rejections
    log_in(client, BOSS)
    page = client.get(
        "/sla/plan?revenue_goal=100000&avg_deal_size=5000&reps=4&months=1&from_history=1&window=3"
    )
    assert page.status_code == 200, page.text
    text = page.text
    assert "Measured over the last 3" in text
    rates = table_rows(text).rows
    assert ("rates", "lead-mql") in rates
    # The measured sample sizes are shown: the history's 10 leads (plus October's).
    assert re.search(
        r'data-step="opportunity-customer".*?<td class="num">2</td>\s*'
        r'<td class="num">1</td>',
        text,
        re.S,
    )


def test_reps_may_not_use_the_planner(client: TestClient) -> None:
    log_in(client, ANA)
    response = client.get("/sla/plan?revenue_goal=100000&avg_deal_size=5000&reps=4")
    assert response.status_code == 403
    assert 'id="plan"' not in response.text


# --------------------------------------------------------------------------- contact page


def clock_states(html: str) -> dict[str, str]:
    return {kind: attrs["data-state"] for (table, kind), attrs in table_rows(html).attrs.items()
            if table == "clocks"}  # fmt: skip


def test_contact_page_shows_the_leads_clocks(client: TestClient) -> None:
    log_in(client, ANA)
    html = client.get(contact_url(L3)).text
    assert clock_states(html) == {"first_attempt": "breached", "cadence": "breached"}
    section = html[html.index('id="sla"') : html.index("Timeline")]
    assert "2026-10-15 18:00" in section  # due in Madrid time
    assert "0 of 5 attempts" in section
    assert 'class="badge clock-breached"' in section


def test_logging_an_attempt_meets_the_first_attempt_clock(
    db_client: TestClient, db_workspace: OpenWorkspace
) -> None:
    client = db_client
    token = log_in(client, ANA)
    before = client.get(contact_url(L4)).text
    assert clock_states(before)["first_attempt"] == "on_track"
    assert 'id="log-attempt"' in before
    response = client.post(contact_url(L4) + "/attempts", data={
        "csrf_token": token, "kind": "call", "outcome": "no_answer", "note": "rang twice",
        "at": "",
    }, follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == contact_url(L4) + "#sla"
    after = client.get(contact_url(L4)).text
    assert "Attempt logged: call, no answer." in after
    assert clock_states(after)["first_attempt"] == "met"
    assert "rang twice" in after  # on the timeline
    with transaction(db_workspace.sessions) as session:
        contact_id = session.execute(select(Contact.id).where(Contact.email == L4)).scalar_one()
        met_at = session.execute(
            select(SlaClock.met_at).where(
                SlaClock.contact_id == contact_id, SlaClock.kind == "first_attempt"
            )
        ).scalar_one()
    assert met_at == NOW


def test_the_attempt_time_is_read_in_the_workspace_time_zone(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    token = log_in(client, ANA)
    response = client.post(
        contact_url(L4) + "/attempts",
        data={"csrf_token": token, "kind": "email", "at": "2026-10-30T10:15"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with transaction(workspace.sessions) as session:
        at = session.execute(
            select(Attempt.at).where(Attempt.kind == "email", Attempt.id.like("att-%"))
        ).scalar_one()
    assert at == NOW - timedelta(hours=1, minutes=45)  # 10:15 in Madrid (CET)


@pytest.mark.parametrize(("form", "message"), [
    ({"kind": "fax"}, "kind: must be one of call, email, meeting, social, other"),
    ({"kind": "call", "outcome": "maybe"}, "outcome: must be one of"),
    ({"kind": "call", "at": "2026-10-30T18:00"}, "is in the future"),
    ({"kind": "call", "at": "yesterday"}, "at: &#39;yesterday&#39; is not a date and time"),
])  # fmt: skip
def test_a_bad_attempt_is_explained_and_kept(
    client: TestClient, workspace: OpenWorkspace, form: dict[str, str], message: str
) -> None:
    with transaction(workspace.sessions) as session:
        before = session.execute(select(func.count()).select_from(Attempt)).scalar_one()
    token = log_in(client, ANA)
    response = client.post(contact_url(L4) + "/attempts",
                           data={"csrf_token": token, "note": "keep <me>", **form})  # fmt: skip
    assert response.status_code == 422
    assert message in response.text
    assert "keep &lt;me&gt;</textarea>" in response.text
    with transaction(workspace.sessions) as session:
        count = session.execute(select(func.count()).select_from(Attempt)).scalar_one()
    assert count == before


def test_who_may_log_an_attempt(client: TestClient) -> None:
    token = log_in(client, ANA)
    # A rep on another rep's lead: the lead does not exist for them.
    assert (
        client.post(
            contact_url(L6) + "/attempts", data={"csrf_token": token, "kind": "call"}
        ).status_code
        == 404
    )
    client.post("/logout", data={"csrf_token": token})

    token = log_in(client, MARTA)
    page = client.get(contact_url(L4)).text
    assert 'id="log-attempt"' not in page
    assert 'data-kind="first_attempt"' in page
    assert (
        client.post(
            contact_url(L4) + "/attempts", data={"csrf_token": token, "kind": "call"}
        ).status_code
        == 403
    )
    client.post("/logout", data={"csrf_token": token})

    token = log_in(client, BOSS)  # sales manager of iberia
    assert 'id="log-attempt"' not in client.get(contact_url(L8)).text  # Carla, italia
    assert (
        client.post(
            contact_url(L8) + "/attempts", data={"csrf_token": token, "kind": "call"}
        ).status_code
        == 403
    )
    ana_lead = client.get(contact_url(L4)).text
    assert 'name="by"' in ana_lead
    assert "Ana" in ana_lead
    response = client.post(contact_url(L4) + "/attempts", data={
        "csrf_token": token, "kind": "call", "by": ANA}, follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    after = client.get(contact_url(L4)).text
    assert "Attempt logged for Ana: call." in after
    assert clock_states(after)["first_attempt"] == "met"  # counted for the owner
    other = client.post(contact_url(L4) + "/attempts",
                        data={"csrf_token": token, "kind": "call", "by": BRUNO})  # fmt: skip
    assert other.status_code == 422
    assert "by: choose one of" in other.text


def test_the_attempt_form_needs_the_csrf_token(client: TestClient) -> None:
    log_in(client, ANA)
    response = client.post(contact_url(L4) + "/attempts", data={"kind": "call"})
    assert response.status_code == 403
    assert "Form expired" in response.text


# --------------------------------------------------------------------------- notifications


def raise_notifications(workspace: OpenWorkspace) -> list[int]:
    with transaction(workspace.sessions) as session:
        ana = session.execute(select(User.id).where(User.email == ANA)).scalar_one()
        bruno = session.execute(select(User.id).where(User.email == BRUNO)).scalar_one()
        ids = []
        for n, (user, link) in enumerate([(ana, contact_url(L3)), (ana, "javascript:alert(1)"),
                                          (bruno, None)]):  # fmt: skip
            created = notify(session, user_ids=[user], kind="sla_breach",
                             subject=f"Breached <{n}>", body=f"First attempt missed {n}",
                             link=link, dedupe_key=f"test:{n}", now=NOW)  # fmt: skip
            ids.append(created[0].id)
    return ids


def test_the_inbox_lists_unread_notifications_and_marks_them_read(
    client: TestClient, workspace: OpenWorkspace
) -> None:
    first, second, brunos = raise_notifications(workspace)
    token = log_in(client, ANA)
    home = client.get("/").text
    assert re.search(r'id="unread-count"[^>]*>2</span>', home)
    inbox = client.get("/notifications").text
    assert "Breached &lt;0&gt;" in inbox
    assert "First attempt missed 1" in inbox
    assert f'href="{contact_url(L3)}"' in inbox
    assert "javascript:" not in inbox  # an unsafe link is not shown
    assert "Breached &lt;2&gt;" not in inbox  # Bruno's
    response = client.post(f"/notifications/{first}/read", data={"csrf_token": token},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    inbox = client.get("/notifications").text
    assert "Marked as read." in inbox
    assert "Breached &lt;0&gt;" not in inbox
    assert re.search(r'id="unread-count"[^>]*>1</span>', inbox)
    assert (
        client.post(f"/notifications/{brunos}/read", data={"csrf_token": token}).status_code == 404
    )
    assert client.post(f"/notifications/{second}/read", data={}).status_code == 403
    with transaction(workspace.sessions) as session:
        unread = session.execute(
            select(func.count()).select_from(Notification).where(Notification.read_at.is_(None))
        ).scalar_one()
    assert unread == 2


def test_no_badge_without_unread_notifications(client: TestClient) -> None:
    log_in(client, MARTA)
    assert 'id="unread-count"' not in client.get("/").text
