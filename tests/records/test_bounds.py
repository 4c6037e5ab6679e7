"""The bounds every door applies (smarketing.records.bounds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from smarketing.records import bounds

ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-."
HOST = "abcxyz019-."


def _slow(address: str) -> str | None:
    """What email_validator alone says: the normalized, lower-cased address or None."""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _fast(address: str) -> str | None:
    bounds.normalize_email.cache_clear()
    try:
        return bounds.normalize_email(address)
    except ValueError:
        return None


@settings(max_examples=2000)
@given(local=st.text(ATEXT, min_size=1, max_size=70), host=st.text(HOST, min_size=1, max_size=30),
       tld=st.sampled_from(["com", "example", "es", "IT", "c1", "x", "test", "localhost",
                            "museum", "pt"]))  # fmt: skip
def test_the_fast_path_agrees_with_email_validator(local: str, host: str, tld: str) -> None:
    address = f"{local}@{host}.{tld}"
    assert _fast(address) == _slow(address)


@pytest.mark.parametrize("address", ["Ana.Ruiz@Studio.Example", '"q"@x.com', "a@b.test",
                                     "ana@xn--bcher-kva.example", "josé@cañada.es", "a@b.c1"])
def test_unusual_addresses_get_email_validators_answer(address: str) -> None:
    assert _fast(address) == _slow(address)


@pytest.mark.parametrize(("value", "words"), [
    (datetime(1899, 12, 31, 23, 0, tzinfo=UTC), "before 1900-01-01"),
    (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), "before 1900-01-01"),
    (datetime(9999, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5))), "after 2100-12-31"),
    (datetime(2027, 3, 2, tzinfo=UTC), "more than a year in the future"),
])  # fmt: skip
def test_instants_outside_the_bounds_are_refused_by_name(value: datetime, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        bounds.check_instant(value, latest=datetime(2027, 3, 1, tzinfo=UTC))


def test_the_last_accepted_instant() -> None:
    latest = datetime(2027, 3, 1, tzinfo=UTC)
    assert bounds.check_instant(latest, latest) == latest


@pytest.mark.parametrize(("value", "words"), [
    ("1e100", "too large"), ("1e26", "too large"), ("12.345", "more than two decimals"),
    ("NaN", "not a finite amount"), ("abc", "not a decimal amount"), (True, "must be"),
])  # fmt: skip
def test_amounts_outside_the_bounds_are_refused(value: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        bounds.money(value)


def test_the_largest_amount() -> None:
    assert bounds.money("999999999999999.99") == Decimal("999999999999999.99")


@pytest.mark.parametrize(("value", "words"), [
    ({"a": 2**63}, "a: 9223372036854775808 does not fit in 64 bits"),
    ({"a": [{"b": "x\x00"}]}, r"a\[0\].b: contains a NUL"),
    ({"k\x00": 1}, "contains a NUL"),
    ({"f": float("nan")}, "f: not a finite number"),
])  # fmt: skip
def test_properties_outside_the_bounds_are_refused_naming_the_path(value: dict[str, object],
                                                                   words: str) -> None:  # fmt: skip
    with pytest.raises(ValueError, match=words):
        bounds.properties(value)  # type: ignore[arg-type]


def test_properties_depth_and_size() -> None:
    deep: dict[str, object] = {"leaf": 2**63 - 1}
    for _ in range(bounds.MAX_DEPTH):
        deep = {"x": deep}
    with pytest.raises(ValueError, match="nested more than 10 levels"):
        bounds.properties(deep)
    assert bounds.properties(deep["x"]) == deep["x"]  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bytes of JSON"):
        bounds.properties({"big": "x" * 70_000})


@pytest.mark.parametrize(("code", "ok"), [("es", "ES"), ("PT", "PT"), ("12", None),
                                          ("EU", None), ("ZZ", None)])
def test_countries(code: str, ok: str | None) -> None:
    if ok is None:
        with pytest.raises(ValueError, match="ISO 3166"):
            bounds.country_code(code)
    else:
        assert bounds.country_code(code) == ok


@pytest.mark.parametrize(("code", "ok"), [("eur", "EUR"), ("QQQ", None), ("EURO", None)])
def test_currencies(code: str, ok: str | None) -> None:
    if ok is None:
        with pytest.raises(ValueError, match="ISO 4217"):
            bounds.currency_code(code)
    else:
        assert bounds.currency_code(code) == ok


def test_shown_cuts_only_what_is_too_deep() -> None:
    value: object = "leaf"
    for _ in range(bounds.SHOWN_DEPTH + 5):
        value = {"x": value}
    cut = bounds.shown(value)
    depth = 0
    while isinstance(cut, dict):
        cut, depth = cut["x"], depth + 1
    assert (cut, depth) == (bounds.CUT, bounds.SHOWN_DEPTH)
    assert bounds.shown({"a": [1, {"b": 2}]}) == {"a": [1, {"b": 2}]}
