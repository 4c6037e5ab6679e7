"""What persona matching and fit scoring know of a contact, and the checks made on it.

A `ContactProfile` is a plain snapshot of one contact (its company's size and industry
included), built by the caller. `ProfileCriteria` is the JSON object both persona
criteria and fit rules are made of; each criterion it holds is checked on a profile and
gives a `Check`: matched, missed (the contact has the data and it does not fit) or
unknown (the contact lacks the data).

Text is compared case-, accent- and punctuation-insensitively: 'Diseñadora  de Cocinas!'
reads as the words `disenadora de cocinas`. A job-title keyword is a word or a phrase
that must appear as whole consecutive words of the title; a word ending in `*` matches
any word that starts with it (`diseñador*` matches diseñador, diseñadora, diseñadores).

Property conditions name a profile field (`email`, `email_domain`, `job_title`,
`country`, `industry`, `employees`, `persona`, `product_lines`) or else a key of the
contact's `properties`. Operators: `equals`, `one_of`, `contains`, `exists` (value true,
the default, or false for "is absent"), `gt`, `gte`, `lt`, `lte` (numbers, or numeric
strings on the contact's side). A list-valued property satisfies `equals`, `one_of` and
`contains` when one of its items does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any, Literal, TypeVar

import orjson
from babel import Locale
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticError

from smarketing.contacts.duplicates import normalize_name
from smarketing.core.errors import ValidationError as DocumentError
from smarketing.core.errors import json_type

Outcome = Literal["matched", "missed", "unknown"]
Operator = Literal["equals", "one_of", "contains", "exists", "gt", "gte", "lt", "lte"]
PROFILE_FIELDS = ("email", "email_domain", "job_title", "country", "industry", "employees",
                  "persona", "product_lines")  # fmt: skip
_NUMERIC_OPS = {"gt", "gte", "lt", "lte"}
_NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}

# ---------------------------------------------------------------------------- the profile


@dataclass(frozen=True, slots=True)
class ContactProfile:
    """One contact as matching and fit scoring see it. Unknown facts are None."""

    email: str | None = None
    job_title: str | None = None
    country: str | None = None  # ISO 3166 alpha-2
    industry: str | None = None  # the company's
    employees: int | None = None  # the company's
    persona: str | None = None  # persona key, when one is assigned
    product_lines: frozenset[str] = frozenset()  # product interest (product line keys)
    properties: Mapping[str, Any] = field(default_factory=dict)

    @property
    def email_domain(self) -> str | None:
        if not self.email or "@" not in self.email:
            return None
        return self.email.rpartition("@")[2].strip().lower() or None

    def value(self, name: str) -> Any:
        """A profile field by name, else the contact property `name` (None when absent)."""
        if name in PROFILE_FIELDS:
            found = getattr(self, name)
            return sorted(found) if isinstance(found, frozenset) else found
        return self.properties.get(name)


@dataclass(frozen=True, slots=True)
class Check:
    """One criterion checked on one profile; `fact` says what was compared."""

    criterion: str
    outcome: Outcome
    fact: str


# ---------------------------------------------------------------------------- text


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case, accents stripped, spaces collapsed: for comparing values."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(plain.split())


@dataclass(frozen=True, slots=True)
class Keyword:
    """A job-title keyword: normalized words, each exact or a prefix (written with '*')."""

    text: str
    words: tuple[tuple[str, bool], ...]  # (word, is_prefix)

    def found_in(self, title_words: tuple[str, ...]) -> bool:
        size = len(self.words)
        for start in range(len(title_words) - size + 1):
            if all(_word_matches(title_words[start + i], w) for i, w in enumerate(self.words)):
                return True
        return False


def _word_matches(word: str, pattern: tuple[str, bool]) -> bool:
    text, prefix = pattern
    return word.startswith(text) if prefix else word == text


@lru_cache(maxsize=4096)
def parse_keyword(text: str) -> Keyword:
    """'Diseñador* de cocinas' -> words (disenador, prefix), (de), (cocinas)."""
    words: list[tuple[str, bool]] = []
    for piece in text.split():
        prefix = piece.endswith("*")
        parts = normalize_name(piece.rstrip("*")).split()
        words.extend((part, False) for part in parts[:-1])
        if parts:
            words.append((parts[-1], prefix))
    if not words:
        raise ValueError(f"keyword {text!r} has no letters or digits")
    return Keyword(text, tuple(words))


@lru_cache(maxsize=65536)
def title_words(title: str) -> tuple[str, ...]:
    return tuple(normalize_name(title).split())


@lru_cache(maxsize=65536)
def normalized_title(title: str) -> str:
    return normalize_name(title)


def _keyword_regex(keyword: Keyword) -> str:
    return " ".join(re.escape(word) + (r"\w*" if prefix else "") for word, prefix in keyword.words)


@lru_cache(maxsize=1024)
def keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a list of keywords over a normalized title; group k<i> is keyword i."""
    alternatives = "|".join(
        f"(?P<k{i}>{_keyword_regex(parse_keyword(k))})" for i, k in enumerate(keywords)
    )
    return re.compile(rf"(?<!\S)(?:{alternatives})(?!\S)")


