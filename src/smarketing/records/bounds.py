"""The bounds every door applies to what it accepts, as pydantic types (pure).

Records of an import, the JSON API, webhooks, tracked forms and CSV rows are validated
with these types, so a value is accepted or refused the same way, with the same words,
whichever way it comes in (docs/ingestion.md, "Bounds"):

- instants between 1900-01-01 and one year after now (`latest`, given to the validation
  as context by the caller, since pure code does not read the clock); dates between
  1900-01-01 and 2100-12-31;
- texts no longer than their column and without NUL characters (no database stores
  them in text);
- amounts with at most two decimals, below 10^15, not negative where a cost or a deal;
- countries ISO 3166-1 alpha-2, currencies ISO 4217;
- ids of rows within their 32-bit column;
- `properties`: a JSON object at most 10 levels deep and 64 KiB, integers within 64
  bits (kept exactly; a larger one is refused rather than turned into a float), finite
  numbers, no NUL.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Annotated, Any

import orjson
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)
MAX_AMOUNT = Decimal("1e15")
MAX_ROW_ID = 2**31 - 1
MAX_INT = 2**63 - 1
MAX_DEPTH = 10
MAX_PROPERTIES_BYTES = 65536
#: The context key of the latest instant accepted (one year after now).
LATEST = "latest"


# --------------------------------------------------------------------------- instants


def check_instant(value: datetime, latest: datetime | None) -> datetime:
    """`value` in UTC when it lies between 1900 and `latest`; ValueError otherwise."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value.isoformat()} has no UTC offset "
                         "(write e.g. 2026-10-09T17:30:00+02:00)")  # fmt: skip
    if value.year < EARLIEST.year:
        raise ValueError(f"{value.isoformat()} is before 1900-01-01")
    if value.year > LATEST_DAY.year:
        raise ValueError(f"{value.isoformat()} is after {LATEST_DAY}")
    utc = value.astimezone(UTC)
    if utc < EARLIEST:
        raise ValueError(f"{value.isoformat()} is before 1900-01-01")
    if latest is not None and utc > latest:
        raise ValueError(f"{value.isoformat()} is more than a year in the future")
    return utc


def _latest(info: ValidationInfo) -> datetime | None:
    context = info.context if isinstance(info.context, dict) else {}
    latest = context.get(LATEST)
    return latest if isinstance(latest, datetime) else None


def _parse_instant(value: Any) -> datetime:
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
    return parsed


def _instant_in_bounds(value: datetime, info: ValidationInfo) -> datetime:
    return check_instant(value, _latest(info))


#: An ISO 8601 string with an offset, between 1900 and a year ahead (records).
Instant = Annotated[datetime, BeforeValidator(_parse_instant), AfterValidator(_instant_in_bounds)]
#: Any datetime pydantic reads, with an offset, within the same bounds (the JSON API).
LiveInstant = Annotated[datetime, AfterValidator(_instant_in_bounds)]


def _parse_day(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date string (YYYY-MM-DD)")
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date (YYYY-MM-DD)") from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"{value!r} is not between {EARLIEST_DAY} and {LATEST_DAY}")
    return day


Day = Annotated[date, BeforeValidator(_parse_day)]


# --------------------------------------------------------------------------- text


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character (\\u0000), which no database stores in text")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


#: Texts of at most so many characters, without NUL (the lengths of their columns).
Name = Annotated[str, Field(max_length=200), AfterValidator(no_nul)]
ShortName = Annotated[str, Field(max_length=100), AfterValidator(no_nul)]
Timezone = Annotated[str, Field(max_length=64), AfterValidator(no_nul)]
Key = Annotated[str, Field(max_length=100), AfterValidator(no_nul), AfterValidator(_not_blank)]
Title = Annotated[str, Field(max_length=200), AfterValidator(no_nul), AfterValidator(_not_blank)]
CompanyName = Annotated[str, Field(max_length=255), AfterValidator(no_nul),
                        AfterValidator(_not_blank)]  # fmt: skip
Phone = Annotated[str, Field(max_length=32), AfterValidator(no_nul)]
CompanyRef = Annotated[str, Field(max_length=255), AfterValidator(no_nul)]
Reason = Annotated[str, Field(max_length=2000), AfterValidator(no_nul)]
Note = Annotated[str, Field(max_length=5000), AfterValidator(no_nul)]
Url = Annotated[str, Field(max_length=8192), AfterValidator(no_nul)]
Content = Annotated[str, Field(max_length=65536), AfterValidator(no_nul)]
ActivityId = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(no_nul),
                       AfterValidator(_not_blank)]  # fmt: skip


