"""The JSON answer to a rejected write: the body kept in the quarantine, 422 with its id."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from smarketing.quarantine.service import hold


def rejected(session: Session, *, kind: str, payload: Any, reason: str, source: str,
             now: datetime) -> JSONResponse:  # fmt: skip
    """Keep a rejected write in the quarantine and answer 422 with its id.

    Returned, not raised: the request's transaction must commit for the row to stay.
    The payload is kept as JSON text, also when the body is a bare JSON string (the
    standard library's encoder: it takes integers of any size, as JSON parsing gave them).
    """
    text = json.dumps(payload, ensure_ascii=False)
    quarantine_id = hold(session, source=source, kind=kind, payload=text, reason=reason,
                         now=now)  # fmt: skip
    return JSONResponse({"detail": reason, "quarantine_id": quarantine_id}, status_code=422)
