"""The scoring model: a versioned JSON document, its validation, canonical text and diff.

    {"key": "nordwood", "version": 1, "name": "Nordwood lead score",
     "timezone": "Europe/Madrid", "half_life_days": 30,
     "fit_grades": {"A": 45, "B": 30, "C": 15},
     "engagement_grades": {"1": 40, "2": 20, "3": 8},
     "email_domains": {"competitor": ["rival-kitchens.example"]},
     "fit_rules": [{"id": "free-mail", "points": -10, "when": {"email_kinds": ["free_mail"]}}],
     "engagement_rules": [{"id": "web-visit", "points": 2, "cap_per_day": 6, "cap_total": 30,
                           "when": {"kinds": ["page_view"]}}]}

Fit rules look at the contact (ProfileCriteria plus `personas` and `email_kinds`: every
condition given must match); engagement rules look at one activity (`kinds`, `url` or
`url_regex`, `content` or `content_regex`, `campaigns`, `channels`: every condition given
must match; inside a list any item may). Globs (`url`, `content`) are shell-style,
case-insensitive and must match the whole text: `*` is any run of characters, `/`
included, `?` one character, `[...]` a set. Regexes (`url_regex`, `content_regex`) are
Python `re` searches, case-insensitive. docs/scoring.md describes every field.

The canonical text (`dump_model`) is UTF-8 JSON with sorted keys, two-space indent,
fields left at their default omitted, and a final newline: import then export gives the
same bytes, so model files can be kept and diffed in git.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, model_validator

from smarketing.core.errors import ValidationError as DocumentError
from smarketing.personas.profile import Document, ProfileCriteria, Strings, as_tuple, parse_document
from smarketing.records.schema import ACTIVITY_KINDS, CHANNELS

MAX_POINTS = 1000
FitGrade = Literal["A", "B", "C"]
EngagementGrade = Literal["1", "2", "3"]
FIT_GRADES: tuple[FitGrade, ...] = ("A", "B", "C")  # D: below C's threshold
ENGAGEMENT_GRADES: tuple[EngagementGrade, ...] = ("1", "2", "3")  # 4: below 3's threshold
EMAIL_KINDS = ("free_mail", "competitor", "business")


def _compact(value: float) -> int | float:
    """30.0 is written 30, so a model written with whole numbers reads back the same."""
    return int(value) if value.is_integer() else value


Number = Annotated[float, Field(allow_inf_nan=False), PlainSerializer(_compact)]
Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Points = Annotated[int, Field(ge=-MAX_POINTS, le=MAX_POINTS)]
Cap = Annotated[int, Field(ge=1, le=100 * MAX_POINTS)] | None
ActivityKind = Literal[ACTIVITY_KINDS]  # type: ignore[valid-type]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]
EmailKind = Literal["free_mail", "competitor", "business"]


def _regex(pattern: str | None) -> str | None:
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
    return pattern


def _domains(patterns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.strip().lower() for p in patterns)


Regex = Annotated[str | None, AfterValidator(_regex)]
Domains = Annotated[Strings, AfterValidator(_domains)]


def _has_any(conditions: Document, names: Iterable[str]) -> bool:
    return any(getattr(conditions, name) not in ((), None) for name in names)


class FitConditions(ProfileCriteria):
    """What a fit rule asks of the contact; every condition given must match."""

    personas: Strings = ()
    email_kinds: Annotated[tuple[EmailKind, ...], BeforeValidator(as_tuple)] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> FitConditions:
        if not _has_any(self, FitConditions.model_fields):
            raise ValueError("give at least one condition")
        return self


class EngagementConditions(Document):
    """What an engagement rule asks of one activity; every condition given must match."""

    kinds: Annotated[tuple[ActivityKind, ...], BeforeValidator(as_tuple)] = ()
    url: Strings = ()
    url_regex: Regex = None
    content: Strings = ()
    content_regex: Regex = None
    campaigns: Strings = ()
    channels: Annotated[tuple[Channel, ...], BeforeValidator(as_tuple)] = ()

    @model_validator(mode="after")
    def _well_formed(self) -> EngagementConditions:
        if not _has_any(self, EngagementConditions.model_fields):
            raise ValueError("give at least one condition (kinds, url, content, ...)")
        if self.url and self.url_regex is not None:
            raise ValueError("give url (globs) or url_regex, not both")
        if self.content and self.content_regex is not None:
            raise ValueError("give content (globs) or content_regex, not both")
        return self


class FitRule(Document):
    id: Key
    description: str = ""
    points: Points
    when: FitConditions


class EngagementRule(Document):
    id: Key
    description: str = ""
    points: Points
    cap_per_day: Cap = None
    cap_total: Cap = None
    when: EngagementConditions


class EmailDomains(Document):
    """Domain globs; a pattern also covers its subdomains. `free_mail` adds to the
    built-in list of public mailbox providers (gmail.com, yahoo.*, libero.it, ...)."""

    free_mail: Domains = ()
    competitor: Domains = ()


class ScoringModel(Document):
    key: Key
    version: Annotated[int, Field(ge=1)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""
    timezone: str = "UTC"
    half_life_days: Annotated[Number, Field(gt=0)] | None = None
    fit_grades: dict[FitGrade, Number]
    engagement_grades: dict[EngagementGrade, Number]
    email_domains: EmailDomains = EmailDomains()
    fit_rules: tuple[FitRule, ...] = ()
    engagement_rules: tuple[EngagementRule, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> ScoringModel:
        _check_timezone(self.timezone)
        _check_thresholds("fit_grades", self.fit_grades, FIT_GRADES)
        _check_thresholds("engagement_grades", self.engagement_grades, ENGAGEMENT_GRADES)
        ids = [r.id for r in self.fit_rules] + [r.id for r in self.engagement_rules]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"rule ids must be unique, repeated: {', '.join(repeated)}")
        return self


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone: {name!r} is not an IANA timezone name") from None


def _check_thresholds(name: str, given: Mapping[Any, float], grades: tuple[str, ...]) -> None:
    missing = [g for g in grades if g not in given]
    if missing:
        raise ValueError(f"{name}: give a threshold for each of {', '.join(grades)}")
    values = [given[g] for g in grades]
    if any(high <= low for high, low in zip(values, values[1:], strict=False)):
        shown = ", ".join(f"{g} {_compact(given[g])}" for g in grades)
        raise ValueError(f"{name}: thresholds must go down from {grades[0]}, got {shown}")


# ---------------------------------------------------------------------------- text


def model_from_data(data: Any, where: str = "model") -> ScoringModel:
    """A scoring model from decoded JSON; a ValidationError names each bad path."""
    return parse_document(ScoringModel, data, where)


def load_model(text: str | bytes, where: str = "model") -> ScoringModel:
    """A scoring model from JSON text (as exported)."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise DocumentError(f"{where}: not valid JSON ({exc})") from None
    return model_from_data(data, where)


