"""The duplicates page: likely duplicate pairs side by side, and a form per pair to merge
it choosing the survivor. For admins, marketing and sales managers (it shows contacts of
every owner); a sales rep is refused."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from smarketing.contacts.duplicates_service import DEFAULT_MIN_SCORE, merge, shown_pairs
from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.i18n import N_
from smarketing.kit.deps import CurrentUser, DbSession, Now, current_user, require_csrf
from smarketing.kit.pages import forbidden_page, pop_flash, set_flash
from smarketing.kit.templating import page_text, templates

PATH = "/contacts/duplicates"
#: Roles that see every contact, and so every pair.
DUPLICATES_ROLES = frozenset({"admin", "marketing", "sales_manager"})
PAGE_LIMIT = 200
REFUSED = N_("Duplicates are for admins, marketing and sales managers.")
CHOOSE_SURVIVOR = N_("Choose which of the two contacts stays.")
NOT_MERGED = N_("Nothing was merged: %(reason)s.")
MERGED = N_("Merged %(merged)s into %(kept)s. Later events for %(merged)s go to %(kept)s.")

router = APIRouter(dependencies=[Depends(current_user)])


def _min_score(value: str | None) -> int:
    """The filter from the query or form; the default when missing or not 1-100."""
    if value is None or not value.strip().isdigit():
        return DEFAULT_MIN_SCORE
    return min(max(int(value), 1), 100)


def _render(
    request: Request, session: Session, min_score: int, *, error: str | None = None,
    status_code: int = 200,
) -> Response:
    return templates.TemplateResponse(request, "contacts/duplicates.html", {
        "active": "duplicates",
        "pairs": shown_pairs(session, min_score, PAGE_LIMIT),
        "min_score": min_score,
        "limit": PAGE_LIMIT,
        "flash": pop_flash(request),
        "error": error,
    }, status_code=status_code)  # fmt: skip


@router.get(PATH)
def duplicates_page(
    request: Request, session: DbSession, user: CurrentUser, min_score: str | None = None
) -> Response:
    if user.role not in DUPLICATES_ROLES:
        return forbidden_page(request, REFUSED)
    return _render(request, session, _min_score(min_score))


@router.post(PATH + "/merge", dependencies=[Depends(require_csrf)])
def merge_pair(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    now: Now,
    a: Annotated[str, Form()] = "",
    b: Annotated[str, Form()] = "",
    survivor: Annotated[str, Form()] = "",
    min_score: Annotated[str | None, Form()] = None,
) -> Response:
    """Merge the pair (a, b) into the one chosen as `survivor`, then back to the list."""
    if user.role not in DUPLICATES_ROLES:
        return forbidden_page(request, REFUSED)
    score = _min_score(min_score)
    if survivor not in (a, b) or not a or not b:
        return _render(request, session, score, status_code=422,
                       error=page_text(request, CHOOSE_SURVIVOR))  # fmt: skip
    duplicate = b if survivor == a else a
    try:
        result = merge(session, survivor, duplicate, now, user.email)
    except (NotFoundError, ValidationError) as exc:
        status = 404 if isinstance(exc, NotFoundError) else 422
        return _render(request, session, score, status_code=status,
                       error=page_text(request, NOT_MERGED, reason=str(exc)))  # fmt: skip
    merged, kept = result.merged_email, result.survivor["email"]
    set_flash(request, MERGED, merged=merged, kept=kept)
    return RedirectResponse(f"{PATH}?min_score={score}", status_code=303)
