"""Duplicates over HTTP: ``GET /api/v1/duplicates`` lists likely pairs and
``POST /api/v1/duplicates/merge`` merges one. Authenticated with API keys (read to list,
write to merge); errors are ``{"detail": "<reason naming the field>"}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from smarketing.contacts.duplicates_service import DEFAULT_MIN_SCORE, merge, shown_pairs
from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.kit.auth import ReadKey, WriteKey
from smarketing.kit.deps import DbSession, Now

PREFIX = "/api/v1/duplicates"
MAX_LIMIT = 1000

router = APIRouter(prefix=PREFIX, tags=["duplicates"])


class MergeIn(BaseModel):
    """The pair to merge, each named by email or by contact id."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"survivor": "luis@cocinas-lopez.es", "duplicate": "luis.l@gmail.com"}],
    })  # fmt: skip

    survivor: int | str = Field(description="The contact that stays (email or id).")
    duplicate: int | str = Field(
        description="The contact merged into the survivor and removed (email or id)."
    )


@router.get("")
def list_pairs(
    session: DbSession,
    _key: ReadKey,
    min_score: Annotated[int, Query(ge=1, le=100, description="Lowest score listed.")] = (
        DEFAULT_MIN_SCORE
    ),
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many.")] = 100,
) -> dict[str, Any]:
    """Likely duplicate pairs, highest score first, with the evidence for each.

    Each item is `{"score", "evidence": [...], "a": {...}, "b": {...}}`; `a` is the
    contact with the lower id. Scores: same phone 60, same name at the same company 60,
    similar name at the same organisation 40, same email name with the same name 25
    (added up, at most 100).
    """
    pairs = shown_pairs(session, min_score, limit)
    return {"items": [pair.as_dict() for pair in pairs]}


@router.post("/merge")
def merge_pair(body: MergeIn, session: DbSession, key: WriteKey, now: Now) -> dict[str, Any]:
    """Merge `duplicate` into `survivor`: every activity, stage change, attempt, decision
    and deal moves to the survivor, the duplicate is removed, and later events addressed
    to its email or id reach the survivor.

    404 when either contact does not exist (or was already merged); 422 for bad input,
    such as merging a contact with itself.
    """
    try:
        result = merge(session, body.survivor, body.duplicate, now, key.actor)
    except NotFoundError as exc:
        raise HTTPException(404, detail=str(exc)) from None
    except ValidationError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    return result.as_dict(session)
