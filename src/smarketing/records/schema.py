"""Typed records of the interchange format, version 1 (shared/spec/interchange.md).

Pure validation: a JSON object in, a typed record out, or an `InvalidRecord` whose
message says which field is wrong and why. Resolving keys against the workspace is the
importer's job.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from smarketing.lifecycle.domain import ALL_STAGES
from smarketing.sla.calendar import CalendarError, calendar_from_json
from smarketing.sla.terms import parse_marketing, parse_sales

CHANNELS = (
    "organic_search", "paid_search", "social", "paid_social", "email",
    "referral", "direct", "event", "display", "other",
)  # fmt: skip
ACTIVITY_KINDS = (
    "page_view", "form_submit", "email_open", "email_click", "content_download",
    "event_attended", "ad_click", "chat", "meeting_booked", "other",
)  # fmt: skip
ATTEMPT_KINDS = ("call", "email", "meeting", "social", "other")
ATTEMPT_OUTCOMES = ("no_answer", "left_message", "connected", "replied", "bounced", "other")
ROLES = ("admin", "marketing", "sales_manager", "sales_rep")
LOCALES = ("en", "es", "pt", "it")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class InvalidRecord(ValueError):
    """A line that does not follow the spec; the message names the field and the problem."""


@lru_cache(maxsize=65536)
def normalize_email(value: str) -> str:
    """Syntax-check an address and return its normalized, lower-cased form.

    Cached: one contact's address appears on every line of its story.
    """
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid email address: {exc}") from None
    return checked.normalized.lower()


def _instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 instant string with an offset")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 instant") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset (write e.g. 2026-10-09T17:30:00+02:00)")
    return parsed.astimezone(UTC)


def _date(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date string (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date (YYYY-MM-DD)") from None


def _money(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("must be a decimal string or number")
    try:
        amount = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValueError(f"{value!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{value!r} has more than two decimals")
    if abs(amount) >= Decimal("1e15"):
        raise ValueError(f"{value!r} is too large")
    return amount.quantize(Decimal("0.01"))


def _currency(value: str) -> str:
    if len(value) != 3 or not value.isalpha():
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return value.upper()


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


Instant = Annotated[datetime, BeforeValidator(_instant)]
Day = Annotated[date, BeforeValidator(_date)]
Money = Annotated[Decimal, BeforeValidator(_money)]
Currency = Annotated[str, AfterValidator(_currency)]
Email = Annotated[str, AfterValidator(normalize_email)]
Key = Annotated[str, AfterValidator(_not_blank), Field(max_length=100)]
Text = Annotated[str, AfterValidator(_not_blank)]
StageName = Literal[
    "subscriber", "lead", "mql", "sql", "opportunity", "customer", "evangelist", "other"
]
Channel = Literal[
    "organic_search", "paid_search", "social", "paid_social", "email",
    "referral", "direct", "event", "display", "other",
]  # fmt: skip
ActivityKind = Literal[
    "page_view", "form_submit", "email_open", "email_click", "content_download",
    "event_attended", "ad_click", "chat", "meeting_booked", "other",
]  # fmt: skip

assert len(StageName.__args__) == len(ALL_STAGES)  # noqa: S101 - keeps the two lists in step


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class WorkspaceRecord(Record):
    type: Literal["workspace"]
    name: Text
    timezone: str = "UTC"
    currency: Currency = "EUR"
    locale: Literal["en", "es", "pt", "it"] = "en"

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _valid_timezone(value)


def _valid_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r}") from None
    return value


class HolidaySource(Record):
    country: Annotated[str, Field(min_length=2, max_length=3)]
    subdivision: str | None = None


class CalendarRecord(Record):
    type: Literal["calendar"]
    key: Key
    timezone: str
    hours: dict[str, list[tuple[str, str]]]
    holidays: HolidaySource | None = None
    extra_holidays: list[Day] = Field(default_factory=list)
    extra_workdays: list[Day] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _valid_timezone(value)

    @model_validator(mode="after")
    def _calendar(self) -> CalendarRecord:
        data: dict[str, Any] = {
            "timezone": self.timezone,
            "hours": {day: [list(w) for w in windows] for day, windows in self.hours.items()},
            "extra_holidays": [d.isoformat() for d in self.extra_holidays],
            "extra_workdays": [d.isoformat() for d in self.extra_workdays],
        }
        if self.holidays:
            data["holidays"] = self.holidays.model_dump(exclude_none=True)
        try:
            calendar_from_json(data)
        except CalendarError as exc:
            raise ValueError(str(exc)) from None
        return self


class TeamRecord(Record):
    type: Literal["team"]
    key: Key
    name: Text
    calendar: Key | None = None


class UserRecord(Record):
    type: Literal["user"]
    email: Email
    name: Text
    role: Literal["admin", "marketing", "sales_manager", "sales_rep"]
    team: Key | None = None
    calendar: Key | None = None
    locale: Literal["en", "es", "pt", "it"] | None = None
    weight: Annotated[int, Field(ge=0)] | None = None
    out_of_office: list[tuple[Day, Day]] = Field(default_factory=list)

    @field_validator("out_of_office")
    @classmethod
    def _ranges(cls, value: list[tuple[date, date]]) -> list[tuple[date, date]]:
        for index, (start, end) in enumerate(value):
            if end < start:
                raise ValueError(f"[{index}]: {end} is before {start}")
        return value


class ProductLineRecord(Record):
    type: Literal["product_line"]
    key: Key
    name: Text


class PersonaRecord(Record):
    type: Literal["persona"]
    key: Key
    name: Text
    description: str | None = None
    criteria: Any = None


class CampaignRecord(Record):
    type: Literal["campaign"]
    key: Key
    name: Text
    channel: Channel
    product_line: Key | None = None
    cost: Money | None = None
    currency: Currency | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None

    @model_validator(mode="after")
    def _dates(self) -> CampaignRecord:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError(f"ends_on {self.ends_on} is before starts_on {self.starts_on}")
        return self


class CostRecord(Record):
    type: Literal["cost"]
    campaign: Key
    on: Day
    amount: Money
    currency: Currency | None = None
    note: str | None = None


class CompanyRecord(Record):
    type: Literal["company"]
    domain: Annotated[str, AfterValidator(lambda v: _not_blank(v).lower())] | None = None
    name: Text | None = None
    country: Annotated[str, Field(min_length=2, max_length=2)] | None = None
    industry: str | None = None
    employees: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    owner: Email | None = None

    @model_validator(mode="after")
    def _identity(self) -> CompanyRecord:
        if not self.domain and not self.name:
            raise ValueError("a company needs a domain or a name")
        return self

    @property
    def ref(self) -> str:
        return self.domain or self.name or ""


class ContactRecord(Record):
    type: Literal["contact"]
    email: Email
    created_at: Instant
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    job_title: str | None = None
    company: str | None = None
    country: Annotated[str, Field(min_length=2, max_length=2)] | None = None
    persona: Key | None = None
    owner: Email | None = None
    lifecycle_stage: StageName = "lead"
    channel: Channel | None = None
    campaign: Key | None = None
    product_line: Key | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class ActivityRecord(Record):
    type: Literal["activity"]
    id: Annotated[Text, Field(max_length=200)]
    contact: Email
    kind: ActivityKind
    at: Instant
    channel: Channel | None = None
    campaign: Key | None = None
    url: str | None = None
    content: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class StageChangeRecord(Record):
    type: Literal["stage_change"]
    contact: Email
    to: StageName
    at: Instant
    by: str | None = None
    reason: str | None = None


class AssignmentRecord(Record):
    type: Literal["assignment"]
    contact: Email
    owner: Email
    at: Instant
    by: str | None = None
    reason: str | None = None


class AttemptRecord(Record):
    type: Literal["attempt"]
    id: Annotated[Text, Field(max_length=200)]
    contact: Email
    by: Email
    kind: Literal["call", "email", "meeting", "social", "other"]
    at: Instant
    outcome: Literal["no_answer", "left_message", "connected", "replied", "bounced", "other"] | None = None  # noqa: E501
    note: str | None = None


class DecisionRecord(Record):
    type: Literal["decision"]
    contact: Email
    by: Email
    decision: Literal["accepted", "rejected"]
    at: Instant
    reason: str | None = None
    comment: str | None = None
    then: Literal["recycle", "disqualify"] | None = None

    @model_validator(mode="after")
    def _rules(self) -> DecisionRecord:
        if self.decision == "accepted" and self.then is not None:
            raise ValueError("then applies only to a rejected decision")
        if self.decision == "rejected" and not (self.reason and self.reason.strip()):
            raise ValueError("a rejected decision needs a reason")
        return self


class DealRecord(Record):
    type: Literal["deal"]
    id: Annotated[Text, Field(max_length=200)]
    contact: Email
    amount: Money
    status: Literal["open", "won", "lost"]
    created_at: Instant
    name: str | None = None
    currency: Currency | None = None
    product_line: Key | None = None
    closed_at: Instant | None = None
    owner: Email | None = None
    lost_reason: str | None = None

    @model_validator(mode="after")
    def _closed(self) -> DealRecord:
        if self.status in ("won", "lost") and self.closed_at is None:
            raise ValueError(f"a {self.status} deal needs closed_at")
        if self.status == "open" and self.closed_at is not None:
            raise ValueError("an open deal has no closed_at")
        if self.closed_at is not None and self.closed_at < self.created_at:
            raise ValueError("closed_at is before created_at")
        if self.amount < 0:
            raise ValueError("amount must not be negative")
        return self


class SlaRecord(Record):
    type: Literal["sla"]
    key: Key
    status: Literal["draft", "pilot", "active", "retired"]
    effective_from: Day
    marketing: dict[str, Any]
    sales: dict[str, Any]
    effective_to: Day | None = None
    calendar: Key | None = None
    applies_to: dict[str, list[str]] | None = None
    version: Annotated[int, Field(ge=1)] | None = None

    @field_validator("marketing")
    @classmethod
    def _marketing(cls, value: dict[str, Any]) -> dict[str, Any]:
        parse_marketing(value)
        return value

    @field_validator("sales")
    @classmethod
    def _sales(cls, value: dict[str, Any]) -> dict[str, Any]:
        parse_sales(value)
        return value

    @model_validator(mode="after")
    def _window(self) -> SlaRecord:
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        if self.applies_to and set(self.applies_to) - {"teams", "users"}:
            raise ValueError("applies_to takes only teams and users")
        return self


RECORD_TYPES: dict[str, type[Record]] = {
    "workspace": WorkspaceRecord,
    "calendar": CalendarRecord,
    "team": TeamRecord,
    "user": UserRecord,
    "product_line": ProductLineRecord,
    "persona": PersonaRecord,
    "campaign": CampaignRecord,
    "cost": CostRecord,
    "company": CompanyRecord,
    "contact": ContactRecord,
    "activity": ActivityRecord,
    "stage_change": StageChangeRecord,
    "assignment": AssignmentRecord,
    "attempt": AttemptRecord,
    "decision": DecisionRecord,
    "deal": DealRecord,
    "sla": SlaRecord,
}


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "record"
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if item["type"] == "extra_forbidden":
            message = "unknown field (not in the spec for this record type)"
        if not item["loc"] or message.startswith(f"{where}"):
            parts.append(message)
        else:
            parts.append(f"{where}: {message}")
    return "; ".join(parts)


def parse_record(data: Any) -> Record:
    """Validate one decoded JSON value as an interchange record."""
    if not isinstance(data, dict):
        raise InvalidRecord(f"a line must be a JSON object, got {type(data).__name__}")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in RECORD_TYPES:
        raise InvalidRecord(
            f"type: {kind!r} is not a record type; use one of {', '.join(RECORD_TYPES)}"
        )
    try:
        return RECORD_TYPES[kind].model_validate(data)
    except ValidationError as exc:
        raise InvalidRecord(f"{kind}: {_describe(exc)}") from None
