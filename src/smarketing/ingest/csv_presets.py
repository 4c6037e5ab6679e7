"""CSV presets for contact exports of other tools: pure mapping, dates, stages, escaping.

No I/O and no clock: the service passes the workspace timezone in. See docs/csv-import.md
for the tables below in prose.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo

from smarketing.records.bounds import check_instant

#: Interchange `contact` fields a column may map to, plus `full_name` (split in two).
CONTACT_FIELDS = (
    "email", "created_at", "first_name", "last_name", "full_name", "phone", "job_title",
    "company", "country", "persona", "owner", "lifecycle_stage", "channel", "campaign",
    "product_line",
)  # fmt: skip
#: Headers named after the fields themselves map to them in any CSV (the columns of
#: `smarketing export-csv` among them, so an export imports back as it was).
NATIVE_HEADERS = {**{field: field for field in CONTACT_FIELDS},
                  "first_touch_channel": "channel", "first_touch_campaign": "campaign"}
MAX_FIELD_CHARS = 10_000
#: Characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


class MappingError(ValueError):
    """The columns cannot be mapped (no email column, unknown target field, ...)."""


class RowError(ValueError):
    """This row cannot become a contact; the message says why."""


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    #: header -> contact field; when several headers map to one field, the first
    #: non-empty one (in this order) wins and the others are kept in properties.
    columns: dict[str, str]
    #: Headers whose presence identifies the tool's export.
    signature: tuple[str, ...]
    #: Tool stage name (lower case) -> lifecycle stage.
    stages: dict[str, str] = field(default_factory=dict)
    #: strptime formats tried after ISO 8601.
    date_formats: tuple[str, ...] = ()


HUBSPOT = Preset(
    name="hubspot",
    label="HubSpot contacts export",
    columns={
        "Email": "email", "First Name": "first_name", "Last Name": "last_name",
        "Phone Number": "phone", "Mobile Phone Number": "phone", "Company Name": "company",
        "Job Title": "job_title", "Country/Region": "country",
        "Lifecycle Stage": "lifecycle_stage", "Create Date": "created_at",
        "Contact owner": "owner",
    },
    signature=("Record ID", "Lifecycle Stage"),
    stages={
        "subscriber": "subscriber", "lead": "lead",
        "marketing qualified lead": "mql", "marketingqualifiedlead": "mql",
        "sales qualified lead": "sql", "salesqualifiedlead": "sql",
        "opportunity": "opportunity", "customer": "customer", "evangelist": "evangelist",
        "other": "other",
    },
    date_formats=("%m/%d/%Y %H:%M", "%m/%d/%Y"),
)  # fmt: skip

SALESFORCE = Preset(
    name="salesforce",
    label="Salesforce leads export",
    columns={
        "Email": "email", "First Name": "first_name", "Last Name": "last_name",
        "Phone": "phone", "Mobile": "phone", "Company": "company", "Title": "job_title",
        "Country": "country", "Lead Status": "lifecycle_stage", "Created Date": "created_at",
        "Lead Owner": "owner",
    },
    signature=("Lead ID",),
    stages={
        "open - not contacted": "lead", "open": "lead", "new": "lead",
        "working - contacted": "sql", "working": "sql", "nurturing": "lead",
        "qualified": "sql", "closed - converted": "opportunity",
        "closed - not converted": "other", "unqualified": "other",
    },
    date_formats=(
        "%m/%d/%Y, %I:%M %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y, %H:%M", "%m/%d/%Y %H:%M",
        "%m/%d/%Y",
    ),
)  # fmt: skip

RD_STATION = Preset(
    name="rdstation",
    label="RD Station Marketing leads export",
    columns={
        "Email": "email", "Nome": "full_name", "Empresa": "company", "Cargo": "job_title",
        "Telefone": "phone", "Celular": "phone", "País": "country",
        "Estágio no funil": "lifecycle_stage", "Criado em": "created_at",
        "Data de conversão": "created_at", "Dono do Lead": "owner",
    },
    signature=("Nome", "Estágio no funil"),
    stages={
        "lead": "lead", "lead qualificado": "mql", "oportunidade": "opportunity",
        "cliente": "customer", "contato": "lead",
    },
    date_formats=("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"),
)  # fmt: skip

GENERIC = Preset(
    name="generic",
    label="any CSV (email column found by name, the rest through --map)",
    columns={},
    signature=(),
    stages={
        stage: stage
        for stage in (
            "subscriber",
            "lead",
            "mql",
            "sql",
            "opportunity",
            "customer",
            "evangelist",
            "other",
        )
    },  # fmt: skip
)

PRESETS: dict[str, Preset] = {p.name: p for p in (HUBSPOT, SALESFORCE, RD_STATION, GENERIC)}
GENERIC_EMAIL_HEADERS = ("email", "e-mail", "email address", "e-mail address", "correo",
                         "correo electrónico", "posta elettronica")  # fmt: skip


def detect_preset(headers: list[str]) -> Preset:
    """The tool whose signature headers are all present, else the generic preset."""
    present = {h.strip() for h in headers}
    for preset in (HUBSPOT, SALESFORCE, RD_STATION):
        if all(h in present for h in preset.signature):
            return preset
    return GENERIC


def parse_mapping(text: str | None) -> dict[str, str]:
    """`"E-mail=email,Empresa=company"` -> {"E-mail": "email", "Empresa": "company"}."""
    mapping: dict[str, str] = {}
    if not text:
        return mapping
    for part in text.split(","):
        if not part.strip():
            continue
        header, sep, target = part.rpartition("=")
        header, target = header.strip(), target.strip()
        if not sep or not header or not target:
            raise MappingError(f"--map entry {part.strip()!r} is not HEADER=field")
        if target not in CONTACT_FIELDS:
            raise MappingError(
                f"--map entry {part.strip()!r}: {target!r} is not a contact field; use one of "
                + ", ".join(CONTACT_FIELDS)
            )
        mapping[header] = target
    return mapping


@dataclass(frozen=True)
class ColumnMap:
    """Which column index feeds which contact field (in priority order)."""

    headers: tuple[str, ...]
    fields: dict[str, tuple[int, ...]]

    @property
    def mapped(self) -> frozenset[int]:
        return frozenset(i for idxs in self.fields.values() for i in idxs)


def build_column_map(
    headers: list[str],
    preset: Preset,
    extra: dict[str, str] | None = None,
    delimiter: str = ",",
) -> ColumnMap:
    """Map the file's headers; raises MappingError naming the headers seen when no
    column holds the email address."""
    clean = tuple(h.strip() for h in headers)
    wanted: dict[str, str] = {h: NATIVE_HEADERS[h] for h in clean if h in NATIVE_HEADERS}
    wanted.update(preset.columns)
    wanted.update(extra or {})
    fields: dict[str, list[int]] = {}
    order = list(wanted)
    for header in order:
        if header in clean:
            fields.setdefault(wanted[header], []).append(clean.index(header))
    if "email" not in fields:
        lowered = [h.lower() for h in clean]
        for name in GENERIC_EMAIL_HEADERS:
            if name in lowered:
                fields["email"] = [lowered.index(name)]
                break
    if "email" not in fields:
        seen = ", ".join(repr(h) for h in clean[:20]) + (" ..." if len(clean) > 20 else "")
        hint = ""
        if len(clean) == 1:
            hint = (f" Only one column was found with delimiter {delimiter!r}: is the "
                    "delimiter right? (use --delimiter)")  # fmt: skip
        raise MappingError(
            f"no email column found (preset {preset.name}); headers seen: {seen}.{hint} "
            'Name it with --map "HEADER=email".'
        )
    return ColumnMap(clean, {k: tuple(v) for k, v in fields.items()})


DATE_ORDERS = ("day-first", "month-first")


def with_date_order(preset: Preset, order: str | None) -> Preset:
    """`preset` reading slash dates day first (14/03/2026) or month first (3/14/2026).

    A tool's export follows its user's locale, not the tool: Salesforce and HubSpot
    export day first for European users. None keeps the preset's own order."""
    if order is None:
        return preset
    if order not in DATE_ORDERS:
        raise MappingError(f"date order {order!r}: use {' or '.join(DATE_ORDERS)}")
    first, second = ("%d/%m", "%m/%d") if order == "day-first" else ("%m/%d", "%d/%m")
    return replace(preset, date_formats=_ordered(preset.date_formats, first, second))


