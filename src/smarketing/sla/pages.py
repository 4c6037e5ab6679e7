"""The SLA pages: the agreements (status changes for admins), the compliance report,
marketing pacing and the planner. Server-rendered; access is checked here, on the server.

Helpers shared with the JSON API and the other pages (workspace money and time zone,
what a sales rep may see of a report, the one-shot flash message) live here too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.i18n import N_, Np_
from smarketing.i18n.terms import Phrase
from smarketing.kit.deps import CurrentUser, DbSession, Now, current_user, require_csrf
from smarketing.kit.pages import (
    WorkspaceInfo,
    forbidden_page,
    page_workspace_info,
    pop_flash,
    set_flash,
    workspace_info,
)
from smarketing.kit.templating import (
    page_text,
    templates,
)
from smarketing.models import SlaAgreement, Team, User
from smarketing.sla import agreements
from smarketing.sla.history_rates import measure_rates
from smarketing.sla.planner import (
    DEFAULT_RATES,
    DEFAULT_WINDOW_MONTHS,
    RATE_KEYS,
    FunnelRates,
    Plan,
    PlanInputs,
    PlannerError,
    parse_decimal,
    parse_rate_options,
    plan_funnel,
)
from smarketing.sla.report import Month, ReportError
from smarketing.sla.report_service import compliance_report, pacing_json
from smarketing.sla.service import recompute_all_clocks
from smarketing.sla.terms import (
    STATUSES,
    SlaTermsError,
    check_status_move,
    parse_marketing,
    parse_sales,
)

__all__ = ["PLANNER_ROLES", "router", "team_key_of", "visible_pacing", "visible_report"]

#: Roles that may use the planner (it reads funnel history of the whole workspace).
PLANNER_ROLES = frozenset({"admin", "marketing", "sales_manager"})
RATE_FIELDS = {key: key.replace("-", "_") for key in RATE_KEYS}
STAGE_ROWS = (("customers", "Customers"), ("opportunities", "Opportunities"), ("sqls", "SQLs"),
              ("mqls", "MQLs"), ("leads", "Leads"))  # fmt: skip
MAX_WINDOW_MONTHS = 120
ADMIN_ONLY_STATUS = N_("Only an admin may change the status of an SLA.")
PLANNER_ONLY = N_("The planner is for admins, marketing and sales managers.")
NO_SUCH_SLA = N_("There is no SLA with key “%(key)s”.")
STATUS_CHANGED = N_("%(key)s is now %(status)s; %(count)s clock(s) updated.")

router = APIRouter(dependencies=[Depends(current_user)])


# --------------------------------------------------------------------------- shared helpers


def team_key_of(session: Session, user: User) -> str | None:
    if user.team_id is None:
        return None
    return session.execute(select(Team.key).where(Team.id == user.team_id)).scalar_one_or_none()


def visible_report(report: dict[str, Any], user: User, team: str | None) -> dict[str, Any]:
    """The report as `user` may see it: a sales rep gets their own rows and their
    (current) team's rows, without the pilot comparison of the whole floor."""
    if user.role != "sales_rep":
        return report
    return {
        **report,
        "sales": [row for row in report["sales"] if row["rep"] == user.email],
        "marketing": [row for row in report["marketing"] if row["rep"] == user.email],
        "pilot": None,
        "sales_teams": [row for row in report["sales_teams"] if _own_team(row, team)],
        "marketing_teams": [row for row in report["marketing_teams"] if _own_team(row, team)],
    }


def visible_pacing(pacing: dict[str, Any], user: User, team: str | None) -> dict[str, Any]:
    """Pacing as `user` may see it: a sales rep gets their own row and their team's."""
    if user.role != "sales_rep":
        return pacing
    own = [row for row in pacing["reps"] if row["rep"] == user.email]
    if own:
        team = own[0]["team"]

    def visible(row: Mapping[str, Any]) -> bool:
        return row.get("rep") == user.email if "rep" in row else _own_team(row, team)

    return {
        **pacing,
        "reps": own,
        "teams": [row for row in pacing["teams"] if visible(row)],
        "alerts": [row for row in pacing["alerts"] if visible(row)],
    }


def _own_team(row: Mapping[str, Any], team: str | None) -> bool:
    return team is not None and row["team"] == team


def _names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(User.email, User.name)).all())


