"""The routing rules document: parsing, validation and canonical JSON (pure logic).

A workspace's routing rules are one JSON document (docs/routing.md describes every
field, with the demo's document as the example)::

    {
      "format": 1,
      "territories": {"iberia": ["ES", "PT"]},
      "pools": {"iberia": {"name": "Iberia", "members": [{"user": "ana@x.example",
                                                           "weight": 2}]}},
      "rules": [{"key": "spain", "when": {"country": ["ES"]}, "pool": "iberia"}],
      "fallback_pool": "iberia",
      "policy": {"company_owner": {"enabled": true, "when_unavailable": "rules"},
                 "captured_by": {"enabled": true, "when_unavailable": "keep"},
                 "when_nobody_available": "no_owner", "default_window_hours": 8}
    }

:func:`parse_rules` turns it into a :class:`RoutingRules` value or raises
:class:`RoutingRulesError` listing every problem with its JSON path
(``rules[1].when.country[0]: 'España' is not a country code ...``).
:func:`rules_to_json` writes the canonical form back: parse -> dump -> parse gives the
same value, and dump -> parse -> dump the same JSON, so documents can be stored,
exported, imported and diffed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal

__all__ = [
    "FORMAT",
    "CompanySize",
    "Conditions",
    "KnownNames",
    "Member",
    "OwnerPolicy",
    "Policy",
    "Pool",
    "PropertyCondition",
    "Rule",
    "RoutingRules",
    "RoutingRulesError",
    "normalize_value",
    "parse_rules",
    "rules_to_json",
]

#: The version of the document's format this module reads and writes.
FORMAT = 1

OwnerFallback = Literal["rules", "keep"]
NobodyAvailable = Literal["no_owner", "least_loaded", "fallback_pool"]
OWNER_FALLBACKS: tuple[str, ...] = ("rules", "keep")
NOBODY_AVAILABLE: tuple[str, ...] = ("no_owner", "least_loaded", "fallback_pool")

MAX_WEIGHT = 1000
DEFAULT_WINDOW_HOURS = Decimal(8)

_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_SUBDIVISION_RE = re.compile(r"^([A-Z]{2})-[A-Z0-9]{1,3}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")

_TOP_KEYS = ("format", "description", "territories", "pools", "rules", "fallback_pool",
             "policy")  # fmt: skip
_POOL_KEYS = ("name", "members")
_MEMBER_KEYS = ("user", "weight", "capacity")
_RULE_KEYS = ("key", "name", "enabled", "when", "pool")
_LIST_CONDITIONS = ("country", "territory", "product_line", "persona", "channel", "campaign")
_WHEN_KEYS = (*_LIST_CONDITIONS, "company_size", "properties")
_PROPERTY_OPERATORS = ("in", "not_in", "exists", "contains", "min", "max")
_POLICY_KEYS = ("company_owner", "captured_by", "when_nobody_available", "default_window_hours")
_OWNER_POLICY_KEYS = ("enabled", "when_unavailable")

Scalar = str | int | float | bool | None
#: A property value after :func:`normalize_value`: casefolded text, an exact number, a
#: boolean (tagged, so ``True`` never equals ``1``) or None.
Normalized = str | Decimal | tuple[str, bool] | None


class RoutingRulesError(ValueError):
    """The document is malformed. ``problems`` lists each one as ``path: what is wrong``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        head = "routing rules: 1 problem" if count == 1 else f"routing rules: {count} problems"
        super().__init__(f"{head}: " + "; ".join(self.problems))


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class CompanySize:
    """Employees of the lead's company, both bounds inclusive; None: unbounded."""

    min: int | None = None
    max: int | None = None

    def holds(self, employees: int | None) -> bool:
        if employees is None:
            return False
        return (self.min is None or employees >= self.min) and (
            self.max is None or employees <= self.max
        )


