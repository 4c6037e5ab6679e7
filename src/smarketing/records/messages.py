"""Importer messages retold for callers that are not reading a file (the API, webhooks,
the website tracker): the field first, and no advice about "earlier lines"."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import ValidationError

#: The importer names what is missing by its table ("unknown user"); the API by its field.
_FIELD_OF_LABEL = {"user": "owner"}
#: "amount: ...", "properties.size: ...", "colour: unknown field": the field comes first.
_NAMES_A_FIELD = re.compile(r"^[A-Za-z_][\w.]*: ")


def name_the_field(message: str, kind: str, fields: Sequence[str]) -> str:
    """An importer message as an API error that starts with the field it is about.

    "deal: a won deal needs closed_at" -> "closed_at: a won deal needs closed_at";
    "deal: unknown contact 'x': define it on an earlier line" ->
    "contact: unknown contact 'x': create it first".
    """
    message = message.removeprefix(f"{kind}: ")
    if ": define it" in message:  # advice for files, meaningless to an API caller
        message = message.split(": define it", 1)[0] + ": create it first"
    if _NAMES_A_FIELD.match(message):
        return message
    unknown = re.match(r"unknown (\w+) ", message)
    if unknown:
        label = unknown.group(1)
        field = _FIELD_OF_LABEL.get(label, label)
        if field in fields:
            return f"{field}: {message}"
    mentioned = [(m.start(), field) for field in fields
                 for m in [re.search(rf"\b{re.escape(field)}\b", message)] if m]  # fmt: skip
    return f"{min(mentioned)[1] if mentioned else 'body'}: {message}"


def describe(error: ValidationError) -> str:
    """Pydantic's errors as one line that names each field."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item.get("loc", ())) or "body"
        message = item.get("msg", "invalid").removeprefix("Value error, ")
        if item.get("type") == "extra_forbidden":
            message = "unknown field"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)