def _ordered(formats: tuple[str, ...], first: str, second: str) -> tuple[str, ...]:
    return tuple(fmt.replace(second, first) for fmt in formats)


def parse_date(text: str, formats: tuple[str, ...], zone: tzinfo) -> datetime:
    """A tool's date text -> aware UTC instant; no offset means the workspace timezone."""
    value = text.strip()
    parsed: datetime | None = None
    iso = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        for fmt in (*ISO_FORMATS, *formats):
            try:
                parsed = datetime.strptime(value, fmt)  # noqa: DTZ007 - zone applied below
            except ValueError:
                continue
            break
    if parsed is None:
        raise RowError(f"date {text!r} is not in a known format{_order_hint(value, formats)}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    try:
        return check_instant(parsed, None)
    except ValueError as exc:
        raise RowError(f"date {text!r}: {exc}") from None


def _order_hint(value: str, formats: tuple[str, ...]) -> str:
    """Advice when `value` would parse with day and month the other way round."""
    for order, first, second in (("day-first", "%d/%m", "%m/%d"),
                                 ("month-first", "%m/%d", "%d/%m")):  # fmt: skip
        flipped = _ordered(formats, first, second)
        if flipped == formats:
            continue
        for fmt in flipped:
            try:
                datetime.strptime(value, fmt)  # noqa: DTZ007 - only checks the shape
            except ValueError:
                continue
            return f" (it reads as {order}: use --date-order {order})"
    return ""


def map_stage(value: str, preset: Preset) -> tuple[str, str | None]:
    """(lifecycle stage, original value when it was not recognized)."""
    text = value.strip()
    if not text:
        return "lead", None
    stage = preset.stages.get(text.lower()) or GENERIC.stages.get(text.lower())
    if stage is None:
        return "lead", text
    return stage, None


def split_full_name(value: str) -> tuple[str | None, str | None]:
    parts = value.strip().split(None, 1)
    if not parts:
        return None, None
    return parts[0], (parts[1] if len(parts) > 1 else None)


def escape_cell(value: str) -> str:
    """Keep spreadsheets from running a cell as a formula (OWASP CSV injection)."""
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    """The cell `escape_cell` guarded, as it was: an export re-imports to the same values."""
    if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


@dataclass
class MappedRow:
    """One CSV row as contact values; created_at None when the row has no date."""

    values: dict[str, str]
    properties: dict[str, str]
    created_at: datetime | None
    stage: str
    owner: str | None


def map_row(cells: list[str], columns: ColumnMap, preset: Preset, zone: tzinfo) -> MappedRow:
    """Turn one row into contact values; raises RowError with the reason."""
    headers = columns.headers
    if len(cells) > len(headers):
        raise RowError(f"row has {len(cells)} cells but the header has {len(headers)}")
    for index, cell in enumerate(cells):
        if len(cell) > MAX_FIELD_CHARS:
            raise RowError(f"column {headers[index]!r} has {len(cell):,} characters "
                           f"(limit {MAX_FIELD_CHARS:,})")  # fmt: skip
    cell_at = {i: cells[i].strip() for i in range(len(cells))}
    values: dict[str, str] = {}
    properties: dict[str, str] = {}
    for target, indexes in columns.fields.items():
        for index in indexes:
            cell = cell_at.get(index, "")
            if not cell:
                continue
            if target in values:
                properties[headers[index]] = cell
            else:
                values[target] = cell
    mapped = columns.mapped
    for index, cell in cell_at.items():
        if index not in mapped and cell:
            properties[headers[index] or f"column {index + 1}"] = cell
    if not values.get("email"):
        raise RowError("email is missing")
    if "full_name" in values:
        first, last = split_full_name(values.pop("full_name"))
        if first and "first_name" not in values:
            values["first_name"] = first
        if last and "last_name" not in values:
            values["last_name"] = last
    created_at = None
    if "created_at" in values:
        created_at = parse_date(values.pop("created_at"), preset.date_formats, zone)
    stage, unknown = map_stage(values.pop("lifecycle_stage", ""), preset)
    if unknown is not None:
        properties["source_lifecycle_stage"] = unknown
    owner = values.pop("owner", None)
    return MappedRow(values, properties, created_at, stage, owner)