@dataclass(frozen=True)
class PropertyCondition:
    """A test on one contact property; every operator given must hold.

    - ``any_of`` (``in``): the value (or, for a list value, one of its items) equals one of
      these. Text compares case-insensitively, numbers by value.
    - ``none_of`` (``not_in``): no value equals any of these (true when missing).
    - ``exists``: the property is present and not null (``true``) or absent or null.
    - ``contains``: the text value contains this, case-insensitively.
    - ``min`` / ``max``: the value read as a number is within the bound (inclusive).
    """

    name: str
    any_of: tuple[Scalar, ...] | None = None
    none_of: tuple[Scalar, ...] | None = None
    exists: bool | None = None
    contains: str | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    _any: frozenset[Normalized] = field(init=False, repr=False, compare=False, hash=False)
    _none: frozenset[Normalized] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_any", frozenset(map(normalize_value, self.any_of or ())))
        object.__setattr__(self, "_none", frozenset(map(normalize_value, self.none_of or ())))

    def holds(self, properties: Mapping[str, Any]) -> bool:
        value = properties.get(self.name)
        present = value is not None
        if self.exists is not None and present != self.exists:
            return False
        items = value if isinstance(value, list) else [value]
        normalized = [normalize_value(item) for item in items if _is_scalar(item)]
        if self.any_of is not None and not any(n in self._any for n in normalized if present):
            return False
        if self.none_of is not None and any(n in self._none for n in normalized if present):
            return False
        if self.contains is not None:
            needle = self.contains.casefold()
            if not any(isinstance(item, str) and needle in item.casefold() for item in items):
                return False
        if self.min is not None or self.max is not None:
            number = _as_number(value)
            if number is None:
                return False
            if self.min is not None and number < self.min:
                return False
            if self.max is not None and number > self.max:
                return False
        return True


@dataclass(frozen=True)
class Conditions:
    """A rule's ``when``: every condition given must hold (None: not tested).

    Inside one list any entry may match. ``country`` and ``territory`` entries are ISO
    3166-1 country codes (``ES``) or ISO 3166-2 subdivision codes (``ES-MD``); a
    territory is named in the document and resolved to its entries here.
    """

    country: tuple[str, ...] | None = None
    territory: tuple[str, ...] | None = None
    product_line: tuple[str, ...] | None = None
    persona: tuple[str, ...] | None = None
    channel: tuple[str, ...] | None = None
    campaign: tuple[str, ...] | None = None
    company_size: CompanySize | None = None
    properties: tuple[PropertyCondition, ...] = ()
    #: The places of ``territory``, resolved from the document's territories.
    territory_places: frozenset[str] = frozenset()

    @property
    def is_empty(self) -> bool:
        """No condition at all: the rule matches every lead."""
        return (
            all(getattr(self, name) is None for name in _LIST_CONDITIONS)
            and self.company_size is None
            and not self.properties
        )


@dataclass(frozen=True)
class Rule:
    key: str
    pool: str
    when: Conditions = Conditions()
    name: str | None = None
    enabled: bool = True

    @property
    def label(self) -> str:
        return f"{self.key!r} ({self.name})" if self.name else repr(self.key)


@dataclass(frozen=True)
class Member:
    """A pool member: a user's email, its weight (None: the user's own ``weight``, else 1)
    and its monthly capacity (None: the SLA's MQLs per rep per month)."""

    user: str
    weight: int | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class Pool:
    key: str
    members: tuple[Member, ...]
    name: str | None = None

    @property
    def label(self) -> str:
        return f"{self.key!r} ({self.name})" if self.name else repr(self.key)


@dataclass(frozen=True)
class OwnerPolicy:
    """What to do with a lead that already has a natural owner (company owner, capturer).

    ``when_unavailable``: ``rules`` sends the lead through the rules when that owner is
    unavailable (out of office, or cannot make the first attempt within the SLA window);
    ``keep`` gives it to them anyway. An owner who is not an active user never keeps it.
    """

    enabled: bool = True
    when_unavailable: OwnerFallback = "rules"