def first_keyword(keywords: tuple[str, ...], title: str) -> str | None:
    """The keyword found first in `title` (leftmost; at the same place, the first listed),
    or None."""
    if not keywords:
        return None
    match = keyword_pattern(keywords).search(normalized_title(title))
    if match is None or match.lastgroup is None:
        return None
    return keywords[int(match.lastgroup[1:])]


# ---------------------------------------------------------------------------- documents


def as_tuple(value: Any) -> Any:
    """JSON arrays as tuples, and a lone string as a one-item tuple ("x" -> ("x",))."""
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, list) else value


Strings = Annotated[tuple[str, ...], BeforeValidator(as_tuple)]


class Document(BaseModel):
    """Base of the JSON documents: unknown keys refused, no type coercion, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


D = TypeVar("D", bound=Document)


def parse_document(kind: type[D], data: Any, where: str) -> D:
    """Validate decoded JSON (an object) as `kind`; bad input raises a ValidationError
    whose message names each path under `where`."""
    if not isinstance(data, Mapping):
        raise DocumentError(f"{where}: must be a JSON object, got {json_type(data)}")
    try:
        return kind.model_validate_json(orjson.dumps(data))
    except PydanticError as exc:
        raise DocumentError(error_text(exc, where)) from None
    except orjson.JSONEncodeError as exc:
        raise DocumentError(f"{where}: not JSON data ({exc})") from None


def error_text(exc: PydanticError, root: str) -> str:
    """Pydantic's errors as 'root.path[2].field: message' parts joined by '; '."""
    parts = []
    for error in exc.errors():
        path = root
        for step in error["loc"]:
            path += f"[{step}]" if isinstance(step, int) else f".{step}"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (a typo?)"
        parts.append(f"{path}: {message}")
    return "; ".join(parts)


def _country(code: str) -> str:
    upper = code.strip().upper()
    if len(upper) != 2 or upper in _NOT_COUNTRIES or upper not in _territories():
        raise ValueError(f"{code!r} is not an ISO 3166 alpha-2 country code (e.g. ES, PT, IT)")
    return upper


@lru_cache(maxsize=1)
def _territories() -> frozenset[str]:
    codes = (str(k) for k in Locale("en").territories)
    return frozenset(k for k in codes if len(k) == 2 and k.isalpha())


class EmployeeRange(Document):
    """Company size in employees, both ends included; either end may be left out."""

    min: Annotated[int, Field(ge=0)] | None = None
    max: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> EmployeeRange:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self

    def holds(self, employees: int) -> bool:
        low = self.min if self.min is not None else 0
        return low <= employees and (self.max is None or employees <= self.max)

    def describe(self) -> str:
        if self.max is None:
            return f">= {self.min}"
        return f"<= {self.max}" if self.min is None else f"{self.min}..{self.max}"


class PropertyCondition(Document):
    """A condition on one property: {"property": "city", "op": "equals", "value": "Madrid"}."""

    property: Annotated[str, Field(min_length=1, max_length=100)]
    op: Operator
    value: Any = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> PropertyCondition:
        problem = _value_problem(self.op, self.value)
        if problem:
            raise ValueError(f"{self.op}: {problem}")
        return self

    def check(self, profile: ContactProfile) -> Check:
        actual = profile.value(self.property)
        name = f"property {self.property}"
        if _absent(actual):
            if self.op == "exists":
                wanted = self.value is False
                return Check(name, "matched" if wanted else "missed", f"{self.property} is absent")
            return Check(name, "unknown", f"{self.property} is absent")
        verb = _outcome(_holds(self.op, actual, self.value))
        return Check(name, verb, f"{self.property} {actual!r} {self.op} {self.value!r}")


def _value_problem(op: str, value: Any) -> str | None:
    scalar = (str, int, float, bool)
    if op == "exists":
        return None if value is None or isinstance(value, bool) else "value must be true or false"
    if op == "one_of":
        if not isinstance(value, list | tuple) or not value:
            return "value must be a non-empty array"
        if not all(isinstance(v, scalar) for v in value):
            return "every value must be a string, number or boolean"
        return None
    if op in _NUMERIC_OPS:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return None if number else f"value must be a number, got {value!r}"
    return None if isinstance(value, scalar) else "value must be a string, number or boolean"


def _absent(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip()) if isinstance(value, int | float | str) else None
    except InvalidOperation:
        return None
    return number if number is not None and number.is_finite() else None


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    if isinstance(actual, str) and isinstance(expected, str):
        return fold(actual) == fold(expected)
    left, right = _number(actual), _number(expected)
    return left is not None and left == right


