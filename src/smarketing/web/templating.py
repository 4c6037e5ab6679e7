"""The Jinja2 environment of the pages (autoescape on) and the context every page gets."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates

from smarketing.contacts.domain import describe_duration
from smarketing.lifecycle.domain import Stage
from smarketing.web.deps import CSRF_FIELD, csrf_token

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

ROLE_LABELS = {
    "admin": "Admin",
    "marketing": "Marketing",
    "sales_manager": "Sales manager",
    "sales_rep": "Sales rep",
}
STAGE_LABELS = {Stage.MQL: "MQL", Stage.SQL: "SQL"}


def stage_label(stage: str) -> str:
    return STAGE_LABELS.get(Stage(stage), str(stage).capitalize())


def local_time(value: datetime | None, zone: ZoneInfo) -> str:
    """An instant as wall time in the workspace timezone."""
    if value is None:
        return ""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _page_context(request: Request) -> dict[str, Any]:
    user = getattr(request.state, "user", None)
    return {
        "user": user,
        "role_label": ROLE_LABELS.get(user.role, user.role) if user else "",
        "csrf_token": csrf_token(request),
        "csrf_field": CSRF_FIELD,
    }


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = local_time
    env.filters["stage_label"] = stage_label
    env.filters["duration"] = describe_duration
    return env


templates = Jinja2Templates(env=_environment(), context_processors=[_page_context])
