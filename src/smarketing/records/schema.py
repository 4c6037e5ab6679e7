"""Typed records of the interchange format, version 1 (shared/spec/interchange.md).

Pure validation: a JSON object in, a typed record out, or an `InvalidRecord` whose
message says which field is wrong and why. Resolving keys against the workspace is the
importer's job.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from smarketing.lifecycle.domain import ALL_STAGES
from smarketing.records import bounds
from smarketing.records.bounds import (
    LATEST,
    Amount,
    CompanyName,
    CompanyRef,
    Content,
    Count,
    Country,
    Currency,
    Email,
    Key,
    Name,
    Note,
    Phone,
    Properties,
    Reason,
    ShortName,
    Timezone,
    Title,
    Url,
)
from smarketing.records.bounds import ActivityId as Id
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


Text = Title
Instant = bounds.Instant
Day = bounds.Day


def _domain(value: str) -> str:
    value = value.strip().lower()
    if not value:
        raise ValueError("must not be empty")
    return value


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
    timezone: Timezone = "UTC"
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
    timezone: Timezone
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
    weight: Annotated[int, Field(ge=0, le=1000)] | None = None
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
    description: Reason | None = None
    criteria: Properties | None = None


class CampaignRecord(Record):
    type: Literal["campaign"]
    key: Key
    name: Text
    channel: Channel
    product_line: Key | None = None
    cost: Amount | None = None
    currency: Currency | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    utm_source: Name | None = None
    utm_medium: Name | None = None
    utm_campaign: Name | None = None

    @model_validator(mode="after")
    def _dates(self) -> CampaignRecord:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError(f"ends_on {self.ends_on} is before starts_on {self.starts_on}")
        return self


class CostRecord(Record):
    type: Literal["cost"]
    campaign: Key
    on: Day
    amount: Amount
    currency: Currency | None = None
    note: Note | None = None


class CompanyRecord(Record):
    type: Literal["company"]
    domain: Annotated[str, Field(max_length=255), AfterValidator(_domain)] | None = None
    name: CompanyName | None = None
    country: Country | None = None
    industry: ShortName | None = None
    employees: Count | None = None
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
    first_name: ShortName | None = None
    last_name: ShortName | None = None
    phone: Phone | None = None
    job_title: Name | None = None
    company: CompanyRef | None = None
    country: Country | None = None
    persona: Key | None = None
    owner: Email | None = None
    lifecycle_stage: StageName = "lead"
    channel: Channel | None = None
    campaign: Key | None = None
    product_line: Key | None = None
    properties: Properties = Field(default_factory=dict)


class ActivityRecord(Record):
    type: Literal["activity"]
    id: Id
    contact: Email
    kind: ActivityKind
    at: Instant
    channel: Channel | None = None
    campaign: Key | None = None
    url: Url | None = None
    content: Content | None = None
    properties: Properties = Field(default_factory=dict)


class StageChangeRecord(Record):
    type: Literal["stage_change"]
    contact: Email
    to: StageName
    at: Instant
    by: Annotated[str, Field(max_length=320)] | None = None
    reason: Reason | None = None


class AssignmentRecord(Record):
    type: Literal["assignment"]
    contact: Email
    owner: Email
    at: Instant
    by: Annotated[str, Field(max_length=320)] | None = None
    reason: Reason | None = None


class AttemptRecord(Record):
    type: Literal["attempt"]
    id: Id
    contact: Email
    by: Email
    kind: Literal["call", "email", "meeting", "social", "other"]
    at: Instant
    outcome: Literal["no_answer", "left_message", "connected", "replied", "bounced", "other"] | None = None  # noqa: E501
    note: Note | None = None


class DecisionRecord(Record):
    type: Literal["decision"]
    contact: Email
    by: Email
    decision: Literal["accepted", "rejected"]
    at: Instant
    reason: Reason | None = None
    comment: Note | None = None
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
    id: Id
    contact: Email
    amount: Amount
    status: Literal["open", "won", "lost"]
    created_at: Instant
    name: Name | None = None
    currency: Currency | None = None
    product_line: Key | None = None
    closed_at: Instant | None = None
    owner: Email | None = None
    lost_reason: Reason | None = None

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


def parse_record(data: Any, latest: datetime | None = None) -> Record:
    """Validate one decoded JSON value as an interchange record; instants after `latest`
    (one year after now, given by the caller) are refused."""
    if not isinstance(data, dict):
        raise InvalidRecord(f"a line must be a JSON object, got {type(data).__name__}")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in RECORD_TYPES:
        raise InvalidRecord(
            f"type: {kind!r} is not a record type; use one of {', '.join(RECORD_TYPES)}"
        )
    try:
        return RECORD_TYPES[kind].model_validate(data, context={LATEST: latest})
    except ValidationError as exc:
        raise InvalidRecord(f"{kind}: {_describe(exc)}") from None