#: A plain ASCII address: a dot-atom local part, hostname labels and a letters-only
#: top-level domain. email_validator accepts exactly these (but the special-use names
#: below) and normalizes them to themselves with the domain lower-cased, so they take a
#: fast path; anything else (quotes, Unicode, punycode, IP literals) goes through it.
_PLAIN_EMAIL = re.compile(
    r"(?=.{1,254}$)(?=[^@]{1,64}@)"
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:(?![A-Za-z0-9-]{2}--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}")
_SPECIAL_USE = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


@lru_cache(maxsize=65536)
def normalize_email(value: str) -> str:
    """Syntax-check an address and return its normalized, lower-cased form.

    Cached: one contact's address appears on every line of its story.
    """
    no_nul(value)
    text = value.strip()
    if _PLAIN_EMAIL.fullmatch(text) and text.rsplit(".", 1)[1].lower() not in _SPECIAL_USE:
        return text.lower()
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid email address: {exc}") from None
    return checked.normalized.lower()


Email = Annotated[str, Field(max_length=320), AfterValidator(normalize_email)]


# --------------------------------------------------------------------------- codes


@cache
def _countries() -> frozenset[str]:
    from babel import Locale

    codes = [str(code) for code in Locale("en").territories]
    regions = {code for code in codes if len(code) == 2 and code.isalpha()}
    return frozenset(regions - {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})


@cache
def _currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def country_code(value: str) -> str:
    code = value.strip().upper()
    if code not in _countries():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. ES, PT, IT)")
    return code


def currency_code(value: str) -> str:
    code = value.strip().upper()
    if code not in _currencies():
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. EUR, USD)")
    return code


Country = Annotated[str, AfterValidator(country_code)]
Currency = Annotated[str, AfterValidator(currency_code)]


# --------------------------------------------------------------------------- numbers


def money(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("must be a decimal string or number")
    try:
        amount = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValueError(f"{value!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    if abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"{value!r} is too large (at most 999999999999999.99)")
    try:
        exact = amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal amount") from None
    if amount != exact:
        raise ValueError(f"{value!r} has more than two decimals")
    return exact


def _not_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"{value} is negative")
    return value


Money = Annotated[Decimal, BeforeValidator(money)]
Amount = Annotated[Decimal, BeforeValidator(money), AfterValidator(_not_negative)]
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
Count = Annotated[int, Field(ge=0, le=MAX_ROW_ID)]


# --------------------------------------------------------------------------- properties


def json_within_bounds(value: Any, where: str = "", depth: int = 0) -> None:
    """ValueError naming the path when a JSON value breaks the bounds of `properties`."""
    if depth > MAX_DEPTH:
        raise ValueError(f"{where or 'value'}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, str):
        no_nul_at(value, where)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_INT:
            raise ValueError(f"{where or 'value'}: {value} does not fit in 64 bits; "
                             "send it as a string")  # fmt: skip
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{where or 'value'}: not a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            no_nul_at(str(key), where)
            json_within_bounds(item, f"{where}.{key}" if where else str(key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            json_within_bounds(item, f"{where}[{index}]", depth + 1)
    else:
        raise ValueError(f"{where or 'value'}: not a JSON value")


def no_nul_at(value: str, where: str) -> None:
    if "\x00" in value:
        raise ValueError(f"{where or 'value'}: contains a NUL character (\\u0000)")


def properties(value: dict[str, Any]) -> dict[str, Any]:
    json_within_bounds(value)
    size = len(orjson.dumps(value))
    if size > MAX_PROPERTIES_BYTES:
        raise ValueError(f"{size} bytes of JSON; at most {MAX_PROPERTIES_BYTES}")
    return value


Properties = Annotated[dict[str, Any], AfterValidator(properties)]


#: Deeper than this, a stored value is shown cut (pydantic's JSON encoder stops at 255).
SHOWN_DEPTH = 64
CUT = "…"


def shown(value: Any, depth: int = 0) -> Any:
    """A stored JSON value as answers show it: levels below SHOWN_DEPTH replaced by "…".
    Only values stored before the bounds existed are that deep; the export keeps them
    whole."""
    if isinstance(value, dict):
        if depth >= SHOWN_DEPTH:
            return CUT
        return {key: shown(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        if depth >= SHOWN_DEPTH:
            return CUT
        return [shown(item, depth + 1) for item in value]
    return value
