"""Pure preset logic: header mapping, dates, stages, escaping."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from smarketing.ingest.csv_presets import (
    CONTACT_FIELDS,
    GENERIC,
    HUBSPOT,
    RD_STATION,
    SALESFORCE,
    MappingError,
    RowError,
    build_column_map,
    detect_preset,
    escape_cell,
    map_row,
    map_stage,
    parse_date,
    parse_mapping,
    with_date_order,
)

MADRID = ZoneInfo("Europe/Madrid")


@pytest.mark.parametrize(
    ("text", "preset", "expected"),
    [
        ("2026-03-14 10:22", HUBSPOT, datetime(2026, 3, 14, 9, 22, tzinfo=UTC)),
        ("2026-03-14T10:22:00Z", HUBSPOT, datetime(2026, 3, 14, 10, 22, tzinfo=UTC)),
        ("2026-03-14T10:22:00+02:00", GENERIC, datetime(2026, 3, 14, 8, 22, tzinfo=UTC)),
        ("3/14/2026, 10:22 AM", SALESFORCE, datetime(2026, 3, 14, 9, 22, tzinfo=UTC)),
        ("3/14/2026 4:05 PM", SALESFORCE, datetime(2026, 3, 14, 15, 5, tzinfo=UTC)),
        ("3/14/2026", SALESFORCE, datetime(2026, 3, 13, 23, 0, tzinfo=UTC)),
        ("14/03/2026 10:22:00", RD_STATION, datetime(2026, 3, 14, 9, 22, tzinfo=UTC)),
        ("14/03/2026", RD_STATION, datetime(2026, 3, 13, 23, 0, tzinfo=UTC)),
        ("2026-07-01 10:00", HUBSPOT, datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),  # summer time
    ],
)
def test_dates_in_each_tools_format_are_read_in_the_workspace_timezone(
    text: str, preset: object, expected: datetime
) -> None:
    assert parse_date(text, preset.date_formats, MADRID) == expected  # type: ignore[attr-defined]


@pytest.mark.parametrize(("text", "preset"), [
    ("14/03/2026", SALESFORCE), ("31/02/2026 10:00:00", RD_STATION), ("yesterday", HUBSPOT),
    ("3/14/2026", GENERIC),
])  # fmt: skip
def test_unparseable_dates_are_row_errors(text: str, preset: object) -> None:
    with pytest.raises(RowError, match="not in a known format"):
        parse_date(text, preset.date_formats, MADRID)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("text", "preset", "order", "expected"), [
    ("14/03/2026 10:22", SALESFORCE, "day-first", datetime(2026, 3, 14, 9, 22, tzinfo=UTC)),
    ("03/04/2026", HUBSPOT, "day-first", datetime(2026, 4, 2, 22, 0, tzinfo=UTC)),
    ("03/04/2026", HUBSPOT, None, datetime(2026, 3, 3, 23, 0, tzinfo=UTC)),
    ("3/14/2026 10:22:00", RD_STATION, "month-first", datetime(2026, 3, 14, 9, 22, tzinfo=UTC)),
    ("2026-03-14 10:22", SALESFORCE, "day-first", datetime(2026, 3, 14, 9, 22, tzinfo=UTC)),
])  # fmt: skip
def test_the_date_order_can_be_chosen(text: str, preset: object, order: str | None,
                                      expected: datetime) -> None:  # fmt: skip
    chosen = with_date_order(preset, order)  # type: ignore[arg-type]
    assert parse_date(text, chosen.date_formats, MADRID) == expected


@pytest.mark.parametrize(("text", "preset", "hint"), [
    ("14/03/2026 10:22", SALESFORCE, " (it reads as day-first: use --date-order day-first)"),
    ("3/14/2026", RD_STATION, " (it reads as month-first: use --date-order month-first)"),
    ("yesterday", SALESFORCE, ""),
])  # fmt: skip
def test_a_date_in_the_other_order_says_how_to_read_it(text: str, preset: object,
                                                       hint: str) -> None:  # fmt: skip
    with pytest.raises(RowError) as refused:
        parse_date(text, preset.date_formats, MADRID)  # type: ignore[attr-defined]
    assert str(refused.value) == f"date {text!r} is not in a known format{hint}"


def test_a_day_first_preset_refuses_month_first_dates() -> None:
    with pytest.raises(RowError, match="not in a known format"):
        parse_date("3/14/2026", with_date_order(SALESFORCE, "day-first").date_formats, MADRID)
    with pytest.raises(MappingError, match="use day-first or month-first"):
        with_date_order(SALESFORCE, "year-first")


@pytest.mark.parametrize(("preset", "value", "stage"), [
    (HUBSPOT, "Marketing Qualified Lead", "mql"), (HUBSPOT, "salesqualifiedlead", "sql"),
    (HUBSPOT, "Customer", "customer"), (SALESFORCE, "Open - Not Contacted", "lead"),
    (SALESFORCE, "Working - Contacted", "sql"), (SALESFORCE, "Closed - Converted", "opportunity"),
    (SALESFORCE, "Closed - Not Converted", "other"), (RD_STATION, "Lead Qualificado", "mql"),
    (RD_STATION, "Cliente", "customer"), (RD_STATION, "Lead", "lead"), (GENERIC, "MQL", "mql"),
])  # fmt: skip
def test_tool_stage_names_map_to_lifecycle_stages(preset: object, value: str, stage: str) -> None:
    assert map_stage(value, preset) == (stage, None)  # type: ignore[arg-type]


def test_unknown_stage_is_lead_keeping_the_original() -> None:
    assert map_stage("Partner", HUBSPOT) == ("lead", "Partner")
    assert map_stage("", HUBSPOT) == ("lead", None)


def test_presets_are_detected_from_their_headers() -> None:
    assert detect_preset(["Record ID", "Email", "Lifecycle Stage"]) is HUBSPOT
    assert detect_preset(["Lead ID", "Email"]) is SALESFORCE
    assert detect_preset(["Email", "Nome", "Estágio no funil"]) is RD_STATION
    assert detect_preset(["E-mail", "Empresa"]) is GENERIC


def test_generic_mapping() -> None:
    mapping = parse_mapping("E-mail=email, Empresa=company,Nome=full_name")
    assert mapping == {"E-mail": "email", "Empresa": "company", "Nome": "full_name"}
    columns = build_column_map(["Nome", "E-mail", "Empresa", "Notas"], GENERIC, mapping)
    row = map_row(["Ana Maria Lima", "ana@x.com", "Lima SA", "vip"], columns, GENERIC, MADRID)
    assert row.values == {"email": "ana@x.com", "company": "Lima SA", "first_name": "Ana",
                          "last_name": "Maria Lima"}  # fmt: skip
    assert row.properties == {"Notas": "vip"}
    assert row.created_at is None
    assert row.stage == "lead"


@pytest.mark.parametrize(("text", "message"), [
    ("E-mail", "--map entry 'E-mail' is not HEADER=field"),
    ("Empresa=company, =email", "--map entry '=email' is not HEADER=field"),
    ("E-mail=", "--map entry 'E-mail=' is not HEADER=field"),
    ("Empresa=company,E-mail=mail", "--map entry 'E-mail=mail': 'mail' is not a contact field; "
                                    "use one of " + ", ".join(CONTACT_FIELDS)),
])  # fmt: skip
def test_a_bad_mapping_entry_is_refused_by_name(text: str, message: str) -> None:
    """The message names the entry at fault (among several) and what its field must be."""
    with pytest.raises(MappingError) as refused:
        parse_mapping(text)
    assert str(refused.value) == message


def test_no_email_column_names_the_headers_seen() -> None:
    with pytest.raises(MappingError, match=r"headers seen: 'Email;Nome;Empresa'.*delimiter"):
        build_column_map(["Email;Nome;Empresa"], GENERIC, delimiter=",")


def test_second_column_for_a_field_is_kept_in_properties() -> None:
    headers = ["Email", "Telefone", "Celular"]
    columns = build_column_map(headers, RD_STATION)
    both = map_row(["a@b.com", "111", "222"], columns, RD_STATION, MADRID)
    assert both.values["phone"] == "111"
    assert both.properties == {"Celular": "222"}
    mobile_only = map_row(["a@b.com", "", "222"], columns, RD_STATION, MADRID)
    assert mobile_only.values["phone"] == "222"
    assert mobile_only.properties == {}


def test_row_errors() -> None:
    columns = build_column_map(["Email", "Notes"], GENERIC)
    with pytest.raises(RowError, match="email is missing"):
        map_row(["", "x"], columns, GENERIC, MADRID)
    with pytest.raises(RowError, match="3 cells but the header has 2"):
        map_row(["a@b.com", "x", "y"], columns, GENERIC, MADRID)
    with pytest.raises(RowError, match="'Notes' has 10,001 characters"):
        map_row(["a@b.com", "x" * 10_001], columns, GENERIC, MADRID)


@pytest.mark.parametrize(("cell", "escaped"), [
    ("=1+1", "'=1+1"), ("+34 600", "'+34 600"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("", ""), ("a=b", "a=b"),
])  # fmt: skip
def test_formula_escaping(cell: str, escaped: str) -> None:
    assert escape_cell(cell) == escaped