def canonical_json(data: Any) -> str:
    """Sorted keys, two-space indent, UTF-8 characters as they are, final newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def dump_model(model: ScoringModel) -> str:
    """The model's canonical JSON text (stable byte for byte)."""
    return canonical_json(model.model_dump(mode="json", exclude_defaults=True))


# ---------------------------------------------------------------------------- diff


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two model documents; None stands for absent."""

    path: str
    before: Any
    after: Any

    def __str__(self) -> str:
        if self.before is None and self.path.endswith("]"):
            return f"{self.path} added: {_show(self.after)}"
        if self.after is None and self.path.endswith("]"):
            return f"{self.path} removed (was {_show(self.before)})"
        return f"{self.path}: {_show(self.before)} -> {_show(self.after)}"


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict) and "points" in value and "when" in value:
        return f"{value['points']:+d} points when {_compact_json(_pruned(value['when']))}"
    return value if isinstance(value, str) else _compact_json(value)


def _compact_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v not in (None, [], "")}
    return value


def diff_models(old: ScoringModel, new: ScoringModel) -> list[Change]:
    """What changed from `old` to `new`: settings and thresholds, then rules (matched by
    id) added, removed or changed field by field."""
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    changes = _diff_flat("", _settings(before), _settings(after))
    for section in ("fit_rules", "engagement_rules"):
        changes.extend(_diff_rules(section, before[section], after[section]))
    return changes


def _settings(dumped: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in dumped.items() if k not in ("fit_rules", "engagement_rules")}


def _flat(value: Any, prefix: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key in value:  # the document's field order
        flat.update(_flat(value[key], f"{prefix}.{key}" if prefix else key))
    return flat


def _diff_flat(prefix: str, before: Any, after: Any) -> list[Change]:
    old, new = _flat(before, prefix), _flat(after, prefix)
    keys = list(old) + [k for k in new if k not in old]
    return [Change(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def _diff_rules(section: str, before: list[Any], after: list[Any]) -> list[Change]:
    old = {rule["id"]: rule for rule in before}
    new = {rule["id"]: rule for rule in after}
    changes: list[Change] = []
    for rule_id in list(old) + [i for i in new if i not in old]:
        path = f"{section}[{rule_id}]"
        if rule_id not in new:
            changes.append(Change(path, old[rule_id], None))
        elif rule_id not in old:
            changes.append(Change(path, None, new[rule_id]))
        else:
            changes.extend(_diff_flat(path, old[rule_id], new[rule_id]))
    return changes