def _holds(op: str, actual: Any, expected: Any) -> bool:
    items = list(actual) if isinstance(actual, list | tuple) else [actual]
    if op == "exists":
        return expected is not False
    if op == "equals":
        return any(_same(item, expected) for item in items)
    if op == "one_of":
        return any(_same(item, option) for item in items for option in expected)
    if op == "contains":
        if isinstance(actual, str):
            return fold(str(expected)) in fold(actual)
        return any(_same(item, expected) for item in items)
    return _compare(op, _number(actual), _number(expected))


def _compare(op: str, left: Decimal | None, right: Decimal | None) -> bool:
    if left is None or right is None:
        return False
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]


def _keywords_valid(keywords: tuple[str, ...]) -> tuple[str, ...]:
    for keyword in keywords:
        parse_keyword(keyword)
    return keywords


def _countries_valid(codes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_country(code) for code in codes)


Keywords = Annotated[Strings, AfterValidator(_keywords_valid)]
Countries = Annotated[Strings, AfterValidator(_countries_valid)]


class ProfileCriteria(Document):
    """The criteria persona definitions and fit rules share. Inside a list any item may
    match; every criterion given counts on its own."""

    job_titles: Keywords = ()
    employees: EmployeeRange | None = None
    industries: Strings = ()
    countries: Countries = ()
    product_lines: Strings = ()
    properties: tuple[PropertyCondition, ...] = ()

    def checks(self, profile: ContactProfile) -> list[Check]:
        """Every criterion given, checked on `profile`, in the order of the fields."""
        found: list[Check] = []
        if self.job_titles:
            found.append(self._job_title(profile))
        if self.employees is not None:
            found.append(_employees(profile.employees, self.employees))
        if self.industries:
            found.append(self._industry(profile))
        if self.countries:
            found.append(self._country(profile))
        if self.product_lines:
            found.append(self._product_lines(profile))
        found.extend(condition.check(profile) for condition in self.properties)
        return found

    def holds(self, profile: ContactProfile) -> bool:
        """Whether every criterion given is matched (unknown data does not match): what
        `checks` says, without building the facts."""
        title, country = profile.job_title, profile.country
        if self.job_titles and (not title or first_keyword(self.job_titles, title) is None):
            return False
        size = profile.employees
        if self.employees is not None and (size is None or not self.employees.holds(size)):
            return False
        industry = profile.industry
        if self.industries and (not industry or fold(industry) not in _folded(self.industries)):
            return False
        if self.countries and (not country or country.upper() not in self.countries):
            return False
        if self.product_lines and profile.product_lines.isdisjoint(self.product_lines):
            return False
        return all(c.check(profile).outcome == "matched" for c in self.properties)

    def _job_title(self, profile: ContactProfile) -> Check:
        title = profile.job_title
        if not title or not normalized_title(title):
            return Check("job title", "unknown", "no job title")
        keyword = first_keyword(self.job_titles, title)
        if keyword is None:
            return Check("job title", "missed", f"job title {title!r} has none of the keywords")
        return Check("job title", "matched", f"job title {title!r} has {keyword!r}")

    def _industry(self, profile: ContactProfile) -> Check:
        return _one_of("industry", profile.industry, self.industries)

    def _country(self, profile: ContactProfile) -> Check:
        country = profile.country.upper() if profile.country else None
        return _one_of("country", country, self.countries)

    def _product_lines(self, profile: ContactProfile) -> Check:
        if not profile.product_lines:
            return Check("product interest", "unknown", "no product interest known")
        shared = sorted(profile.product_lines & set(self.product_lines))
        if shared:
            return Check("product interest", "matched", f"product interest {', '.join(shared)}")
        have = ", ".join(sorted(profile.product_lines))
        return Check("product interest", "missed", f"product interest {have}, not wanted")


@lru_cache(maxsize=1024)
def _folded(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(fold(v) for v in values)


def _outcome(held: bool) -> Outcome:
    return "matched" if held else "missed"


def _employees(size: int | None, wanted: EmployeeRange) -> Check:
    if size is None:
        return Check("company size", "unknown", "company size unknown")
    verb = _outcome(wanted.holds(size))
    return Check("company size", verb, f"{size} employees, wanted {wanted.describe()}")


def _one_of(criterion: str, actual: str | None, wanted: tuple[str, ...]) -> Check:
    if not actual:
        return Check(criterion, "unknown", f"{criterion} unknown")
    folded = fold(actual)
    if any(fold(option) == folded for option in wanted):
        return Check(criterion, "matched", f"{criterion} {actual!r}")
    return Check(criterion, "missed", f"{criterion} {actual!r} not in {', '.join(wanted)}")
