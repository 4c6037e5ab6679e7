"""``/api/v1/privacy``: a person's data on request, for an admin key (docs/privacy.md).

Both are POSTs: each is written to the privacy log, and a GET never writes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Request
from fastapi.responses import JSONResponse

from smarketing.kit.api import PREFIX, check_body, example
from smarketing.kit.auth import AdminKey
from smarketing.kit.deps import DbSession, Now, get_workspace
from smarketing.privacy.service import after_erasure, erase_person, export_person

__all__ = ["router"]

router = APIRouter(prefix=PREFIX + "/privacy", tags=["privacy"])
EmailBody = Annotated[Any, Body(openapi_examples={"person": {
    "summary": "A person's address", "value": {"email": "ana@studio.example"}}})]  # fmt: skip
ERRORS: dict[int | str, dict[str, Any]] = {
    403: example("The key is not an admin key",
                 {"detail": "API key 1a2b3c4d has scope 'write'; this needs 'admin'"}),
    422: example("No email address in the body", {"detail": "email: an email address is "
                                                            "needed (at most 320 characters)"}),
}  # fmt: skip


def _email(body: Any) -> str:
    value = check_body(body, ("email",)).get("email")
    return value if isinstance(value, str) else ""


@router.post("/export", summary="Everything held about a person", responses={
    200: example("The person's data, table by table", {
        "format": "smarketing-personal-data/1", "address": "ana@studio.example",
        "addresses": ["ana@studio.example"], "exported_at": "2026-06-01T12:00:00+00:00",
        "suppressed": False, "counts": {"contacts": 1, "activities": 2},
        "tables": {"contacts": [{"id": 12, "email": "ana@studio.example"}]}}),
    **ERRORS})  # fmt: skip
def export(body: EmailBody, session: DbSession, now: Now, key: AdminKey) -> JSONResponse:
    return JSONResponse(export_person(session, _email(body), now=now, actor=key.actor))


@router.post("/erase", summary="Erase a person and suppress their addresses", responses={
    200: example("What was erased: rows per table", {
        "erased": {"activities": 2, "contacts": 1}, "addresses": 1, "suppressed": 1}),
    **ERRORS})  # fmt: skip
def erase(request: Request, body: EmailBody, session: DbSession, now: Now, key: AdminKey,
          tasks: BackgroundTasks) -> JSONResponse:  # fmt: skip
    erasure = erase_person(session, _email(body), now=now, actor=key.actor)
    tasks.add_task(after_erasure, get_workspace(request).engine)
    return JSONResponse({"erased": erasure.counts, "addresses": erasure.addresses,
                         "suppressed": erasure.suppressed})  # fmt: skip