@dataclass(frozen=True)
class Policy:
    company_owner: OwnerPolicy = OwnerPolicy(True, "rules")
    captured_by: OwnerPolicy = OwnerPolicy(True, "keep")
    #: When no member of the chosen pool is available: leave the lead without owner,
    #: give it to the pool's least-loaded active member, or try the fallback pool.
    when_nobody_available: NobodyAvailable = "no_owner"
    #: The first-attempt window used when the SLA has none, in business hours.
    default_window_hours: Decimal = DEFAULT_WINDOW_HOURS


@dataclass(frozen=True)
class RoutingRules:
    territories: Mapping[str, tuple[str, ...]]
    pools: Mapping[str, Pool]
    rules: tuple[Rule, ...]
    fallback_pool: str | None = None
    policy: Policy = Policy()
    description: str | None = None


@dataclass(frozen=True)
class KnownNames:
    """What the workspace knows, to check a document's references (None: not checked)."""

    users: Collection[str] | None = None
    product_lines: Collection[str] | None = None
    personas: Collection[str] | None = None
    campaigns: Collection[str] | None = None


# --------------------------------------------------------------------------- helpers


def normalize_value(value: Any) -> Normalized:
    """How values are compared: text casefolded and stripped, numbers by value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float | Decimal):
        try:
            return Decimal(str(value)).normalize()
        except InvalidOperation:  # pragma: no cover - str() of a number always parses
            return str(value)
    return str(value).strip().casefold()


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | Decimal)


def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@cache
def _known_countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes as the Unicode CLDR knows them (through Babel)."""
    from babel import Locale

    codes = (str(code) for code in Locale("en").territories)
    return frozenset(code for code in codes if _COUNTRY_RE.match(code))


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}")

    def unknown_keys(self, path: str, data: Mapping[str, Any], allowed: Sequence[str]) -> None:
        unknown = [str(k) for k in data if k not in allowed]
        if unknown:
            names = ", ".join(map(repr, sorted(unknown)))
            self.add(path, f"unknown field(s) {names} (allowed: {', '.join(allowed)})")

    def object(self, path: str, value: Any) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(path, f"expected an object, got {_type_name(value)}")
            return None
        return value

    def key(self, path: str, value: Any, what: str) -> str | None:
        if value is None:
            self.add(path, f"required field is missing ({what})")
            return None
        if not isinstance(value, str) or not _KEY_RE.match(value):
            self.add(
                path,
                f"{what} must be 1-100 letters, digits, '_', '.' or '-' (starting with a letter"
                f" or digit), got {value!r}",
            )
            return None
        return value

    def text(self, path: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(path, f"expected non-empty text, got {value!r}")
            return None
        return value

    def boolean(self, path: str, value: Any, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add(path, f"expected true or false, got {value!r}")
            return default
        return value

    def whole(self, path: str, value: Any, low: int, high: int | None = None) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"expected a whole number, got {value!r}")
            return None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f">= {low}"
            self.add(path, f"must be {bound}, got {value}")
            return None
        return value

    def email(self, path: str, value: Any) -> str | None:
        if not isinstance(value, str) or not _EMAIL_RE.match(value.strip()):
            self.add(path, f"expected a user's email, got {value!r}")
            return None
        return value.strip().lower()


# --------------------------------------------------------------------------- parsing


def _place(problems: _Problems, path: str, value: Any) -> str | None:
    if not isinstance(value, str):
        problems.add(path, f"expected a country code such as ES or a subdivision such as ES-MD,"
                     f" got {value!r}")  # fmt: skip
        return None
    code = value.strip().upper()
    sub = _SUBDIVISION_RE.match(code)
    country = sub.group(1) if sub else code
    if not (sub or _COUNTRY_RE.match(code)) or country not in _known_countries():
        problems.add(
            path,
            f"{value!r} is not a country code (ISO 3166-1 alpha-2, e.g. ES, PT, IT) or a"
            " subdivision code (ISO 3166-2, e.g. ES-MD)",
        )
        return None
    return code


def _places(problems: _Problems, path: str, value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not value:
        problems.add(path, f'expected a non-empty list such as ["ES", "PT"], got {value!r}')
        return None
    codes = [_place(problems, f"{path}[{i}]", item) for i, item in enumerate(value)]
    return tuple(c for c in codes if c is not None)


def _names(
    problems: _Problems, path: str, value: Any, known: Collection[str] | None, what: str
) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not value:
        problems.add(path, f"expected a non-empty list of {what} keys, got {value!r}")
        return None
    names: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            problems.add(f"{path}[{index}]", f"expected a {what} key, got {item!r}")
            continue
        if known is not None and item not in known:
            problems.add(f"{path}[{index}]", f"unknown {what} {item!r}")
            continue
        names.append(item)
    return tuple(names)


def _scalars(problems: _Problems, path: str, value: Any) -> tuple[Scalar, ...] | None:
    if not isinstance(value, list) or not value:
        problems.add(path, f"expected a non-empty list of values, got {value!r}")
        return None
    ok = True
    for index, item in enumerate(value):
        if item is None or not _is_scalar(item):
            problems.add(f"{path}[{index}]", f"expected text, a number or a boolean, got {item!r}")
            ok = False
    return tuple(value) if ok else None


def _number(problems: _Problems, path: str, value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.add(path, f"expected a number, got {value!r}")
        return None
    number = _as_number(value)
    if number is None:
        problems.add(path, f"expected a number, got {value!r}")
    return number


def _property(problems: _Problems, path: str, name: str, value: Any) -> PropertyCondition | None:
    if isinstance(value, list):  # shorthand: {"preferred_language": ["pt"]} is "in"
        value = {"in": value}
    data = problems.object(path, value)
    if data is None:
        return None
    problems.unknown_keys(path, data, _PROPERTY_OPERATORS)
    if not any(op in data for op in _PROPERTY_OPERATORS):
        problems.add(path, f"give at least one of {', '.join(_PROPERTY_OPERATORS)}")
        return None
    any_of = _scalars(problems, f"{path}.in", data["in"]) if "in" in data else None
    none_of = _scalars(problems, f"{path}.not_in", data["not_in"]) if "not_in" in data else None
    exists = None
    if "exists" in data:
        if isinstance(data["exists"], bool):
            exists = data["exists"]
        else:
            problems.add(f"{path}.exists", f"expected true or false, got {data['exists']!r}")
    contains = problems.text(f"{path}.contains", data.get("contains"))
    low = _number(problems, f"{path}.min", data["min"]) if "min" in data else None
    high = _number(problems, f"{path}.max", data["max"]) if "max" in data else None
    if low is not None and high is not None and low > high:
        problems.add(path, f"min {low} is greater than max {high}")
    return PropertyCondition(name, any_of, none_of, exists, contains, low, high)


def _company_size(problems: _Problems, path: str, value: Any) -> CompanySize | None:
    data = problems.object(path, value)
    if data is None:
        return None
    problems.unknown_keys(path, data, ("min", "max"))
    low = problems.whole(f"{path}.min", data.get("min"), 0)
    high = problems.whole(f"{path}.max", data.get("max"), 0)
    if data.get("min") is None and data.get("max") is None:
        problems.add(path, "give min, max or both (numbers of employees, inclusive)")
        return None
    if low is not None and high is not None and low > high:
        problems.add(path, f"min {low} is greater than max {high}")
    return CompanySize(low, high)


def _conditions(
    problems: _Problems,
    path: str,
    value: Any,
    territories: Mapping[str, tuple[str, ...]],
    known: KnownNames,
) -> Conditions:
    if value is None:
        return Conditions()
    data = problems.object(path, value)
    if data is None:
        return Conditions()
    problems.unknown_keys(path, data, _WHEN_KEYS)
    country = _places(problems, f"{path}.country", data["country"]) if (
        "country" in data) else None  # fmt: skip
    territory = None
    places: set[str] = set()
    if "territory" in data:
        territory = _names(problems, f"{path}.territory", data["territory"], territories,
                           "territory")  # fmt: skip
        for name in territory or ():
            places.update(territories[name])
    lists: dict[str, tuple[str, ...] | None] = {}
    for name, known_keys, what in (
        ("product_line", known.product_lines, "product line"),
        ("persona", known.personas, "persona"),
        ("channel", None, "channel"),
        ("campaign", known.campaigns, "campaign"),
    ):
        lists[name] = (
            _names(problems, f"{path}.{name}", data[name], known_keys, what) if name in data
            else None
        )  # fmt: skip
    size = _company_size(problems, f"{path}.company_size", data["company_size"]) if (
        "company_size" in data) else None  # fmt: skip
    props: list[PropertyCondition] = []
    if "properties" in data:
        raw = problems.object(f"{path}.properties", data["properties"])
        if raw is not None:
            if not raw:
                problems.add(f"{path}.properties", "expected at least one property")
            for name, condition in raw.items():
                where = f"{path}.properties.{name}"
                parsed = _property(problems, where, str(name), condition)
                if parsed is not None:
                    props.append(parsed)
    return Conditions(
        country=country,
        territory=territory,
        product_line=lists["product_line"],
        persona=lists["persona"],
        channel=lists["channel"],
        campaign=lists["campaign"],
        company_size=size,
        properties=tuple(props),
        territory_places=frozenset(places),
    )


def _territories(problems: _Problems, value: Any) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    data = problems.object("territories", value)
    if data is None:
        return {}
    result: dict[str, tuple[str, ...]] = {}
    for name, places in data.items():
        key = problems.key(f"territories.{name}", name, "a territory name")
        codes = _places(problems, f"territories.{name}", places)
        if key is not None and codes is not None:
            result[key] = codes
    return result


def _member(problems: _Problems, path: str, value: Any, known: KnownNames) -> Member | None:
    if isinstance(value, str):  # shorthand: "ana@x.example"
        value = {"user": value}
    data = problems.object(path, value)
    if data is None:
        return None
    problems.unknown_keys(path, data, _MEMBER_KEYS)
    user = problems.email(f"{path}.user", data.get("user"))
    if user is not None and known.users is not None and user not in known.users:
        problems.add(f"{path}.user", f"unknown user {user!r}")
        user = None
    weight = problems.whole(f"{path}.weight", data.get("weight"), 1, MAX_WEIGHT)
    capacity = problems.whole(f"{path}.capacity", data.get("capacity"), 0)
    return Member(user, weight, capacity) if user is not None else None


def _pools(problems: _Problems, value: Any, known: KnownNames) -> dict[str, Pool]:
    data = problems.object("pools", value)
    if data is None:
        return {}
    if not data:
        problems.add("pools", "define at least one pool of reps")
    result: dict[str, Pool] = {}
    for key, raw in data.items():
        path = f"pools.{key}"
        checked = problems.key(path, key, "a pool key")
        pool = problems.object(path, raw)
        if checked is None or pool is None:
            continue
        problems.unknown_keys(path, pool, _POOL_KEYS)
        members_raw = pool.get("members")
        if not isinstance(members_raw, list) or not members_raw:
            problems.add(f"{path}.members", f"expected a non-empty list of members, got"
                         f" {members_raw!r}")  # fmt: skip
            continue
        members: list[Member] = []
        seen: set[str] = set()
        for index, item in enumerate(members_raw):
            member = _member(problems, f"{path}.members[{index}]", item, known)
            if member is None:
                continue
            if member.user in seen:
                problems.add(f"{path}.members[{index}].user", f"{member.user} is listed twice")
                continue
            seen.add(member.user)
            members.append(member)
        name = problems.text(f"{path}.name", pool.get("name"))
        result[checked] = Pool(checked, tuple(members), name)
    return result


def _rules(
    problems: _Problems,
    value: Any,
    territories: Mapping[str, tuple[str, ...]],
    known: KnownNames,
    pool_keys: Collection[str],
) -> tuple[Rule, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.add("rules", f"expected a list of rules, got {_type_name(value)}")
        return ()
    result: list[Rule] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(value):
        path = f"rules[{index}]"
        data = problems.object(path, raw)
        if data is None:
            continue
        problems.unknown_keys(path, data, _RULE_KEYS)
        key = problems.key(f"{path}.key", data.get("key"), "a rule key")
        if key is not None and key in seen:
            problems.add(f"{path}.key", f"{key!r} is already the key of rules[{seen[key]}]")
        elif key is not None:
            seen[key] = index
        pool = data.get("pool")
        if pool is None:
            problems.add(f"{path}.pool", "required field is missing (the pool the rule sends"
                         " leads to)")  # fmt: skip
        elif not isinstance(pool, str) or pool not in pool_keys:
            known_pools = ", ".join(sorted(pool_keys)) or "none defined"
            problems.add(f"{path}.pool", f"unknown pool {pool!r} (pools: {known_pools})")
            pool = None
        when = _conditions(problems, f"{path}.when", data.get("when"), territories, known)
        name = problems.text(f"{path}.name", data.get("name"))
        enabled = problems.boolean(f"{path}.enabled", data.get("enabled"), True)
        if key is not None and isinstance(pool, str):
            result.append(Rule(key, pool, when, name, enabled))
    return tuple(result)


def _owner_policy(
    problems: _Problems, path: str, value: Any, default: OwnerPolicy
) -> OwnerPolicy:
    if value is None:
        return default
    data = problems.object(path, value)
    if data is None:
        return default
    problems.unknown_keys(path, data, _OWNER_POLICY_KEYS)
    enabled = problems.boolean(f"{path}.enabled", data.get("enabled"), default.enabled)
    fallback = data.get("when_unavailable", default.when_unavailable)
    if fallback == "rules":
        return OwnerPolicy(enabled, "rules")
    if fallback == "keep":
        return OwnerPolicy(enabled, "keep")
    problems.add(f"{path}.when_unavailable", f"expected one of {', '.join(OWNER_FALLBACKS)},"
                 f" got {fallback!r}")  # fmt: skip
    return default


def _policy(problems: _Problems, value: Any, fallback_pool: str | None) -> Policy:
    default = Policy()
    if value is None:
        return default
    data = problems.object("policy", value)
    if data is None:
        return default
    problems.unknown_keys("policy", data, _POLICY_KEYS)
    company = _owner_policy(problems, "policy.company_owner", data.get("company_owner"),
                            default.company_owner)  # fmt: skip
    captured = _owner_policy(problems, "policy.captured_by", data.get("captured_by"),
                             default.captured_by)  # fmt: skip
    nobody_raw = data.get("when_nobody_available", default.when_nobody_available)
    nobody: NobodyAvailable = default.when_nobody_available
    if nobody_raw == "no_owner":
        nobody = "no_owner"
    elif nobody_raw == "least_loaded":
        nobody = "least_loaded"
    elif nobody_raw == "fallback_pool":
        nobody = "fallback_pool"
        if fallback_pool is None:
            problems.add("policy.when_nobody_available",
                         "fallback_pool needs a fallback_pool in the document")  # fmt: skip
    else:
        expected = ", ".join(NOBODY_AVAILABLE)
        problems.add("policy.when_nobody_available",
                     f"expected one of {expected}, got {nobody_raw!r}")  # fmt: skip
    window = default.default_window_hours
    if "default_window_hours" in data:
        parsed = _number(problems, "policy.default_window_hours", data["default_window_hours"])
        if parsed is not None and parsed <= 0:
            problems.add("policy.default_window_hours", f"must be greater than 0, got {parsed}")
        elif parsed is not None:
            window = parsed
    return Policy(company, captured, nobody, window)


def parse_rules(document: Any, known: KnownNames | None = None) -> RoutingRules:
    """Validate a routing document and return it as a value.

    ``known`` (optional) lists the workspace's users, product lines, personas and
    campaigns: references to anything else are problems too. Every problem found is
    reported at once in one :class:`RoutingRulesError`.
    """
    known = known or KnownNames()
    problems = _Problems()
    data = problems.object("document", document)
    if data is None:
        raise RoutingRulesError(problems.items)
    problems.unknown_keys("document", data, _TOP_KEYS)
    version = data.get("format", FORMAT)
    if version != FORMAT:
        problems.add("format", f"this version reads format {FORMAT}, got {version!r}")
    description = problems.text("description", data.get("description"))
    territories = _territories(problems, data.get("territories"))
    pool_keys = set(data["pools"]) if isinstance(data.get("pools"), Mapping) else set()
    pools = _pools(problems, data.get("pools"), known)
    rules = _rules(problems, data.get("rules"), territories, known, pool_keys)
    fallback = data.get("fallback_pool")
    if fallback is not None and (not isinstance(fallback, str) or fallback not in pool_keys):
        problems.add("fallback_pool", f"unknown pool {fallback!r} (pools:"
                     f" {', '.join(sorted(pool_keys)) or 'none defined'})")  # fmt: skip
        fallback = None
    policy = _policy(problems, data.get("policy"), fallback)
    if problems.items:
        raise RoutingRulesError(problems.items)
    return RoutingRules(territories, pools, rules, fallback, policy, description)


# --------------------------------------------------------------------------- canonical JSON


def _number_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _when_json(when: Conditions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _LIST_CONDITIONS:
        values = getattr(when, name)
        if values is not None:
            out[name] = list(values)
    if when.company_size is not None:
        size = {"min": when.company_size.min, "max": when.company_size.max}
        out["company_size"] = {k: v for k, v in size.items() if v is not None}
    if when.properties:
        props: dict[str, Any] = {}
        for cond in when.properties:
            item: dict[str, Any] = {}
            if cond.any_of is not None:
                item["in"] = list(cond.any_of)
            if cond.none_of is not None:
                item["not_in"] = list(cond.none_of)
            if cond.exists is not None:
                item["exists"] = cond.exists
            if cond.contains is not None:
                item["contains"] = cond.contains
            if cond.min is not None:
                item["min"] = _number_json(cond.min)
            if cond.max is not None:
                item["max"] = _number_json(cond.max)
            props[cond.name] = item
        out["properties"] = props
    return out


def _owner_json(policy: OwnerPolicy) -> dict[str, Any]:
    return {"enabled": policy.enabled, "when_unavailable": policy.when_unavailable}


def rules_to_json(rules: RoutingRules) -> dict[str, Any]:
    """The canonical JSON of a document: every policy field written, optional fields
    only when set, lists in the document's order."""
    out: dict[str, Any] = {"format": FORMAT}
    if rules.description is not None:
        out["description"] = rules.description
    out["territories"] = {name: list(places) for name, places in rules.territories.items()}
    pools: dict[str, Any] = {}
    for key, pool in rules.pools.items():
        members = []
        for member in pool.members:
            item: dict[str, Any] = {"user": member.user}
            if member.weight is not None:
                item["weight"] = member.weight
            if member.capacity is not None:
                item["capacity"] = member.capacity
            members.append(item)
        pools[key] = {**({"name": pool.name} if pool.name else {}), "members": members}
    out["pools"] = pools
    rules_out = []
    for rule in rules.rules:
        entry: dict[str, Any] = {"key": rule.key}
        if rule.name is not None:
            entry["name"] = rule.name
        if not rule.enabled:
            entry["enabled"] = False
        entry["when"] = _when_json(rule.when)
        entry["pool"] = rule.pool
        rules_out.append(entry)
    out["rules"] = rules_out
    out["fallback_pool"] = rules.fallback_pool
    policy = rules.policy
    out["policy"] = {
        "company_owner": _owner_json(policy.company_owner),
        "captured_by": _owner_json(policy.captured_by),
        "when_nobody_available": policy.when_nobody_available,
        "default_window_hours": _number_json(policy.default_window_hours),
    }
    return out