# --------------------------------------------------------------------------- agreements


def _number(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 8, 8.5, 100000."""
    return format(value.normalize(), "f")


#: The terms of an SLA in words, shown in the reader's language (`phrase` filter).
UNREADABLE_TERMS = N_("Unreadable terms: %(problem)s")
MQLS_PER_REP = Np_("%(count)s MQL per rep per month", "%(count)s MQLs per rep per month")
MQL_WORTH = N_("One MQL is worth %(money)s")
LEAD_VALUE = N_("Lead value of %(money)s per rep per month")
MIN_GRADE = N_("Minimum quality: grade %(grade)s")
NO_MARKETING_TERMS = N_("No marketing terms")
BUSINESS_HOURS = Np_("%(count)s business hour", "%(count)s business hours")
ATTEMPTS = Np_("%(count)s attempt", "%(count)s attempts")
DAYS = Np_("%(count)s day", "%(count)s days")
FIRST_ATTEMPT_WITHIN = N_("First attempt within %(hours)s")
ATTEMPTS_WITHIN = N_("%(attempts)s within %(days)s")
DECISION_WITHIN = N_("Decision (accept or reject) within %(hours)s")
AT_RISK_WHEN = N_("At risk when %(share)s%% of the time is left")
REASSIGN_ON_BREACH = N_("A missed first attempt hands the lead to another rep")
NO_SALES_TERMS = N_("No sales terms")


def _counted(forms: tuple[str, str], count: Decimal | int) -> Phrase:
    return Phrase.counted(forms, {"count": count.normalize() if isinstance(count, Decimal)
                                  else count})  # fmt: skip


def marketing_words(data: Mapping[str, Any], money: Callable[[Any], str]) -> list[Phrase]:
    """The marketing terms of an SLA in words, e.g. "300 MQLs per rep per month"."""
    try:
        terms = parse_marketing(data)
    except SlaTermsError as exc:
        return [Phrase(UNREADABLE_TERMS, {"problem": str(exc)})]
    words = []
    if terms.mqls_per_rep_per_month is not None:
        words.append(_counted(MQLS_PER_REP, terms.mqls_per_rep_per_month))
    if terms.mql_value is not None:
        words.append(Phrase(MQL_WORTH, {"money": money(terms.mql_value)}))
    if terms.lead_value_per_rep_per_month is not None:
        words.append(Phrase(LEAD_VALUE, {"money": money(terms.lead_value_per_rep_per_month)}))
    if terms.min_grade:
        words.append(Phrase(MIN_GRADE, {"grade": terms.min_grade}))
    return words or [Phrase(NO_MARKETING_TERMS)]


def sales_words(data: Mapping[str, Any]) -> list[Phrase]:
    """The sales terms of an SLA in words, e.g. "First attempt within 8 business hours"."""
    try:
        terms = parse_sales(data)
    except SlaTermsError as exc:
        return [Phrase(UNREADABLE_TERMS, {"problem": str(exc)})]
    words = []
    if terms.first_attempt_within_hours is not None:
        hours = _counted(BUSINESS_HOURS, terms.first_attempt_within_hours)
        words.append(Phrase(FIRST_ATTEMPT_WITHIN, {"hours": hours}))
    if terms.attempts is not None and terms.attempts_within_days is not None:
        attempts = _counted(ATTEMPTS, terms.attempts)
        days = _counted(DAYS, terms.attempts_within_days)
        words.append(Phrase(ATTEMPTS_WITHIN, {"attempts": attempts, "days": days}))
    if terms.decision_within_hours is not None:
        hours = _counted(BUSINESS_HOURS, terms.decision_within_hours)
        words.append(Phrase(DECISION_WITHIN, {"hours": hours}))
    if words:
        share = (terms.at_risk_share * 100).normalize()
        words.append(Phrase(AT_RISK_WHEN, {"share": share}, numbers=frozenset({"share"})))
    if terms.reassign_on_breach:
        words.append(Phrase(REASSIGN_ON_BREACH))
    return words or [Phrase(NO_SALES_TERMS)]


def _applies_to(row: Mapping[str, Any]) -> str:
    if row["status"] == "draft":
        return "Nobody yet (draft)"
    if row["status"] == "pilot":
        applies = row["applies_to"] or {}
        names = [f"team {t}" for t in applies.get("teams", [])] + list(applies.get("users", []))
        return ", ".join(names) or "Nobody"
    if row["status"] == "retired":
        return "Leads handed off while it was in effect"
    return "Everyone not in a pilot"


def _agreement_rows(session: Session, info: WorkspaceInfo) -> list[dict[str, Any]]:
    rows = agreements.describe_all(session)
    latest = {row["key"]: row["version"] for row in rows}  # sorted by key, version
    return [{
        **row,
        "latest": latest[row["key"]] == row["version"],
        "applies_words": _applies_to(row),
        "pilot_teams": set((row["applies_to"] or {}).get("teams", [])),
        "pilot_users": ", ".join((row["applies_to"] or {}).get("users", [])),
        "marketing_words": marketing_words(row["marketing"], info.money),
        "sales_words": sales_words(row["sales"]),
    } for row in rows]  # fmt: skip


def _agreements_page(
    request: Request,
    session: Session,
    user: User,
    *,
    error: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    info = page_workspace_info(request, session)
    teams = session.execute(select(Team.key, Team.name).order_by(Team.name)).all()
    return templates.TemplateResponse(request, "sla/agreements.html", {
        "active": "sla",
        "rows": _agreement_rows(session, info),
        "is_admin": user.role == "admin",
        "statuses": STATUSES,
        "teams": teams,
        "error": error,
        "flash": pop_flash(request),
    }, status_code=status_code)  # fmt: skip


@router.get("/sla")
def agreements_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    return _agreements_page(request, session, user)


@router.post("/sla/{key}/status", dependencies=[Depends(require_csrf)])
def change_status(
    request: Request,
    key: str,
    session: DbSession,
    user: CurrentUser,
    now: Now,
    status: Annotated[str, Form()] = "",
    teams: Annotated[list[str] | None, Form()] = None,
    users: Annotated[str, Form()] = "",
) -> Response:
    if user.role != "admin":
        return forbidden_page(request, ADMIN_ONLY_STATUS)
    current = session.execute(
        select(SlaAgreement.status).where(SlaAgreement.key == key)
        .order_by(SlaAgreement.version.desc()).limit(1)
    ).scalar_one_or_none()  # fmt: skip
    if current is None:
        return _agreements_page(request, session, user, status_code=404,
                                error=(key, page_text(request, NO_SUCH_SLA, key=key)))  # fmt: skip
    pilot_teams = list(teams or []) if status == "pilot" else []
    pilot_users = [u.strip() for u in users.replace(";", ",").split(",") if u.strip()]
    pilot_users = pilot_users if status == "pilot" else []
    try:
        check_status_move(current, status)
        if status == "pilot" and not (pilot_teams or pilot_users):
            raise ValidationError("a pilot applies to chosen teams or reps: tick at least one "
                                  "team or name a rep")  # fmt: skip
        agreements.set_status(session, key, status, teams=pilot_teams, users=pilot_users,
                              today=workspace_info(session).today(now))  # fmt: skip
    except (SlaTermsError, ValidationError, NotFoundError) as exc:
        message = str(exc)
        return _agreements_page(request, session, user, status_code=422,
                                error=(key, message[:1].upper() + message[1:] + "."))  # fmt: skip
    written = recompute_all_clocks(session, now)
    set_flash(request, STATUS_CHANGED, key=key, count=written, terms={"status": status})
    return RedirectResponse("/sla", status_code=303)


# --------------------------------------------------------------------------- the report


@router.get("/sla/report")
def report_page(
    request: Request, session: DbSession, user: CurrentUser, now: Now, month: str | None = None
) -> Response:
    info = page_workspace_info(request, session)
    wanted = month.strip() if month and month.strip() else Month.of(now, info.timezone).label
    try:
        parsed = Month.parse(wanted)
        report = compliance_report(session, parsed.label, now)
    except ReportError as exc:
        return templates.TemplateResponse(request, "sla/report.html", {
            "active": "report", "error": str(exc), "month": wanted, "report": None,
        }, status_code=422)  # fmt: skip
    previous = Month(parsed.year - 1, 12) if parsed.month == 1 else Month(
        parsed.year, parsed.month - 1)  # fmt: skip
    return templates.TemplateResponse(request, "sla/report.html", {
        "active": "report",
        "error": None,
        "month": parsed.label,
        "month_name": parsed.first_day.strftime("%B %Y"),
        "previous": previous.label,
        "next": parsed.next().label,
        "report": visible_report(report, user, team_key_of(session, user)),
        "own_only": user.role == "sales_rep",
        "names": _names(session),
        "money": info.money,
        "zone": info.zone,
        "timezone": info.timezone,
        "now": now,
    })  # fmt: skip


# --------------------------------------------------------------------------- pacing


@router.get("/sla/pacing")
def pacing_page(request: Request, session: DbSession, user: CurrentUser, now: Now) -> Response:
    info = page_workspace_info(request, session)
    data = visible_pacing(pacing_json(session, now), user, team_key_of(session, user))
    month = Month.parse(data["month"])
    return templates.TemplateResponse(request, "sla/pacing.html", {
        "active": "pacing",
        "pacing": data,
        "month_name": month.first_day.strftime("%B %Y"),
        "own_only": user.role == "sales_rep",
        "names": _names(session),
        "money": info.money,
        "zone": info.zone,
        "timezone": info.timezone,
        "now": now,
    })  # fmt: skip


# --------------------------------------------------------------------------- the planner


def _required_decimal(text: str, parameter: str) -> Decimal:
    if not text.strip():
        raise PlannerError(parameter, "required")
    return parse_decimal(text, parameter)


def _whole(text: str, parameter: str) -> int:
    if not text.strip():
        raise PlannerError(parameter, "required")
    try:
        return int(text.strip())
    except ValueError:
        raise PlannerError(parameter, f"{text!r} is not a whole number") from None


def _rates_from_form(form: Mapping[str, str]) -> FunnelRates:
    given = [f"{key}={form[field]}" for key, field in RATE_FIELDS.items() if form[field].strip()]
    return parse_rate_options(given)


def _web_words(problem: str) -> str:
    """The planner's messages speak of command-line options; on a page, of the form."""
    return (problem.replace("widen --window or pass --rate", "widen the window or enter the rates")
            .replace("--window", "the window").replace("--rate", "the rates"))  # fmt: skip


@router.get("/sla/plan")
def plan_page(request: Request, session: DbSession, user: CurrentUser, now: Now) -> Response:
    if user.role not in PLANNER_ROLES:
        return forbidden_page(request, PLANNER_ONLY)
    info = page_workspace_info(request, session)
    query = request.query_params
    defaults = {field: format(DEFAULT_RATES.as_dict()[key], "f")
                for key, field in RATE_FIELDS.items()}  # fmt: skip
    form = {"revenue_goal": "", "avg_deal_size": "", "reps": "", "months": "1",
            "window": str(DEFAULT_WINDOW_MONTHS), **defaults}  # fmt: skip
    for name in form:
        if name in query:
            form[name] = query[name]
    from_history = query.get("from_history") in ("1", "on", "true")
    submitted = "revenue_goal" in query
    plan: Plan | None = None
    measurement: dict[str, Any] | None = None
    errors: dict[str, str] = {}
    if submitted:
        try:
            inputs = PlanInputs(
                revenue_goal=_required_decimal(form["revenue_goal"], "revenue_goal"),
                avg_deal_size=_required_decimal(form["avg_deal_size"], "avg_deal_size"),
                reps=_whole(form["reps"], "reps"),
                months=_whole(form["months"], "months"),
            )
            if from_history:
                window = _whole(form["window"], "window")
                if not 1 <= window <= MAX_WINDOW_MONTHS:
                    raise PlannerError("window", f"must be 1 to {MAX_WINDOW_MONTHS} months, "
                                                 f"got {window}")  # fmt: skip
                rates, measurement = measure_rates(session, now, window)
            else:
                rates = _rates_from_form(form)
            plan = plan_funnel(inputs, rates)
        except PlannerError as exc:
            errors[exc.parameter] = _web_words(exc.problem)
    return templates.TemplateResponse(request, "sla/plan.html", {
        "active": "plan",
        "form": form,
        "from_history": from_history,
        "rate_fields": RATE_FIELDS,
        "errors": errors,
        "plan": plan,
        "stage_rows": STAGE_ROWS,
        "measurement": measurement,
        "money": info.money,
        "number": _number,
    }, status_code=422 if errors else 200)  # fmt: skip
