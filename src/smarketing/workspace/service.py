"""Writes of the workspace's settings and reference data, one record at a time (they are
few): the workspace row, calendars, teams, users, product lines and personas. Each takes
the validated record of its type (smarketing.records.schema, read by attribute: this
foundation package does not import the format) and returns created, updated or
unchanged. Never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from smarketing.core.rows import update_if_changed
from smarketing.models import Workspace
from smarketing.workspace.keys import Keys


def save_workspace(session: Session, rec: Any) -> str:
    values = {"name": rec.name, "timezone": rec.timezone, "currency": rec.currency,
              "locale": rec.locale}  # fmt: skip
    if session.get(Workspace, 1) is None:
        session.execute(insert(Workspace).values(id=1, **values))
        return "created"
    return update_if_changed(session, Workspace, Workspace.id == 1, values)


def save_calendar(keys: Keys, rec: Any) -> str:
    return keys.calendars.upsert(rec.key, {
        "key": rec.key,
        "timezone": rec.timezone,
        "hours": {day: [list(w) for w in windows] for day, windows in rec.hours.items()},
        "holidays_country": rec.holidays.country if rec.holidays else None,
        "holidays_subdivision": rec.holidays.subdivision if rec.holidays else None,
        "extra_holidays": [d.isoformat() for d in rec.extra_holidays],
        "extra_workdays": [d.isoformat() for d in rec.extra_workdays],
    })  # fmt: skip


def save_team(keys: Keys, rec: Any) -> str:
    calendar_id = keys.calendars.get(rec.calendar)
    return keys.teams.upsert(rec.key, {"key": rec.key, "name": rec.name,
                                       "calendar_id": calendar_id})  # fmt: skip


def save_user(keys: Keys, rec: Any) -> str:
    return keys.users.upsert(rec.email, {
        "email": rec.email,
        "name": rec.name,
        "role": rec.role,
        "team_id": keys.teams.get(rec.team),
        "calendar_id": keys.calendars.get(rec.calendar),
        "locale": rec.locale,
        "weight": rec.weight,
        "out_of_office": [[a.isoformat(), b.isoformat()] for a, b in rec.out_of_office],
    })  # fmt: skip


def save_product_line(keys: Keys, rec: Any) -> str:
    return keys.product_lines.upsert(rec.key, {"key": rec.key, "name": rec.name})


def save_persona(keys: Keys, rec: Any) -> str:
    return keys.personas.upsert(rec.key, {
        "key": rec.key, "name": rec.name, "description": rec.description,
        "criteria": rec.criteria,
    })  # fmt: skip
